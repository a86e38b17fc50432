/* datamart.h — the PostGIS OpenDataMart: schema migrations, reference data
 * (catalogue, SAFRAN grid, admin areas), roles, and the run lock.
 *
 * The schema lives in ordered SQL files (sql/migrations/NNN_name.sql, found
 * through core/datadir.h) applied in one transaction and recorded with their
 * sha256 in datamart.schema_migrations; an applied file that changed is
 * refused. Reference rows come from what the binary already knows (the
 * indicator catalogue, scenarios/, the compiled SAFRAN grid) and from the
 * admin boundaries shipped in sql/data/admin_fr/, so the datamart never
 * disagrees with the pipeline that fills it. Loads and migrations of one
 * database are serialised by a transaction-scoped advisory lock.
 * sql/README.md documents the schema for users. */
#ifndef CR_DATAMART_H
#define CR_DATAMART_H

#include <libpq-fe.h>

#include "../core/error.h"

#define CR_DM_SCHEMA "datamart"
/* pg_advisory_xact_lock key of datamart writers: "climrisk" in ASCII. */
#define CR_DM_LOCK_KEY "7164793353992516971"

/* Take the writer lock in the current transaction. Waits up to
 * wait_seconds (0: fail at once) and then fails with CR_EBUSY naming the
 * session holding it. */
int cr_dm_lock(PGconn *conn, int wait_seconds, struct cr_err *err);

struct cr_dm_migrate_opts {
    int lock_wait;             /* seconds, see cr_dm_lock */
    int skip_admin;            /* leave admin areas as they are (faster tests) */
    const char *scenarios_dir; /* NULL/"" = shipped scenarios/ */
};

struct cr_dm_migrate_report {
    int applied;     /* migrations applied now */
    int total;       /* migrations known */
    int grid_loaded; /* grid cells (re)built now */
    int admin_loaded;
    int views_changed;
    int grants_applied; /* roles existed, grants refreshed */
};

/* Apply pending migrations, refresh the catalogue, build the grid and the
 * admin areas when missing or changed, regenerate the per-category views
 * and (when the roles exist) re-apply grants; all in one transaction. */
int cr_dm_migrate(PGconn *conn, const struct cr_dm_migrate_opts *o,
                  struct cr_dm_migrate_report *rep, struct cr_err *err);

/* --- steps of cr_dm_migrate, each inside the caller's transaction --- */

/* Upsert indicators (indicators/catalog.h), experiments, horizons
 * (periods and warming levels), statistics, models and ensembles
 * (scenarios/). */
int cr_dm_seed_catalog(PGconn *conn, const char *scenarios_dir, struct cr_err *err);
/* Build grid_cell from the compiled SAFRAN grid unless all 8981 cells are
 * there; *built = 1 when it did. */
int cr_dm_seed_grid(PGconn *conn, int *built, struct cr_err *err);
/* Load régions, départements and communes from sql/data/admin_fr/ (skipping
 * files whose sha256 is recorded, unless force) and compute their cell
 * weights; *loaded = levels (re)loaded. */
int cr_dm_seed_admin(PGconn *conn, int force, int *loaded, struct cr_err *err);

/* --- roles --- */

struct cr_dm_grant_opts {
    const char *const *readers; /* logins to make members of datamart_reader */
    int nreaders;
    const char *const *loaders; /* logins to make members of datamart_loader */
    int nloaders;
};

/* Create datamart_reader (SELECT on the datamart, EXECUTE on its read-only
 * functions, nothing else) and datamart_loader (owner of the datamart's
 * objects, so it can migrate and load) if missing, and (re)apply their
 * privileges. Idempotent. Needs a superuser or CREATEROLE user. */
int cr_dm_grant(PGconn *conn, const struct cr_dm_grant_opts *o, struct cr_err *err);

/* Re-apply privileges when the roles exist (after migrations created new
 * objects); *applied = 0 when they do not exist. */
int cr_dm_grant_refresh(PGconn *conn, int *applied, struct cr_err *err);

/* "0.1.0 (abc1234)" */
const char *cr_dm_version(void);

#endif
