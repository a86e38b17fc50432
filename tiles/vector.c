/* vector.c — cell and admin layers, per-zoom generalisation, size limit. */
#include "vector.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "mvt.h"
#include "rings.h"
#include "tilegeom.h"

const char *const cr_vec_layer_names[CR_VEC_NLAYERS] = {"cells", "departements", "communes"};

void cr_vec_default_opts(struct cr_vec_opts *o, int maxzoom)
{
    memset(o, 0, sizeof *o);
    o->minzoom = 0;
    o->maxzoom = maxzoom > CR_VEC_MAXZOOM ? CR_VEC_MAXZOOM : maxzoom;
    o->extent = 4096;
    o->buffer = 64;
    o->max_tile_bytes = 500000;
    o->commune_minzoom = 9;
    o->admin_tolerance = 1.0;
    for (int z = 0; z <= CR_VEC_MAXZOOM; z++)
        o->k_by_zoom[z] = z <= 3 ? 8 : z == 4 ? 4 : z <= 6 ? 2 : 1;
}

/* ------------------------------------------------------------ cell sets */

struct feat {
    uint64_t id;
    uint32_t k, ncells;
    int32_t cell_id; /* -1 for merged cells */
    double ring[8];
    double bbox[4];
};

struct cellset {
    int k;
    size_t n;
    struct feat *f;
    float *vals; /* [nprops * n] */
};

static void cellset_free(struct cellset *s)
{
    free(s->f);
    free(s->vals);
    memset(s, 0, sizeof *s);
}

static int cellset_build(const struct cr_vec_input *in, int k, struct cellset *s)
{
    memset(s, 0, sizeof *s);
    s->k = k;
    int nbx = (CR_SAFRAN_NX + k - 1) / k, nby = (CR_SAFRAN_NY + k - 1) / k;
    int *map = malloc((size_t)nbx * nby * sizeof *map);
    s->f = malloc(CR_SAFRAN_NLAND * sizeof *s->f);
    double *sum = calloc(in->nprops * CR_SAFRAN_NLAND, sizeof *sum);
    uint32_t *cnt = calloc(in->nprops * CR_SAFRAN_NLAND, sizeof *cnt);
    int rc = 0;
    if (!map || !s->f || !sum || !cnt) {
        rc = -1;
        goto done;
    }
    for (int b = 0; b < nbx * nby; b++)
        map[b] = -1;
    for (size_t p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cr_safran_point *pt = &cr_safran_grid_points[p];
        int bi = pt->i / k, bj = pt->j / k, b = bj * nbx + bi;
        if (map[b] < 0) {
            map[b] = (int)s->n;
            struct feat *f = &s->f[s->n++];
            int ci0 = bi * k, cj0 = bj * k;
            int ci1 = ci0 + k > CR_SAFRAN_NX ? CR_SAFRAN_NX : ci0 + k;
            int cj1 = cj0 + k > CR_SAFRAN_NY ? CR_SAFRAN_NY : cj0 + k;
            const double *c[4] = {
                cr_lattice_pt(in->lat, ci0, cj0), cr_lattice_pt(in->lat, ci1, cj0),
                cr_lattice_pt(in->lat, ci1, cj1), cr_lattice_pt(in->lat, ci0, cj1)};
            f->bbox[0] = f->bbox[1] = INFINITY;
            f->bbox[2] = f->bbox[3] = -INFINITY;
            for (int q = 0; q < 4; q++) {
                f->ring[2 * q] = c[q][0];
                f->ring[2 * q + 1] = c[q][1];
                f->bbox[0] = fmin(f->bbox[0], c[q][0]);
                f->bbox[1] = fmin(f->bbox[1], c[q][1]);
                f->bbox[2] = fmax(f->bbox[2], c[q][0]);
                f->bbox[3] = fmax(f->bbox[3], c[q][1]);
            }
            f->k = (uint32_t)k;
            f->ncells = 0;
            f->cell_id = k == 1 ? pt->id : -1;
            f->id = k == 1 ? (uint64_t)pt->id : 1 + (uint64_t)b;
        }
        size_t fi = (size_t)map[b];
        s->f[fi].ncells++;
        for (size_t q = 0; q < in->nprops; q++) {
            float v = in->cells[q * CR_SAFRAN_NLAND + p];
            if (!isnan(v)) {
                sum[q * CR_SAFRAN_NLAND + fi] += v;
                cnt[q * CR_SAFRAN_NLAND + fi]++;
            }
        }
    }
    size_t nv = in->nprops * s->n;
    s->vals = malloc((nv ? nv : 1) * sizeof *s->vals);
    if (!s->vals) {
        rc = -1;
        goto done;
    }
    for (size_t q = 0; q < in->nprops; q++)
        for (size_t fi = 0; fi < s->n; fi++) {
            size_t a = q * CR_SAFRAN_NLAND + fi;
            s->vals[q * s->n + fi] = cnt[a] ? (float)(sum[a] / cnt[a]) : NAN;
        }
done:
    free(map);
    free(sum);
    free(cnt);
    if (rc)
        cellset_free(s);
    return rc;
}

