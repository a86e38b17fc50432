/* test_climdex.c — the engine against climdex.pcic's reference values for
 * Environment Canada station 1018935 (1959-2004), in
 * ../shared/data/etccdi_climdex/ (SOURCES.md there says how they were made).
 *
 * The station's CSVs omit missing days; they become NaN days here. The two
 * implementations mask years differently: climdex.pcic drops a year with
 * more than 15 missing days or any month with more than 3 (and a month
 * with more than 3), climrisk drops a year with more than 10 % missing days
 * (36 in 365). Values are compared for the years both define; inside those
 * years both skip missing days in counts, sums and maxima, and both let a
 * missing day break a growing-season spell, so the values must be equal.
 *
 * Differences of convention, checked explicitly below:
 * - txx and rx1day are monthly in the reference: the annual value is the
 *   maximum of the 12 monthly values (only years with all 12 defined);
 * - rx5day: climdex centres the 5-day window on its middle day (the
 *   default center.mean.on.last.day = FALSE used for these values) and
 *   counts missing days as 0; climrisk labels a window by its last day and
 *   skips windows with a missing day. A year's maxima differ only when the
 *   best window in either convention straddles 1 January (centred on
 *   30-31 Dec / ending on 1-2 Jan) or holds a missing day; the test checks
 *   that every year that differs is such a year, and that the others agree
 *   exactly;
 * - cdd is not compared: climdex lets dry spells span years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/engine.h"
#include "support/engine_run.h"

#define Y0 1959
#define Y1 2004
#define NY (Y1 - Y0 + 1)
#define NDAYS 17000

/* Daily series on a Gregorian day index from 1959-01-01. */
static float tmax[NDAYS], tmin[NDAYS], prec[NDAYS];
static int ndays;

static const char *data_dir(void)
{
    static char dir[1024];
    const char *src = getenv("SRC");
    snprintf(dir, sizeof dir, "%s/../shared/data/etccdi_climdex", src ? src : ".");
    return dir;
}

static int day_index(int year, int jday)
{
    struct cr_date a = {Y0, 1, 1}, b = {year, 1, 1};
    return (int)(cr_cal_day_number(CR_CAL_STANDARD, b) - cr_cal_day_number(CR_CAL_STANDARD, a)) +
           jday - 1;
}

static int load_series(const char *name, float *out)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    for (int i = 0; i < NDAYS; i++)
        out[i] = NAN;
    char line[256];
    int rows = 0;
    if (!fgets(line, sizeof line, fp)) { /* header */
        fclose(fp);
        return -1;
    }
    while (fgets(line, sizeof line, fp)) {
        int y, j;
        double v;
        if (sscanf(line, "%d,%d,%lf", &y, &j, &v) != 3)
            continue;
        int i = day_index(y, j);
        assert_true(i >= 0 && i < NDAYS);
        out[i] = (float)v; /* climdex's values show the same float rounding */
        rows++;
    }
    fclose(fp);
    return rows;
}

/* Reference tables: annual [year][column], monthly [year][month][column]. */
struct annual_ref {
    double fd, su, tr, gsl, r20mm, prcptot;
};
static struct annual_ref ann[NY];
static double mon_txx[NY][12], mon_rx1[NY][12], mon_rx5[NY][12];

static double parse_cell(const char *s)
{
    return strncmp(s, "NA", 2) == 0 ? NAN : atof(s);
}

