/* load.c — `climrisk load` orchestration: inputs, lock, lineage, one
 * transaction; see load.h. The per-file work is in load_unit.c. */
#include "load.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../indicators/catalog.h"
#include "../scenarios/scenarios.h"
#include "datamart.h"
#include "load_unit.h"
#include "pgutil.h"

static int is_indicator(const char *code)
{
    return cr_indicator_find(code) != NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Files of a list of files and directories (*.nc of a directory, sorted;
 * temporary *.part-* files of a writer still running are not inputs). */
static int expand(const struct cr_strlist *items, struct cr_strlist *files, struct cr_err *err)
{
    for (size_t k = 0; k < items->n; k++) {
        const char *item = items->items[k];
        if (!cr_is_dir(item)) {
            if (!cr_file_exists(item))
                return cr_err_set(err, CR_EUSAGE, "input '%s' does not exist", item);
            if (cr_strlist_push(files, item) != 0)
                return cr_err_set(err, CR_EINTERNAL, "out of memory");
            continue;
        }
        DIR *d = opendir(item);
        if (!d)
            return cr_err_set(err, CR_EUSAGE, "cannot read directory '%s'", item);
        struct cr_strlist names = {0};
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 3 && strcmp(e->d_name + n - 3, ".nc") == 0 && !strstr(e->d_name, ".part-"))
                cr_strlist_push(&names, e->d_name);
        }
        closedir(d);
        qsort(names.items, names.n, sizeof names.items[0], by_name);
        for (size_t j = 0; j < names.n; j++) {
            char path[CR_PATH_MAX];
            cr_path_join(path, sizeof path, item, names.items[j]);
            if (cr_strlist_push(files, path) != 0) {
                cr_strlist_free(&names);
                return cr_err_set(err, CR_EINTERNAL, "out of memory");
            }
        }
        cr_strlist_free(&names);
    }
    return CR_OK;
}

struct run {
    struct dm_unit *units;
    int nunits;
    PGconn *conn, *aux;
    struct dm_catalog cat;
    long long run_id;
};

static int open_units(struct run *r, const struct cr_load_opts *o, struct cr_err *err)
{
    struct cr_strlist annual = {0}, stats = {0};
    int rc = expand(&o->annual, &annual, err);
    if (rc == CR_OK)
        rc = expand(&o->stats, &stats, err);
    size_t total = annual.n + stats.n;
    if (rc == CR_OK && total == 0)
        rc = cr_err_set(err, CR_EUSAGE,
                        "nothing to load: no .nc files in the --annual/--stats inputs (by default "
                        "<workdir>/annual and <workdir>/stats, written by climrisk compute and "
                        "aggregate)");
    if (rc == CR_OK && total > CR_LOAD_MAX_UNITS)
        rc = cr_err_set(err, CR_EUSAGE, "too many input files (%zu, at most %d per load)", total,
                        CR_LOAD_MAX_UNITS);
    struct cr_scenarios scn;
    int have_scn = 0;
    if (rc == CR_OK && (rc = cr_scenarios_load(&scn, o->scenarios_dir, err)) == CR_OK)
        have_scn = 1;
    if (rc == CR_OK && !(r->units = calloc(total, sizeof *r->units)))
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t k = 0; rc == CR_OK && k < total; k++) {
        int want_annual = k < annual.n;
        const char *path = want_annual ? annual.items[k] : stats.items[k - annual.n];
        struct dm_unit *u = &r->units[r->nunits++];
        u->nc.ncid = -1;
        if ((rc = cr_nc_open(&u->nc, path, is_indicator, err)))
            break;
        if ((u->nc.kind == CR_NC_ANNUAL) != want_annual) {
            rc = cr_err_set(err, CR_EUSAGE, "%s is %s file but was given with --%s", path,
                            u->nc.kind == CR_NC_ANNUAL ? "an annual" : "a statistics",
                            want_annual ? "annual" : "stats");
            break;
        }
        const struct cr_experiment *e = cr_scenarios_experiment(&scn, u->nc.experiment);
        if (!e) {
            rc = cr_err_set(err, CR_EDATA,
                            "%s: experiment '%s' is not declared in scenarios/experiments.ini",
                            path, u->nc.experiment);
            break;
        }
        cr_strlcpy(u->scenario, e->id, sizeof u->scenario);
        if ((rc = cr_sha256_file(path, u->sha, err)))
            break;
        for (int j = 0; j + 1 < r->nunits; j++) {
            const struct dm_unit *w = &r->units[j];
            if (w->nc.kind == u->nc.kind && strcmp(w->scenario, u->scenario) == 0 &&
                (u->nc.kind == CR_NC_STATS || strcmp(w->nc.model, u->nc.model) == 0))
                rc = cr_err_set(err, CR_EUSAGE,
                                "%s and %s hold the same %s (%s%s%s): give only one", w->nc.path,
                                path, u->nc.kind == CR_NC_STATS ? "statistics" : "annual series",
                                u->scenario, u->nc.kind == CR_NC_STATS ? "" : ", ",
                                u->nc.kind == CR_NC_STATS ? "" : u->nc.model);
        }
    }
    if (have_scn)
        cr_scenarios_free(&scn);
    cr_strlist_free(&annual);
    cr_strlist_free(&stats);
    return rc;
}

