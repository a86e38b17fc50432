/* grid.h — the DRIAS/SAFRAN 8 km grid over metropolitan France.
 *
 * DRIAS files are 143 x 134 arrays on Lambert II étendu (EPSG:27572) with
 * cell centres x = 60000 + 8000 i, y = 1617000 + 8000 j (metres, j = 0 is
 * the southern row); 8981 of the cells are land points with data. The land
 * points (with their Lambert-93 and WGS84 coordinates and altitude) come from
 * DRIAS's grilleSafran_utile_drias2021 file, compiled into the binary (see
 * ingest/data/SOURCES-safran_grid.md). */
#ifndef CR_GRID_H
#define CR_GRID_H

#include <stddef.h>

#include "../core/error.h"

#define CR_SAFRAN_NX    143
#define CR_SAFRAN_NY    134
#define CR_SAFRAN_NCELL (CR_SAFRAN_NX * CR_SAFRAN_NY)
#define CR_SAFRAN_NLAND 8981
#define CR_SAFRAN_X0    60000.0   /* x of column 0, metres */
#define CR_SAFRAN_Y0    1617000.0 /* y of row 0, metres */
#define CR_SAFRAN_STEP  8000.0
#define CR_SAFRAN_EPSG  27572

struct cr_safran_point {
    int id;       /* DRIAS Id_point = j * 143 + i */
    int i, j;     /* column and row on the 143 x 134 array */
    double x_l2e; /* cell centre, Lambert II étendu (EPSG:27572), m */
    double y_l2e;
    double x_l93; /* the same centre in Lambert-93 (EPSG:2154), m */
    double y_l93;
    double lon; /* WGS84 degrees */
    double lat;
    double altitude; /* m */
};

/* The 8981 land points in increasing id order (generated from the CSV). */
extern const struct cr_safran_point cr_safran_grid_points[CR_SAFRAN_NLAND];

/* Index into cr_safran_grid_points of cell (i, j), or -1 for a sea/outside
 * cell. */
int cr_safran_land_index(int i, int j);

/* A 143 x 134 row-major map (index j * 143 + i) of land point indices, -1
 * where there is no land point. Built on first use; the table is static
 * data, identical for every caller. */
const int *cr_safran_land_map(void);

/* The Lambert II étendu CRS as OGC WKT (from PROJ's EPSG database), for
 * `crs_wkt` attributes. Returns a malloc'ed string. */
int cr_safran_crs_wkt(char **wkt, struct cr_err *err);

/* Longitude/latitude (WGS84) of every cell centre of the 143 x 134 array,
 * row-major, computed with PROJ from EPSG:27572. lon and lat must hold
 * CR_SAFRAN_NCELL doubles. */
int cr_safran_lonlat(double *lon, double *lat, struct cr_err *err);

#endif
