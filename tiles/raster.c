/* raster.c — the cell each tile pixel shows (positions from GDAL's
 * transformer), then palette PNGs. */
#include "raster.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
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

/* The deepest zoom's pixels are mapped to cells in row runs of tiles
 * touching land. GDAL's GenImgProj transformer (PROJ underneath) gives the
 * source position of every STEP-th pixel corner; the positions in between
 * are interpolated bilinearly. GDAL's warp does the same along each pixel
 * row (its approximate transformer), but stops only at 0.125 source pixel
 * of error: 1 km, four pixels, at zoom 9 on this 8 km grid. Over 32-pixel
 * squares the bilinear error here is about 1e-4 source pixel (0.004 pixel
 * at zoom 9), and it needs one exact transform per 1024 pixels instead of
 * hundreds per row; tests/integration/tiles_raster.sh compares every pixel
 * of sample tiles with gdal.Warp and its exact transformer. The cell of a
 * position is then picked as GDAL's nearest-neighbour kernel does. */
#define STEP 32

struct sampler {
    void *gen;         /* GDAL GenImgProj transformer, dst pixel -> src pixel */
    double *x, *y, *z; /* lattice points of one run of tiles */
    int *ok;
    double *px, *py, *pz; /* one block's pixels, when a corner fails */
    int *pok;
};

/* The cell number (j * 143 + i) of source pixel (ix, iy): row 0 of the
 * source raster is the northern row j = 133. */
static inline int16_t cell_of(int ix, int iy)
{
    return (int16_t)((CR_SAFRAN_NY - 1 - iy) * CR_SAFRAN_NX + ix);
}

/* The cell source position (sx, sy) falls in, -1 outside the grid: the
 * source pixel the position is in, 1e-10 absorbing rounding at pixel
 * edges (GDAL's GWKCheckAndComputeSrcOffsets). */
static inline int16_t cell_at(double sx, double sy)
{
    if (!(sx >= 0 && sy >= 0))
        return -1;
    sx += 1.0e-10;
    sy += 1.0e-10;
    if (sx >= CR_SAFRAN_NX || sy >= CR_SAFRAN_NY)
        return -1;
    return cell_of((int)sx, (int)sy);
}

/* Cells of the w x 256 pixels of one run of tiles into band; the
 * transformer's destination geotransform is the run's. */
static void sample_run(struct sampler *S, int w, int16_t *band)
{
    int nx = w / STEP + 1, ny = CR_RASTER_TILE / STEP + 1;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            size_t k = (size_t)j * nx + i;
            S->x[k] = (double)i * STEP;
            S->y[k] = (double)j * STEP;
            S->z[k] = 0;
        }
    GDALGenImgProjTransform(S->gen, TRUE, nx * ny, S->x, S->y, S->z, S->ok);
    for (int bj = 0; bj + 1 < ny; bj++)
        for (int bi = 0; bi + 1 < nx; bi++) {
            size_t k00 = (size_t)bj * nx + bi, k10 = k00 + 1, k01 = k00 + nx, k11 = k01 + 1;
            int16_t *out = band + (size_t)bj * STEP * w + (size_t)bi * STEP;
            if (S->ok[k00] && S->ok[k10] && S->ok[k01] && S->ok[k11]) {
                /* Bilinear values stay within the corners' box: when that
                 * box is inside the grid, no pixel needs the edge tests. */
                double x0 = fmin(fmin(S->x[k00], S->x[k10]), fmin(S->x[k01], S->x[k11]));
                double x1 = fmax(fmax(S->x[k00], S->x[k10]), fmax(S->x[k01], S->x[k11]));
                double y0 = fmin(fmin(S->y[k00], S->y[k10]), fmin(S->y[k01], S->y[k11]));
                double y1 = fmax(fmax(S->y[k00], S->y[k10]), fmax(S->y[k01], S->y[k11]));
                int inside =
                    x0 >= 0 && y0 >= 0 && x1 + 1e-9 < CR_SAFRAN_NX && y1 + 1e-9 < CR_SAFRAN_NY;
                for (int r = 0; r < STEP; r++) {
                    double fy = (r + 0.5) / STEP;
                    double lx = S->x[k00] + fy * (S->x[k01] - S->x[k00]);
                    double ly = S->y[k00] + fy * (S->y[k01] - S->y[k00]);
                    double rx = S->x[k10] + fy * (S->x[k11] - S->x[k10]);
                    double ry = S->y[k10] + fy * (S->y[k11] - S->y[k10]);
                    int16_t *o = out + (size_t)r * w;
                    if (inside) {
                        for (int c = 0; c < STEP; c++) {
                            double fx = (c + 0.5) / STEP;
                            int ix = (int)(lx + fx * (rx - lx) + 1.0e-10);
                            int iy = (int)(ly + fx * (ry - ly) + 1.0e-10);
                            o[c] = cell_of(ix, iy);
                        }
                    } else {
                        for (int c = 0; c < STEP; c++) {
                            double fx = (c + 0.5) / STEP;
                            o[c] = cell_at(lx + fx * (rx - lx), ly + fx * (ry - ly));
                        }
                    }
                }
                continue;
            }
            /* a corner PROJ cannot transform (not on this grid's
             * extent): every pixel of the block exactly */
            for (int r = 0; r < STEP; r++) {
                for (int c = 0; c < STEP; c++) {
                    S->px[c] = bi * STEP + c + 0.5;
                    S->py[c] = bj * STEP + r + 0.5;
                    S->pz[c] = 0;
                }
                GDALGenImgProjTransform(S->gen, TRUE, STEP, S->px, S->py, S->pz, S->pok);
                for (int c = 0; c < STEP; c++)
                    out[(size_t)r * w + c] = S->pok[c] ? cell_at(S->px[c], S->py[c]) : (int16_t)-1;
            }
        }
}

