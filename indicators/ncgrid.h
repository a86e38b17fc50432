/* ncgrid.h — carry an input's grid (coordinate variables, 2-D lat/lon,
 * grid mapping) into a climrisk output file, and describe it for GDAL.
 *
 * Annual and statistics files keep the input's spatial dimensions and
 * copy the variables that locate its cells, so QGIS, GDAL and ncview place
 * them without knowing climrisk; the COG writer needs the same grid as an
 * affine transform and a WKT CRS. */
#ifndef CR_NCGRID_H
#define CR_NCGRID_H

#include <netcdf.h>
#include <stddef.h>

#include "../core/error.h"

struct cr_ncgrid_copy {
    int in_varid[16];
    int out_varid[16];
    int n;
    char coordinates[512];                 /* for the `coordinates` attribute, "" if none */
    char grid_mapping[NC_MAX_NAME + 1];    /* for `grid_mapping`, "" if none */
};

/* In define mode of `out`: define copies (with attributes) of the grid
 * variables of `in` for its variable `var` whose spatial dimensions are
 * dim_names[0..nsp-1] ("" entries skipped); out_dims are the matching
 * dimensions of `out`. what names the output in messages. */
int cr_ncgrid_define(int in, const char *var, const char dim_names[][64], int nsp, int out,
                     const int *out_dims, struct cr_ncgrid_copy *c, const char *what,
                     struct cr_err *err);

/* In data mode: copy the values of the variables defined above. */
int cr_ncgrid_copy_data(int in, int out, const struct cr_ncgrid_copy *c, const char *what,
                        struct cr_err *err);

/* A regular grid's GDAL geotransform (north-up) from 1-D coordinate
 * variables x(xdim) and y(ydim) of ncid, and the CRS as WKT (crs_wkt or
 * spatial_ref of the grid-mapping variable gm; "" when none). *flip is 1
 * when the file's rows go south to north (rows must be reversed for a
 * north-up raster). Returns 0, or -1 when the grid is not regular. */
int cr_ncgrid_geo(int ncid, const char *ydim, const char *xdim, const char *gm, double gt[6],
                  int *flip, char *wkt, size_t wkt_size);

#endif
