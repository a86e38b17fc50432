/* http_db.c — the tile server's datamart side: a pool of libpq connections
 * (one per worker thread, read-only sessions with a statement timeout),
 * the queue of suspended requests, and the queries behind popups
 * (/api/info), legends (/api/legend), loaded maps (/api/available) and live
 * vector tiles (/live/<layer>/z/x/y.mvt, ST_AsMVT).
 *
 * Every value a client sends is first checked against the catalogue and
 * scenarios/ (unknown codes are a 400 before any query) and then bound as a
 * parameter of a prepared statement; SQL text is never built from request
 * data. The schema name comes from the configuration and is quoted with
 * PQescapeIdentifier. */
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/strutil.h"
#include "../indicators/catalog.h"
#include "../sql/pgutil.h"
#include "http_util.h"
#include "server_int.h"

#define QUEUE_MAX             512
#define MVT_MIN_ZOOM_COMMUNES 7

const char *const cr_live_layers[] = {"cells", "communes", "departements", "regions", NULL};

int cr_live_layer_known(const char *layer)
{
    for (int i = 0; cr_live_layers[i]; i++)
        if (strcmp(layer, cr_live_layers[i]) == 0)
            return 1;
    return 0;
}

struct worker {
    struct cr_server *s;
    pthread_t th;
    PGconn *conn;
    double next_connect;
    int started;
};

struct cr_dbpool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct cr_job *head, *tail;
    int queued;
    int stopping;
    struct worker *w;
    int nw;
    atomic_int ok; /* last connection attempt or query succeeded */
};

/* ------------------------------------------------------------ statements */

/* %1$s is the quoted schema. Parameters: see each use. The contract's
 * views (cell_stat, area_stat, indicator_at) are used as they are: the
 * datamart keeps the map codes on its slice table so that filtering them on
 * codes plans as an index look-up of one map (a few ms per tile). */
static const char *const SQL_LIVE_CELLS =
    "SELECT ST_AsMVT(t, 'cells', 4096, 'geom', 'fid') FROM ("
    " SELECT g.cell_id AS fid, g.cell_id, c.value,"
    "  ST_AsMVTGeom(g.geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom"
    " FROM %1$s.grid_cell g JOIN %1$s.cell_stat c ON c.cell_id = g.cell_id"
    " WHERE g.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)"
    "  AND c.indicator = $4 AND c.scenario = $5 AND c.horizon = $6 AND c.model = 'ensemble'"
    "  AND c.statistic = $7 AND c.quantity = $8) t";

/* $9 = level, $10 = layer name; geometries simplified to a tile unit. */
static const char *const SQL_LIVE_AREAS =
    "SELECT ST_AsMVT(t, $10, 4096, 'geom') FROM ("
    " SELECT a.code, a.name, s.mean AS value,"
    "  ST_AsMVTGeom(ST_Simplify(a.geom_3857, 40075016.68 / (4096 * 2 ^ $1::int)),"
    "               ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom"
    " FROM %1$s.admin_area a JOIN %1$s.area_stat s ON s.level = a.level AND s.code = a.code"
    " WHERE a.level = $9 AND a.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)"
    "  AND s.indicator = $4 AND s.scenario = $5 AND s.horizon = $6 AND s.model = 'ensemble'"
    "  AND s.statistic = $7 AND s.quantity = $8) t";

/* lon, lat, indicator, scenario, horizon, quantity */
static const char *const SQL_INFO_CELL =
    "SELECT cell_id, value, unit, p05, p95, min, max, nmodels, agreement"
    " FROM %1$s.indicator_at($1, $2, $3, $4, $5, $6)";

static const char *const SQL_INFO_AREAS =
    "SELECT a.level, a.code, a.name,"
    " max(s.mean) FILTER (WHERE s.statistic = 'median'),"
    " max(s.mean) FILTER (WHERE s.statistic = 'p05'),"
    " max(s.mean) FILTER (WHERE s.statistic = 'p95'),"
    " max(s.mean) FILTER (WHERE s.statistic = 'min'),"
    " max(s.mean) FILTER (WHERE s.statistic = 'max'),"
    " max(s.ncells)"
    " FROM %1$s.admin_area a JOIN %1$s.area_stat s ON s.level = a.level AND s.code = a.code"
    " WHERE a.level IN ('commune', 'departement')"
    "  AND ST_Intersects(a.geom_3857,"
    "       ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 3857))"
    "  AND s.indicator = $3 AND s.scenario = $4 AND s.horizon = $5 AND s.model = 'ensemble'"
    "  AND s.quantity = $6"
    " GROUP BY a.level, a.code, a.name";

