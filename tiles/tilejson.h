/* tilejson.h — the JSON around the archives: TileJSON 3.0.0 documents
 * (PMTiles metadata, MBTiles `json`, the .json file next to each archive)
 * and catalog.json (docs/tiles.md), built with json-c. */
#ifndef CR_TILEJSON_H
#define CR_TILEJSON_H

#include <json-c/json.h>
#include <stddef.h>

#include "../core/error.h"
#include "lattice.h"

/* A TileJSON object: tilejson, name, description, attribution, version,
 * scheme, tiles ["/tiles/<id>/{z}/{x}/{y}.<ext>"], minzoom, maxzoom,
 * bounds and center (from lat), vector_layers when not NULL (taken), and
 * the climrisk object (taken). */
json_object *cr_tilejson_new(const char *id, const char *name, const char *description,
                             const char *ext, int minzoom, int maxzoom,
                             const struct cr_lattice *lat, json_object *vector_layers,
                             json_object *climrisk);

/* Center zoom used in headers and TileJSON. */
int cr_tilejson_center_zoom(int minzoom, int maxzoom);

/* Write catalog.json in out_dir: the given entries (taken), plus those of
 * the existing catalog whose id is not among them and whose archive still
 * exists; then the "maps" index. */
int cr_catalog_write(const char *out_dir, json_object **entries, size_t n, struct cr_err *err);

/* Serialise o (pretty when pretty) to path atomically. */
int cr_json_write_file(json_object *o, const char *path, int pretty, struct cr_err *err);

#endif
