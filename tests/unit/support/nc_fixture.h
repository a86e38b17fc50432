/* nc_fixture.h — annual and statistics NetCDF files with known values,
 * written exactly as docs/formats.md describes, for the datamart tests and
 * the load benchmark (until and besides real `climrisk compute` outputs).
 *
 * Values follow closed formulas of the catalogue index k of the indicator
 * (0-based, indicators/catalog.c order), the year or horizon/model/stat
 * indices, the DRIAS cell id c and a variant V (to tell two loads apart);
 * every value is a multiple of 1/8 below 2^15, so float32 holds it exactly
 * and a test can recompute it by hand:
 *
 *   annual   a = 1000 k + (year - 1900) + (c mod 61) / 8 + V / 2
 *            NaN when (c + k) mod 53 = 0
 *   stats    s = 1000 k + 100 q + 10 h + o + (c mod 61) / 8 + V / 2
 *            q: quantity index (mean 0, anom 1, ratio 2, rl20 3, rl20_anom 4)
 *            h: horizon index in the file; o: model index, or 50 + stat index
 *            for ensemble statistics
 *            NaN when (c + k + h) mod 53 = 0; the ensemble 'agreement' of a
 *            mean is NaN (docs/formats.md); for warming levels (RWL*) the
 *            second model never reaches the level: its maps are NaN, its
 *            horizon years -1, and ensemble_nmodels is one less
 *
 * An indicator given with constant = value is that value everywhere
 * (every year, horizon, model, statistic and quantity). */
#ifndef CR_NC_FIXTURE_H
#define CR_NC_FIXTURE_H

#include "core/error.h"

struct fx_opts {
    const char *experiment;
    /* annual */
    const char *model; /* GCM_RCM */
    int first_year, last_year;
    /* stats */
    const char *const *models;
    int nmodels;
    const char *const *horizons; /* default REF,H1,H2,H3 */
    int nhorizons;
    /* both */
    const char *const *indicators; /* NULL = whole catalogue */
    int nindicators;
    int variant;
    const char *constant_code; /* NULL = none */
    float constant_value;
    int deflate;
};

int fx_write_annual(const char *path, const struct fx_opts *o, struct cr_err *err);
int fx_write_stats(const char *path, const struct fx_opts *o, struct cr_err *err);

/* The formulas above (k = catalogue index, c = cell id). */
float fx_annual_value(int k, int year, int c, int variant);
float fx_stats_value(int k, int q, int h, int o, int c, int variant);

#endif