/* indicator, scenario, horizon, statistic, quantity */
static const char *const SQL_LEGEND =
    "SELECT percentile_cont(0.02) WITHIN GROUP (ORDER BY value),"
    " percentile_cont(0.98) WITHIN GROUP (ORDER BY value), min(value), max(value), count(*)"
    " FROM %1$s.cell_stat WHERE indicator = $1 AND scenario = $2 AND horizon = $3"
    "  AND model = 'ensemble' AND statistic = $4 AND quantity = $5";

/* Which maps are loaded: one row per (indicator, scenario, horizon,
 * quantity) of ensemble statistics, from the datamart's index of maps
 * (stat_slice, sql/migrations/002_facts.sql; cell_stat would scan every
 * value). */
static const char *const SQL_AVAILABLE =
    "SELECT DISTINCT indicator, scenario, horizon, quantity FROM %1$s.stat_slice"
    " WHERE model = 'ensemble' ORDER BY 1, 2, 3, 4";

static const struct {
    const char *name;
    const char *const *sql;
    int nparams;
} stmts[] = {
    {"live_cells", &SQL_LIVE_CELLS, 8}, {"live_areas", &SQL_LIVE_AREAS, 10},
    {"info_cell", &SQL_INFO_CELL, 6},   {"info_areas", &SQL_INFO_AREAS, 6},
    {"legend", &SQL_LEGEND, 5},         {"available", &SQL_AVAILABLE, 0},
};

/* ------------------------------------------------------------ connections */

static PGconn *connect_worker(struct cr_server *s)
{
    char opts[128];
    snprintf(opts, sizeof opts, "-c statement_timeout=%d -c default_transaction_read_only=on",
             s->o.statement_timeout_ms);
    const char *keys[] = {"dbname",          "application_name", "client_encoding",
                          "connect_timeout", "options",          NULL};
    const char *vals[] = {s->o.dsn, "climrisk serve", "UTF8", "5", opts, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char msg[256];
        cr_strlcpy(msg, c ? PQerrorMessage(c) : "out of memory", sizeof msg);
        cr_trim(msg);
        cr_warn("serve: cannot connect to the datamart: %s", msg);
        PQfinish(c);
        return NULL;
    }
    /* The schema name is configuration, not request data; still quoted. */
    char *q = PQescapeIdentifier(c, s->o.db_schema, strlen(s->o.db_schema));
    if (!q) {
        cr_warn("serve: [datamart] schema '%s' is not a valid name", s->o.db_schema);
        PQfinish(c);
        return NULL;
    }
    char schema_q[160];
    cr_strlcpy(schema_q, q, sizeof schema_q);
    PQfreemem(q);
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        char sql[4096];
        snprintf(sql, sizeof sql, *stmts[i].sql, schema_q);
        PGresult *r = PQprepare(c, stmts[i].name, sql, stmts[i].nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            char msg[512];
            cr_strlcpy(msg, PQresultErrorMessage(r), sizeof msg);
            cr_trim(msg);
            cr_warn("serve: the datamart lacks what '%s' needs (run 'climrisk db migrate'?): %s",
                    stmts[i].name, msg);
            PQclear(r);
            PQfinish(c);
            return NULL;
        }
        PQclear(r);
    }
    return c;
}

/* ------------------------------------------------------------ results */

static void set_result(struct cr_job *j, int status, const char *type, char *body, size_t len)
{
    j->status = status;
    j->content_type = type;
    j->body = (unsigned char *)body;
    j->len = len;
}

static void set_error(struct cr_job *j, int status, const char *msg)
{
    struct cr_sb b;
    cr_sb_init(&b);
    cr_sb_add(&b, "{\"error\":");
    cr_sb_add_json(&b, msg);
    cr_sb_addf(&b, ",\"status\":%d}\n", status);
    set_result(j, status, "application/json; charset=utf-8", b.s, b.len);
    j->cache_control = "no-store";
    j->compressible = 0;
}

