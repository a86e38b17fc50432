/* engine_run.c — see engine_run.h. */
#include "engine_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int collect(void *user, enum cr_ind id, int year, const float *values, struct cr_err *err)
{
    struct engine_result *r = user;
    int yi = year - r->first_year;
    if (yi < 0 || yi >= r->nyears)
        return cr_err_set(err, CR_EINTERNAL, "emitted year %d outside the series", year);
    memcpy(r->v + ((size_t)id * r->nyears + yi) * r->ncells, values, r->ncells * sizeof *values);
    r->emitted[id * r->nyears + yi]++;
    return CR_OK;
}

int engine_run(const struct cr_engine_opts *o, enum cr_calendar cal, int first_year,
               int last_year, size_t ncells, const double *lat, series_fn fn, void *user,
               size_t block_days, struct engine_result *res, struct cr_err *err)
{
    memset(res, 0, sizeof *res);
    res->first_year = first_year;
    res->nyears = last_year - first_year + 1;
    res->ncells = ncells;
    size_t total = (size_t)CR_IND_COUNT * res->nyears * ncells;
    res->v = malloc(total * sizeof *res->v);
    res->emitted = calloc((size_t)CR_IND_COUNT * res->nyears, sizeof *res->emitted);
    for (size_t i = 0; i < total; i++)
        res->v[i] = NAN;
    struct cr_engine *e;
    int rc = cr_engine_new(&e, o, cal, first_year, last_year, ncells, lat, err);
    if (rc)
        return rc;
    float *buf[CR_IN_COUNT] = {0};
    for (int k = 0; k < CR_IN_COUNT; k++)
        if (o->have[k])
            buf[k] = malloc(block_days * ncells * sizeof(float));
    struct cr_date d = {first_year, 1, 1};
    while (rc == CR_OK && d.year <= last_year) {
        struct cr_date start = d;
        size_t nd = 0;
        for (; nd < block_days && d.year <= last_year; nd++) {
            for (int k = 0; k < CR_IN_COUNT; k++)
                if (buf[k])
                    for (size_t c = 0; c < ncells; c++)
                        buf[k][nd * ncells + c] = fn(user, d, (enum cr_input)k, c);
            d = cr_cal_add_days(cal, d, 1);
        }
        const float *in[CR_IN_COUNT];
        for (int k = 0; k < CR_IN_COUNT; k++)
            in[k] = buf[k];
        rc = cr_engine_feed(e, start, nd, in, collect, res, err);
    }
    if (rc == CR_OK)
        rc = cr_engine_finish(e, collect, res, err);
    for (int k = 0; k < CR_IN_COUNT; k++)
        free(buf[k]);
    cr_engine_free(e);
    return rc;
}

float engine_value(const struct engine_result *r, enum cr_ind id, int year, size_t cell)
{
    int yi = year - r->first_year;
    if (yi < 0 || yi >= r->nyears)
        return NAN;
    return r->v[((size_t)id * r->nyears + yi) * r->ncells + cell];
}

void engine_result_free(struct engine_result *r)
{
    free(r->v);
    free(r->emitted);
    memset(r, 0, sizeof *r);
}
