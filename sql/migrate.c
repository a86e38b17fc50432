/* migrate.c — ordered, recorded SQL migrations and reference data; see
 * datamart.h.
 *
 * A migration is sql/migrations/NNN_name.sql (NNN its version). Each is run
 * once, in version order, and recorded with its sha256; all pending ones and
 * the reference data are applied in one transaction, so a failure leaves the
 * database as it was. Editing an applied file is refused (the recorded and
 * actual hashes differ): schema changes go in a new file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/datadir.h"
#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/strutil.h"
#include "datamart.h"
#include "pgutil.h"

struct migration {
    int version;
    char name[256];
    char path[CR_PATH_MAX];
    char sha[CR_SHA256_HEX];
};

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* NNN_[a-z0-9_]+.sql */
static int parse_name(const char *name, int *version)
{
    size_t n = strlen(name);
    if (n < 9 || strcmp(name + n - 4, ".sql") != 0)
        return -1;
    for (int k = 0; k < 3; k++)
        if (name[k] < '0' || name[k] > '9')
            return -1;
    if (name[3] != '_')
        return -1;
    for (size_t k = 4; k < n - 4; k++)
        if (!((name[k] >= 'a' && name[k] <= 'z') || (name[k] >= '0' && name[k] <= '9') ||
              name[k] == '_'))
            return -1;
    *version = (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
    return 0;
}

static int list_migrations(const char *dir, struct migration **out, int *n, struct cr_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return cr_err_set(err, CR_EUSAGE,
                          "cannot open the migrations directory '%s' (set CLIMRISK_DATADIR to "
                          "the climrisk source or share directory)",
                          dir);
    struct migration *list = NULL;
    int count = 0, rc = CR_OK;
    struct dirent *e;
    while (rc == CR_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".sql") == NULL)
            continue;
        int v;
        if (parse_name(e->d_name, &v) != 0) {
            rc = cr_err_set(err, CR_EUSAGE,
                            "%s/%s: a migration must be named NNN_name.sql (three digits, "
                            "lowercase name)",
                            dir, e->d_name);
            break;
        }
        struct migration *bigger = realloc(list, (size_t)(count + 1) * sizeof *list);
        if (!bigger) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            break;
        }
        list = bigger;
        struct migration *m = &list[count++];
        memset(m, 0, sizeof *m);
        m->version = v;
        cr_strlcpy(m->name, e->d_name, sizeof m->name);
        if (cr_path_join(m->path, sizeof m->path, dir, e->d_name) != 0)
            rc = cr_err_set(err, CR_EUSAGE, "path too long: %s/%s", dir, e->d_name);
        else
            rc = cr_sha256_file(m->path, m->sha, err);
    }
    closedir(d);
    if (rc == CR_OK && count == 0)
        rc = cr_err_set(err, CR_EUSAGE, "no migrations in '%s'", dir);
    if (rc == CR_OK) {
        qsort(list, (size_t)count, sizeof *list, by_version);
        for (int k = 1; k < count; k++)
            if (list[k].version == list[k - 1].version)
                rc = cr_err_set(err, CR_EUSAGE, "%s: migrations %s and %s have the same number",
                                dir, list[k - 1].name, list[k].name);
    }
    if (rc != CR_OK) {
        free(list);
        return rc;
    }
    *out = list;
    *n = count;
    return CR_OK;
}

/* The schema_migrations table must exist before we can read it; the same
 * statements open 001_core.sql. CREATE SCHEMA IF NOT EXISTS would need the
 * CREATE privilege on the database even when the schema exists, which a
 * datamart_loader member does not have. */
