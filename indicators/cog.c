/* cog.c — Cloud-Optimized GeoTIFFs through GDAL; see cog.h. */
#include "cog.h"

#include <gdal.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../core/fsutil.h"

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

static void gdal_init(void)
{
    GDALAllRegister();
}

int cr_cog_write(const char *path, const float *values, const struct cr_cog_grid *g,
                 const char *description, const char *units, struct cr_err *err)
{
    pthread_once(&gdal_once, gdal_init);
    GDALDriverH mem = GDALGetDriverByName("MEM"), cog = GDALGetDriverByName("COG");
    if (!mem || !cog)
        return cr_err_set(err, CR_EEXTERNAL,
                          "GDAL has no %s driver (GDAL >= 3.1 is needed for COG output)",
                          mem ? "COG" : "MEM");
    char tmp[CR_PATH_MAX];
    int rc = cr_part_path(path, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    GDALDatasetH ds = GDALCreate(mem, "", (int)g->nx, (int)g->ny, 1, GDT_Float32, NULL);
    if (!ds)
        return cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot create an in-memory raster: %s",
                          CPLGetLastErrorMsg());
    double gt[6];
    memcpy(gt, g->gt, sizeof gt);
    GDALSetGeoTransform(ds, gt);
    if (g->wkt && g->wkt[0])
        GDALSetProjection(ds, g->wkt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, NAN);
    if (description)
        GDALSetDescription(band, description);
    if (units)
        GDALSetRasterUnitType(band, units);
    CPLErr e = CE_None;
    for (size_t r = 0; r < g->ny && e == CE_None; r++) {
        size_t src = g->flip ? g->ny - 1 - r : r;
        e = GDALRasterIO(band, GF_Write, 0, (int)r, (int)g->nx, 1, (void *)(values + src * g->nx),
                         (int)g->nx, 1, GDT_Float32, 0, 0);
    }
    if (e != CE_None) {
        GDALClose(ds);
        return cr_err_set(err, CR_EEXTERNAL, "GDAL: writing %s: %s", path, CPLGetLastErrorMsg());
    }
    char **opts = NULL;
    opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
    opts = CSLSetNameValue(opts, "PREDICTOR", "YES");
    opts = CSLSetNameValue(opts, "OVERVIEWS", "NONE");
    GDALDatasetH out = GDALCreateCopy(cog, tmp, ds, FALSE, opts, NULL, NULL);
    CSLDestroy(opts);
    GDALClose(ds);
    if (!out) {
        remove(tmp);
        return cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot write COG %s: %s", path,
                          CPLGetLastErrorMsg());
    }
    GDALClose(out);
    return cr_publish(tmp, path, err);
}