/* ------------------------------------------------------------ encoding */

struct ztile {
    uint32_t x, y;
    size_t off, len; /* gzip bytes in zdata */
};

struct ctx {
    const struct cr_vec_input *in;
    const struct cr_vec_opts *o;
    struct cr_mvt_layer layer[CR_VEC_NLAYERS];
    const char **cell_keys, **admin_keys;
    struct cr_ring ring, tmp;
    struct cr_rings rs; /* rings of the admin feature being encoded */
    size_t repaired;    /* admin features made valid by GEOS */
    int32_t *iring;
    size_t iring_cap;
    struct cr_bytes raw;
    /* buckets of the zoom being encoded */
    uint32_t tx0, ty0, ntx, nty;
    uint32_t **bucket[2]; /* [cells | admin][tile] -> feature indices, [0] = count */
    /* tiles of the zoom */
    struct ztile *zt;
    size_t nzt, zt_cap;
    struct cr_bytes zdata;
};

static int iring_reserve(struct ctx *c, size_t n)
{
    if (n <= c->iring_cap)
        return 0;
    int32_t *p = realloc(c->iring, 2 * n * sizeof *p);
    if (!p)
        return -1;
    c->iring = p;
    c->iring_cap = n;
    return 0;
}

/* Ring (merc points) -> finished integer ring in c->iring; returns points. */
static size_t tile_ring(struct ctx *c, const double *merc, size_t n, const double b[4],
                        int exterior, double tol, int *oom)
{
    double lo = -(double)c->o->buffer, hi = (double)c->o->extent + c->o->buffer;
    if (cr_ring_to_tile(merc, n, b, c->o->extent, &c->ring) != 0 ||
        cr_ring_clip(&c->ring, lo, hi, &c->tmp) != 0 || iring_reserve(c, c->ring.n + 1) != 0) {
        *oom = 1;
        return 0;
    }
    if (c->ring.n < 3)
        return 0;
    return cr_ring_finish(&c->ring, exterior, tol, c->iring);
}

/* A list of feature indices: l[0] = count, capacity the smallest power of
 * two >= max(count, 4). */
static int push(uint32_t **list, uint32_t v)
{
    uint32_t *l = *list;
    uint32_t n = l ? l[0] : 0, cap = 4;
    while (cap < n)
        cap *= 2;
    if (!l || n == cap) {
        uint32_t ncap = l ? cap * 2 : 4;
        uint32_t *p = realloc(l, ((size_t)ncap + 1) * sizeof *p);
        if (!p)
            return -1;
        if (!l)
            p[0] = 0;
        *list = l = p;
    }
    l[++l[0]] = v;
    return 0;
}

static int bucketize(struct ctx *c, int z, int which, const double *bbox, uint32_t idx)
{
    double size = 2 * CR_MERC_HALF / (double)(1u << z);
    double m = size * c->o->buffer / c->o->extent;
    uint32_t x0, y0, x1, y1;
    cr_tile_range(z, bbox[0] - m, bbox[1] - m, bbox[2] + m, bbox[3] + m, &x0, &y0, &x1, &y1);
    for (uint32_t y = y0; y <= y1; y++)
        for (uint32_t x = x0; x <= x1; x++) {
            if (x < c->tx0 || y < c->ty0 || x >= c->tx0 + c->ntx || y >= c->ty0 + c->nty)
                continue;
            if (push(&c->bucket[which][(size_t)(y - c->ty0) * c->ntx + (x - c->tx0)], idx))
                return -1;
        }
    return 0;
}

static void free_buckets(struct ctx *c)
{
    for (int w = 0; w < 2; w++) {
        if (!c->bucket[w])
            continue;
        for (size_t t = 0; t < (size_t)c->ntx * c->nty; t++)
            free(c->bucket[w][t]);
        free(c->bucket[w]);
        c->bucket[w] = NULL;
    }
}