static const char *bootstrap_sql =
    "DO $$ BEGIN IF to_regnamespace('datamart') IS NULL THEN CREATE SCHEMA datamart; END IF; "
    "END $$;"
    "CREATE TABLE IF NOT EXISTS datamart.schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static int apply_migrations(PGconn *conn, const struct migration *list, int n, int *applied,
                            struct cr_err *err)
{
    PGresult *r;
    int rc = cr_pg_execp(conn, "SELECT version, name, sha256 FROM datamart.schema_migrations", 0,
                         NULL, &r, "reading datamart.schema_migrations", err);
    if (rc)
        return rc;
    /* Refuse a database migrated by a newer climrisk, and edited files. */
    for (int row = 0; row < PQntuples(r) && rc == CR_OK; row++) {
        int v = atoi(PQgetvalue(r, row, 0));
        const struct migration *m = NULL;
        for (int k = 0; k < n; k++)
            if (list[k].version == v)
                m = &list[k];
        if (!m)
            rc = cr_err_set(err, CR_EUSAGE,
                            "the datamart has migration %03d (%s) applied, which this climrisk "
                            "does not have: the database was migrated by a newer version; use "
                            "that version",
                            v, PQgetvalue(r, row, 1));
        else if (strcmp(m->sha, PQgetvalue(r, row, 2)) != 0)
            rc = cr_err_set(err, CR_EUSAGE,
                            "migration %s was changed after it was applied to this database "
                            "(recorded sha256 %.12s..., file %.12s...): never edit an applied "
                            "migration; put the change in a new sql/migrations/NNN_name.sql",
                            m->path, PQgetvalue(r, row, 2), m->sha);
    }
    for (int k = 0; k < n && rc == CR_OK; k++) {
        int done = 0;
        for (int row = 0; row < PQntuples(r); row++)
            if (atoi(PQgetvalue(r, row, 0)) == list[k].version)
                done = 1;
        if (done)
            continue;
        char *text = NULL;
        size_t len;
        if ((rc = cr_read_file(list[k].path, &text, &len, err)))
            break;
        double t0 = cr_now();
        char what[300];
        snprintf(what, sizeof what, "applying migration %s", list[k].name);
        rc = cr_pg_exec(conn, text, what, err);
        free(text);
        if (rc)
            break;
        char version[16];
        snprintf(version, sizeof version, "%d", list[k].version);
        const char *params[] = {version, list[k].name, list[k].sha};
        rc = cr_pg_execp(conn,
                         "INSERT INTO datamart.schema_migrations (version, name, sha256) "
                         "VALUES ($1, $2, $3)",
                         3, params, NULL, "recording a migration", err);
        if (rc == CR_OK) {
            (*applied)++;
            cr_info("datamart: applied migration %s in %.2f s", list[k].name, cr_now() - t0);
        }
    }
    PQclear(r);
    return rc;
}

int cr_dm_migrate(PGconn *conn, const struct cr_dm_migrate_opts *o,
                  struct cr_dm_migrate_report *rep, struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    char dir[CR_PATH_MAX];
    int rc = cr_datafile("sql/migrations", dir, sizeof dir, err);
    if (rc)
        return rc;
    struct migration *list;
    int n;
    if ((rc = list_migrations(dir, &list, &n, err)))
        return rc;
    rep->total = n;
    double t0 = cr_now();
    rc = cr_pg_exec(conn, "BEGIN", "starting the migration transaction", err);
    if (rc == CR_OK)
        rc = cr_dm_lock(conn, o->lock_wait, err);
    if (rc == CR_OK)
        rc = cr_pg_exec(conn, bootstrap_sql, "creating datamart.schema_migrations", err);
    if (rc == CR_OK)
        rc = apply_migrations(conn, list, n, &rep->applied, err);
    if (rc == CR_OK)
        rc = cr_dm_seed_catalog(conn, o->scenarios_dir, err);
    if (rc == CR_OK)
        rc = cr_dm_seed_grid(conn, &rep->grid_loaded, err);
    if (rc == CR_OK && !o->skip_admin)
        rc = cr_dm_seed_admin(conn, rep->grid_loaded, &rep->admin_loaded, err);
    if (rc == CR_OK) {
        long long changed;
        int found;
        rc = cr_pg_query_long(conn, "SELECT datamart.refresh_category_views()", 0, NULL, &changed,
                              &found, "generating the per-category views", err);
        rep->views_changed = (int)changed;
    }
    if (rc == CR_OK)
        rc = cr_dm_grant_refresh(conn, &rep->grants_applied, err);
    if (rc == CR_OK)
        rc = cr_pg_exec(conn, "COMMIT", "committing the migration", err);
    else
        cr_pg_exec(conn, "ROLLBACK", "rolling back", &(struct cr_err){0});
    free(list);
    if (rc == CR_OK)
        cr_info("datamart: schema up to date (%d of %d migrations applied now, grid %s, "
                "%d admin levels loaded, %d views regenerated) in %.1f s",
                rep->applied, rep->total, rep->grid_loaded ? "built" : "unchanged",
                rep->admin_loaded, rep->views_changed, cr_now() - t0);
    return rc;
}