/* A failed query: timeout -> 504, lost connection -> 503, other -> 500. */
static void query_failed(struct worker *w, struct cr_job *j, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char msg[512];
    cr_strlcpy(msg, r ? PQresultErrorMessage(r) : PQerrorMessage(w->conn), sizeof msg);
    cr_trim(msg);
    if (state && strcmp(state, "57014") == 0) {
        set_error(j, 504, "the datamart query took longer than the statement timeout");
        return;
    }
    if (PQstatus(w->conn) != CONNECTION_OK) {
        cr_warn("serve: lost the datamart connection: %s", msg);
        PQfinish(w->conn);
        w->conn = NULL;
        atomic_store(&w->s->db->ok, 0);
        set_error(j, 503, "the datamart is not reachable; try again later");
        return;
    }
    cr_warn("serve: datamart query failed: %s", msg);
    set_error(j, 500, "the datamart query failed (see the server log)");
}

/* JSON number from a text column, null when NULL or not finite. */
static void add_num(struct cr_sb *b, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) {
        cr_sb_add(b, "null");
        return;
    }
    const char *v = PQgetvalue(r, row, col);
    double d;
    if (cr_parse_double(v, &d) != 0 || !isfinite(d))
        cr_sb_add(b, "null");
    else
        cr_sb_add(b, v);
}

static void run_info(struct worker *w, struct cr_job *j)
{
    char lon[32], lat[32];
    snprintf(lon, sizeof lon, "%.9g", j->lon);
    snprintf(lat, sizeof lat, "%.9g", j->lat);
    /* params: indicator, scenario, horizon, quantity */
    const char *pv[6] = {lon, lat, j->params[0], j->params[1], j->params[2], j->params[3]};
    PGresult *rc = PQexecPrepared(w->conn, "info_cell", 6, pv, NULL, NULL, 0);
    if (PQresultStatus(rc) != PGRES_TUPLES_OK) {
        query_failed(w, j, rc);
        PQclear(rc);
        return;
    }
    PGresult *ra = PQexecPrepared(w->conn, "info_areas", 6, pv, NULL, NULL, 0);
    if (PQresultStatus(ra) != PGRES_TUPLES_OK) {
        query_failed(w, j, ra);
        PQclear(rc);
        PQclear(ra);
        return;
    }
    const struct cr_indicator_def *def = cr_indicator_find(j->params[0]);
    struct cr_sb b;
    cr_sb_init(&b);
    cr_sb_addf(&b, "{\"lon\":%s,\"lat\":%s,\"indicator\":", lon, lat);
    cr_sb_add_json(&b, j->params[0]);
    cr_sb_add(&b, ",\"scenario\":");
    cr_sb_add_json(&b, j->params[1]);
    cr_sb_add(&b, ",\"horizon\":");
    cr_sb_add_json(&b, j->params[2]);
    cr_sb_add(&b, ",\"quantity\":");
    cr_sb_add_json(&b, j->params[3]);
    cr_sb_add(&b, ",\"unit\":");
    if (PQntuples(rc) > 0 && !PQgetisnull(rc, 0, 2))
        cr_sb_add_json(&b, PQgetvalue(rc, 0, 2));
    else
        cr_sb_add_json(&b, strcmp(j->params[3], "ratio") == 0 ? "1" : def ? def->units : "");
    cr_sb_add(&b, ",\"cell\":");
    if (PQntuples(rc) > 0) {
        cr_sb_addf(&b, "{\"id\":");
        add_num(&b, rc, 0, 0);
        static const char *const names[] = {"median", NULL,  "p05",     "p95",
                                            "min",    "max", "nmodels", "agreement"};
        for (int k = 1; k < 9; k++) {
            if (k == 2)
                continue;
            cr_sb_addf(&b, ",\"%s\":", names[k - 1]);
            add_num(&b, rc, 0, k);
        }
        cr_sb_add(&b, "}");
    } else {
        cr_sb_add(&b, "null");
    }
    for (int lv = 0; lv < 2; lv++) {
        const char *level = lv == 0 ? "commune" : "departement";
        cr_sb_addf(&b, ",\"%s\":", level);
        int row = -1;
        for (int i = 0; i < PQntuples(ra); i++)
            if (strcmp(PQgetvalue(ra, i, 0), level) == 0)
                row = i;
        if (row < 0) {
            cr_sb_add(&b, "null");
            continue;
        }
        cr_sb_add(&b, "{\"code\":");
        cr_sb_add_json(&b, PQgetvalue(ra, row, 1));
        cr_sb_add(&b, ",\"name\":");
        cr_sb_add_json(&b, PQgetvalue(ra, row, 2));
        static const char *const names[] = {"median", "p05", "p95", "min", "max", "ncells"};
        for (int k = 0; k < 6; k++) {
            cr_sb_addf(&b, ",\"%s\":", names[k]);
            add_num(&b, ra, row, 3 + k);
        }
        cr_sb_add(&b, "}");
    }
    cr_sb_add(&b, "}\n");
    PQclear(rc);
    PQclear(ra);
    if (cr_sb_failed(&b)) {
        cr_sb_free(&b);
        set_error(j, 500, "out of memory");
        return;
    }
    set_result(j, 200, "application/json; charset=utf-8", b.s, b.len);
    j->compressible = 1;
    j->cache_control = "public, max-age=60";
}

