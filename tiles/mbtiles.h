/* mbtiles.h — an MBTiles 1.3 writer (mapbox/mbtiles-spec 1.3) on SQLite.
 *
 * MBTiles is what GDAL, QGIS, Martin and most tile tools read directly, so
 * every tileset can also be written this way (`climrisk tiles --format
 * mbtiles|both`). Tables `metadata(name, value)` and `tiles(zoom_level,
 * tile_column, tile_row, tile_data)` with the spec's unique index; rows are
 * TMS (tile_row = 2^z - 1 - y); the file carries the MBTiles application id.
 * The database is built under a temporary name in one transaction and
 * renamed when complete. */
#ifndef CR_MBTILES_H
#define CR_MBTILES_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

struct cr_mbt;

int cr_mbt_open(struct cr_mbt **m, const char *path, struct cr_err *err);
/* Tile z/x/y in the XYZ scheme (bytes as stored: gzip for pbf). */
int cr_mbt_add(struct cr_mbt *m, int z, uint32_t x, uint32_t y, const void *data, size_t len,
               struct cr_err *err);
int cr_mbt_meta(struct cr_mbt *m, const char *name, const char *value, struct cr_err *err);
/* Commit, close and publish. m is freed either way. */
int cr_mbt_finish(struct cr_mbt *m, struct cr_err *err);
/* Drop the temporary file. m is freed. */
void cr_mbt_abort(struct cr_mbt *m);

#endif
