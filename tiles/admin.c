/* admin.c — admin areas and their aggregates from the datamart. */
#include "admin.h"

#include <math.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/strutil.h"

static int pg_fail(PGconn *c, PGresult *r, const char *what, struct cr_err *err)
{
    const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    int rc = cr_err_set(err, CR_EEXTERNAL, "datamart: %s: %s", what, m && *m ? m : "failed");
    PQclear(r);
    return rc;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

struct builder {
    struct cr_admin_layer *l;
    size_t ring_cap, pt_cap;
};

static int add_ring(struct builder *b, OGRGeometryH ring, int exterior, double *bbox)
{
    int n = OGR_G_GetPointCount(ring);
    if (n < 4)
        return 0;
    struct cr_admin_layer *l = b->l;
    if (grow((void **)&l->pts, &b->pt_cap, 2 * (l->npts + (size_t)n), sizeof *l->pts) ||
        grow((void **)&l->rings, &b->ring_cap, l->nrings + 1, sizeof *l->rings))
        return -1;
    double *p = l->pts + 2 * l->npts;
    OGR_G_GetPoints(ring, p, 2 * sizeof(double), p + 1, 2 * sizeof(double), NULL, 0);
    size_t m = (size_t)n;
    if (p[0] == p[2 * (m - 1)] && p[1] == p[2 * (m - 1) + 1])
        m--; /* MVT rings are implicitly closed */
    for (size_t i = 0; i < m; i++) {
        bbox[0] = fmin(bbox[0], p[2 * i]);
        bbox[1] = fmin(bbox[1], p[2 * i + 1]);
        bbox[2] = fmax(bbox[2], p[2 * i]);
        bbox[3] = fmax(bbox[3], p[2 * i + 1]);
    }
    l->rings[l->nrings].off = l->npts;
    l->rings[l->nrings].n = (uint32_t)m;
    l->rings[l->nrings].exterior = exterior;
    l->nrings++;
    l->npts += m;
    return 0;
}

static int add_polygon(struct builder *b, OGRGeometryH poly, double *bbox)
{
    int nr = OGR_G_GetGeometryCount(poly);
    for (int r = 0; r < nr; r++)
        if (add_ring(b, OGR_G_GetGeometryRef(poly, r), r == 0, bbox) != 0)
            return -1;
    return 0;
}

static int by_code(const void *a, const void *b)
{
    return strcmp(((const struct cr_admin_area *)a)->code, ((const struct cr_admin_area *)b)->code);
}

int cr_admin_load(PGconn *conn, const char *schema, const char *level, struct cr_admin_layer *l,
                  struct cr_err *err)
{
    memset(l, 0, sizeof *l);
    cr_strlcpy(l->level, level, sizeof l->level);
    char *sch = PQescapeIdentifier(conn, schema, strlen(schema));
    if (!sch)
        return pg_fail(conn, NULL, "escaping the schema name", err);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT code, name, ST_AsBinary(geom_3857) FROM %s.admin_area WHERE level = $1", sch);
    PQfreemem(sch);
    const char *params[1] = {level};
    PGresult *r = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(conn, r, "reading admin_area", err);
    int rows = PQntuples(r);
    struct builder b = {l, 0, 0};
    l->areas = calloc(rows ? (size_t)rows : 1, sizeof *l->areas);
    if (!l->areas) {
        PQclear(r);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    int rc = CR_OK;
    for (int i = 0; i < rows && rc == CR_OK; i++) {
        struct cr_admin_area *a = &l->areas[l->n];
        cr_strlcpy(a->code, PQgetvalue(r, i, 0), sizeof a->code);
        a->name = strdup(PQgetvalue(r, i, 1));
        a->bbox[0] = a->bbox[1] = INFINITY;
        a->bbox[2] = a->bbox[3] = -INFINITY;
        a->ring0 = l->nrings;
        OGRGeometryH g = NULL;
        if (!a->name) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            break;
        }
        if (OGR_G_CreateFromWkb(PQgetvalue(r, i, 2), NULL, &g, PQgetlength(r, i, 2)) !=
            OGRERR_NONE) {
            cr_warn("tiles: %s %s: geometry not readable (skipped)", level, a->code);
            free(a->name);
            continue;
        }
        OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
        int bad = 0;
        if (t == wkbPolygon) {
            bad = add_polygon(&b, g, a->bbox);
        } else if (t == wkbMultiPolygon) {
            for (int p = 0; p < OGR_G_GetGeometryCount(g) && !bad; p++)
                bad = add_polygon(&b, OGR_G_GetGeometryRef(g, p), a->bbox);
        }
        OGR_G_DestroyGeometry(g);
        if (bad) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            free(a->name);
            break;
        }
        a->nrings = l->nrings - a->ring0;
        if (a->nrings == 0) {
            free(a->name);
            continue;
        }
        l->n++;
    }
    PQclear(r);
    if (rc) {
        cr_admin_free(l);
        return rc;
    }
    qsort(l->areas, l->n, sizeof *l->areas, by_code);
    return CR_OK;
}

