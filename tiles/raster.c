/* raster.c — GDAL-warped cell index per tile pixel, then palette PNGs. */
#include "raster.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
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

/* Expand tile t's runs into 256 x 256 cell numbers. */
static void decode_tile(const struct cr_rast_grid *g, size_t t, int16_t *px)
{
    const struct gtile *gt = &g->tiles[t];
    size_t pos = 0;
    for (size_t r = gt->run0; r < gt->run0 + gt->nruns; r++) {
        size_t len = (size_t)g->runs[r].len_minus_1 + 1;
        for (size_t k = 0; k < len; k++)
            px[pos + k] = g->runs[r].cell;
        pos += len;
    }
}

/* Tiles of one zoom: index into g->tiles per tile of the zoom's range. */
struct zoom_index {
    uint32_t x0, y0, nx, ny;
    long *idx; /* -1 = no tile */
};

static long *zslot(struct zoom_index *zi, uint32_t x, uint32_t y)
{
    if (x < zi->x0 || y < zi->y0 || x >= zi->x0 + zi->nx || y >= zi->y0 + zi->ny)
        return NULL;
    return &zi->idx[(size_t)(y - zi->y0) * zi->nx + (x - zi->x0)];
}

static int zoom_index_init(struct zoom_index *zi, int z, const struct cr_lattice *lat)
{
    uint32_t x1, y1;
    cr_tile_range(z, lat->minx, lat->miny, lat->maxx, lat->maxy, &zi->x0, &zi->y0, &x1, &y1);
    zi->nx = x1 - zi->x0 + 1;
    zi->ny = y1 - zi->y0 + 1;
    zi->idx = malloc((size_t)zi->nx * zi->ny * sizeof *zi->idx);
    if (!zi->idx)
        return -1;
    for (size_t i = 0; i < (size_t)zi->nx * zi->ny; i++)
        zi->idx[i] = -1;
    return 0;
}

/* The deepest zoom: GDAL warps the cell-number raster, one run of tiles
 * touching land cells per warp. */
