/* tiles.h — the tiles stage: statistics files (+ datamart) -> vector and
 * raster tilesets, legends and catalog.json (docs/tiles.md).
 *
 * Inputs are read once (the selected ensemble-statistic maps of every
 * statistics file, the cell lattice, the admin geometries), legends are
 * fixed from the value ranges of all inputs, then every tileset is an
 * independent task run by a pool of threads. Each archive is published
 * atomically; catalog.json is rewritten last and keeps the entries of
 * earlier runs whose archives are still there. */
#ifndef CR_TILES_H
#define CR_TILES_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../core/strutil.h"

#define CR_TILES_ATTRIBUTION "DRIAS/Météo-France format, climrisk"

struct cr_tiles_opts {
    char out_dir[CR_PATH_MAX];
    struct cr_strlist inputs;     /* statistics files or directories of them */
    struct cr_strlist scenarios;  /* empty = every file */
    struct cr_strlist horizons;   /* empty = every horizon with models */
    struct cr_strlist indicators; /* empty = every indicator of the files */
    struct cr_strlist statistics; /* empty = median */
    struct cr_strlist quantities; /* empty = mean and anom */
    int vector, raster;
    int pmtiles, mbtiles;
    int vector_maxzoom, raster_maxzoom;
    size_t max_tile_bytes;
    int commune_minzoom;
    int datamart;    /* try the datamart for the admin layers */
    char dsn[1024];  /* "" = none */
    char schema[64]; /* datamart */
    int jobs;
    char scenarios_dir[CR_PATH_MAX];
};

/* Defaults: vector + raster, PMTiles, zooms 10/9, 500 000 bytes, communes
 * from zoom 8, schema "datamart", one job. */
void cr_tiles_opts_init(struct cr_tiles_opts *o);
void cr_tiles_opts_free(struct cr_tiles_opts *o);

struct cr_tiles_report {
    size_t vector_tilesets, raster_tilesets, legends;
    size_t tiles;
    unsigned long long bytes;
    int admin_layers; /* 1 when commune/département layers were written */
    double seconds;
};

int cr_tiles_run(const struct cr_tiles_opts *o, struct cr_tiles_report *rep, struct cr_err *err);

#endif
