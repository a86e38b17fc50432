/* mvt.h — a Mapbox Vector Tile 2.1 encoder (protobuf written by hand).
 *
 * Why by hand: no Debian C library encodes MVT (libprotobuf-c would need the
 * .proto compiled and still leaves geometry commands, zigzag deltas and the
 * key/value dictionaries to us; GDAL's MVT driver is a generic OGR writer
 * that re-parses every feature, is several times slower, and gives no
 * control over per-zoom generalisation). The format is small: a Tile is a
 * list of Layer messages, each with a key table, a value table and features
 * whose tags index them, and polygon rings as MoveTo/LineTo/ClosePath
 * commands with zigzag-encoded deltas (mapbox/vector-tile-spec 2.1).
 *
 * Use: init a layer with its possible property keys, then per feature
 * feature_begin, rings (already clipped, quantised, oriented: see tilegeom.h)
 * and tags, feature_end; finally layer_write appends the layer to a tile
 * buffer. Keys that no feature uses and duplicate values are not written. A
 * layer is reset and reused from tile to tile to keep its memory. */
#ifndef CR_MVT_H
#define CR_MVT_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

enum cr_mvt_geom_type { CR_MVT_POINT = 1, CR_MVT_LINESTRING = 2, CR_MVT_POLYGON = 3 };

struct cr_mvt_value_slot;

struct cr_mvt_layer {
    char name[64];
    uint32_t extent;
    const char *const *keys; /* caller's key names, alive as long as the layer */
    size_t nkeys;
    int *key_out;      /* [nkeys]: index in the written key table, -1 = unused */
    size_t *key_order; /* written keys in order of first use */
    size_t nkeys_out;
    struct cr_mvt_value_slot *slots; /* value dictionary, open addressing */
    size_t nslots, nvalues;
    struct cr_bytes values;   /* encoded Layer.values fields */
    struct cr_bytes features; /* encoded Layer.features fields */
    size_t nfeatures;
    /* feature being built */
    struct cr_bytes tags, geom;
    uint64_t fid;
    int ftype;
    int32_t cx, cy; /* geometry cursor, relative to the feature start */
    int failed;
};

int cr_mvt_layer_init(struct cr_mvt_layer *l, const char *name, uint32_t extent,
                      const char *const *keys, size_t nkeys);
/* Forget features, values and key use; keep the allocations. */
void cr_mvt_layer_reset(struct cr_mvt_layer *l);
void cr_mvt_layer_free(struct cr_mvt_layer *l);

void cr_mvt_feature_begin(struct cr_mvt_layer *l, uint64_t id, enum cr_mvt_geom_type type);
/* A closed polygon ring of n >= 3 points (the first point not repeated). */
void cr_mvt_ring(struct cr_mvt_layer *l, const int32_t *xy, size_t n);
/* Properties: key is an index into the layer's key list. */
void cr_mvt_tag_float(struct cr_mvt_layer *l, size_t key, float v);
void cr_mvt_tag_uint(struct cr_mvt_layer *l, size_t key, uint64_t v);
void cr_mvt_tag_string(struct cr_mvt_layer *l, size_t key, const char *s);
/* Keep the feature if it has geometry; returns 1 when kept, 0 when not. */
int cr_mvt_feature_end(struct cr_mvt_layer *l);

/* Append the layer (when it has features) as a Tile.layers field. Returns
 * CR_OK or CR_EINTERNAL on allocation failure. */
int cr_mvt_layer_write(struct cr_mvt_layer *l, struct cr_bytes *tile);

#endif