static void close_units(struct run *r)
{
    for (int k = 0; k < r->nunits; k++)
        cr_nc_close(&r->units[k].nc);
    free(r->units);
    r->units = NULL;
    r->nunits = 0;
}

static void inputs_json(const struct run *r, struct cr_sb *b)
{
    cr_sb_add(b, "[");
    for (int k = 0; k < r->nunits; k++) {
        const struct dm_unit *u = &r->units[k];
        char *abs = realpath(u->nc.path, NULL);
        cr_sb_add(b, k ? ", {\"file\": " : "{\"file\": ");
        cr_sb_add_json(b, abs ? abs : u->nc.path);
        free(abs);
        cr_sb_addf(b, ", \"sha256\": \"%s\", \"kind\": \"%s\", \"scenario\": ", u->sha,
                   u->nc.kind == CR_NC_STATS ? "stats" : "annual");
        cr_sb_add_json(b, u->scenario);
        if (u->nc.kind == CR_NC_ANNUAL) {
            cr_sb_add(b, ", \"model\": ");
            cr_sb_add_json(b, u->nc.model);
        }
        if (u->nc.climrisk_version[0]) {
            cr_sb_add(b, ", \"written_by\": ");
            cr_sb_add_json(b, u->nc.climrisk_version);
        }
        cr_sb_addf(b, ", \"skipped\": %s}", u->skip ? "true" : "false");
    }
    cr_sb_add(b, "]");
}

static void counts_json(const struct run *r, const struct cr_load_report *rep, struct cr_sb *b)
{
    cr_sb_addf(b, "{\"cell_stat\": %llu, \"annual_value\": %llu, \"units\": [",
               (unsigned long long)rep->stat_rows, (unsigned long long)rep->annual_rows);
    for (int k = 0; k < r->nunits; k++) {
        const struct dm_unit *u = &r->units[k];
        cr_sb_addf(b, "%s{\"kind\": \"%s\", \"scenario\": ", k ? ", " : "",
                   u->nc.kind == CR_NC_STATS ? "stats" : "annual");
        cr_sb_add_json(b, u->scenario);
        if (u->nc.kind == CR_NC_ANNUAL) {
            cr_sb_add(b, ", \"model\": ");
            cr_sb_add_json(b, u->nc.model);
        }
        cr_sb_addf(b, ", \"rows\": %llu, \"maps\": %u, \"skipped\": %s",
                   (unsigned long long)u->rows, u->slices, u->skip ? "true" : "false");
        if (u->patch)
            cr_sb_addf(b,
                       ", \"patched\": {\"indicators_replaced\": %d, \"indicators\": %d, "
                       "\"rows_removed\": %llu}",
                       u->nstale, u->nind, (unsigned long long)u->rows_deleted);
        cr_sb_add(b, "}");
    }
    cr_sb_add(b, "]}");
}

/* Record a 'running' load_run row on the side connection, after marking
 * the rows of loaders that died (we hold the lock, so nobody else runs). */
