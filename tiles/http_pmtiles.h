/* http_pmtiles.h — read tiles out of a PMTiles v3 archive, for the tile
 * server's z/x/y endpoint (TileJSON clients, benchmarks against a static
 * file server).
 *
 * Hand-written because no Debian library reads PMTiles; the format is a
 * 127-byte little-endian header, varint-encoded directories compressed with
 * zlib's gzip, and Hilbert-curve tile ids (protomaps/PMTiles spec/v3). The
 * header, metadata and root directory are read once at open; leaf
 * directories are read on demand and kept in a small cache shared by the
 * server threads (lookups are thread-safe). Tile bytes are returned as
 * stored (usually gzip); the caller decides what to send. */
#ifndef CR_HTTP_PMTILES_H
#define CR_HTTP_PMTILES_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

enum { CR_PMT_COMP_UNKNOWN = 0, CR_PMT_COMP_NONE = 1, CR_PMT_COMP_GZIP = 2 };
enum {
    CR_PMT_TYPE_UNKNOWN = 0,
    CR_PMT_TYPE_MVT = 1,
    CR_PMT_TYPE_PNG = 2,
    CR_PMT_TYPE_JPEG = 3,
    CR_PMT_TYPE_WEBP = 4
};

struct cr_pmt_header {
    uint64_t root_offset, root_length;
    uint64_t meta_offset, meta_length;
    uint64_t leaf_offset, leaf_length;
    uint64_t data_offset, data_length;
    uint64_t addressed_tiles, tile_entries, tile_contents;
    int clustered;
    int internal_compression, tile_compression, tile_type;
    int min_zoom, max_zoom, center_zoom;
    double min_lon, min_lat, max_lon, max_lat, center_lon, center_lat;
};

struct cr_pmt_archive;

/* Open and validate (magic, version 3, sections inside the file, root
 * directory decodable). Errors name the file. */
int cr_pmt_open(const char *path, struct cr_pmt_archive **out, struct cr_err *err);
void cr_pmt_close(struct cr_pmt_archive *a);

const struct cr_pmt_header *cr_pmt_header(const struct cr_pmt_archive *a);
/* The metadata JSON (decompressed, NUL-terminated). */
const char *cr_pmt_metadata(const struct cr_pmt_archive *a);
/* File size and modification time when opened (for ETag/Last-Modified). */
uint64_t cr_pmt_file_size(const struct cr_pmt_archive *a);
/* The open file (read-only; for range requests on the archive itself). */
int cr_pmt_fd(const struct cr_pmt_archive *a);
long long cr_pmt_mtime(const struct cr_pmt_archive *a);

/* Find tile z/x/y: 1 and its bytes (malloc'ed, as stored) when present, 0
 * when the archive has no such tile, -1 on a read or format error. */
int cr_pmt_get(struct cr_pmt_archive *a, int z, uint32_t x, uint32_t y, unsigned char **data,
               size_t *len, struct cr_err *err);

/* Hilbert tile id of the spec (exposed for tests). */
uint64_t cr_pmt_tile_id(int z, uint32_t x, uint32_t y);

#endif
