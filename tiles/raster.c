/* raster.c — GDAL-warped cell index per tile pixel, then palette PNGs. */
#include "raster.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <gdalwarper.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>

#include "../core/stop.h"
#include "png.h"
#include "tilegeom.h"

#define NPIX (CR_RASTER_TILE * CR_RASTER_TILE)

struct run {
    int16_t cell; /* -1 = outside the grid */
    uint16_t len_minus_1;
};

struct gtile {
    int z;
    uint32_t x, y;
    size_t run0, nruns;
};

struct cr_rast_grid {
    struct gtile *tiles;
    size_t ntiles, tiles_cap;
    struct run *runs;
    size_t nruns, runs_cap;
};

static int add_tile(struct cr_rast_grid *g, int z, uint32_t x, uint32_t y, const int16_t *px)
{
    int any = 0;
    for (size_t i = 0; i < NPIX && !any; i++)
        any = px[i] >= 0;
    if (!any)
        return 0;
    if (g->ntiles == g->tiles_cap) {
        size_t cap = g->tiles_cap ? 2 * g->tiles_cap : 256;
        struct gtile *p = realloc(g->tiles, cap * sizeof *p);
        if (!p)
            return -1;
        g->tiles = p;
        g->tiles_cap = cap;
    }
    struct gtile *t = &g->tiles[g->ntiles++];
    t->z = z;
    t->x = x;
    t->y = y;
    t->run0 = g->nruns;
    for (size_t i = 0; i < NPIX;) {
        size_t j = i + 1;
        while (j < NPIX && px[j] == px[i] && j - i < 65536)
            j++;
        if (g->nruns == g->runs_cap) {
            size_t cap = g->runs_cap ? 2 * g->runs_cap : 4096;
            struct run *p = realloc(g->runs, cap * sizeof *p);
            if (!p)
                return -1;
            g->runs = p;
            g->runs_cap = cap;
        }
        g->runs[g->nruns].cell = px[i];
        g->runs[g->nruns].len_minus_1 = (uint16_t)(j - i - 1);
        g->nruns++;
        i = j;
    }
    t->nruns = g->nruns - t->run0;
    return 0;
}

static char *wkt_of(int epsg)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    char *wkt = NULL;
    if (OSRImportFromEPSG(s, epsg) == OGRERR_NONE)
        OSRExportToWkt(s, &wkt);
    OSRDestroySpatialReference(s);
    return wkt;
}

int cr_rast_grid_build(struct cr_rast_grid **out, const struct cr_lattice *lat, int minzoom,
                       int maxzoom, struct cr_err *err)
{
    struct cr_rast_grid *g = calloc(1, sizeof *g);
    char *src_wkt = wkt_of(CR_SAFRAN_EPSG), *dst_wkt = wkt_of(3857);
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH src = NULL;
    int16_t *band = NULL;
    int rc = CR_OK;
    if (!g) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    if (!src_wkt || !dst_wkt || !mem) {
        rc = cr_err_set(err, CR_EEXTERNAL,
                        "GDAL: no MEM driver or no EPSG:27572/3857 definition (GDAL_DATA, "
                        "PROJ database)");
        goto done;
    }
    /* the SAFRAN grid: row 0 of the raster is the northern row j = 133 */
    src = GDALCreate(mem, "safran", CR_SAFRAN_NX, CR_SAFRAN_NY, 1, GDT_Int16, NULL);
    if (!src) {
        rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot create the source raster");
        goto done;
    }
    double gt[6] = {CR_SAFRAN_X0 - CR_SAFRAN_STEP / 2,
                    CR_SAFRAN_STEP,
                    0,
                    CR_SAFRAN_Y0 + CR_SAFRAN_STEP * (CR_SAFRAN_NY - 1) + CR_SAFRAN_STEP / 2,
                    0,
                    -CR_SAFRAN_STEP};
    GDALSetGeoTransform(src, gt);
    GDALSetProjection(src, src_wkt);
    int16_t *cells = malloc(CR_SAFRAN_NCELL * sizeof *cells);
    if (!cells) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int r = 0; r < CR_SAFRAN_NY; r++)
        for (int i = 0; i < CR_SAFRAN_NX; i++)
            cells[r * CR_SAFRAN_NX + i] = (int16_t)((CR_SAFRAN_NY - 1 - r) * CR_SAFRAN_NX + i);
    CPLErr e = GDALRasterIO(GDALGetRasterBand(src, 1), GF_Write, 0, 0, CR_SAFRAN_NX, CR_SAFRAN_NY,
                            cells, CR_SAFRAN_NX, CR_SAFRAN_NY, GDT_Int16, 0, 0);
    free(cells);
    if (e != CE_None) {
        rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot fill the source raster");
        goto done;
    }
    for (int z = minzoom; z <= maxzoom && !rc; z++) {
        uint32_t x0, y0, x1, y1;
        cr_tile_range(z, lat->minx, lat->miny, lat->maxx, lat->maxy, &x0, &y0, &x1, &y1);
        int ntx = (int)(x1 - x0 + 1), w = ntx * CR_RASTER_TILE;
        free(band);
        band = malloc((size_t)w * CR_RASTER_TILE * sizeof *band);
        int16_t *tile = malloc(NPIX * sizeof *tile);
        if (!band || !tile) {
            free(tile);
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            break;
        }
        for (uint32_t y = y0; y <= y1 && !rc; y++) {
            if (cr_stop_requested()) {
                rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
                break;
            }
            /* one row of tiles per warp */
            double minx, miny, maxx, maxy;
            cr_tile_bounds(z, x0, y, &minx, &miny, &maxx, &maxy);
            double res = (maxx - minx) / CR_RASTER_TILE;
            GDALDatasetH dst = GDALCreate(mem, "tiles", w, CR_RASTER_TILE, 1, GDT_Int16, NULL);
            if (!dst) {
                rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot create a %dx%d raster", w,
                                CR_RASTER_TILE);
                break;
            }
            double dgt[6] = {minx, res, 0, maxy, 0, -res};
            GDALSetGeoTransform(dst, dgt);
            GDALSetProjection(dst, dst_wkt);
            GDALRasterBandH db = GDALGetRasterBand(dst, 1);
            GDALSetRasterNoDataValue(db, -1);
            GDALFillRaster(db, -1, 0);
            e = GDALReprojectImage(src, src_wkt, dst, dst_wkt, GRA_NearestNeighbour, 0, 0.125, NULL,
                                   NULL, NULL);
            if (e == CE_None)
                e = GDALRasterIO(db, GF_Read, 0, 0, w, CR_RASTER_TILE, band, w, CR_RASTER_TILE,
                                 GDT_Int16, 0, 0);
            GDALClose(dst);
            if (e != CE_None) {
                rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: warping zoom %d row %u failed: %s", z, y,
                                CPLGetLastErrorMsg());
                break;
            }
            for (int t = 0; t < ntx && !rc; t++) {
                for (int r = 0; r < CR_RASTER_TILE; r++)
                    memcpy(tile + r * CR_RASTER_TILE,
                           band + (size_t)r * w + (size_t)t * CR_RASTER_TILE,
                           CR_RASTER_TILE * sizeof *tile);
                if (add_tile(g, z, x0 + (uint32_t)t, y, tile) != 0)
                    rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            }
        }
        free(tile);
    }
