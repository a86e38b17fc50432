/* pmtiles.h — a PMTiles v3 archive writer (protomaps/PMTiles spec/v3).
 *
 * Why by hand: no Debian library writes PMTiles (GDAL gained a PMTiles
 * driver in 3.8; Debian 12 ships 3.6), and the format is small: a 127-byte
 * little-endian header, then the root directory, the JSON metadata, the
 * leaf directories and the tile data. Directories are lists of (tile id,
 * offset, length, run length) serialised column by column as varints and
 * gzip-compressed (zlib); tile ids number tiles along a Hilbert curve per
 * zoom, so nearby tiles are stored together.
 *
 * The writer collects tiles in memory in any order, deduplicates identical
 * tiles by SHA-256 (core/sha256.h: one copy of e.g. a uniform tile),
 * sorts by tile id ("clustered": data in id order), merges consecutive ids
 * with identical content into one run-length entry, and splits the
 * directory into leaves when the root would not fit in the first 16 KiB.
 * The archive is written under a temporary name and renamed (fsutil.h). */
#ifndef CR_PMTILES_H
#define CR_PMTILES_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "bytes.h"

enum { CR_PMTW_COMP_NONE = 1, CR_PMTW_COMP_GZIP = 2 };
enum { CR_PMTW_TYPE_MVT = 1, CR_PMTW_TYPE_PNG = 2 };

struct cr_pmtw_entry {
    uint64_t tile_id;
    uint64_t offset; /* in the tile data section (leaf section for run 0) */
    uint32_t length;
    uint32_t run_length; /* 0 = the entry points to a leaf directory */
};

struct cr_pmtw_info {
    int tile_type;        /* CR_PMTW_TYPE_* */
    int tile_compression; /* CR_PMTW_COMP_*: how the added tile bytes are compressed */
    int min_zoom, max_zoom;
    double min_lon, min_lat, max_lon, max_lat; /* degrees */
    int center_zoom;
    double center_lon, center_lat;
};

struct cr_pmtw;

int cr_pmtw_new(struct cr_pmtw **w, struct cr_err *err);
/* Add tile z/x/y (bytes as stored: compressed per tile_compression). Adding
 * the same z/x/y twice is an error. */
int cr_pmtw_add(struct cr_pmtw *w, int z, uint32_t x, uint32_t y, const void *data, size_t len,
                struct cr_err *err);
/* Tiles added so far, and distinct contents. */
size_t cr_pmtw_count(const struct cr_pmtw *w);
size_t cr_pmtw_contents(const struct cr_pmtw *w);
/* Write the archive to path (atomically) with metadata (a JSON object). */
int cr_pmtw_write(struct cr_pmtw *w, const char *path, const struct cr_pmtw_info *info,
                  const char *metadata_json, struct cr_err *err);
void cr_pmtw_free(struct cr_pmtw *w);

/* Hilbert tile id of the spec: (0,0,0) = 0, (1,0,0) = 1, ... */
uint64_t cr_pmtw_tile_id(int z, uint32_t x, uint32_t y);
/* The inverse (tests). */
void cr_pmtw_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y);
/* Serialise n entries as a directory (uncompressed), appended to out. */
void cr_pmtw_serialize_dir(const struct cr_pmtw_entry *e, size_t n, struct cr_bytes *out);

#endif