static int lineage_start(struct run *r, const struct cr_load_opts *o, struct cr_err *err)
{
    int rc = cr_pg_exec(r->aux,
                        "UPDATE datamart.load_run SET status = 'aborted', finished_at = "
                        "coalesce(finished_at, now()), error = 'the loader stopped before "
                        "committing (killed or lost connection); its transaction was rolled back' "
                        "WHERE status = 'running'",
                        "marking aborted loads", err);
    if (rc)
        return rc;
    char host[256] = "", pid[32];
    gethostname(host, sizeof host - 1);
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    struct cr_sb in;
    cr_sb_init(&in);
    inputs_json(r, &in);
    if (cr_sb_failed(&in)) {
        cr_sb_free(&in);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    const char *p[] = {o->run_name, o->config_path, o->config_hash, cr_dm_version(), in.s, host,
                       pid};
    char id[32];
    rc = cr_pg_query_text(r->aux,
                          "INSERT INTO datamart.load_run (run_name, status, config_path, "
                          "config_hash, climrisk_version, inputs, client_host, client_pid) "
                          "VALUES ($1, 'running', $2, $3, $4, $5::jsonb, $6, $7) RETURNING run_id",
                          7, p, id, sizeof id, "recording the load run", err);
    cr_sb_free(&in);
    r->run_id = atoll(id);
    return rc;
}

static void lineage_fail(struct run *r, const struct cr_err *failure)
{
    if (!r->aux || r->run_id <= 0)
        return;
    char id[32];
    snprintf(id, sizeof id, "%lld", r->run_id);
    const char *p[] = {id, failure->msg, failure->code == CR_EINTERRUPT ? "aborted" : "failed"};
    struct cr_err ignore;
    cr_pg_execp(r->aux,
                "UPDATE datamart.load_run SET status = $3, finished_at = now(), error = $2 "
                "WHERE run_id = $1",
                3, p, NULL, "recording the failure", &ignore);
}

static int prepare_unit(struct run *r, struct dm_unit *u, int force, struct cr_err *err)
{
    u->scn = dm_dict_id(&r->cat.scn, u->scenario);
    if (u->scn < 0)
        return cr_err_set(err, CR_EINTERNAL, "scenario %s missing from the catalogue", u->scenario);
    char have[CR_SHA256_HEX] = "", sbuf[16];
    int rc;
    if (u->nc.kind == CR_NC_STATS) {
        u->part = u->scn;
        snprintf(u->table, sizeof u->table, "stat_fact_%d", u->part);
        snprintf(sbuf, sizeof sbuf, "%d", u->part);
        const char *p[] = {sbuf};
        rc = cr_pg_query_text(r->conn, "SELECT sha256 FROM datamart.stat_part WHERE part = $1", 1,
                              p, have, sizeof have, "reading datamart.stat_part", err);
    } else {
        rc = dm_model_id(r->conn, &r->cat, u->nc.model, u->nc.gcm, u->nc.rcm, u->nc.member, &u->mdl,
                         err);
        char scn[16], mdl[16], part[16];
        snprintf(scn, sizeof scn, "%d", u->scn);
        snprintf(mdl, sizeof mdl, "%d", u->mdl);
        const char *p[] = {scn, mdl};
        if (rc == CR_OK)
            rc = cr_pg_query_text(r->conn,
                                  "INSERT INTO datamart.annual_part (scn, mdl) VALUES ($1, $2) "
                                  "ON CONFLICT (scn, mdl) DO UPDATE SET scn = EXCLUDED.scn "
                                  "RETURNING part",
                                  2, p, part, sizeof part, "registering the annual series", err);
        if (rc == CR_OK) {
            u->part = atoi(part);
            snprintf(u->table, sizeof u->table, "annual_fact_%d", u->part);
            const char *q[] = {part};
            rc =
                cr_pg_query_text(r->conn, "SELECT sha256 FROM datamart.annual_part WHERE part = $1",
                                 1, q, have, sizeof have, "reading datamart.annual_part", err);
        }
    }
    if (rc == CR_OK && !force && strcmp(have, u->sha) == 0)
        u->skip = 1;
    /* A changed file: if only some indicators' maps differ from what the
     * partition holds, replace those only. */
    if (rc == CR_OK && !u->skip)
        rc = dm_unit_digest(u, err);
    if (rc == CR_OK && !u->skip && !force && have[0])
        rc = dm_unit_plan_patch(r->conn, u, err);
    return rc;
}

static void report_units(const struct run *r, struct cr_load_report *rep)
{
    for (int k = 0; k < r->nunits && k < CR_LOAD_MAX_UNITS; k++) {
        const struct dm_unit *u = &r->units[k];
        struct cr_load_unit_report *ur = &rep->units[rep->nunits++];
        cr_strlcpy(ur->kind, u->nc.kind == CR_NC_STATS ? "stats" : "annual", sizeof ur->kind);
        cr_strlcpy(ur->scenario, u->scenario, sizeof ur->scenario);
        cr_strlcpy(ur->model, u->nc.kind == CR_NC_ANNUAL ? u->nc.model : "", sizeof ur->model);
        cr_strlcpy(ur->file, cr_basename(u->nc.path), sizeof ur->file);
        ur->rows = u->rows;
        ur->slices = u->slices;
        ur->seconds = u->copy_seconds + u->index_seconds;
        ur->skipped = u->skip;
        ur->patched = u->patch;
        ur->indicators_replaced = u->nstale;
        ur->indicators = u->nind;
    }
}

static int load_in_transaction(struct run *r, const struct cr_load_opts *o,
                               struct cr_load_report *rep, struct cr_err *err)
{
    int rc = dm_catalog_load(r->conn, &r->cat, err);
    for (int k = 0; rc == CR_OK && k < r->nunits; k++) {
        struct dm_unit *u = &r->units[k];
        if ((rc = prepare_unit(r, u, o->force, err)))
            break;
        const char *what = u->nc.kind == CR_NC_STATS ? "statistics" : "annual series";
        if (u->skip) {
            cr_info("load: %s of %s%s%s unchanged since the last load (sha256 %.12s), kept", what,
                    u->scenario, u->nc.kind == CR_NC_ANNUAL ? " " : "",
                    u->nc.kind == CR_NC_ANNUAL ? u->nc.model : "", u->sha);
            rep->skipped++;
            continue;
        }
        if ((rc = dm_unit_build(r->conn, &r->cat, u, err))) {
            cr_err_prefix(err, "loading %s", u->nc.path);
            break;
        }
        rep->copy_seconds += u->copy_seconds;
        rep->index_seconds += u->index_seconds;
        if (u->nc.kind == CR_NC_STATS)
            rep->stat_rows += u->rows;
        else
            rep->annual_rows += u->rows;
        rep->loaded++;
        if (u->patch)
            cr_info("load: %s %s%s%s: %d of %d indicators changed, replaced in place: %llu rows "
                    "in %u maps (%llu rows removed) in %.1f s",
                    what, u->scenario, u->nc.kind == CR_NC_ANNUAL ? " " : "",
                    u->nc.kind == CR_NC_ANNUAL ? u->nc.model : "", u->nstale, u->nind,
                    (unsigned long long)u->rows, u->slices, (unsigned long long)u->rows_deleted,
                    u->copy_seconds + u->index_seconds);
        else
            cr_info("load: %s %s%s%s: %llu rows in %u maps, copied in %.1f s (%.0f rows/s), "
                    "indexed in %.1f s",
                    what, u->scenario, u->nc.kind == CR_NC_ANNUAL ? " " : "",
                    u->nc.kind == CR_NC_ANNUAL ? u->nc.model : "", (unsigned long long)u->rows,
                    u->slices, u->copy_seconds,
                    u->copy_seconds > 0 ? (double)u->rows / u->copy_seconds : 0.0,
                    u->index_seconds);
        rep->patched += u->patch;
    }
    /* Swap last: the parents are locked from the first swap to COMMIT. */
    double t0 = cr_now();
    for (int k = 0; rc == CR_OK && k < r->nunits; k++)
        if (r->units[k].built)
            rc = dm_unit_swap(r->conn, &r->units[k], r->run_id, err);
    rep->swap_seconds = cr_now() - t0;
    if (rc)
        return rc;
    struct cr_sb counts, in;
    cr_sb_init(&counts);
    cr_sb_init(&in);
    counts_json(r, rep, &counts);
    inputs_json(r, &in);
    char id[32];
    snprintf(id, sizeof id, "%lld", r->run_id);
    if (cr_sb_failed(&counts) || cr_sb_failed(&in)) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    } else {
        const char *p[] = {id, counts.s, in.s};
        rc = cr_pg_execp(r->conn,
                         "UPDATE datamart.load_run SET status = 'ok', finished_at = "
                         "clock_timestamp(), row_counts = $2::jsonb, inputs = $3::jsonb "
                         "WHERE run_id = $1",
                         3, p, NULL, "recording the load run", err);
    }
    cr_sb_free(&counts);
    cr_sb_free(&in);
    return rc;
}

