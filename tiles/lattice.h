/* lattice.h — the corners of the SAFRAN cells in Web Mercator.
 *
 * A cell is the 8 km square around its centre in Lambert II étendu
 * (EPSG:27572). Its four corners are points of a (143+1) x (134+1) lattice
 * shared with the neighbouring cells; every lattice point is reprojected
 * once to EPSG:3857 (and to WGS84 for the bounds) with PROJ, so adjacent
 * cells share exact corners and no gap or overlap appears between them. */
#ifndef CR_LATTICE_H
#define CR_LATTICE_H

#include "../core/error.h"
#include "../ingest/grid.h"

#define CR_LAT_NX (CR_SAFRAN_NX + 1)
#define CR_LAT_NY (CR_SAFRAN_NY + 1)

struct cr_lattice {
    double *merc; /* [CR_LAT_NX * CR_LAT_NY][2]: corner (ci, cj) at cj * CR_LAT_NX + ci */
    double minx, miny, maxx, maxy;             /* EPSG:3857 box of the land cells */
    double lon_min, lat_min, lon_max, lat_max; /* the same in WGS84 degrees */
    double lon_c, lat_c;                       /* centre of that box */
};

int cr_lattice_build(struct cr_lattice *l, struct cr_err *err);
void cr_lattice_free(struct cr_lattice *l);

/* Corner (ci, cj) as x, y in EPSG:3857. */
static inline const double *cr_lattice_pt(const struct cr_lattice *l, int ci, int cj)
{
    return l->merc + 2 * ((size_t)cj * CR_LAT_NX + (size_t)ci);
}

#endif