static void run_live(struct worker *w, struct cr_job *j)
{
    char z[8], x[16], y[16];
    snprintf(z, sizeof z, "%d", j->z);
    snprintf(x, sizeof x, "%u", j->x);
    snprintf(y, sizeof y, "%u", j->y);
    /* params: indicator, scenario, horizon, statistic, quantity */
    const char *pv[10] = {
        z,    x,       y, j->params[0], j->params[1], j->params[2], j->params[4], j->params[3],
        NULL, j->layer};
    const char *level = strcmp(j->layer, "communes") == 0       ? "commune"
                        : strcmp(j->layer, "departements") == 0 ? "departement"
                                                                : "region";
    pv[8] = level;
    int cells = strcmp(j->layer, "cells") == 0;
    PGresult *r = PQexecPrepared(w->conn, cells ? "live_cells" : "live_areas", cells ? 8 : 10, pv,
                                 NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        query_failed(w, j, r);
        PQclear(r);
        return;
    }
    size_t len = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? (size_t)PQgetlength(r, 0, 0) : 0;
    char *body = malloc(len ? len : 1);
    if (!body) {
        PQclear(r);
        set_error(j, 500, "out of memory");
        return;
    }
    if (len)
        memcpy(body, PQgetvalue(r, 0, 0), len);
    PQclear(r);
    set_result(j, 200, "application/vnd.mapbox-vector-tile", body, len);
    j->compressible = 1;
    j->cache_control = "public, max-age=300";
}

/* Colour ramps (ColorBrewer, from which the IPCC AR6 WGI palettes derive):
 * temperature-like indicators get yellow-red (levels) and blue-red
 * (changes); water and snow ones yellow-blue and brown-green. */
static const char *const RAMP_TEMP_SEQ[] = {"#ffffcc", "#ffeda0", "#fed976", "#feb24c",
                                            "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"};
static const char *const RAMP_PREC_SEQ[] = {"#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb",
                                            "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"};
static const char *const RAMP_TEMP_DIV[] = {"#2166ac", "#4393c3", "#92c5de", "#d1e5f0",
                                            "#fddbc7", "#f4a582", "#d6604d", "#b2182b"};
static const char *const RAMP_PREC_DIV[] = {"#8c510a", "#bf812d", "#dfc27d", "#f6e8c3",
                                            "#c7eae5", "#80cdc1", "#35978f", "#01665e"};

static int water_like(const struct cr_indicator_def *d)
{
    return d && (d->category == CR_CAT_FLOOD || d->category == CR_CAT_SNOW ||
                 strcmp(d->units, "mm") == 0 || strcmp(d->code, "cdd") == 0 ||
                 strcmp(d->code, "water_deficit") == 0);
}