static int warp_base(struct cr_rast_grid *g, const struct cr_lattice *lat, int z,
                     struct zoom_index *zi, struct cr_err *err)
{
    int rc = CR_OK;
    char *src_wkt = wkt_of(CR_SAFRAN_EPSG), *dst_wkt = wkt_of(3857);
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH src = NULL;
    struct sampler S = {0};
    size_t wmax = (size_t)zi->nx * CR_RASTER_TILE;
    size_t npts = (wmax / STEP + 1) * (CR_RASTER_TILE / STEP + 1);
    int16_t *band = malloc(wmax * CR_RASTER_TILE * sizeof *band);
    int16_t *tile = malloc(NPIX * sizeof *tile);
    unsigned char *land = calloc((size_t)zi->nx * zi->ny, 1);
    S.x = malloc(npts * sizeof *S.x);
    S.y = malloc(npts * sizeof *S.y);
    S.z = malloc(npts * sizeof *S.z);
    S.ok = malloc(npts * sizeof *S.ok);
    S.px = malloc(STEP * sizeof *S.px);
    S.py = malloc(STEP * sizeof *S.py);
    S.pz = malloc(STEP * sizeof *S.pz);
    S.pok = malloc(STEP * sizeof *S.pok);
    if (!band || !tile || !land || !S.x || !S.y || !S.z || !S.ok || !S.px || !S.py || !S.pz ||
        !S.pok) {
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
    /* the SAFRAN grid as a raster (row 0 is the northern row j = 133),
     * for the transformer's source geotransform and CRS */
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
    /* one transformer for every run; only its destination geotransform
     * changes */
    char **topt = CSLSetNameValue(NULL, "DST_SRS", dst_wkt);
    S.gen = GDALCreateGenImgProjTransformer2(src, NULL, topt);
    CSLDestroy(topt);
    if (!S.gen) {
        rc = cr_err_set(err, CR_EEXTERNAL, "GDAL: no EPSG:27572 -> EPSG:3857 transformer: %s",
                        CPLGetLastErrorMsg());
        goto done;
    }
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
            /* tiles a..b of this row in one pass */
            int w = (int)(b - a + 1) * CR_RASTER_TILE;
            double minx, miny, maxx, maxy;
            cr_tile_bounds(z, zi->x0 + a, y, &minx, &miny, &maxx, &maxy);
            double res = (maxx - minx) / CR_RASTER_TILE;
            double dgt[6] = {minx, res, 0, maxy, 0, -res};
            GDALSetGenImgProjTransformerDstGeoTransform(S.gen, dgt);
            sample_run(&S, w, band);
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
    if (S.gen)
        GDALDestroyGenImgProjTransformer(S.gen);
    free(S.x);
    free(S.y);
    free(S.z);
    free(S.ok);
    free(S.px);
    free(S.py);
    free(S.pz);
    free(S.pok);
    free(band);
    free(tile);
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
