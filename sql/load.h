/* load.h — `climrisk load`: the annual and statistics files of a run into
 * the OpenDataMart, fast and all-or-nothing.
 *
 * A load is one transaction holding the datamart writer lock. Each input
 * file is one unit — annual/<model>_<experiment>.nc replaces the annual
 * series of that (scenario, model); stats/<experiment>.nc replaces every
 * horizon statistic of that scenario — and is streamed with binary COPY
 * (sql/pgcopy.h) into a table created in the same transaction (no WAL under
 * wal_level=minimal; rows frozen), indexed, and swapped for the unit's old
 * partition just before COMMIT. Readers therefore see the old data or the
 * new, never a part, and a killed loader leaves the old data in place. A
 * unit whose file has the sha256 recorded by the last load is skipped
 * unless forced, so rerunning a run only rebuilds what changed (and gives
 * the same rows: slice numbers follow file order). A changed file whose
 * maps differ from the loaded ones for at most half its indicators (an
 * incremental run changed one indicator's parameter) is patched instead:
 * those indicators' maps are deleted and copied again in the live
 * partition, numbered after its last slice, in the same transaction
 * (per-indicator digests in datamart.unit_digest decide). datamart.load_run
 * keeps the lineage, including failed and aborted loads. */
#ifndef CR_LOAD_H
#define CR_LOAD_H

#include <stdint.h>

#include "../core/error.h"
#include "../core/strutil.h"

struct cr_load_opts {
    struct cr_strlist annual; /* files or directories (*.nc) */
    struct cr_strlist stats;
    int force;     /* reload units whose file is unchanged */
    int lock_wait; /* seconds to wait for another writer */
    const char *run_name;
    const char *config_path; /* for lineage; may be NULL */
    const char *config_hash;
    const char *scenarios_dir;
    int skip_admin; /* migrate without (re)loading admin areas */
};

#define CR_LOAD_MAX_UNITS 512

struct cr_load_unit_report {
    char kind[8]; /* annual | stats */
    char scenario[32];
    char model[128]; /* annual only */
    char file[256];  /* base name */
    uint64_t rows;
    uint32_t slices;
    double seconds;
    int skipped;                         /* unchanged since the last load */
    int patched;                         /* only the changed indicators' maps were replaced */
    int indicators_replaced, indicators; /* patched: how many of how many */
};

struct cr_load_report {
    long long run_id;
    uint64_t stat_rows, annual_rows;
    int loaded, skipped;
    int patched; /* of loaded: units where only the changed indicators were replaced */
    double seconds, copy_seconds, index_seconds, swap_seconds;
    int nunits;
    struct cr_load_unit_report units[CR_LOAD_MAX_UNITS];
};

/* Load the inputs of o into the datamart at dsn (migrating it first when
 * needed). Errors: CR_EUSAGE no inputs, CR_EDATA bad file, CR_EEXTERNAL
 * database, CR_EBUSY another writer, CR_EINTERRUPT Ctrl-C (rolled back). */
int cr_load_run(const char *dsn, const struct cr_load_opts *o, struct cr_load_report *rep,
                struct cr_err *err);

/* *current = 1 when every input file of o has the sha256 the datamart
 * recorded for its unit (a load would change nothing), 0 otherwise (also
 * when the datamart does not exist yet). For a pipeline's up-to-date check;
 * reads only. */
int cr_load_is_current(const char *dsn, const struct cr_load_opts *o, int *current,
                       struct cr_err *err);

#endif