/* A "nice" step: 1, 2 or 5 times a power of ten. */
static double nice_step(double raw)
{
    if (!(raw > 0))
        return 1;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void run_legend(struct worker *w, struct cr_job *j)
{
    /* params: indicator, scenario, horizon, quantity, statistic */
    const char *pv[5] = {j->params[0], j->params[1], j->params[2], j->params[4], j->params[3]};
    PGresult *r = PQexecPrepared(w->conn, "legend", 5, pv, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        query_failed(w, j, r);
        PQclear(r);
        return;
    }
    long long count = atoll(PQgetvalue(r, 0, 4));
    if (count == 0) {
        PQclear(r);
        set_error(j, 404, "this map is not loaded in the datamart");
        return;
    }
    double lo = atof(PQgetvalue(r, 0, 0)), hi = atof(PQgetvalue(r, 0, 1));
    double vmin = atof(PQgetvalue(r, 0, 2)), vmax = atof(PQgetvalue(r, 0, 3));
    PQclear(r);
    const char *q = j->params[3];
    const struct cr_indicator_def *def = cr_indicator_find(j->params[0]);
    int diverging = strstr(q, "anom") != NULL || strcmp(q, "ratio") == 0;
    double centre = strcmp(q, "ratio") == 0 ? 1.0 : 0.0;
    const char *const *ramp = diverging ? (water_like(def) ? RAMP_PREC_DIV : RAMP_TEMP_DIV)
                                        : (water_like(def) ? RAMP_PREC_SEQ : RAMP_TEMP_SEQ);
    double breaks[9];
    int nb = 9;
    if (diverging) {
        double m = fmax(fabs(lo - centre), fabs(hi - centre));
        double step = nice_step(m / 4);
        for (int k = 0; k < 9; k++)
            breaks[k] = centre + (k - 4) * step;
    } else {
        if (hi <= lo)
            hi = lo + 1;
        double step = nice_step((hi - lo) / 8);
        double start = floor(lo / step) * step;
        for (int k = 0; k < 9; k++)
            breaks[k] = start + k * step;
    }
    struct cr_sb b;
    cr_sb_init(&b);
    cr_sb_add(&b, "{\"indicator\":");
    cr_sb_add_json(&b, j->params[0]);
    cr_sb_add(&b, ",\"quantity\":");
    cr_sb_add_json(&b, q);
    cr_sb_add(&b, ",\"unit\":");
    cr_sb_add_json(&b, strcmp(q, "ratio") == 0 ? "1" : def ? def->units : "");
    cr_sb_addf(&b, ",\"type\":\"%s\",\"min\":%.9g,\"max\":%.9g,\"cells\":%lld,\"breaks\":[",
               diverging ? "diverging" : "sequential", vmin, vmax, count);
    for (int k = 0; k < nb; k++)
        cr_sb_addf(&b, "%s%.9g", k ? "," : "", breaks[k]);
    cr_sb_add(&b, "],\"colors\":[");
    for (int k = 0; k < 8; k++)
        cr_sb_addf(&b, "%s\"%s\"", k ? "," : "", ramp[k]);
    cr_sb_add(&b, "]}\n");
    if (cr_sb_failed(&b)) {
        cr_sb_free(&b);
        set_error(j, 500, "out of memory");
        return;
    }
    set_result(j, 200, "application/json; charset=utf-8", b.s, b.len);
    j->compressible = 1;
    j->cache_control = "public, max-age=60";
}

static void run_available(struct worker *w, struct cr_job *j)
{
    PGresult *r = PQexecPrepared(w->conn, "available", 0, NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        query_failed(w, j, r);
        PQclear(r);
        return;
    }
    struct cr_sb b;
    cr_sb_init(&b);
    cr_sb_add(&b, "{\"maps\":[");
    for (int i = 0; i < PQntuples(r); i++) {
        cr_sb_add(&b, i ? ",[" : "[");
        for (int k = 0; k < 4; k++) {
            if (k)
                cr_sb_add(&b, ",");
            cr_sb_add_json(&b, PQgetvalue(r, i, k));
        }
        cr_sb_add(&b, "]");
    }
    cr_sb_add(&b, "]}\n");
    PQclear(r);
    if (cr_sb_failed(&b)) {
        cr_sb_free(&b);
        set_error(j, 500, "out of memory");
        return;
    }
    set_result(j, 200, "application/json; charset=utf-8", b.s, b.len);
    j->compressible = 1;
    j->cache_control = "public, max-age=30";
}

static void run_job(struct worker *w, struct cr_job *j)
{
    struct cr_dbpool *p = w->s->db;
    if (!w->conn) {
        double now = cr_now();
        if (now >= w->next_connect) {
            w->conn = connect_worker(w->s);
            w->next_connect = now + 1.0; /* at most one attempt a second */
            atomic_store(&p->ok, w->conn != NULL);
        }
        if (!w->conn) {
            set_error(j, 503, "the datamart is not reachable; try again later");
            return;
        }
    }
    switch (j->kind) {
    case CR_JOB_INFO:
        run_info(w, j);
        break;
    case CR_JOB_LIVE:
        run_live(w, j);
        break;
    case CR_JOB_LEGEND:
        run_legend(w, j);
        break;
    case CR_JOB_AVAILABLE:
        run_available(w, j);
        break;
    }
    if (j->status < 500 || j->status == 504)
        atomic_store(&p->ok, 1);
}

static void finish(struct cr_job *j)
{
    j->done = 1;
    MHD_resume_connection(j->conn);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct cr_dbpool *p = w->s->db;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stopping) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        struct cr_job *j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->lock);
        run_job(w, j);
        finish(j);
    }
    PQfinish(w->conn);
    w->conn = NULL;
    return NULL;
}

