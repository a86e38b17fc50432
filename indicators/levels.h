/* levels.h — a simulation's warming-level horizons, from the France-mean
 * temperature series that `climrisk compute` stores in annual files
 * (tas_france), following the TRACC method of scenarios/warming.h.
 *
 * The series of a model is its historical run followed by its scenario run
 * (DRIAS scenario runs start in 2006, so a pivot in the 2030s needs the
 * 21-year smoothing window to reach back into historical years only when
 * the scenario starts late). The reference mean is the mean of the
 * historical run's series over the reference period (REF). */
#ifndef CR_LEVELS_H
#define CR_LEVELS_H

#include "../core/error.h"
#include "../scenarios/scenarios.h"

enum cr_level_status {
    CR_LEVEL_REACHED,
    CR_LEVEL_NOT_REACHED, /* the smoothed series never exceeds the level */
    CR_LEVEL_NO_REFERENCE, /* the historical run does not cover REF */
    CR_LEVEL_NO_SERIES,    /* no tas_france in the files */
    CR_LEVEL_BEYOND_RUN    /* reached, but the horizon's years are not all in the runs */
};

struct cr_level_result {
    enum cr_level_status status;
    int pivot;               /* pivot year (0 unless reached) */
    int first_year, last_year; /* the horizon, -1 unless REACHED */
    double ref_mean;         /* France-mean temperature over REF, degC */
    double max_smoothed;     /* highest smoothed value minus ref_mean (NaN if none) */
};

/* "reached", "not reached", ... */
const char *cr_level_status_name(enum cr_level_status s);

/* Annual France-mean series of a model: years y0..y0+n-1 (NaN where
 * absent), from its historical and scenario annual files (either may be
 * NULL). *values is malloc'ed. */
int cr_level_series(const char *hist_path, const char *exp_path, int *y0, int *n, double **values,
                    struct cr_err *err);

/* The level's horizon for one model's series. window: smoothing years;
 * horizon: horizon length in years. */
void cr_level_find(const double *values, int y0, int n, const struct cr_period *ref,
                   const struct cr_warming_level *lvl, int window, int horizon,
                   struct cr_level_result *out);

#endif
