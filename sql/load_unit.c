/* load_unit.c — build and swap one unit of a datamart load; see
 * load_unit.h and load.h.
 *
 * Rows go out in (slice, cell_id) order, the order of the index built
 * afterwards, so the index build sorts presorted runs. A map (one slice)
 * without any value — a warming level a model never reaches, a snow year
 * not finished — gets no slice, rather than a slice of nothing.
 *
 * Test hook: CLIMRISK_TEST_COPY_PAUSE=FILE[:SECONDS] makes the first fact
 * COPY of the process create FILE after its first 1 MiB reached the server
 * and then sleep SECONDS (default 300), so a test can kill the loader
 * mid-COPY at a known point. */
#include "load_unit.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "../core/strutil.h"
#include "pgcopy.h"
#include "pgutil.h"

/* --- catalogue ids --- */

static int dict_load(PGconn *conn, const char *sql, struct dm_dict *d, struct cr_err *err)
{
    PGresult *r;
    int rc = cr_pg_execp(conn, sql, 0, NULL, &r, "reading the catalogue", err);
    if (rc)
        return rc;
    int n = PQntuples(r);
    d->n = n;
    d->code = calloc((size_t)n + 1, sizeof *d->code);
    d->id = calloc((size_t)n + 1, sizeof *d->id);
    if (!d->code || !d->id) {
        PQclear(r);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        d->id[k] = atoi(PQgetvalue(r, k, 0));
        cr_strlcpy(d->code[k], PQgetvalue(r, k, 1), sizeof d->code[k]);
    }
    PQclear(r);
    return CR_OK;
}

int dm_catalog_load(PGconn *conn, struct dm_catalog *cat, struct cr_err *err)
{
    memset(cat, 0, sizeof *cat);
    int rc;
    if ((rc = dict_load(conn, "SELECT id, code FROM datamart.indicator", &cat->ind, err)) ||
        (rc = dict_load(conn, "SELECT id, code FROM datamart.scenario", &cat->scn, err)) ||
        (rc = dict_load(conn, "SELECT id, code FROM datamart.horizon", &cat->hor, err)) ||
        (rc = dict_load(conn, "SELECT id, code FROM datamart.statistic", &cat->stat, err)) ||
        (rc = dict_load(conn, "SELECT id, code FROM datamart.quantity", &cat->qty, err)) ||
        (rc = dict_load(conn, "SELECT id, model FROM datamart.model", &cat->mdl, err)))
        return rc;
    return CR_OK;
}

static void dict_free(struct dm_dict *d)
{
    free(d->code);
    free(d->id);
    memset(d, 0, sizeof *d);
}

void dm_catalog_free(struct dm_catalog *cat)
{
    dict_free(&cat->ind);
    dict_free(&cat->scn);
    dict_free(&cat->hor);
    dict_free(&cat->stat);
    dict_free(&cat->qty);
    dict_free(&cat->mdl);
}

int dm_dict_id(const struct dm_dict *d, const char *code)
{
    for (int k = 0; k < d->n; k++)
        if (strcmp(d->code[k], code) == 0)
            return d->id[k];
    return -1;
}

int dm_model_id(PGconn *conn, struct dm_catalog *cat, const char *model, const char *gcm,
                const char *rcm, const char *member, int *id, struct cr_err *err)
{
    const char *p[] = {model, gcm && *gcm ? gcm : NULL, rcm && *rcm ? rcm : NULL,
                       member && *member ? member : NULL};
    char text[32];
    int rc = cr_pg_query_text(conn,
                              "INSERT INTO datamart.model (model, gcm, rcm, member) "
                              "VALUES ($1, $2, $3, $4) ON CONFLICT (model) DO UPDATE SET "
                              "gcm = coalesce(model.gcm, EXCLUDED.gcm), rcm = coalesce(model.rcm, "
                              "EXCLUDED.rcm), member = coalesce(model.member, EXCLUDED.member) "
                              "RETURNING id",
                              4, p, text, sizeof text, "registering a model", err);
    if (rc)
        return rc;
    *id = atoi(text);
    if (dm_dict_id(&cat->mdl, model) < 0) {
        struct dm_dict *d = &cat->mdl;
        void *c2 = realloc(d->code, (size_t)(d->n + 1) * sizeof *d->code);
        if (c2)
            d->code = c2;
        void *i2 = realloc(d->id, (size_t)(d->n + 1) * sizeof *d->id);
        if (i2)
            d->id = i2;
        if (!c2 || !i2)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        cr_strlcpy(d->code[d->n], model, sizeof d->code[0]);
        d->id[d->n++] = *id;
    }
    return CR_OK;
}

