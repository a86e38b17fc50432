/* raster.h — PNG raster tiles of a value per SAFRAN cell.
 *
 * Which cell each pixel of the deepest zoom's 256-px EPSG:3857 tiles shows
 * (only tiles touching a land cell) comes from GDAL's GenImgProj
 * transformer (PROJ): exact source positions every 32 pixels, bilinear in
 * between (1e-4 source pixel of error here, where GDAL's warper allows
 * 0.125), nearest neighbour as GDAL's kernel picks it. Lower zooms are 2:1
 * nearest-neighbour overviews of it, the way gdal2tiles builds its
 * overview tiles from the base tiles. The result does not depend on the
 * layer, so it is computed once per run and kept run-length encoded;
 * drawing a layer is then one class lookup per pixel and a palette PNG per
 * tile (png.h). Nearest neighbour draws each cell in one colour, exactly
 * what warping the value raster with nearest neighbour would draw. */
#ifndef CR_RASTER_H
#define CR_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "lattice.h"
#include "mbtiles.h"
#include "palette.h"
#include "pmtiles.h"

#define CR_RASTER_TILE    256
#define CR_RASTER_MAXZOOM 14

struct cr_rast_grid;

/* Warp the cell raster for zooms minzoom..maxzoom over the land cells'
 * box (lat). Call GDALAllRegister() before. */
int cr_rast_grid_build(struct cr_rast_grid **g, const struct cr_lattice *lat, int minzoom,
                       int maxzoom, struct cr_err *err);
void cr_rast_grid_free(struct cr_rast_grid *g);
/* Tiles with at least one grid pixel, all zooms. */
size_t cr_rast_grid_tiles(const struct cr_rast_grid *g);

/* The cell (j * 143 + i) pixel px, py of tile z/x/y shows; -1 when none
 * or when the tile is not in the grid (tests, debugging). */
int cr_rast_grid_cell(const struct cr_rast_grid *g, int z, uint32_t x, uint32_t y, int px, int py);

struct cr_rast_report {
    size_t tiles;   /* written */
    size_t skipped; /* fully transparent, not written */
    size_t bytes;
};

/* Draw one layer: values[j * 143 + i] (NaN = no data) coloured with lg;
 * every non-empty tile goes to pm and/or mb. */
int cr_rast_render(const struct cr_rast_grid *g, const float *values, const struct cr_legend *lg,
                   struct cr_pmtw *pm, struct cr_mbt *mb, struct cr_rast_report *rep,
                   struct cr_err *err);

#endif