done:
    free(band);
    if (src)
        GDALClose(src);
    CPLFree(src_wkt);
    CPLFree(dst_wkt);
    if (rc) {
        cr_rast_grid_free(g);
        return rc;
    }
    *out = g;
    return CR_OK;
}

void cr_rast_grid_free(struct cr_rast_grid *g)
{
    if (!g)
        return;
    free(g->tiles);
    free(g->runs);
    free(g);
}

size_t cr_rast_grid_tiles(const struct cr_rast_grid *g)
{
    return g->ntiles;
}

int cr_rast_grid_cell(const struct cr_rast_grid *g, int z, uint32_t x, uint32_t y, int px, int py)
{
    for (size_t t = 0; t < g->ntiles; t++) {
        const struct gtile *gt = &g->tiles[t];
        if (gt->z != z || gt->x != x || gt->y != y)
            continue;
        size_t want = (size_t)py * CR_RASTER_TILE + (size_t)px, pos = 0;
        for (size_t r = gt->run0; r < gt->run0 + gt->nruns; r++) {
            pos += (size_t)g->runs[r].len_minus_1 + 1;
            if (want < pos)
                return g->runs[r].cell;
        }
    }
    return -1;
}

int cr_rast_render(const struct cr_rast_grid *g, const float *values, const struct cr_legend *lg,
                   struct cr_pmtw *pm, struct cr_mbt *mb, struct cr_rast_report *rep,
                   struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    /* palette index per cell: 0 = transparent, 1 + class */
    uint8_t *cls = malloc(CR_SAFRAN_NCELL);
    uint8_t *px = malloc(NPIX);
    struct cr_bytes png;
    cr_bytes_init(&png);
    int rc = CR_OK;
    if (!cls || !px) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int c = 0; c < CR_SAFRAN_NCELL; c++) {
        int k = cr_legend_class(lg, values[c]);
        cls[c] = (uint8_t)(k < 0 ? 0 : 1 + k);
    }
    struct cr_png_palette pal;
    memset(&pal, 0, sizeof pal);
    pal.n = 1 + lg->nclasses;
    pal.alpha[0] = 0;
    for (int k = 0; k < lg->nclasses; k++) {
        memcpy(pal.rgb[1 + k], lg->rgb[k], 3);
        pal.alpha[1 + k] = 255;
    }
    for (size_t t = 0; t < g->ntiles && !rc; t++) {
        if ((t & 63) == 0 && cr_stop_requested()) {
            rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
            break;
        }
        const struct gtile *gt = &g->tiles[t];
        size_t pos = 0;
        int any = 0;
        for (size_t r = gt->run0; r < gt->run0 + gt->nruns; r++) {
            const struct run *ru = &g->runs[r];
            uint8_t v = ru->cell < 0 ? 0 : cls[ru->cell];
            size_t len = (size_t)ru->len_minus_1 + 1;
            memset(px + pos, v, len);
            pos += len;
            any |= v;
        }
        if (!any) {
            rep->skipped++;
            continue;
        }
        cr_bytes_reset(&png);
        if ((rc = cr_png_encode_indexed(px, CR_RASTER_TILE, CR_RASTER_TILE, &pal, &png, err)))
            break;
        if (pm)
            rc = cr_pmtw_add(pm, gt->z, gt->x, gt->y, png.p, png.len, err);
        if (!rc && mb)
            rc = cr_mbt_add(mb, gt->z, gt->x, gt->y, png.p, png.len, err);
        rep->tiles++;
        rep->bytes += png.len;
    }
done:
    free(cls);
    free(px);
    cr_bytes_free(&png);
    return rc;
}
