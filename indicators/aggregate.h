/* aggregate.h — horizon and ensemble statistics of the annual files
 * (docs/formats.md, "Statistics file"), one file per experiment, and the
 * same maps as Cloud-Optimized GeoTIFFs.
 *
 * Horizons come from scenarios/ (never from code): the reference period
 * (REF, from each model's historical run), the fixed periods that draw on
 * the experiment (H1-H3), and the warming levels computed on it (RWL20,
 * RWL27, RWL40: per model, the 20 years around the year its smoothed
 * France-mean temperature first exceeds its REF mean by the level,
 * levels.h). Per model and horizon: the mean of the annual values, its
 * anomaly against the model's REF mean, the ratio for the catalogue's
 * counts and sums, and for rx1day the 20-year return level of an L-moment
 * GEV fit (gev.h). Per horizon, across the models that have it: the
 * statistics of scenarios/statistics.ini (ensemble.h). Models that never
 * reach a level are left out of that level and reported. Memory: one
 * indicator's maps for all models and horizons at a time. */
#ifndef CR_AGGREGATE_H
#define CR_AGGREGATE_H

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../core/strutil.h"
#include "../scenarios/scenarios.h"

struct cr_aggregate_opts {
    char annual_dir[CR_PATH_MAX]; /* <workdir>/annual */
    char out_dir[CR_PATH_MAX];    /* <workdir>/stats */
    const struct cr_scenarios *scn;
    const char *ensemble;        /* expected models (warned about when absent); NULL = none */
    int warming_window;          /* [scenarios] warming_window */
    int warming_horizon;         /* [scenarios] warming_horizon */
    double max_missing_fraction; /* a horizon mean needs this share of its years, at most, NaN */
    int cog;                     /* also write the GeoTIFFs of stats/cog/ */
    const struct cr_strlist *experiments; /* NULL or empty: every experiment found */
    /* Indicator codes to aggregate; NULL or empty: every one the annual
     * files hold. An incremental run redoes only some, into a file it then
     * merges with the previous statistics. */
    const struct cr_strlist *indicators;
    char cog_dir[CR_PATH_MAX]; /* GeoTIFFs; empty: <out_dir>/cog */
};

struct cr_aggregate_report {
    int experiments;        /* statistics files written */
    int models;             /* (model, experiment) pairs read */
    int cogs;               /* GeoTIFFs written */
    int levels_not_reached; /* (model, level) pairs left out */
};

int cr_aggregate(const struct cr_aggregate_opts *o, struct cr_aggregate_report *rep,
                 struct cr_err *err);

/* Model and experiment of an annual file name "<GCM_RCM>_<experiment>.nc"
 * (experiment: an id of scn). Returns 0 or -1. */
int cr_annual_name_parse(const char *name, const struct cr_scenarios *scn, char *model,
                         size_t msize, char *experiment, size_t esize);

#endif