static void add_props(struct cr_mvt_layer *l, size_t first_key, const float *vals, size_t stride,
                      size_t idx, size_t nprops)
{
    for (size_t q = 0; q < nprops; q++) {
        float v = vals[q * stride + idx];
        if (!isnan(v))
            cr_mvt_tag_float(l, first_key + q, v);
    }
}

/* Encode tile x,y of zoom z; appends to c->zt when it has features.
 * *cells_bytes / *admin_bytes: size of each layer in the tile. */
static int encode_tile(struct ctx *c, int z, uint32_t x, uint32_t y, const struct cellset *cs,
                       int admin, size_t *raw_len, size_t *cells_bytes, struct cr_err *err)
{
    size_t t = (size_t)(y - c->ty0) * c->ntx + (x - c->tx0);
    uint32_t *cl = c->bucket[0][t], *al = c->bucket[1] ? c->bucket[1][t] : NULL;
    *raw_len = *cells_bytes = 0;
    if (!cl && !al)
        return CR_OK;
    double b[4];
    cr_tile_bounds(z, x, y, &b[0], &b[1], &b[2], &b[3]);
    int oom = 0;
    const struct cr_vec_input *in = c->in;
    cr_bytes_reset(&c->raw);
    struct cr_mvt_layer *L = &c->layer[CR_VEC_CELLS];
    cr_mvt_layer_reset(L);
    for (uint32_t k = 1; cl && k <= cl[0]; k++) {
        const struct feat *f = &cs->f[cl[k]];
        size_t n = tile_ring(c, f->ring, 4, b, 1, 0, &oom);
        if (!n)
            continue;
        cr_mvt_feature_begin(L, f->id, CR_MVT_POLYGON);
        cr_mvt_ring(L, c->iring, n);
        if (f->cell_id >= 0)
            cr_mvt_tag_uint(L, 0, (uint64_t)f->cell_id);
        cr_mvt_tag_uint(L, 1, f->k);
        cr_mvt_tag_uint(L, 2, f->ncells);
        add_props(L, 3, cs->vals, cs->n, cl[k], in->nprops);
        cr_mvt_feature_end(L);
    }
    if (cr_mvt_layer_write(L, &c->raw) != CR_OK)
        oom = 1;
    *cells_bytes = c->raw.len;
    if (al && admin != CR_VEC_CELLS) {
        const struct cr_admin_layer *A = admin == CR_VEC_COM ? in->com : in->dep;
        const float *vals = admin == CR_VEC_COM ? in->com_vals : in->dep_vals;
        L = &c->layer[admin];
        cr_mvt_layer_reset(L);
        for (uint32_t k = 1; k <= al[0]; k++) {
            const struct cr_admin_area *a = &A->areas[al[k]];
            int skip_holes = 0, fixed = 0;
            cr_rings_clear(&c->rs);
            for (size_t r = a->ring0; r < a->ring0 + a->nrings; r++) {
                const struct cr_admin_ring *R = &A->rings[r];
                if (!R->exterior && skip_holes)
                    continue;
                size_t n = tile_ring(c, A->pts + 2 * R->off, R->n, b, R->exterior,
                                     c->o->admin_tolerance, &oom);
                if (R->exterior)
                    skip_holes = n == 0;
                if (n && cr_rings_add(&c->rs, c->iring, n, R->exterior))
                    oom = 1;
            }
            if (cr_rings_make_valid(&c->rs, &fixed))
                oom = 1;
            c->repaired += (size_t)fixed;
            if (c->rs.nr == 0)
                continue;
            cr_mvt_feature_begin(L, 1 + (uint64_t)al[k], CR_MVT_POLYGON);
            for (size_t r = 0; r < c->rs.nr; r++)
                cr_mvt_ring(L, c->rs.xy + 2 * c->rs.r[r].off, c->rs.r[r].n);
            cr_mvt_tag_string(L, 0, a->code);
            cr_mvt_tag_string(L, 1, a->name);
            if (vals)
                add_props(L, 2, vals, A->n, al[k], in->nprops);
            cr_mvt_feature_end(L);
        }
        if (cr_mvt_layer_write(L, &c->raw) != CR_OK)
            oom = 1;
    }
    if (oom || cr_bytes_failed(&c->raw))
        return cr_err_set(err, CR_EINTERNAL, "out of memory encoding tile %d/%u/%u", z, x, y);
    *raw_len = c->raw.len;
    if (c->raw.len == 0)
        return CR_OK;
    if (c->nzt == c->zt_cap) {
        size_t cap = c->zt_cap ? 2 * c->zt_cap : 256;
        struct ztile *p = realloc(c->zt, cap * sizeof *p);
        if (!p)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        c->zt = p;
        c->zt_cap = cap;
    }
    struct ztile *zt = &c->zt[c->nzt++];
    zt->x = x;
    zt->y = y;
    zt->off = c->zdata.len;
    int rc = cr_bytes_gzip(c->raw.p, c->raw.len, 6, &c->zdata, err);
    zt->len = c->zdata.len - zt->off;
    return rc;
}

