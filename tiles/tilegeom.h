/* tilegeom.h — Web Mercator tile arithmetic and polygon rings in tile
 * coordinates: clipping to the tile plus a buffer, quantising to the
 * extent grid, removing what quantising collapses, simplifying, and the
 * winding MVT 2.1 requires.
 *
 * Tile coordinates have their origin at the tile's top-left corner, x to
 * the right and y down, 0..extent inside the tile. In those coordinates an
 * exterior ring must have a positive shoelace area ("clockwise" on screen)
 * and a hole a negative one (vector-tile-spec 2.1, 4.3.4.4). Clipping is
 * Sutherland–Hodgman against the buffered square, ring by ring: concave
 * rings may keep zero-width edges along the buffer line, which lies outside
 * the visible tile (the same trade-off as ST_AsMVTGeom without Wagyu). */
#ifndef CR_TILEGEOM_H
#define CR_TILEGEOM_H

#include <stddef.h>
#include <stdint.h>

/* Half the Web Mercator square, metres (EPSG:3857 bounds ±this). */
#define CR_MERC_HALF 20037508.342789244

/* EPSG:3857 bounds of XYZ tile z/x/y (y = 0 at the north). */
void cr_tile_bounds(int z, uint32_t x, uint32_t y, double *minx, double *miny, double *maxx,
                    double *maxy);
/* Range of tiles at zoom z touching the box (clamped to the grid). */
void cr_tile_range(int z, double minx, double miny, double maxx, double maxy, uint32_t *x0,
                   uint32_t *y0, uint32_t *x1, uint32_t *y1);

/* A scratch ring buffer, reused across calls. */
struct cr_ring {
    double *xy; /* n points as x0,y0,x1,y1,... */
    size_t n, cap;
};
void cr_ring_free(struct cr_ring *r);
int cr_ring_reserve(struct cr_ring *r, size_t n);

/* Map EPSG:3857 points to tile coordinates of a tile with bounds b
 * (minx, miny, maxx, maxy) and the given extent: in (n points) -> out. */
int cr_ring_to_tile(const double *merc, size_t n, const double b[4], double extent,
                    struct cr_ring *out);

/* Clip ring r in place to [lo, hi] x [lo, hi] (tile coordinates, e.g.
 * lo = -buffer, hi = extent + buffer). tmp is scratch. An empty result
 * means the ring lies outside. */
int cr_ring_clip(struct cr_ring *r, double lo, double hi, struct cr_ring *tmp);

/* Round to integers, drop repeated points (and the closing duplicate),
 * drop collinear points, simplify (Douglas–Peucker with tolerance tol in
 * tile units; 0 = none) and orient: exterior rings get a positive area,
 * holes a negative one. Writes at most r->n points to out; returns the
 * number of points, 0 when the ring collapsed (fewer than 3 points or zero
 * area). */
size_t cr_ring_finish(const struct cr_ring *r, int exterior, double tol, int32_t *out);

/* Twice the signed shoelace area of an integer ring (n points). */
int64_t cr_ring_area2(const int32_t *xy, size_t n);

#endif