int cr_load_run(const char *dsn, const struct cr_load_opts *o, struct cr_load_report *rep,
                struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = cr_now();
    struct run r;
    memset(&r, 0, sizeof r);
    int rc = open_units(&r, o, err);
    if (rc == CR_OK)
        rc = cr_pg_connect(dsn, "load", &r.conn, err);
    if (rc == CR_OK) {
        struct cr_dm_migrate_opts mo = {o->lock_wait, o->skip_admin, o->scenarios_dir};
        struct cr_dm_migrate_report mrep;
        rc = cr_dm_migrate(r.conn, &mo, &mrep, err);
    }
    if (rc == CR_OK)
        rc = cr_pg_connect(dsn, "load lineage", &r.aux, err);
    if (rc == CR_OK)
        rc = cr_pg_exec(r.conn, "BEGIN", "starting the load transaction", err);
    if (rc == CR_OK) {
        rc = cr_dm_lock(r.conn, o->lock_wait, err);
        if (rc == CR_OK)
            rc = lineage_start(&r, o, err);
        if (rc == CR_OK)
            rc = load_in_transaction(&r, o, rep, err);
        if (rc == CR_OK) {
            double tc = cr_now();
            rc = cr_pg_exec(r.conn, "COMMIT", "committing the load", err);
            rep->swap_seconds += cr_now() - tc;
        } else {
            cr_pg_exec(r.conn, "ROLLBACK", "rolling back", &(struct cr_err){0});
        }
        if (rc != CR_OK)
            lineage_fail(&r, err);
    }
    rep->run_id = r.run_id;
    rep->seconds = cr_now() - t0;
    report_units(&r, rep);
    dm_catalog_free(&r.cat);
    close_units(&r);
    if (r.aux)
        PQfinish(r.aux);
    if (r.conn)
        PQfinish(r.conn);
    if (rc == CR_OK)
        cr_info("load: run %lld committed: %d units loaded (%d patched), %d unchanged, %llu "
                "statistic rows + "
                "%llu annual rows in %.1f s",
                rep->run_id, rep->loaded, rep->patched, rep->skipped,
                (unsigned long long)rep->stat_rows, (unsigned long long)rep->annual_rows,
                rep->seconds);
    return rc;
}