static int split(char *line, char **cols, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        cols[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static int load_reference(void)
{
    char path[1200], line[1024];
    snprintf(path, sizeof path, "%s/ec1018935_expected_annual.csv", data_dir());
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    /* year,fd,su,id,tr,gsl,gsl_sh,wsdi,csdi,sdii,r10mm,r20mm,rnnmm,cdd,cwd,r95ptot,r99ptot,prcptot */
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(strstr(line, "year,fd,su,id,tr,gsl,gsl_sh"));
    while (fgets(line, sizeof line, fp)) {
        char *c[20];
        if (split(line, c, 20) < 18)
            continue;
        int y = atoi(c[0]);
        assert_true(y >= Y0 && y <= Y1);
        struct annual_ref *a = &ann[y - Y0];
        a->fd = parse_cell(c[1]);
        a->su = parse_cell(c[2]);
        a->tr = parse_cell(c[4]);
        a->gsl = parse_cell(c[5]);
        a->r20mm = parse_cell(c[11]);
        a->prcptot = parse_cell(c[17]);
    }
    fclose(fp);
    snprintf(path, sizeof path, "%s/ec1018935_expected_monthly.csv", data_dir());
    fp = fopen(path, "r");
    if (!fp)
        return -1;
    /* month,txx,tnx,txn,tnn,tn10p,tx10p,tn90p,tx90p,dtr,rx1day,rx5day */
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(strstr(line, "month,txx"));
    while (fgets(line, sizeof line, fp)) {
        char *c[16];
        if (split(line, c, 16) < 12)
            continue;
        int y, m;
        assert_int_equal(sscanf(c[0], "%d-%d", &y, &m), 2);
        mon_txx[y - Y0][m - 1] = parse_cell(c[1]);
        mon_rx1[y - Y0][m - 1] = parse_cell(c[10]);
        mon_rx5[y - Y0][m - 1] = parse_cell(c[11]);
    }
    fclose(fp);
    return 0;
}

static float station_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user, (void)cell;
    struct cr_date a = {Y0, 1, 1};
    int i = (int)(cr_cal_day_number(CR_CAL_STANDARD, d) - cr_cal_day_number(CR_CAL_STANDARD, a));
    switch (in) {
    case CR_IN_TN:
        return tmin[i];
    case CR_IN_TX:
        return tmax[i];
    case CR_IN_PR:
        return prec[i];
    default:
        return NAN;
    }
}

static double annual_max(const double m[12])
{
    double v = -INFINITY;
    for (int k = 0; k < 12; k++) {
        if (isnan(m[k]))
            return NAN;
        v = m[k] > v ? m[k] : v;
    }
    return v;
}

/* Does year y's best 5-day window depend on the conventions: does any
 * window centred on 30-31 Dec of y or of y - 1, or any window holding a
 * missing day, reach the larger of the two maxima? */
static int rx5_convention_sensitive(int y, double a, double b)
{
    double top = a > b ? a : b;
    struct cr_date first = {y - 1, 12, 28}, last = {y, 12, 31};
    int i0 = day_index(first.year, 1) + cr_cal_doy(CR_CAL_STANDARD, first) - 1;
    int i1 = day_index(last.year, 1) + cr_cal_doy(CR_CAL_STANDARD, last) - 1;
    for (int end = i0 + 4; end <= i1 + 2 && end < ndays; end++) {
        double s = 0;
        int missing = 0;
        for (int k = end - 4; k <= end; k++) {
            if (k < 0 || isnan(prec[k]))
                missing = 1;
            else
                s += prec[k];
        }
        struct cr_date de = cr_cal_add_days(CR_CAL_STANDARD, (struct cr_date){Y0, 1, 1}, end);
        int straddles = (de.month == 1 && de.day <= 2);
        if ((missing || straddles) && s >= top - 1e-3)
            return 1;
    }
    return 0;
}

static void test_station_1018935(void **state)
{
    (void)state;
    int nx = load_series("1018935_MAX_TEMP.csv", tmax);
    int nn = load_series("1018935_MIN_TEMP.csv", tmin);
    int np = load_series("1018935_ONE_DAY_PRECIPITATION.csv", prec);
    if (nx < 0 || nn < 0 || np < 0 || load_reference() != 0) {
        print_message("shared data not found under %s\n", data_dir());
        skip();
    }
    /* Row counts from SOURCES.md */
    assert_int_equal(nx, 15704);
    assert_int_equal(nn, 15733);
    assert_int_equal(np, 15458);
    ndays = day_index(Y1, 366) + 1;

    struct cr_engine_opts o;
    cr_engine_opts_defaults(&o);
    o.have[CR_IN_TN] = o.have[CR_IN_TX] = o.have[CR_IN_PR] = 1;
    const enum cr_ind ids[] = {CR_IND_TXX,   CR_IND_SU,      CR_IND_FD,     CR_IND_TR,
                               CR_IND_GSL,   CR_IND_R20MM,   CR_IND_PRCPTOT, CR_IND_RX1DAY,
                               CR_IND_RX5DAY};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        o.indicators |= 1UL << ids[k];
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, Y0, Y1, 1, NULL, station_fn, NULL, 73, &r, &err), CR_OK);

    int compared[CR_IND_COUNT] = {0}, rx5_explained = 0;
    for (int y = Y0; y <= Y1; y++) {
        const struct annual_ref *a = &ann[y - Y0];
        struct {
            enum cr_ind id;
            double ref;
            double tol;
        } pairs[] = {
            {CR_IND_SU, a->su, 0},
            {CR_IND_FD, a->fd, 0},
            {CR_IND_TR, a->tr, 0},
            {CR_IND_GSL, a->gsl, 0},
            {CR_IND_R20MM, a->r20mm, 0},
            {CR_IND_PRCPTOT, a->prcptot, 1e-3},
            {CR_IND_TXX, annual_max(mon_txx[y - Y0]), 1e-5},
            {CR_IND_RX1DAY, annual_max(mon_rx1[y - Y0]), 1e-4},
        };
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            double mine = engine_value(&r, pairs[k].id, y, 0);
            if (isnan(mine) || isnan(pairs[k].ref))
                continue;
            if (fabs(mine - pairs[k].ref) > pairs[k].tol)
                fail_msg("%s %d: climrisk %.6f, climdex.pcic %.6f",
                         cr_engine_indicator_code(pairs[k].id), y, mine, pairs[k].ref);
            compared[pairs[k].id]++;
        }
        double ref5 = annual_max(mon_rx5[y - Y0]), mine5 = engine_value(&r, CR_IND_RX5DAY, y, 0);
        if (isnan(ref5) || isnan(mine5))
            continue;
        compared[CR_IND_RX5DAY]++;
        if (fabs(mine5 - ref5) > 1e-3) {
            if (!rx5_convention_sensitive(y, mine5, ref5))
                fail_msg("rx5day %d: climrisk %.3f, climdex.pcic %.3f, not explained by the "
                         "window conventions",
                         y, mine5, ref5);
            rx5_explained++;
        }
    }
    /* Years compared (both define the year); the reference defines 20-30
     * of the 46 years, depending on the variable. */
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        print_message("%-8s %2d years compared\n", cr_engine_indicator_code(ids[k]),
                      compared[ids[k]]);
        assert_true(compared[ids[k]] >= 15);
    }
    print_message("rx5day: %d years differ by the window conventions\n", rx5_explained);
    assert_true(rx5_explained <= compared[CR_IND_RX5DAY] / 4);
    engine_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_station_1018935),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
