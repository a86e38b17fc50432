/* admin.h — communes and départements for the vector tiles, read from the
 * datamart (datamart.admin_area.geom_3857 and datamart.area_stat, see
 * sql/README.md) through libpq.
 *
 * Geometries are fetched once per run as WKB and decoded with GDAL/OGR;
 * the aggregates are fetched per tileset (scenario × horizon × statistic).
 * Rings are kept as flat EPSG:3857 point arrays, each polygon's exterior
 * followed by its holes, ready for tilegeom.h. */
#ifndef CR_ADMIN_H
#define CR_ADMIN_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

struct cr_admin_ring {
    size_t off; /* first point in pts */
    uint32_t n; /* points (closing point not repeated) */
    int exterior;
};

struct cr_admin_area {
    char code[16];
    char *name;
    size_t ring0, nrings; /* in rings */
    double bbox[4];       /* minx, miny, maxx, maxy (EPSG:3857) */
};

struct cr_admin_layer {
    char level[16]; /* departement | commune */
    struct cr_admin_area *areas;
    size_t n;
    struct cr_admin_ring *rings;
    size_t nrings;
    double *pts; /* x, y pairs */
    size_t npts;
};

/* Load every area of level ('departement' or 'commune') of schema. */
int cr_admin_load(PGconn *conn, const char *schema, const char *level, struct cr_admin_layer *l,
                  struct cr_err *err);
void cr_admin_free(struct cr_admin_layer *l);

/* Fill vals[p * l->n + a] (NaN first) with area_stat.mean of property
 * names[p] ("<indicator>_<quantity>") for the ensemble statistic of
 * scenario × horizon; *nrows = rows found. */
int cr_admin_values(PGconn *conn, const char *schema, const struct cr_admin_layer *l,
                    const char *scenario, const char *horizon, const char *statistic,
                    const char *const *names, size_t nnames, float *vals, size_t *nrows,
                    struct cr_err *err);

#endif
