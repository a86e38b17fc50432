/* rings.c — feature rings and their repair with GEOS through OGR. */
#include "rings.h"

#include <math.h>
#include <cpl_error.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>

#include "tilegeom.h"

void cr_rings_clear(struct cr_rings *s)
{
    s->npts = 0;
    s->nr = 0;
}

void cr_rings_free(struct cr_rings *s)
{
    free(s->xy);
    free(s->r);
    memset(s, 0, sizeof *s);
}

int cr_rings_add(struct cr_rings *s, const int32_t *xy, size_t n, int exterior)
{
    if (s->npts + n > s->cap_pts) {
        size_t cap = s->cap_pts ? s->cap_pts : 256;
        while (cap < s->npts + n)
            cap *= 2;
        int32_t *p = realloc(s->xy, 2 * cap * sizeof *p);
        if (!p)
            return -1;
        s->xy = p;
        s->cap_pts = cap;
    }
    if (s->nr == s->cap_r) {
        size_t cap = s->cap_r ? 2 * s->cap_r : 16;
        struct cr_rings_ring *p = realloc(s->r, cap * sizeof *p);
        if (!p)
            return -1;
        s->r = p;
        s->cap_r = cap;
    }
    memcpy(s->xy + 2 * s->npts, xy, 2 * n * sizeof *xy);
    s->r[s->nr].off = s->npts;
    s->r[s->nr].n = (uint32_t)n;
    s->r[s->nr].exterior = exterior;
    s->nr++;
    s->npts += n;
    return 0;
}

static OGRGeometryH to_ogr(const struct cr_rings *s)
{
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon), poly = NULL;
    for (size_t i = 0; i < s->nr; i++) {
        const struct cr_rings_ring *r = &s->r[i];
        if (r->exterior || !poly) {
            if (poly)
                OGR_G_AddGeometryDirectly(mp, poly);
            poly = OGR_G_CreateGeometry(wkbPolygon);
        }
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
        OGR_G_SetPointCount(ring, (int)r->n + 1);
        for (uint32_t k = 0; k <= r->n; k++) {
            const int32_t *p = s->xy + 2 * (r->off + (k % r->n));
            OGR_G_SetPoint_2D(ring, (int)k, p[0], p[1]);
        }
        OGR_G_AddGeometryDirectly(poly, ring);
    }
    if (poly)
        OGR_G_AddGeometryDirectly(mp, poly);
    return mp;
}

/* Add the polygons of g (any collection) to out, snapped and oriented. */
static int collect(OGRGeometryH g, struct cr_rings *out, struct cr_ring *tmp, int32_t **buf,
                   size_t *cap)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            if (collect(OGR_G_GetGeometryRef(g, i), out, tmp, buf, cap))
                return -1;
        return 0;
    }
    if (t != wkbPolygon)
        return 0; /* lines and points left by collapsed parts */
    for (int r = 0; r < OGR_G_GetGeometryCount(g); r++) {
        OGRGeometryH ring = OGR_G_GetGeometryRef(g, r);
        int n = OGR_G_GetPointCount(ring);
        if (n < 4)
            continue;
        if (cr_ring_reserve(tmp, (size_t)n) != 0)
            return -1;
        for (int k = 0; k < n; k++) {
            tmp->xy[2 * k] = OGR_G_GetX(ring, k);
            tmp->xy[2 * k + 1] = OGR_G_GetY(ring, k);
        }
        tmp->n = (size_t)n;
        if ((size_t)n > *cap) {
            int32_t *p = realloc(*buf, 2 * (size_t)n * sizeof *p);
            if (!p)
                return -1;
            *buf = p;
            *cap = (size_t)n;
        }
        size_t m = cr_ring_finish(tmp, r == 0, 0, *buf);
        if (m == 0) {
            if (r == 0)
                break; /* no exterior: drop its holes */
            continue;
        }
        if (cr_rings_add(out, *buf, m, r == 0))
            return -1;
    }
    return 0;
}

int cr_rings_make_valid(struct cr_rings *s, int *repaired)
{
    *repaired = 0;
    if (s->nr == 0)
        return 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        OGRGeometryH g = to_ogr(s);
        CPLPushErrorHandler(CPLQuietErrorHandler);
        int valid = OGR_G_IsValid(g);
        OGRGeometryH fixed = valid ? NULL : OGR_G_MakeValid(g);
        CPLPopErrorHandler();
        OGR_G_DestroyGeometry(g);
        if (valid || !fixed) {
            OGR_G_DestroyGeometry(fixed);
            return 0;
        }
        struct cr_rings out;
        memset(&out, 0, sizeof out);
        struct cr_ring tmp;
        memset(&tmp, 0, sizeof tmp);
        int32_t *buf = NULL;
        size_t cap = 0;
        int rc = collect(fixed, &out, &tmp, &buf, &cap);
        OGR_G_DestroyGeometry(fixed);
        cr_ring_free(&tmp);
        free(buf);
        if (rc) {
            cr_rings_free(&out);
            return -1;
        }
        cr_rings_free(s);
        *s = out;
        *repaired = 1;
    }
    return 0;
}
