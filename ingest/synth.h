/* synth.h — realistic DRIAS-format daily projections, generated.
 *
 * Real DRIAS files cannot be downloaded here (and are gigabytes), so demos,
 * tests and benchmarks run on files this module writes: the real 8 km SAFRAN
 * grid (8981 land cells, altitudes), DRIAS file names and CF metadata, and a
 * plausible climate (seasonal cycle, latitude/altitude gradients, day-to-day
 * persistence, scenario- and model-dependent warming, skewed wet-day amounts
 * with heavier extremes in the Cévennes and mountains, snowfall in cold
 * places). Every file is labelled synthetic in its global attributes. The
 * output depends only on the options and the seed, not on --jobs. */
#ifndef CR_SYNTH_H
#define CR_SYNTH_H

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../core/strutil.h"
#include "calendar.h"

struct cr_synth_opts {
    char out_dir[CR_PATH_MAX];
    struct cr_strlist models;    /* "GCM_RCM", e.g. CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63 */
    struct cr_strlist scenarios; /* historical, rcp26, rcp45, rcp85 */
    struct cr_strlist variables; /* tasminAdjust tasmaxAdjust tasAdjust prtotAdjust prsnAdjust */
    int hist_first, hist_last;   /* years of historical runs */
    int scen_first, scen_last;   /* years of RCP runs */
    unsigned long seed;
    enum cr_calendar calendar;
    int deflate;        /* 0..9 */
    int jobs;           /* worker processes, >= 1 */
    int years_per_file; /* 0 = one file per run; else split like DRIAS orders */
};

struct cr_synth_report {
    int files;
    long long bytes;
    long long values; /* land cell-days written, all variables */
};

/* Check options (names, years, variables) without writing anything. */
int cr_synth_validate(const struct cr_synth_opts *o, struct cr_err *err);

/* Generate every (model, scenario, variable) file into o->out_dir. Files are
 * written under temporary names and renamed when complete. */
int cr_synth_run(const struct cr_synth_opts *o, struct cr_synth_report *rep, struct cr_err *err);

/* DRIAS portal spelling of an experiment: historical -> Historical,
 * rcp45 -> rcp4.5. Returns NULL for an unknown experiment. */
const char *cr_synth_drias_experiment(const char *scenario);

/* The DRIAS file name of one variable of one run, e.g.
 * tasmaxAdjust_France_<GCM>_<RCM>_rcp4.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20210101-21001231.nc
 */
int cr_synth_file_name(char *out, size_t size, const char *variable, const char *model,
                       const char *scenario, struct cr_date first, struct cr_date last);

#endif
