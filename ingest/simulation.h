/* simulation.h — which simulation a NetCDF file belongs to, and a
 * directory (or list) of files grouped into simulations.
 *
 * A simulation is one GCM/RCM pair run under one experiment; its daily
 * variables come as one or more files each. Names follow the DRIAS and
 * CORDEX conventions (ingest/dsname.h: CNRM server / ESGF
 * `<var>_<domain>_<GCM>_<exp>_<member>_<RCM>_<ver>_..._day_<a>-<b>.nc`,
 * DRIAS portal `<var>_France_<GCM>_<RCM>_<rcp4.5>_METEO-FRANCE_..._day_<a>-<b>.nc`);
 * what the name does not say is taken from the global attributes
 * (driving_model_id, model_id, experiment_id, driving_model_ensemble_member)
 * and the variable from the file's data variable. The compute and run
 * stages use the scan to find, for each (GCM_RCM, experiment), the files of
 * each canonical variable. */
#ifndef CR_SIMULATION_H
#define CR_SIMULATION_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/strutil.h"
#include "calendar.h"
#include "reader.h"

struct cr_simulation_id {
    char file_var[64]; /* the variable as the name (or file) gives it: tasmaxAdjust */
    enum cr_var var;
    int var_known; /* var is one climrisk reads */
    char gcm[96];
    char rcm[96];
    char model[192];            /* "GCM_RCM" */
    char member[32];            /* r1i1p1, "" when unknown */
    char experiment[16];        /* historical, rcp26, rcp45, rcp85 */
    char period[40];            /* "20060101-21001231" as in the name, "" when absent */
    struct cr_date first, last; /* the period as dates (day 1 / last day when the name
                                   gives only months or years); year 0 when absent */
    char source[32];            /* "file name", "attributes" or "file name + attributes" */
};

/* What the file name alone says. Returns 0 when the name follows a DRIAS or
 * CORDEX pattern, -1 otherwise (id then holds what could be read). */
int cr_simulation_parse_name(const char *path, struct cr_simulation_id *id);

/* The file name, completed from the file's global attributes and data
 * variable. CR_EDATA when the file cannot be opened or the simulation
 * (GCM, RCM, experiment) cannot be told. */
int cr_simulation_identify(const char *path, struct cr_simulation_id *id, struct cr_err *err);

struct cr_simulation {
    char model[192]; /* GCM_RCM */
    char gcm[96], rcm[96];
    char member[32];
    char experiment[16];
    struct cr_strlist files[CR_VAR_COUNT]; /* paths per canonical variable, sorted */
};

struct cr_simulation_set {
    struct cr_simulation *sims; /* sorted by model, then experiment */
    size_t n;
    struct cr_strlist skipped; /* "path: reason" for files not used */
};

/* Group the NetCDF files (*.nc, *.nc4) under dir (recursively; partial
 * downloads *.part-* and hidden files are ignored). Files that are not
 * climate variables climrisk reads, or whose simulation cannot be told,
 * are listed in skipped with the reason. CR_EDATA when one (model,
 * experiment) mixes ensemble members, or when a file whose name tells its
 * simulation and variable cannot be read (truncated, damaged). */
int cr_simulation_scan_dir(const char *dir, struct cr_simulation_set *set, struct cr_err *err);

/* The same for a list of paths. */
int cr_simulation_scan_paths(const char *const *paths, size_t npaths, struct cr_simulation_set *set,
                             struct cr_err *err);

const struct cr_simulation *cr_simulation_find(const struct cr_simulation_set *set,
                                               const char *model, const char *experiment);

void cr_simulation_set_free(struct cr_simulation_set *set);

#endif