/* --- test hook --- */

static int pause_used;

static void pause_hook(void *arg)
{
    const char *spec = arg;
    char path[1024];
    cr_strlcpy(path, spec, sizeof path);
    long seconds = 300;
    char *colon = strrchr(path, ':');
    if (colon) {
        *colon = '\0';
        if (cr_parse_long(colon + 1, &seconds) != 0)
            seconds = 300;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        close(fd);
    cr_warn("load: test hook CLIMRISK_TEST_COPY_PAUSE: paused mid-COPY for %ld s", seconds);
    for (long k = 0; k < seconds * 10 && !cr_stop_requested(); k++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void arm_pause(struct cr_copy *c)
{
    const char *spec = getenv("CLIMRISK_TEST_COPY_PAUSE");
    if (spec && *spec && !pause_used) {
        pause_used = 1;
        cr_copy_set_hook(c, pause_hook, (void *)spec);
    }
}

/* --- building --- */

struct slice_meta {
    int ind, hor, mdl, stat, qty, nmodels; /* stats */
    int year;                              /* annual */
    /* the same keys as codes (pointers into the open file's description) */
    const char *indicator, *horizon, *model, *statistic, *quantity;
};

struct slices {
    struct slice_meta *v;
    uint32_t n, cap;
};

static int slices_push(struct slices *s, const struct slice_meta *m)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 1024;
        struct slice_meta *b = realloc(s->v, cap * sizeof *b);
        if (!b)
            return -1;
        s->v = b;
        s->cap = cap;
    }
    s->v[s->n++] = *m;
    return 0;
}

/* Emit the values of one map as fact rows; *emitted = rows written. */
static int emit_map(struct cr_copy *c, int part, uint32_t slice, const float *map,
                    uint64_t *emitted, struct cr_err *err)
{
    uint64_t n = 0;
    for (int k = 0; k < CR_SAFRAN_NLAND; k++) {
        float v = map[k];
        if (isnan(v))
            continue;
        if (cr_copy_tuple(c, 4, 6 + 8 + 8 + 8) != 0)
            return cr_err_set(err, CR_EINTERNAL, "out of memory encoding rows");
        cr_copy_int2(c, (int16_t)part);
        cr_copy_int4(c, cr_safran_grid_points[k].id);
        cr_copy_int4(c, (int32_t)slice);
        cr_copy_float4(c, v);
        n++;
    }
    *emitted = n;
    return cr_copy_maybe_flush(c, err);
}

static int map_has_values(const float *map)
{
    for (int k = 0; k < CR_SAFRAN_NLAND; k++)
        if (!isnan(map[k]))
            return 1;
    return 0;
}

static int exec_fmt(PGconn *conn, const char *what, struct cr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int exec_fmt(PGconn *conn, const char *what, struct cr_err *err, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return cr_pg_exec(conn, sql, what, err);
}

/* Ids of the stats file's models, horizons and statistics. */
struct stats_ids {
    int *mdl, *hor, *stat;
};

static int resolve_stats_ids(PGconn *conn, struct dm_catalog *cat, const struct cr_nc_file *f,
                             struct stats_ids *ids, struct cr_err *err)
{
    ids->mdl = calloc((size_t)f->nmodels + 1, sizeof(int));
    ids->hor = calloc((size_t)f->nhorizons + 1, sizeof(int));
    ids->stat = calloc((size_t)f->nstats + 1, sizeof(int));
    if (!ids->mdl || !ids->hor || !ids->stat)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (int h = 0; h < f->nhorizons; h++)
        if ((ids->hor[h] = dm_dict_id(&cat->hor, f->horizons[h])) < 0)
            return cr_err_set(err, CR_EDATA,
                              "%s: horizon '%s' is not declared in scenarios/ (periods.ini or "
                              "warming_levels.ini)",
                              f->path, f->horizons[h]);
    for (int s = 0; s < f->nstats; s++)
        if ((ids->stat[s] = dm_dict_id(&cat->stat, f->stats[s])) < 0 ||
            strcmp(f->stats[s], "value") == 0)
            return cr_err_set(err, CR_EDATA,
                              "%s: statistic '%s' is not declared in scenarios/statistics.ini",
                              f->path, f->stats[s]);
    for (int m = 0; m < f->nmodels; m++) {
        if (strcmp(f->models[m], "ensemble") == 0 || !f->models[m][0])
            return cr_err_set(err, CR_EDATA, "%s: model %d is named '%s', not GCM_RCM", f->path, m,
                              f->models[m]);
        int rc = dm_model_id(conn, cat, f->models[m], NULL, NULL, NULL, &ids->mdl[m], err);
        if (rc)
            return rc;
    }
    return CR_OK;
}

static void free_stats_ids(struct stats_ids *ids)
{
    free(ids->mdl);
    free(ids->hor);
    free(ids->stat);
}

/* Is indicator code one of the maps a patch replaces? */
static int unit_stale(const struct dm_unit *u, const char *code)
{
    for (int k = 0; k < u->nind; k++)
        if (strcmp(u->ind_code[k], code) == 0)
            return (u->stale >> k) & 1;
    return 1; /* not digested: cannot be kept */
}

/* COPY the fact rows of every map of the file (of the stale indicators
 * when patching); fills sl. */
static int copy_facts(PGconn *conn, struct dm_catalog *cat, struct dm_unit *u,
                      const struct stats_ids *ids, struct slices *sl, struct cr_err *err)
{
    const struct cr_nc_file *f = &u->nc;
    char sql[256];
    /* FREEZE only into the table created in this transaction */
    snprintf(sql, sizeof sql,
             "COPY datamart.%s%s (part, cell_id, slice, value) FROM STDIN (FORMAT binary%s)",
             u->table, u->patch ? "" : "_new", u->patch ? "" : ", FREEZE");
    struct cr_copy c;
    int rc = cr_copy_begin(&c, conn, sql, u->table, err);
    if (rc)
        return rc;
    arm_pause(&c);
    int value_stat = dm_dict_id(&cat->stat, "value");
    float *data = NULL;
    size_t cap = 0;
    u->first_year = 1 << 30;
    u->last_year = -(1 << 30);
    for (int v = 0; rc == CR_OK && v < f->nvars; v++) {
        const struct cr_nc_var *var = &f->vars[v];
        if (u->patch && !unit_stale(u, var->indicator))
            continue;
        int ind = dm_dict_id(&cat->ind, var->indicator);
        int qty = f->kind == CR_NC_STATS ? dm_dict_id(&cat->qty, var->quantity) : 0;
        if (ind < 0 || qty < 0) {
            rc = cr_err_set(err, CR_EDATA, "%s: '%s' is not in the datamart catalogue", f->path,
                            var->name);
            break;
        }
        size_t outer, inner;
        if ((rc = cr_nc_read_var_grow((struct cr_nc_file *)f, var, &data, &cap, &outer, &inner,
                                      err)))
            break;
        for (size_t o = 0; rc == CR_OK && o < outer; o++) {
            for (size_t h = 0; rc == CR_OK && h < inner; h++) {
                const float *map = data + (o * inner + h) * CR_SAFRAN_NLAND;
                if (!map_has_values(map))
                    continue;
                struct slice_meta m = {0};
                m.ind = ind;
                m.indicator = var->indicator;
                if (f->kind == CR_NC_STATS) {
                    m.hor = ids->hor[h];
                    m.qty = qty;
                    m.mdl = var->ensemble ? 0 : ids->mdl[o];
                    m.stat = var->ensemble ? ids->stat[o] : value_stat;
                    m.nmodels = var->ensemble ? f->ens_nmodels[h] : -1;
                    m.horizon = f->horizons[h];
                    m.model = var->ensemble ? "ensemble" : f->models[o];
                    m.statistic = var->ensemble ? f->stats[o] : "value";
                    m.quantity = var->quantity;
                } else {
                    m.year = f->years[o];
                    if (m.year < u->first_year)
                        u->first_year = m.year;
                    if (m.year > u->last_year)
                        u->last_year = m.year;
                }
                if (slices_push(sl, &m) != 0) {
                    rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
                    break;
                }
                uint64_t n = 0;
                rc = emit_map(&c, u->part, u->slice_base + sl->n, map, &n, err);
                u->rows += n;
            }
            if (rc == CR_OK && cr_stop_requested())
                rc = cr_err_set(err, CR_EINTERRUPT, "interrupted while loading %s", f->path);
        }
    }
    free(data);
    if (rc != CR_OK) {
        cr_copy_abort(&c, "climrisk load stopped");
        return rc;
    }
    uint64_t rows;
    if ((rc = cr_copy_end(&c, &rows, err)))
        return rc;
    if (rows != u->rows)
        return cr_err_set(err, CR_EINTERNAL, "COPY into %s: server stored %llu rows of %llu",
                          u->table, (unsigned long long)rows, (unsigned long long)u->rows);
    u->slices = sl->n;
    return CR_OK;
}

static int copy_slices(PGconn *conn, const struct dm_unit *u, const struct slices *sl,
                       struct cr_err *err)
{
    struct cr_copy c;
    int stats = u->nc.kind == CR_NC_STATS;
    const char *sql = stats ? "COPY datamart.stat_slice (part, slice, ind, hor, mdl, stat, qty, "
                              "nmodels, indicator, scenario, horizon, model, statistic, quantity) "
                              "FROM STDIN (FORMAT binary)"
                            : "COPY datamart.annual_slice (part, slice, ind, year, indicator, "
                              "scenario, model) FROM STDIN (FORMAT binary)";
    int rc = cr_copy_begin(&c, conn, sql, stats ? "stat_slice" : "annual_slice", err);
    if (rc)
        return rc;
    for (uint32_t k = 0; k < sl->n; k++) {
        const struct slice_meta *m = &sl->v[k];
        if (cr_copy_tuple(&c, stats ? 14 : 7, 8 * 6 + 8 * 2) != 0)
            break;
        cr_copy_int2(&c, (int16_t)u->part);
        cr_copy_int4(&c, (int32_t)(u->slice_base + k + 1));
        cr_copy_int2(&c, (int16_t)m->ind);
        if (!stats) {
            cr_copy_int4(&c, m->year);
            if (cr_copy_text(&c, m->indicator) != 0 || cr_copy_text(&c, u->scenario) != 0 ||
                cr_copy_text(&c, u->nc.model) != 0)
                break;
        } else {
            cr_copy_int2(&c, (int16_t)m->hor);
            cr_copy_int2(&c, (int16_t)m->mdl);
            cr_copy_int2(&c, (int16_t)m->stat);
            cr_copy_int2(&c, (int16_t)m->qty);
            if (m->nmodels >= 0)
                cr_copy_int2(&c, (int16_t)m->nmodels);
            else
                cr_copy_null(&c);
            if (cr_copy_text(&c, m->indicator) != 0 || cr_copy_text(&c, u->scenario) != 0 ||
                cr_copy_text(&c, m->horizon) != 0 || cr_copy_text(&c, m->model) != 0 ||
                cr_copy_text(&c, m->statistic) != 0 || cr_copy_text(&c, m->quantity) != 0)
                break;
        }
        if ((rc = cr_copy_maybe_flush(&c, err)) != CR_OK) {
            cr_copy_abort(&c, "send failed");
            return rc;
        }
    }
    return cr_copy_end(&c, NULL, err);
}

static int copy_windows(PGconn *conn, const struct dm_unit *u, const struct stats_ids *ids,
                        struct cr_err *err)
{
    const struct cr_nc_file *f = &u->nc;
    struct cr_copy c;
    int rc = cr_copy_begin(&c, conn,
                           "COPY datamart.horizon_window (part, mdl, hor, first_year, last_year) "
                           "FROM STDIN (FORMAT binary)",
                           "horizon_window", err);
    if (rc)
        return rc;
    for (int m = 0; m < f->nmodels; m++) {
        for (int h = 0; h < f->nhorizons; h++) {
            int fy = f->first_year[m * f->nhorizons + h], ly = f->last_year[m * f->nhorizons + h];
            if (cr_copy_tuple(&c, 5, 6 * 3 + 8 * 2) != 0)
                break;
            cr_copy_int2(&c, (int16_t)u->part);
            cr_copy_int2(&c, (int16_t)ids->mdl[m]);
            cr_copy_int2(&c, (int16_t)ids->hor[h]);
            if (fy >= 0 && ly >= 0) {
                cr_copy_int4(&c, fy);
                cr_copy_int4(&c, ly);
            } else {
                cr_copy_null(&c);
                cr_copy_null(&c);
            }
        }
    }
    return cr_copy_end(&c, NULL, err);
}

/* The stale indicators' maps out of the live partition and its slices;
 * the new ones are numbered after the partition's last slice. */
static int patch_prepare(PGconn *conn, struct dm_unit *u, const char *slice_table,
                         struct cr_err *err)
{
    struct cr_sb codes;
    cr_sb_init(&codes);
    cr_sb_add(&codes, "{");
    for (int k = 0, first = 1; k < u->nind; k++)
        if ((u->stale >> k) & 1) {
            cr_sb_addf(&codes, "%s\"%s\"", first ? "" : ",", u->ind_code[k]);
            first = 0;
        }
    cr_sb_add(&codes, "}");
    if (cr_sb_failed(&codes)) {
        cr_sb_free(&codes);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    char part[16], sql[512];
    snprintf(part, sizeof part, "%d", u->part);
    const char *p[] = {part, codes.s};
    long long base = 0;
    int found = 0;
    snprintf(sql, sizeof sql, "SELECT coalesce(max(slice), 0) FROM datamart.%s WHERE part = $1",
             slice_table);
    int rc = cr_pg_query_long(conn, sql, 1, p, &base, &found, "numbering the new maps", err);
    u->slice_base = (uint32_t)base;
    PGresult *res = NULL;
    if (rc == CR_OK) {
        snprintf(sql, sizeof sql,
                 "DELETE FROM datamart.%s WHERE slice IN (SELECT slice FROM datamart.%s WHERE "
                 "part = $1 AND indicator = ANY($2::text[]))",
                 u->table, slice_table);
        rc = cr_pg_execp(conn, sql, 2, p, &res, "deleting the replaced maps", err);
    }
    if (rc == CR_OK) {
        u->rows_deleted = strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        snprintf(sql, sizeof sql,
                 "DELETE FROM datamart.%s WHERE part = $1 AND indicator = ANY($2::text[])",
                 slice_table);
        rc = cr_pg_execp(conn, sql, 2, p, NULL, "deleting the replaced slices", err);
    }
    /* the partition now has dead rows: let autovacuum reclaim them */
    if (rc == CR_OK)
        rc = exec_fmt(conn, "re-enabling autovacuum", err,
                      "ALTER TABLE datamart.%s RESET (autovacuum_enabled)", u->table);
    cr_sb_free(&codes);
    return rc;
}

static int build_patch(PGconn *conn, struct dm_catalog *cat, struct dm_unit *u, struct cr_err *err)
{
    const char *slice_table = u->nc.kind == CR_NC_STATS ? "stat_slice" : "annual_slice";
    double t0 = cr_now();
    int rc = patch_prepare(conn, u, slice_table, err);
    struct stats_ids ids = {0};
    if (rc == CR_OK && u->nc.kind == CR_NC_STATS)
        rc = resolve_stats_ids(conn, cat, &u->nc, &ids, err);
    struct slices sl = {0};
    if (rc == CR_OK && u->nstale)
        rc = copy_facts(conn, cat, u, &ids, &sl, err);
    if (rc == CR_OK && u->nstale)
        rc = copy_slices(conn, u, &sl, err);
    u->copy_seconds = cr_now() - t0;
    free(sl.v);
    free_stats_ids(&ids);
    t0 = cr_now();
    if (rc == CR_OK)
        rc = exec_fmt(conn, "analysing the patched partition", err,
                      "ANALYZE datamart.%s; "
                      "ANALYZE datamart.%s",
                      u->table, slice_table);
    u->index_seconds = cr_now() - t0;
    if (rc == CR_OK)
        u->built = 1;
    return rc;
}

int dm_unit_build(PGconn *conn, struct dm_catalog *cat, struct dm_unit *u, struct cr_err *err)
{
    if (u->patch)
        return build_patch(conn, cat, u, err);
    u->slice_base = 0;
    u->rows_deleted = 0;
    const char *parent = u->nc.kind == CR_NC_STATS ? "stat_fact" : "annual_fact";
    const char *slice_table = u->nc.kind == CR_NC_STATS ? "stat_slice" : "annual_slice";
    /* A table created in this transaction: COPY skips the WAL under
     * wal_level=minimal and may FREEZE its rows; the CHECK lets ATTACH
     * PARTITION skip its validation scan. */
    int rc = exec_fmt(conn, "creating the new partition", err,
                      "DROP TABLE IF EXISTS datamart.%s_new;"
                      "CREATE TABLE datamart.%s_new (part smallint NOT NULL CHECK (part = %d), "
                      "cell_id integer NOT NULL, slice integer NOT NULL, value real NOT NULL) "
                      "WITH (autovacuum_enabled = off);"
                      "DELETE FROM datamart.%s WHERE part = %d",
                      u->table, u->table, u->part, slice_table, u->part);
    if (rc)
        return rc;
    struct stats_ids ids = {0};
    if (u->nc.kind == CR_NC_STATS) {
        rc = resolve_stats_ids(conn, cat, &u->nc, &ids, err);
        if (rc == CR_OK)
            rc = exec_fmt(conn, "replacing horizon windows", err,
                          "DELETE FROM datamart.horizon_window WHERE part = %d", u->part);
    }
    struct slices sl = {0};
    double t0 = cr_now();
    if (rc == CR_OK)
        rc = copy_facts(conn, cat, u, &ids, &sl, err);
    if (rc == CR_OK)
        rc = copy_slices(conn, u, &sl, err);
    if (rc == CR_OK && u->nc.kind == CR_NC_STATS)
        rc = copy_windows(conn, u, &ids, err);
    u->copy_seconds = cr_now() - t0;
    free(sl.v);
    free_stats_ids(&ids);
    if (rc)
        return rc;
    t0 = cr_now();
    /* Same definition as the parent's partitioned index, so ATTACH adopts
     * it instead of building another. Owned like the parent, so any member
     * of the owning role can replace it next time. */
    rc = exec_fmt(conn, "indexing the new partition", err,
                  "CREATE INDEX %s_new_slice_cell ON datamart.%s_new (slice, cell_id) "
                  "INCLUDE (value);"
                  "ANALYZE datamart.%s_new; ANALYZE datamart.%s;"
                  "DO $$ DECLARE o oid := (SELECT relowner FROM pg_class "
                  "WHERE oid = 'datamart.%s'::regclass); BEGIN "
                  "IF o <> (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN "
                  "EXECUTE format('ALTER TABLE datamart.%s_new OWNER TO %%I', "
                  "(SELECT rolname FROM pg_roles WHERE oid = o)); END IF; END $$",
                  u->table, u->table, u->table, slice_table, parent, u->table);
    u->index_seconds = cr_now() - t0;
    if (rc == CR_OK)
        u->built = 1;
    return rc;
}

/* A patched unit stays in place: its record gets the new file and counts. */
static int record_patch(PGconn *conn, struct dm_unit *u, long long run_id, struct cr_err *err)
{
    int stats = u->nc.kind == CR_NC_STATS;
    char part[16], run[32], added[32], deleted[32];
    snprintf(part, sizeof part, "%d", u->part);
    snprintf(run, sizeof run, "%lld", run_id);
    snprintf(added, sizeof added, "%llu", (unsigned long long)u->rows);
    snprintf(deleted, sizeof deleted, "%llu", (unsigned long long)u->rows_deleted);
    const char *q[] = {part, cr_basename(u->nc.path), u->sha, run, added, deleted};
    int rc = cr_pg_execp(
        conn,
        stats ? "UPDATE datamart.stat_part SET source = $2, sha256 = $3, run_id = $4, loaded_at = "
                "now(), nrows = nrows + $5::bigint - $6::bigint, nslices = (SELECT count(*) FROM "
                "datamart.stat_slice WHERE part = $1) WHERE part = $1"
              : "UPDATE datamart.annual_part SET source = $2, sha256 = $3, run_id = $4, loaded_at "
                "= now(), nrows = nrows + $5::bigint - $6::bigint, nslices = (SELECT count(*) "
                "FROM datamart.annual_slice WHERE part = $1) WHERE part = $1",
        6, q, NULL, "recording the patched unit", err);
    return rc == CR_OK ? dm_unit_record_digests(conn, u, err) : rc;
}

int dm_unit_swap(PGconn *conn, struct dm_unit *u, long long run_id, struct cr_err *err)
{
    int stats = u->nc.kind == CR_NC_STATS;
    const char *parent = stats ? "stat_fact" : "annual_fact";
    long long attached;
    int found;
    char reg[96];
    snprintf(reg, sizeof reg, "datamart.%s", u->table);
    const char *p[] = {reg, stats ? "datamart.stat_fact" : "datamart.annual_fact"};
    if (u->patch)
        return record_patch(conn, u, run_id, err);
    int rc = cr_pg_query_long(conn,
                              "SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1) "
                              "AND inhparent = $2::regclass",
                              2, p, &attached, &found, "looking for the old partition", err);
    if (rc == CR_OK && attached)
        rc = exec_fmt(conn, "detaching the old partition", err,
                      "ALTER TABLE datamart.%s DETACH PARTITION datamart.%s", parent, u->table);
    if (rc == CR_OK)
        rc = exec_fmt(conn, "swapping in the new partition", err,
                      "DROP TABLE IF EXISTS datamart.%s;"
                      "ALTER TABLE datamart.%s_new RENAME TO %s;"
                      "ALTER INDEX datamart.%s_new_slice_cell RENAME TO %s_slice_cell;"
                      "ALTER TABLE datamart.%s ATTACH PARTITION datamart.%s FOR VALUES IN (%d)",
                      u->table, u->table, u->table, u->table, u->table, parent, u->table, u->part);
    if (rc)
        return rc;
    char part[16], run[32], rows[32], nsl[16], fy[16], ly[16];
    snprintf(part, sizeof part, "%d", u->part);
    snprintf(run, sizeof run, "%lld", run_id);
    snprintf(rows, sizeof rows, "%llu", (unsigned long long)u->rows);
    snprintf(nsl, sizeof nsl, "%u", u->slices);
    snprintf(fy, sizeof fy, "%d", u->first_year);
    snprintf(ly, sizeof ly, "%d", u->last_year);
    const char *src = cr_basename(u->nc.path);
    if (stats) {
        const char *q[] = {part, src, u->sha, run, rows, nsl};
        rc = cr_pg_execp(conn,
                         "INSERT INTO datamart.stat_part (part, source, sha256, run_id, "
                         "loaded_at, nrows, nslices) VALUES ($1, $2, $3, $4, now(), $5, $6) "
                         "ON CONFLICT (part) DO UPDATE SET source = EXCLUDED.source, sha256 = "
                         "EXCLUDED.sha256, run_id = EXCLUDED.run_id, loaded_at = now(), "
                         "nrows = EXCLUDED.nrows, nslices = EXCLUDED.nslices",
                         6, q, NULL, "recording the loaded statistics", err);
        return rc == CR_OK ? dm_unit_record_digests(conn, u, err) : rc;
    }
    int has_years = u->slices > 0;
    const char *q[] = {
        part, src, u->sha, run, rows, nsl, has_years ? fy : NULL, has_years ? ly : NULL};
    rc = cr_pg_execp(conn,
                     "UPDATE datamart.annual_part SET source = $2, sha256 = $3, run_id = $4, "
                     "loaded_at = now(), nrows = $5, nslices = $6, first_year = $7, last_year = "
                     "$8 WHERE part = $1",
                     8, q, NULL, "recording the loaded annual series", err);
    return rc == CR_OK ? dm_unit_record_digests(conn, u, err) : rc;
}
