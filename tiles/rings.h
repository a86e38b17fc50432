/* rings.h — the polygon rings of one feature in one tile (integer tile
 * coordinates), and making them valid.
 *
 * Quantising a polygon to the 4096 grid and simplifying it can make it
 * self-intersect or make parts overlap (~2 000 of the ~90 000 commune and
 * département features of a tileset, most at low zooms), which MVT 2.1
 * forbids. Validity is checked and
 * repaired with GEOS through GDAL/OGR (OGR_G_IsValid, OGR_G_MakeValid, the
 * same repair ST_AsMVTGeom applies), then the repaired rings are snapped
 * back to the grid. Only invalid features pay for the repair. */
#ifndef CR_RINGS_H
#define CR_RINGS_H

#include <stddef.h>
#include <stdint.h>

struct cr_rings_ring {
    size_t off; /* first point */
    uint32_t n;
    int exterior;
};

struct cr_rings {
    int32_t *xy; /* points x, y */
    size_t npts, cap_pts;
    struct cr_rings_ring *r;
    size_t nr, cap_r;
};

void cr_rings_clear(struct cr_rings *s);
void cr_rings_free(struct cr_rings *s);
/* Append a finished ring (oriented, not closed). -1 when out of memory. */
int cr_rings_add(struct cr_rings *s, const int32_t *xy, size_t n, int exterior);

/* Replace s by a valid equivalent when GEOS says it is invalid. *repaired
 * tells whether it changed. -1 when out of memory. Without GEOS, s is kept
 * as it is. */
int cr_rings_make_valid(struct cr_rings *s, int *repaired);

#endif