/* Encode a whole zoom level into c->zt; report the largest tile. */
static int encode_zoom(struct ctx *c, int z, const struct cellset *cs, int admin, size_t *largest,
                       size_t *largest_cells, uint32_t *lx, uint32_t *ly, struct cr_err *err)
{
    const struct cr_vec_input *in = c->in;
    c->nzt = 0;
    cr_bytes_reset(&c->zdata);
    *largest = *largest_cells = 0;
    double bb[4] = {in->lat->minx, in->lat->miny, in->lat->maxx, in->lat->maxy};
    const struct cr_admin_layer *A = admin == CR_VEC_COM   ? in->com
                                     : admin == CR_VEC_DEP ? in->dep
                                                           : NULL;
    for (size_t i = 0; A && i < A->n; i++) {
        bb[0] = fmin(bb[0], A->areas[i].bbox[0]);
        bb[1] = fmin(bb[1], A->areas[i].bbox[1]);
        bb[2] = fmax(bb[2], A->areas[i].bbox[2]);
        bb[3] = fmax(bb[3], A->areas[i].bbox[3]);
    }
    uint32_t x0, y0, x1, y1;
    cr_tile_range(z, bb[0], bb[1], bb[2], bb[3], &x0, &y0, &x1, &y1);
    c->tx0 = x0;
    c->ty0 = y0;
    c->ntx = x1 - x0 + 1;
    c->nty = y1 - y0 + 1;
    size_t nt = (size_t)c->ntx * c->nty;
    c->bucket[0] = calloc(nt, sizeof(uint32_t *));
    c->bucket[1] = A ? calloc(nt, sizeof(uint32_t *)) : NULL;
    int rc = CR_OK;
    if (!c->bucket[0] || (A && !c->bucket[1]))
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t i = 0; !rc && i < cs->n; i++)
        if (bucketize(c, z, 0, cs->f[i].bbox, (uint32_t)i))
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t i = 0; !rc && A && i < A->n; i++)
        if (bucketize(c, z, 1, A->areas[i].bbox, (uint32_t)i))
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (uint32_t y = y0; !rc && y <= y1; y++) {
        if (cr_stop_requested()) {
            rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
            break;
        }
        for (uint32_t x = x0; !rc && x <= x1; x++) {
            size_t raw, cells;
            rc = encode_tile(c, z, x, y, cs, A ? admin : CR_VEC_CELLS, &raw, &cells, err);
            if (!rc && raw > *largest) {
                *largest = raw;
                *largest_cells = cells;
                *lx = x;
                *ly = y;
            }
        }
    }
    free_buckets(c);
    return rc;
}

static int kindex(int k)
{
    int i = 0;
    while ((1 << i) < k)
        i++;
    return i;
}

