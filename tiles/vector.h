/* vector.h — the vector pyramid of one tileset: SAFRAN cells (merged k×k
 * at low zooms) and départements/communes, encoded as MVT and handed to
 * the archive writers.
 *
 * Generalisation is per zoom: a merge factor k for the cells (a table,
 * cr_vec_default_opts) and communes from a zoom on, départements below. A
 * zoom level is encoded whole before any of its tiles is written; if one
 * of its tiles is larger than max_tile_bytes the zoom is encoded again with
 * the layer that weighs most generalised further (communes replaced by
 * départements, or k doubled up to 16), so no written tile is over the
 * limit. docs/tiles.md describes layers and properties. */
#ifndef CR_VECTOR_H
#define CR_VECTOR_H

#include <stddef.h>

#include "../core/error.h"
#include "admin.h"
#include "lattice.h"
#include "mbtiles.h"
#include "pmtiles.h"

#define CR_VEC_MAXZOOM 16

struct cr_vec_opts {
    int minzoom, maxzoom;
    uint32_t extent;       /* 4096 */
    int buffer;            /* tile units around the tile kept when clipping */
    size_t max_tile_bytes; /* uncompressed MVT */
    int commune_minzoom;
    int k_by_zoom[CR_VEC_MAXZOOM + 1]; /* cell merge factor: 1, 2, 4, 8 or 16 */
    double admin_tolerance;            /* Douglas–Peucker, tile units */
};

/* Defaults of docs/tiles.md for zooms 0..maxzoom. */
void cr_vec_default_opts(struct cr_vec_opts *o, int maxzoom);

struct cr_vec_input {
    const struct cr_lattice *lat;
    size_t nprops;
    const char *const *props; /* property names: "<indicator>_<quantity>" */
    const float *cells;       /* [nprops * CR_SAFRAN_NLAND], land points in id order */
    const struct cr_admin_layer *dep, *com; /* NULL when absent */
    const float *dep_vals, *com_vals;       /* [nprops * layer->n] */
};

enum { CR_VEC_CELLS, CR_VEC_DEP, CR_VEC_COM, CR_VEC_NLAYERS };
extern const char *const cr_vec_layer_names[CR_VEC_NLAYERS]; /* cells, departements, communes */

struct cr_vec_report {
    int layer_min[CR_VEC_NLAYERS], layer_max[CR_VEC_NLAYERS]; /* -1: layer not written */
    int k[CR_VEC_MAXZOOM + 1];
    size_t tiles[CR_VEC_MAXZOOM + 1];
    size_t tiles_total;
    size_t largest;      /* bytes of the largest uncompressed tile */
    char largest_at[32]; /* its z/x/y */
    size_t stored_bytes; /* gzip bytes of all tiles */
    int adjustments;     /* zooms re-encoded to respect the size limit */
    size_t repaired;     /* admin features made valid after quantisation (GEOS) */
};

/* Encode the pyramid; each tile (gzip-compressed MVT) goes to pm and/or mb
 * (either may be NULL). */
int cr_vec_build(const struct cr_vec_input *in, const struct cr_vec_opts *o, struct cr_pmtw *pm,
                 struct cr_mbt *mb, struct cr_vec_report *rep, struct cr_err *err);

#endif
