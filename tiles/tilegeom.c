/* tilegeom.c — tile bounds, ring clipping, quantisation and winding. */
#include "tilegeom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cr_tile_bounds(int z, uint32_t x, uint32_t y, double *minx, double *miny, double *maxx,
                    double *maxy)
{
    double size = 2 * CR_MERC_HALF / (double)(1u << z);
    *minx = -CR_MERC_HALF + x * size;
    *maxx = -CR_MERC_HALF + (x + 1) * size;
    *maxy = CR_MERC_HALF - y * size;
    *miny = CR_MERC_HALF - (y + 1) * size;
}

static uint32_t clamp_index(double v, uint32_t n)
{
    if (v < 0)
        return 0;
    if (v >= n)
        return n - 1;
    return (uint32_t)v;
}

void cr_tile_range(int z, double minx, double miny, double maxx, double maxy, uint32_t *x0,
                   uint32_t *y0, uint32_t *x1, uint32_t *y1)
{
    uint32_t n = 1u << z;
    double size = 2 * CR_MERC_HALF / n;
    *x0 = clamp_index(floor((minx + CR_MERC_HALF) / size), n);
    *x1 = clamp_index(floor((maxx + CR_MERC_HALF) / size), n);
    *y0 = clamp_index(floor((CR_MERC_HALF - maxy) / size), n);
    *y1 = clamp_index(floor((CR_MERC_HALF - miny) / size), n);
}

void cr_ring_free(struct cr_ring *r)
{
    free(r->xy);
    memset(r, 0, sizeof *r);
}

int cr_ring_reserve(struct cr_ring *r, size_t n)
{
    if (n <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 16;
    while (cap < n)
        cap *= 2;
    double *p = realloc(r->xy, cap * 2 * sizeof *p);
    if (!p)
        return -1;
    r->xy = p;
    r->cap = cap;
    return 0;
}

int cr_ring_to_tile(const double *merc, size_t n, const double b[4], double extent,
                    struct cr_ring *out)
{
    if (cr_ring_reserve(out, n) != 0)
        return -1;
    double sx = extent / (b[2] - b[0]), sy = extent / (b[3] - b[1]);
    for (size_t i = 0; i < n; i++) {
        out->xy[2 * i] = (merc[2 * i] - b[0]) * sx;
        out->xy[2 * i + 1] = (b[3] - merc[2 * i + 1]) * sy;
    }
    out->n = n;
    return 0;
}

/* One Sutherland–Hodgman stage: keep the side where sign * (coord - edge)
 * >= 0 of axis (0 = x, 1 = y). */
static int clip_stage(const struct cr_ring *in, struct cr_ring *out, int axis, double edge,
                      double sign)
{
    out->n = 0;
    if (in->n == 0)
        return 0;
    if (cr_ring_reserve(out, in->n * 2) != 0)
        return -1;
    const double *p = in->xy;
    size_t n = in->n;
    const double *prev = p + 2 * (n - 1);
    int prev_in = sign * (prev[axis] - edge) >= 0;
    for (size_t i = 0; i < n; i++) {
        const double *cur = p + 2 * i;
        int cur_in = sign * (cur[axis] - edge) >= 0;
        if (cur_in != prev_in) {
            double t = (edge - prev[axis]) / (cur[axis] - prev[axis]);
            double *o = out->xy + 2 * out->n++;
            o[axis] = edge;
            o[1 - axis] = prev[1 - axis] + t * (cur[1 - axis] - prev[1 - axis]);
        }
        if (cur_in) {
            double *o = out->xy + 2 * out->n++;
            o[0] = cur[0];
            o[1] = cur[1];
        }
        prev = cur;
        prev_in = cur_in;
    }
    return 0;
}

int cr_ring_clip(struct cr_ring *r, double lo, double hi, struct cr_ring *tmp)
{
    /* fast path: inside already */
    int inside = 1;
    for (size_t i = 0; i < r->n && inside; i++) {
        double x = r->xy[2 * i], y = r->xy[2 * i + 1];
        inside = x >= lo && x <= hi && y >= lo && y <= hi;
    }
    if (inside)
        return 0;
    if (clip_stage(r, tmp, 0, lo, 1) || clip_stage(tmp, r, 0, hi, -1) ||
        clip_stage(r, tmp, 1, lo, 1) || clip_stage(tmp, r, 1, hi, -1))
        return -1;
    return 0;
}

int64_t cr_ring_area2(const int32_t *xy, size_t n)
{
    int64_t a = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1 == n ? 0 : i + 1;
        a += (int64_t)xy[2 * i] * xy[2 * j + 1] - (int64_t)xy[2 * j] * xy[2 * i + 1];
    }
    return a;
}