static int warp_base(struct cr_rast_grid *g, const struct cr_lattice *lat, int z,
                     struct zoom_index *zi, struct cr_err *err)
{
    int rc = CR_OK;
    char *src_wkt = wkt_of(CR_SAFRAN_EPSG), *dst_wkt = wkt_of(3857);
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH src = NULL, dst = NULL;
    void *gen = NULL, *approx = NULL;
    int16_t *band = NULL, *tile = malloc(NPIX * sizeof *tile), *cells = NULL;
    unsigned char *land = calloc((size_t)zi->nx * zi->ny, 1);
    if (!tile || !land) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    if (!src_wkt || !dst_wkt || !mem) {
        rc = cr_err_set(err, CR_EEXTERNAL,
                        "GDAL: no MEM driver or no EPSG:27572/3857 definition (GDAL_DATA, "
                        "PROJ database)");
        goto done;
    }
    /* tiles a land cell touches (its four corners' box, from the lattice) */
    for (size_t p = 0; p < CR_SAFRAN_NLAND; p++) {
        int i = cr_safran_grid_points[p].i, j = cr_safran_grid_points[p].j;
        double bx[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int c = 0; c < 4; c++) {
            const double *q = cr_lattice_pt(lat, i + c % 2, j + c / 2);
            bx[0] = fmin(bx[0], q[0]);
            bx[1] = fmin(bx[1], q[1]);
            bx[2] = fmax(bx[2], q[0]);
            bx[3] = fmax(bx[3], q[1]);
        }
        uint32_t x0, y0, x1, y1;
        cr_tile_range(z, bx[0], bx[1], bx[2], bx[3], &x0, &y0, &x1, &y1);
        for (uint32_t y = y0; y <= y1; y++)
            for (uint32_t x = x0; x <= x1; x++)
                if (zslot(zi, x, y))
                    land[(size_t)(y - zi->y0) * zi->nx + (x - zi->x0)] = 1;
    }
    /* the SAFRAN grid: row 0 of the raster is the northern row j = 133 */
    src = GDALCreate(mem, "safran", CR_SAFRAN_NX, CR_SAFRAN_NY, 1, GDT_Int16, NULL);
    cells = malloc(CR_SAFRAN_NCELL * sizeof *cells);
    if (!src || !cells) {
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
    for (int r = 0; r < CR_SAFRAN_NY; r++)
        for (int i = 0; i < CR_SAFRAN_NX; i++)
            cells[r * CR_SAFRAN_NX + i] = (int16_t)((CR_SAFRAN_NY - 1 - r) * CR_SAFRAN_NX + i);
    CPLErr e = GDALRasterIO(GDALGetRasterBand(src, 1), GF_Write, 0, 0, CR_SAFRAN_NX, CR_SAFRAN_NY,
                            cells, CR_SAFRAN_NX, CR_SAFRAN_NY, GDT_Int16, 0, 0);
    if (e != CE_None) {
        rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot fill the source raster");
        goto done;
    }
    band = malloc((size_t)zi->nx * NPIX * sizeof *band);
    if (!band) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    /* One transformer for every warp (what GDALReprojectImage would build
     * per call: a GenImgProj transformer under an approximating one, 0.125
     * pixel error); only its destination geotransform changes. */
    char **topt = CSLSetNameValue(NULL, "DST_SRS", dst_wkt);
    gen = GDALCreateGenImgProjTransformer2(src, NULL, topt);
    CSLDestroy(topt);
    approx = gen ? GDALCreateApproxTransformer(GDALGenImgProjTransform, gen, 0.125) : NULL;
    if (!approx) {
        rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: no EPSG:27572 -> EPSG:3857 transformer: %s",
                        CPLGetLastErrorMsg());
        goto done;
    }
    /* One destination raster as wide as the widest run of tiles, reused
     * by every warp (each writes and reads back its own left part):
     * creating one per run cost more in page faults than the warp. */
    dst =
        GDALCreate(mem, "tiles", (int)zi->nx * CR_RASTER_TILE, CR_RASTER_TILE, 1, GDT_Int16, NULL);
    if (!dst) {
        rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: cannot create a %dx%d raster",
                        (int)zi->nx * CR_RASTER_TILE, CR_RASTER_TILE);
        goto done;
    }
    GDALSetProjection(dst, dst_wkt);
    GDALRasterBandH db = GDALGetRasterBand(dst, 1);
    for (uint32_t y = zi->y0; y < zi->y0 + zi->ny && !rc; y++) {
        if (cr_stop_requested()) {
            rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
            break;
        }
        const unsigned char *row = land + (size_t)(y - zi->y0) * zi->nx;
        for (uint32_t a = 0; a < zi->nx && !rc;) {
            if (!row[a]) {
                a++;
                continue;
            }
            uint32_t b = a;
            while (b + 1 < zi->nx && row[b + 1])
                b++;
            /* tiles a..b of this row in one warp */
            int w = (int)(b - a + 1) * CR_RASTER_TILE;
            double minx, miny, maxx, maxy;
            cr_tile_bounds(z, zi->x0 + a, y, &minx, &miny, &maxx, &maxy);
            double res = (maxx - minx) / CR_RASTER_TILE;
            double dgt[6] = {minx, res, 0, maxy, 0, -res};
            GDALSetGeoTransform(dst, dgt);
            GDALSetGenImgProjTransformerDstGeoTransform(gen, dgt);
            GDALWarpOptions *wo = GDALCreateWarpOptions();
            wo->hSrcDS = src;
            wo->hDstDS = dst;
            wo->nBandCount = 1;
            wo->panSrcBands = CPLMalloc(sizeof(int));
            wo->panDstBands = CPLMalloc(sizeof(int));
            wo->panSrcBands[0] = wo->panDstBands[0] = 1;
            wo->eResampleAlg = GRA_NearestNeighbour;
            wo->eWorkingDataType = GDT_Int16;
            wo->pfnTransformer = GDALApproxTransform;
            wo->pTransformerArg = approx;
            wo->papszWarpOptions = CSLSetNameValue(NULL, "INIT_DEST", "-1");
            GDALWarpOperationH op = GDALCreateWarpOperation(wo);
            e = op ? GDALChunkAndWarpImage(op, 0, 0, w, CR_RASTER_TILE) : CE_Failure;
            if (op)
                GDALDestroyWarpOperation(op);
            GDALDestroyWarpOptions(wo);
            if (e == CE_None)
                e = GDALRasterIO(db, GF_Read, 0, 0, w, CR_RASTER_TILE, band, w, CR_RASTER_TILE,
                                 GDT_Int16, 0, 0);
            if (e != CE_None) {
                rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: warping zoom %d row %u failed: %s", z, y,
                                CPLGetLastErrorMsg());
                break;
            }
            for (uint32_t t = a; t <= b && !rc; t++) {
                for (int r = 0; r < CR_RASTER_TILE; r++)
                    memcpy(tile + r * CR_RASTER_TILE,
                           band + (size_t)r * w + (size_t)(t - a) * CR_RASTER_TILE,
                           CR_RASTER_TILE * sizeof *tile);
                size_t before = g->ntiles;
                if (add_tile(g, z, zi->x0 + t, y, tile) != 0)
                    rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
                else if (g->ntiles > before)
                    *zslot(zi, zi->x0 + t, y) = (long)before;
            }
            a = b + 1;
        }
    }