void cr_admin_free(struct cr_admin_layer *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->areas[i].name);
    free(l->areas);
    free(l->rings);
    free(l->pts);
    memset(l, 0, sizeof *l);
}

struct name_ix {
    const char *name;
    size_t p;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct name_ix *)a)->name, ((const struct name_ix *)b)->name);
}

int cr_admin_values(PGconn *conn, const char *schema, const struct cr_admin_layer *l,
                    const char *scenario, const char *horizon, const char *statistic,
                    const char *const *names, size_t nnames, float *vals, size_t *nrows,
                    struct cr_err *err)
{
    *nrows = 0;
    for (size_t i = 0; i < nnames * l->n; i++)
        vals[i] = NAN;
    struct name_ix *ix = malloc((nnames ? nnames : 1) * sizeof *ix);
    if (!ix)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t p = 0; p < nnames; p++) {
        ix[p].name = names[p];
        ix[p].p = p;
    }
    qsort(ix, nnames, sizeof *ix, by_name);
    char *sch = PQescapeIdentifier(conn, schema, strlen(schema));
    if (!sch) {
        free(ix);
        return pg_fail(conn, NULL, "escaping the schema name", err);
    }
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT code, indicator || '_' || quantity, mean FROM %s.area_stat"
             " WHERE scenario = $1 AND horizon = $2 AND model = 'ensemble' AND statistic = $3"
             " AND level = $4 AND quantity IN ('mean', 'anom') AND indicator = ANY($5::text[])",
             sch);
    PQfreemem(sch);
    /* only the tileset's indicators: the view aggregates per row, so this
     * is what keeps the query short */
    char *codes = malloc(nnames * 64 + 3);
    if (!codes) {
        free(ix);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    size_t len = 0;
    codes[len++] = '{';
    for (size_t p = 0; p < nnames; p++) {
        const char *u = strrchr(names[p], '_');
        size_t n = u ? (size_t)(u - names[p]) : strlen(names[p]);
        if (n > 60)
            continue;
        if (len > 1)
            codes[len++] = ',';
        memcpy(codes + len, names[p], n);
        len += n;
    }
    codes[len++] = '}';
    codes[len] = '\0';
    const char *params[5] = {scenario, horizon, statistic, l->level, codes};
    PGresult *r = PQexecParams(conn, sql, 5, NULL, params, NULL, NULL, 0);
    free(codes);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        free(ix);
        return pg_fail(conn, r, "reading area_stat", err);
    }
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        struct cr_admin_area key;
        cr_strlcpy(key.code, PQgetvalue(r, i, 0), sizeof key.code);
        const struct cr_admin_area *a = bsearch(&key, l->areas, l->n, sizeof *a, by_code);
        struct name_ix nk = {PQgetvalue(r, i, 1), 0};
        const struct name_ix *np = bsearch(&nk, ix, nnames, sizeof *ix, by_name);
        if (!a || !np || PQgetisnull(r, i, 2))
            continue;
        double v;
        if (cr_parse_double(PQgetvalue(r, i, 2), &v) != 0)
            continue;
        vals[np->p * l->n + (size_t)(a - l->areas)] = (float)v;
        (*nrows)++;
    }
    PQclear(r);
    free(ix);
    return CR_OK;
}