/* Douglas–Peucker on the open polyline pts[a..b] (integer points), marking
 * kept points. Iterative with an explicit stack to bound recursion. */
static void dp_mark(const int32_t *pts, size_t a, size_t b, double tol2, unsigned char *keep,
                    size_t *stack)
{
    size_t sp = 0;
    stack[sp++] = a;
    stack[sp++] = b;
    while (sp) {
        size_t e = stack[--sp], s = stack[--sp];
        if (e <= s + 1)
            continue;
        double x0 = pts[2 * s], y0 = pts[2 * s + 1];
        double dx = pts[2 * e] - x0, dy = pts[2 * e + 1] - y0;
        double len2 = dx * dx + dy * dy;
        double best = -1;
        size_t bi = s;
        for (size_t i = s + 1; i < e; i++) {
            double px = pts[2 * i] - x0, py = pts[2 * i + 1] - y0, d2;
            if (len2 == 0) {
                d2 = px * px + py * py;
            } else {
                double c = px * dy - py * dx;
                d2 = c * c / len2;
            }
            if (d2 > best) {
                best = d2;
                bi = i;
            }
        }
        if (best > tol2) {
            keep[bi] = 1;
            stack[sp++] = s;
            stack[sp++] = bi;
            stack[sp++] = bi;
            stack[sp++] = e;
        }
    }
}

size_t cr_ring_finish(const struct cr_ring *r, int exterior, double tol, int32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        int32_t x = (int32_t)lround(r->xy[2 * i]), y = (int32_t)lround(r->xy[2 * i + 1]);
        if (n > 0 && out[2 * (n - 1)] == x && out[2 * (n - 1) + 1] == y)
            continue;
        out[2 * n] = x;
        out[2 * n + 1] = y;
        n++;
    }
    while (n > 1 && out[0] == out[2 * (n - 1)] && out[1] == out[2 * (n - 1) + 1])
        n--;
    if (n < 3)
        return 0;
    if (tol > 0 && n > 4) {
        /* simplify the closed ring as the polyline p0..p(n-1),p0 */
        unsigned char *keep = calloc(n + 1, 1);
        size_t *stack = malloc(4 * (n + 1) * sizeof *stack);
        int32_t *pts = malloc(2 * (n + 1) * sizeof *pts);
        if (keep && stack && pts) {
            memcpy(pts, out, 2 * n * sizeof *pts);
            pts[2 * n] = out[0];
            pts[2 * n + 1] = out[1];
            keep[0] = keep[n] = 1;
            /* split at the point farthest from p0 so a square stays a square */
            size_t far = 0;
            double fd = -1;
            for (size_t i = 1; i < n; i++) {
                double dx = out[2 * i] - out[0], dy = out[2 * i + 1] - out[1];
                if (dx * dx + dy * dy > fd) {
                    fd = dx * dx + dy * dy;
                    far = i;
                }
            }
            keep[far] = 1;
            dp_mark(pts, 0, far, tol * tol, keep, stack);
            dp_mark(pts, far, n, tol * tol, keep, stack);
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (keep[i]) {
                    out[2 * m] = pts[2 * i];
                    out[2 * m + 1] = pts[2 * i + 1];
                    m++;
                }
            n = m;
        }
        free(keep);
        free(stack);
        free(pts);
        if (n < 3)
            return 0;
    }
    /* drop collinear points (including spikes), repeating until stable */
    for (int changed = 1; changed && n >= 3;) {
        changed = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const int32_t *a = m ? out + 2 * (m - 1) : out + 2 * (n - 1);
            const int32_t *b = out + 2 * i;
            const int32_t *c = out + 2 * ((i + 1) % n);
            int64_t cross =
                (int64_t)(b[0] - a[0]) * (c[1] - b[1]) - (int64_t)(b[1] - a[1]) * (c[0] - b[0]);
            if (cross == 0 || (b[0] == a[0] && b[1] == a[1])) {
                changed = 1;
                continue;
            }
            out[2 * m] = b[0];
            out[2 * m + 1] = b[1];
            m++;
        }
        n = m;
    }
    if (n < 3)
        return 0;
    int64_t a2 = cr_ring_area2(out, n);
    if (a2 == 0)
        return 0;
    if ((a2 > 0) != (exterior != 0)) {
        for (size_t i = 0, j = n - 1; i < j; i++, j--) {
            int32_t tx = out[2 * i], ty = out[2 * i + 1];
            out[2 * i] = out[2 * j];
            out[2 * i + 1] = out[2 * j + 1];
            out[2 * j] = tx;
            out[2 * j + 1] = ty;
        }
    }
    return n;
}
