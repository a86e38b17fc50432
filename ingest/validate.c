/* validate.c — counted plausibility checks; see validate.h. */
#include "validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/strutil.h"

void cr_validation_init(struct cr_validation *v, double max_invalid_fraction, int mask)
{
    memset(v, 0, sizeof *v);
    v->max_invalid_fraction = max_invalid_fraction;
    v->mask = mask;
}

static void note(struct cr_validation *v, enum cr_check c, const struct cr_series *s,
                 struct cr_date start, size_t d, size_t cell, float value, float other)
{
    v->invalid[c]++;
    struct cr_check_example *e = &v->first[c];
    if (e->set)
        return;
    struct cr_series_info info;
    cr_series_info(s, &info);
    e->set = 1;
    e->var = info.var;
    e->cell = cell;
    e->date = cr_cal_add_days(info.calendar, start, (int64_t)d);
    e->value = value;
    e->other = other;
    const char *file = cr_series_file_of_day(s, e->date);
    cr_strlcpy(e->file, file ? cr_basename(file) : "?", sizeof e->file);
}

/* Values with data in row[0..n), and whether any is outside [lo, hi]:
 * the common case (a clean row) in a pass the compiler vectorises at -O2
 * (fixed-length inner blocks, no branch), before any slow per-value work. */
static uint64_t scan_row(const float *row, size_t n, float lo, float hi, int *any_bad)
{
    uint32_t have = 0, bad = 0;
    size_t c = 0;
    for (; c + 16 <= n; c += 16)
        for (size_t j = 0; j < 16; j++) {
            float x = row[c + j];
            have += (uint32_t)(x == x);
            bad |= (uint32_t)(x < lo) | (uint32_t)(x > hi); /* false for NaN */
        }
    for (; c < n; c++) {
        float x = row[c];
        have += (uint32_t)(x == x);
        bad |= (uint32_t)(x < lo) | (uint32_t)(x > hi);
    }
    *any_bad = bad != 0;
    return have;
}

uint64_t cr_validate_block(struct cr_validation *v, const struct cr_series *s, struct cr_date start,
                           float *block, size_t ndays)
{
    struct cr_series_info info;
    cr_series_info(s, &info);
    size_t nc = info.ncells;
    int temperature =
        info.var == CR_VAR_TASMIN || info.var == CR_VAR_TASMAX || info.var == CR_VAR_TAS;
    float lo = temperature ? (float)CR_VALID_TEMP_MIN : 0.0f;
    float hi = temperature              ? (float)CR_VALID_TEMP_MAX
               : info.var == CR_VAR_SNW ? INFINITY
                                        : (float)CR_VALID_PR_MAX;
    enum cr_check low = temperature ? CR_CHECK_TOO_LOW : CR_CHECK_NEGATIVE;
    uint64_t checked = 0;
    for (size_t d = 0; d < ndays; d++) {
        float *row = block + d * nc;
        int any_bad;
        checked += scan_row(row, nc, lo, hi, &any_bad);
        for (size_t c = 0; any_bad && c < nc; c++) {
            float x = row[c];
            if (isnan(x) || (x >= lo && x <= hi))
                continue;
            note(v, x < lo ? low : CR_CHECK_TOO_HIGH, s, start, d, c, x, 0);
            if (v->mask)
                row[c] = NAN;
        }
    }
    v->checked[low] += checked;
    v->checked[CR_CHECK_TOO_HIGH] += checked;
    return checked;
}

void cr_validate_pair(struct cr_validation *v, const struct cr_series *tasmin,
                      const struct cr_series *tasmax, struct cr_date start, float *tn, float *tx,
                      size_t ndays)
{
    struct cr_series_info info;
    cr_series_info(tasmax, &info);
    (void)tasmin;
    size_t n = ndays * info.ncells;
    uint64_t checked = 0;
    for (size_t k = 0; k < n; k++) {
        if (isnan(tn[k]) || isnan(tx[k]))
            continue;
        checked++;
        if (tx[k] >= tn[k])
            continue;
        note(v, CR_CHECK_TX_LT_TN, tasmax, start, k / info.ncells, k % info.ncells, tx[k], tn[k]);
        if (v->mask)
            tn[k] = tx[k] = NAN;
    }
    v->checked[CR_CHECK_TX_LT_TN] += checked;
}

uint64_t cr_validation_invalid(const struct cr_validation *v)
{
    uint64_t n = 0;
    for (int c = 0; c < CR_CHECK_COUNT; c++)
        n += v->invalid[c];
    return n;
}

static const char *check_text(enum cr_check c, enum cr_var var)
{
    switch (c) {
    case CR_CHECK_TOO_LOW:
        return "below -90 degC";
    case CR_CHECK_TOO_HIGH:
        return var <= CR_VAR_TAS ? "above 60 degC" : "above 2000 mm/day";
    case CR_CHECK_NEGATIVE:
        return "negative";
    default:
        return "with tasmax < tasmin";
    }
}

static double share(const struct cr_validation *v, int c)
{
    return v->checked[c] ? (double)v->invalid[c] / (double)v->checked[c] : 0.0;
}

void cr_validation_summary(const struct cr_validation *v, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int c = 0; c < CR_CHECK_COUNT; c++) {
        if (!v->invalid[c])
            continue;
        const struct cr_check_example *e = &v->first[c];
        int w;
        if (c == CR_CHECK_TX_LT_TN)
            w = snprintf(out + n, size - n,
                         "%s%llu cell-days %s (%.4g%%), first cell %zu on %04d-%02d-%02d in %s "
                         "(tasmax %.2f < tasmin %.2f)",
                         n ? "; " : "", (unsigned long long)v->invalid[c], check_text(c, e->var),
                         100.0 * share(v, c), e->cell, e->date.year, e->date.month, e->date.day,
                         e->file, e->value, e->other);
        else
            w = snprintf(out + n, size - n,
                         "%s%llu %s values %s (%.4g%%), first cell %zu on %04d-%02d-%02d in %s "
                         "(%.6g %s)",
                         n ? "; " : "", (unsigned long long)v->invalid[c], cr_var_name(e->var),
                         check_text(c, e->var), 100.0 * share(v, c), e->cell, e->date.year,
                         e->date.month, e->date.day, e->file, e->value, cr_var_units(e->var));
        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
}

int cr_validation_finish(const struct cr_validation *v, struct cr_err *err)
{
    if (!cr_validation_invalid(v))
        return CR_OK;
    char text[CR_ERR_MSG_MAX - 300];
    cr_validation_summary(v, text, sizeof text);
    for (int c = 0; c < CR_CHECK_COUNT; c++) {
        if (share(v, c) > v->max_invalid_fraction)
            return cr_err_set(err, CR_EDATA,
                              "values out of physical range: %s. That is more than [inputs] "
                              "max_invalid_fraction = %g: check the files' units and origin "
                              "(`climrisk inspect FILE`), fix or replace them, or raise the "
                              "threshold if these values are expected",
                              text, v->max_invalid_fraction);
    }
    cr_warn("values out of physical range (counted, under [inputs] max_invalid_fraction = %g%s): "
            "%s",
            v->max_invalid_fraction, v->mask ? "; read as NaN" : "", text);
    return CR_OK;
}
