/* cfgrid.h — where the cells of a CF NetCDF variable are on Earth.
 *
 * Indicators need the latitude of each cell (day length, potential
 * evapotranspiration) and the datamart needs to place cells on a map, so the
 * reader turns whatever the file gives into one (lat, lon) per cell and a
 * named CRS: 2-D lat/lon variables (DRIAS, CORDEX), 1-D lat/lon coordinates
 * (regular grids, station sets), or x/y projection coordinates transformed
 * with PROJ from the grid_mapping (Lambert II étendu, Lambert-93, rotated
 * pole, any CF mapping PROJ can build). DRIAS's own
 * lambert_conformal_conic_1SP mapping (angles in grads on the Paris
 * meridian) is recognised as EPSG:27572. */
#ifndef CR_CFGRID_H
#define CR_CFGRID_H

#include <stddef.h>

#include "../core/error.h"

struct cr_grid {
    int nspatial; /* 2 for a grid, 1 for a station set, 0 for one point */
    size_t ny, nx, ncells;
    char dim_names[2][64]; /* file order; "" for a missing dimension */
    char crs_name[64];     /* grid_mapping_name, "latitude_longitude", or "" */
    char crs_label[128];   /* PROJ's name of the CRS, or a description */
    int epsg;              /* 0 when not identified */
    char latlon_source[64];
    double *lat, *lon; /* ncells each (NaN when unknown); lon in [-180, 180) */
};

/* Describe the grid of variable varid, whose spatial dimensions are
 * spatial_dims[0..nspatial-1] in file order. path is for messages. */
int cr_grid_read(int ncid, int varid, const int *spatial_dims, int nspatial, const char *path,
                 struct cr_grid *g, struct cr_err *err);

/* 0 when a and b are the same grid (shape, CRS, coordinates within
 * 1e-4 degree); otherwise -1 with the first difference in why. */
int cr_grid_compare(const struct cr_grid *a, const struct cr_grid *b, char *why, size_t size);

void cr_grid_free(struct cr_grid *g);

#endif