int cr_dbpool_start(struct cr_server *s, struct cr_err *err)
{
    struct cr_dbpool *p = calloc(1, sizeof *p);
    if (!p)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    s->db = p;
    if (!s->o.dsn[0]) {
        cr_info("serve: no datamart configured: popups, legends and live tiles answer 503");
        return CR_OK;
    }
    PGconn *check = connect_worker(s);
    atomic_store(&p->ok, check != NULL);
    if (!check)
        cr_warn("serve: the datamart is not reachable now; files are served, popups and live "
                "tiles answer 503 until it is");
    p->nw = s->o.db_connections > 0 ? s->o.db_connections : 1;
    p->w = calloc((size_t)p->nw, sizeof *p->w);
    if (!p->w) {
        PQfinish(check);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    for (int i = 0; i < p->nw; i++) {
        p->w[i].s = s;
        if (i == 0)
            p->w[i].conn = check;
        if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0)
            return cr_err_set(err, CR_EINTERNAL, "cannot start database worker threads");
        p->w[i].started = 1;
    }
    return CR_OK;
}

void cr_dbpool_stop(struct cr_server *s)
{
    struct cr_dbpool *p = s->db;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nw; i++)
        if (p->w[i].started)
            pthread_join(p->w[i].th, NULL);
    /* queued requests get an answer, not a hang */
    while (p->head) {
        struct cr_job *j = p->head;
        p->head = j->next;
        set_error(j, 503, "the server is shutting down");
        finish(j);
    }
    free(p->w);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
    s->db = NULL;
}

int cr_dbpool_ok(const struct cr_server *s)
{
    return s->db && s->o.dsn[0] && atomic_load(&s->db->ok);
}

int cr_dbpool_submit(struct cr_server *s, struct cr_job *j)
{
    struct cr_dbpool *p = s->db;
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->nw == 0 || p->queued >= QUEUE_MAX) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    /* Suspend before a worker can see the job, so resume never comes first. */
    MHD_suspend_connection(j->conn);
    j->next = NULL;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* ------------------------------------------------------------ requests */

/* Check a map selection (indicator, scenario, horizon, quantity,
 * statistic) into params[0..4]; on error write why and return -1. */
static int map_params(struct cr_server *s, struct MHD_Connection *c, char params[][64], char *why,
                      size_t size)
{
    static const char *const keys[] = {"indicator", "scenario", "horizon", "quantity", "statistic"};
    static const char *const defaults[] = {NULL, NULL, NULL, "mean", "median"};
    for (int k = 0; k < 5; k++) {
        const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, keys[k]);
        if (!v || !*v)
            v = defaults[k];
        if (!v) {
            snprintf(why, size, "missing parameter '%s'", keys[k]);
            return -1;
        }
        if (!cr_http_token_ok(v, 48)) {
            snprintf(why, size, "bad value for '%s' (letters, digits, '_', '-', '.' only)",
                     keys[k]);
            return -1;
        }
        int ok = 0;
        switch (k) {
        case 0:
            ok = cr_indicator_find(v) != NULL;
            break;
        case 1: {
            const struct cr_experiment *e = cr_scenarios_experiment(&s->scn, v);
            if (e)
                v = e->id;
            ok = e != NULL;
            break;
        }
        case 2:
            ok = cr_scenarios_period(&s->scn, v) || cr_scenarios_level(&s->scn, v);
            break;
        case 3:
            for (int i = 0; cr_quantities[i]; i++)
                ok |= strcmp(cr_quantities[i], v) == 0;
            break;
        case 4:
            for (size_t i = 0; i < s->scn.nstats; i++)
                ok |= strcmp(s->scn.stats[i].code, v) == 0;
            break;
        }
        if (!ok) {
            snprintf(why, size, "unknown %s '%s' (see /api/catalog)", keys[k], v);
            return -1;
        }
        cr_strlcpy(params[k], v, 64);
    }
    return 0;
}