int cr_vec_build(const struct cr_vec_input *in, const struct cr_vec_opts *o, struct cr_pmtw *pm,
                 struct cr_mbt *mb, struct cr_vec_report *rep, struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    for (int l = 0; l < CR_VEC_NLAYERS; l++)
        rep->layer_min[l] = rep->layer_max[l] = -1;
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.o = o;
    struct cellset sets[5];
    memset(sets, 0, sizeof sets);
    int rc = CR_OK;
    c.cell_keys = malloc((3 + in->nprops) * sizeof *c.cell_keys);
    c.admin_keys = malloc((2 + in->nprops) * sizeof *c.admin_keys);
    if (!c.cell_keys || !c.admin_keys) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    c.cell_keys[0] = "cell_id";
    c.cell_keys[1] = "k";
    c.cell_keys[2] = "ncells";
    c.admin_keys[0] = "code";
    c.admin_keys[1] = "name";
    for (size_t q = 0; q < in->nprops; q++)
        c.cell_keys[3 + q] = c.admin_keys[2 + q] = in->props[q];
    for (int l = 0; l < CR_VEC_NLAYERS; l++) {
        const char *const *keys = l == CR_VEC_CELLS ? c.cell_keys : c.admin_keys;
        size_t nk = l == CR_VEC_CELLS ? 3 + in->nprops : 2 + in->nprops;
        if (cr_mvt_layer_init(&c.layer[l], cr_vec_layer_names[l], o->extent, keys, nk) != CR_OK) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            goto done;
        }
    }
    for (int z = o->minzoom; z <= o->maxzoom && !rc; z++) {
        int k = o->k_by_zoom[z];
        int admin = in->com && z >= o->commune_minzoom ? CR_VEC_COM
                    : in->dep                          ? CR_VEC_DEP
                                                       : CR_VEC_CELLS;
        for (;;) {
            struct cellset *cs = &sets[kindex(k)];
            if (!cs->f && cellset_build(in, k, cs) != 0) {
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
                break;
            }
            size_t largest, largest_cells;
            uint32_t lx = 0, ly = 0;
            if ((rc = encode_zoom(&c, z, cs, admin, &largest, &largest_cells, &lx, &ly, err)))
                break;
            if (largest <= o->max_tile_bytes) {
                if (largest > rep->largest) {
                    rep->largest = largest;
                    snprintf(rep->largest_at, sizeof rep->largest_at, "%d/%u/%u", z, lx, ly);
                }
                break;
            }
            rep->adjustments++;
            size_t admin_bytes = largest - largest_cells;
            if (admin == CR_VEC_COM && (admin_bytes > largest_cells || k >= 16)) {
                cr_warn("tiles: z%d tile %u/%u is %zu bytes (> %zu): départements instead of "
                        "communes at this zoom",
                        z, lx, ly, largest, o->max_tile_bytes);
                admin = in->dep ? CR_VEC_DEP : CR_VEC_CELLS;
            } else if (k < 16) {
                cr_warn("tiles: z%d tile %u/%u is %zu bytes (> %zu): cells merged %dx%d instead "
                        "of %dx%d",
                        z, lx, ly, largest, o->max_tile_bytes, 2 * k, 2 * k, k, k);
                k *= 2;
            } else if (admin == CR_VEC_DEP) {
                cr_warn("tiles: z%d tile %u/%u is %zu bytes (> %zu): no département layer at "
                        "this zoom",
                        z, lx, ly, largest, o->max_tile_bytes);
                admin = CR_VEC_CELLS;
            } else {
                rc = cr_err_set(err, CR_EINTERNAL,
                                "tile %d/%u/%u is %zu bytes even with cells merged 16x16 and no "
                                "admin layer (limit %zu): raise --max-tile-bytes",
                                z, lx, ly, largest, o->max_tile_bytes);
                break;
            }
        }
        if (rc)
            break;
        rep->k[z] = k;
        rep->repaired += c.repaired;
        c.repaired = 0;
        rep->tiles[z] = c.nzt;
        rep->tiles_total += c.nzt;
        rep->stored_bytes += c.zdata.len;
        if (c.nzt) {
            int used[] = {CR_VEC_CELLS, admin};
            for (int u = 0; u < (admin == CR_VEC_CELLS ? 1 : 2); u++) {
                int l = used[u];
                if (rep->layer_min[l] < 0)
                    rep->layer_min[l] = z;
                rep->layer_max[l] = z;
            }
        }
        for (size_t t = 0; t < c.nzt && !rc; t++) {
            const struct ztile *zt = &c.zt[t];
            if (pm)
                rc = cr_pmtw_add(pm, z, zt->x, zt->y, c.zdata.p + zt->off, zt->len, err);
            if (!rc && mb)
                rc = cr_mbt_add(mb, z, zt->x, zt->y, c.zdata.p + zt->off, zt->len, err);
        }
    }
done:
    for (int i = 0; i < 5; i++)
        cellset_free(&sets[i]);
    for (int l = 0; l < CR_VEC_NLAYERS; l++)
        cr_mvt_layer_free(&c.layer[l]);
    free(c.cell_keys);
    free(c.admin_keys);
    cr_ring_free(&c.ring);
    cr_ring_free(&c.tmp);
    cr_rings_free(&c.rs);
    free(c.iring);
    cr_bytes_free(&c.raw);
    free(c.zt);
    cr_bytes_free(&c.zdata);
    return rc;
}
