/* cog.h — one map as a Cloud-Optimized GeoTIFF, through GDAL's COG driver.
 *
 * GIS users open the horizon and ensemble statistics in QGIS or ArcGIS
 * without a NetCDF plugin, and COGs can be served by HTTP range requests.
 * Float32, NaN as nodata, DEFLATE, written under a temporary name and
 * renamed into place. */
#ifndef CR_COG_H
#define CR_COG_H

#include <stddef.h>

#include "../core/error.h"

struct cr_cog_grid {
    size_t ny, nx;
    double gt[6];    /* GDAL geotransform, north-up */
    int flip;        /* source rows run south to north: reverse them */
    const char *wkt; /* CRS; "" = none */
};

/* Write values (ny * nx, the source's row order) to path. description and
 * units go into the band's metadata. */
int cr_cog_write(const char *path, const float *values, const struct cr_cog_grid *g,
                 const char *description, const char *units, struct cr_err *err);

#endif