int cr_load_is_current(const char *dsn, const struct cr_load_opts *o, int *current,
                       struct cr_err *err)
{
    *current = 0;
    struct run r;
    memset(&r, 0, sizeof r);
    int rc = open_units(&r, o, err);
    if (rc == CR_OK)
        rc = cr_pg_connect(dsn, "load check", &r.conn, err);
    long long have = 0;
    int found = 0;
    if (rc == CR_OK)
        rc = cr_pg_query_long(r.conn,
                              "SELECT count(*) FROM pg_class WHERE oid = "
                              "to_regclass('datamart.annual_part')",
                              0, NULL, &have, &found, "looking for the datamart", err);
    int all = rc == CR_OK && have == 1;
    for (int k = 0; all && k < r.nunits; k++) {
        const struct dm_unit *u = &r.units[k];
        char sha[CR_SHA256_HEX] = "";
        if (u->nc.kind == CR_NC_STATS) {
            const char *p[] = {u->scenario};
            rc = cr_pg_query_text(r.conn,
                                  "SELECT p.sha256 FROM datamart.stat_part p JOIN "
                                  "datamart.scenario s ON s.id = p.part WHERE s.code = $1",
                                  1, p, sha, sizeof sha, "reading datamart.stat_part", err);
        } else {
            const char *p[] = {u->scenario, u->nc.model};
            rc = cr_pg_query_text(r.conn,
                                  "SELECT p.sha256 FROM datamart.annual_part p JOIN "
                                  "datamart.scenario s ON s.id = p.scn JOIN datamart.model m ON "
                                  "m.id = p.mdl WHERE s.code = $1 AND m.model = $2",
                                  2, p, sha, sizeof sha, "reading datamart.annual_part", err);
        }
        all = rc == CR_OK && strcmp(sha, u->sha) == 0;
    }
    if (rc == CR_OK)
        *current = all;
    close_units(&r);
    if (r.conn)
        PQfinish(r.conn);
    return rc;
}
