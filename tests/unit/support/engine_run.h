/* engine_run.h — run the indicator engine over a made-up daily series
 * (tests only): values come from a callback per (date, input, cell), the
 * series is fed in blocks of a chosen size, results land in a table. */
#ifndef TEST_ENGINE_RUN_H
#define TEST_ENGINE_RUN_H

#include "indicators/engine.h"

typedef float (*series_fn)(void *user, struct cr_date d, enum cr_input in, size_t cell);

struct engine_result {
    int first_year, nyears;
    size_t ncells;
    float *v;       /* [CR_IND_COUNT][nyears][ncells], NaN when not emitted */
    int *emitted;   /* [CR_IND_COUNT][nyears] times emitted */
};

/* Returns CR_OK or the engine's error (err filled). */
int engine_run(const struct cr_engine_opts *o, enum cr_calendar cal, int first_year,
               int last_year, size_t ncells, const double *lat, series_fn fn, void *user,
               size_t block_days, struct engine_result *res, struct cr_err *err);

float engine_value(const struct engine_result *r, enum cr_ind id, int year, size_t cell);
void engine_result_free(struct engine_result *r);

#endif
