/* simset.h — input files grouped into simulations (model x experiment),
 * each with its files per daily variable.
 *
 * `climrisk compute` takes a directory of DRIAS/CORDEX files, or files
 * given per variable; both end up here. Model, experiment and variable come
 * from the file names (ingest/dsname.h: DRIAS portal, CNRM/ESGF CORDEX
 * names); files split by years are kept together in one simulation. (The
 * reader's ingest/simulation.h may replace the grouping once merged; the
 * engine only needs this structure.) */
#ifndef CR_SIMSET_H
#define CR_SIMSET_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/strutil.h"
#include "engine.h"

struct cr_simfiles {
    char model[192];     /* GCM_RCM, "" when the names do not say */
    char experiment[16]; /* historical, rcp26, rcp45, rcp85, or "" */
    char member[32];
    struct cr_strlist files[CR_IN_COUNT]; /* by engine input (TN, TX, TG, PR, PS) */
};

struct cr_simset {
    struct cr_simfiles *s;
    size_t n;
};

/* The engine input of a variable name (canonical, DRIAS or CORDEX, e.g.
 * tasmaxAdjust, prtotAdjust); -1 for names the engine does not use. */
int cr_simset_input_of(const char *variable);
/* "tasmin", "tasmax", "tas", "pr", "prsn" */
const char *cr_simset_input_name(enum cr_input in);

/* Add one file. variable NULL: from the file name. model/experiment NULL or
 * "": from the file name (a name that says nothing gives ""). */
int cr_simset_add_file(struct cr_simset *set, const char *path, const char *variable,
                       const char *model, const char *experiment, struct cr_err *err);

/* Add every *.nc file under dir (recursively) whose name gives a model, an
 * experiment and a variable the engine uses. Files that cannot be placed
 * are counted in *skipped (may be NULL) and logged. */
int cr_simset_add_dir(struct cr_simset *set, const char *dir, size_t *skipped,
                      struct cr_err *err);

/* Simulations sorted by model then experiment (historical first). */
void cr_simset_sort(struct cr_simset *set);

void cr_simset_free(struct cr_simset *set);

#endif