static int parse_coord(const char *v, double lo, double hi, double *out)
{
    /* plain decimal numbers only: no hex, inf or nan spellings */
    if (!v || strspn(v, "0123456789.-+eE") != strlen(v))
        return -1;
    return v && strlen(v) < 32 && cr_parse_double(v, out) == 0 && isfinite(*out) && *out >= lo &&
                   *out <= hi
               ? 0
               : -1;
}

enum MHD_Result cr_handle_db(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                             const char *path)
{
    struct cr_job *j = calloc(1, sizeof *j);
    if (!j)
        return MHD_NO;
    j->conn = c;
    char why[256];
    if (strcmp(path, "/api/available") == 0) {
        j->kind = CR_JOB_AVAILABLE;
    } else if (map_params(s, c, j->params, why, sizeof why) != 0) {
        free(j);
        return cr_reply_error(s, c, rq, 400, "%s", why);
    } else if (strcmp(path, "/api/info") == 0) {
        j->kind = CR_JOB_INFO;
        if (parse_coord(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lon"), -180, 180,
                        &j->lon) != 0 ||
            parse_coord(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lat"), -90, 90,
                        &j->lat) != 0) {
            free(j);
            return cr_reply_error(s, c, rq, 400,
                                  "lon and lat must be WGS84 degrees (-180..180, -90..90)");
        }
    } else if (strcmp(path, "/api/legend") == 0) {
        j->kind = CR_JOB_LEGEND;
    } else { /* /live/<layer>/z/x/y.mvt */
        j->kind = CR_JOB_LIVE;
        const char *p = path + 6;
        const char *slash = strchr(p, '/');
        if (!slash || (size_t)(slash - p) >= sizeof j->layer) {
            free(j);
            return cr_reply_error(s, c, rq, 404,
                                  "unknown live layer (known: cells, communes, "
                                  "departements, regions)");
        }
        memcpy(j->layer, p, (size_t)(slash - p));
        j->layer[slash - p] = '\0';
        if (!cr_live_layer_known(j->layer)) {
            char layer[sizeof j->layer];
            memcpy(layer, j->layer, sizeof layer);
            free(j);
            return cr_reply_error(s, c, rq, 404,
                                  "unknown live layer '%.31s' (known: cells, communes, "
                                  "departements, regions)",
                                  layer);
        }
        char ext[16];
        int pr = cr_http_parse_tile(slash + 1, &j->z, &j->x, &j->y, ext, sizeof ext);
        if (pr != 0 || (strcmp(ext, "mvt") != 0 && strcmp(ext, "pbf") != 0)) {
            free(j);
            return cr_reply_error(s, c, rq, pr == -2 ? 404 : 400,
                                  pr == -2 ? "tile outside the tile grid (0 <= x, y < 2^z, z <= 24)"
                                           : "bad tile path (want z/x/y.mvt)");
        }
        if (strcmp(j->layer, "communes") == 0 && j->z < MVT_MIN_ZOOM_COMMUNES) {
            free(j);
            return cr_reply_error(s, c, rq, 404,
                                  "the communes layer starts at zoom %d (use departements below)",
                                  MVT_MIN_ZOOM_COMMUNES);
        }
    }
    if (!s->o.dsn[0]) {
        free(j);
        return cr_reply_error(s, c, rq, 503,
                              "no datamart configured ([datamart] dsn, CLIMRISK_DSN or --dsn)");
    }
    rq->job = j;
    if (cr_dbpool_submit(s, j) != 0) {
        rq->job = NULL;
        free(j);
        struct cr_reply r = {.status = 503,
                             .content_type = "application/json; charset=utf-8",
                             .body = "{\"error\":\"busy: too many queued datamart queries\","
                                     "\"status\":503}\n",
                             .cache_control = "no-store"};
        r.len = strlen(r.body);
        return cr_reply_buffer(s, c, rq, &r);
    }
    return MHD_YES;
}