done:
    if (dst)
        GDALClose(dst);
    if (approx)
        GDALDestroyApproxTransformer(approx);
    if (gen)
        GDALDestroyGenImgProjTransformer(gen);
    free(band);
    free(tile);
    free(cells);
    free(land);
    if (src)
        GDALClose(src);
    CPLFree(src_wkt);
    CPLFree(dst_wkt);
    return rc;
}

/* Zoom z from zoom z + 1: nearest-neighbour 2:1 overviews (pixel p of the
 * parent is child pixel 2p + 1, GDAL's choice for a factor 2), as
 * gdal2tiles builds its overview tiles from the base tiles. */
static int overview(struct cr_rast_grid *g, int z, struct zoom_index *zi, struct zoom_index *child,
                    struct cr_err *err)
{
    int16_t *kid[4], *tile = malloc(NPIX * sizeof *tile);
    int rc = CR_OK;
    for (int k = 0; k < 4; k++)
        kid[k] = malloc(NPIX * sizeof **kid);
    if (!tile || !kid[0] || !kid[1] || !kid[2] || !kid[3])
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (uint32_t y = zi->y0; !rc && y < zi->y0 + zi->ny; y++)
        for (uint32_t x = zi->x0; !rc && x < zi->x0 + zi->nx; x++) {
            int any = 0;
            for (int k = 0; k < 4; k++) {
                long *s = zslot(child, 2 * x + (k & 1), 2 * y + (k >> 1));
                if (s && *s >= 0) {
                    decode_tile(g, (size_t)*s, kid[k]);
                    any = 1;
                } else {
                    for (size_t i = 0; i < NPIX; i++)
                        kid[k][i] = -1;
                }
            }
            if (!any)
                continue;
            for (int py = 0; py < CR_RASTER_TILE; py++) {
                int sy = 2 * py + 1, ky = sy >= CR_RASTER_TILE;
                const int16_t *rows[2] = {
                    kid[2 * ky] + (size_t)(sy % CR_RASTER_TILE) * CR_RASTER_TILE,
                    kid[2 * ky + 1] + (size_t)(sy % CR_RASTER_TILE) * CR_RASTER_TILE};
                int16_t *out = tile + (size_t)py * CR_RASTER_TILE;
                for (int px = 0; px < CR_RASTER_TILE; px++) {
                    int sx = 2 * px + 1;
                    out[px] = rows[sx >= CR_RASTER_TILE][sx % CR_RASTER_TILE];
                }
            }
            size_t before = g->ntiles;
            if (add_tile(g, z, x, y, tile) != 0)
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            else if (g->ntiles > before)
                *zslot(zi, x, y) = (long)before;
        }
    free(tile);
    for (int k = 0; k < 4; k++)
        free(kid[k]);
    return rc;
}

int cr_rast_grid_build(struct cr_rast_grid **out, const struct cr_lattice *lat, int minzoom,
                       int maxzoom, struct cr_err *err)
{
    struct cr_rast_grid *g = calloc(1, sizeof *g);
    struct zoom_index zi[CR_RASTER_MAXZOOM + 1];
    memset(zi, 0, sizeof zi);
    int rc = CR_OK;
    if (!g)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    if (maxzoom > CR_RASTER_MAXZOOM || minzoom < 0 || minzoom > maxzoom) {
        rc = cr_err_set(err, CR_EUSAGE, "raster zooms %d..%d: at most 0..%d", minzoom, maxzoom,
                        CR_RASTER_MAXZOOM);
        goto done;
    }
    for (int z = minzoom; z <= maxzoom; z++)
        if (zoom_index_init(&zi[z], z, lat) != 0) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            goto done;
        }
    rc = warp_base(g, lat, maxzoom, &zi[maxzoom], err);
    for (int z = maxzoom - 1; !rc && z >= minzoom; z--)
        rc = overview(g, z, &zi[z], &zi[z + 1], err);
done:
    for (int z = 0; z <= CR_RASTER_MAXZOOM; z++)
        free(zi[z].idx);
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
