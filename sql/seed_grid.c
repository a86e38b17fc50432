/* seed_grid.c — datamart.grid_cell from the SAFRAN grid compiled into the
 * binary; see datamart.h.
 *
 * Each land cell's 8 km square is built in the grid's own CRS (Lambert II
 * étendu, EPSG:27572: centre ± 4000 m), streamed as EWKB with binary COPY,
 * and PostGIS (PROJ) derives the Lambert-93 and Web Mercator polygons and
 * the WGS84 centroid: no coordinate is reprojected by hand. */
#include <stdio.h>

#include "../core/log.h"
#include "../ingest/grid.h"
#include "datamart.h"
#include "pgcopy.h"
#include "pgutil.h"

int cr_dm_seed_grid(PGconn *conn, int *built, struct cr_err *err)
{
    *built = 0;
    long long n;
    int found;
    int rc = cr_pg_query_long(conn,
                              "SELECT count(*) FROM datamart.grid_cell WHERE grid = 'SAFRAN' "
                              "AND cell_id = j * 143 + i",
                              0, NULL, &n, &found, "counting grid cells", err);
    if (rc)
        return rc;
    if (n == CR_SAFRAN_NLAND)
        return CR_OK;
    double t0 = cr_now();
    rc = cr_pg_exec(conn,
                    "DELETE FROM datamart.grid_cell;"
                    "CREATE TEMP TABLE grid_stage (cell_id integer, i integer, j integer, "
                    "altitude real, geom geometry) ON COMMIT DROP",
                    "preparing the grid", err);
    if (rc)
        return rc;
    struct cr_copy c;
    rc = cr_copy_begin(&c, conn,
                       "COPY grid_stage (cell_id, i, j, altitude, geom) FROM STDIN (FORMAT binary)",
                       "grid_stage", err);
    if (rc)
        return rc;
    const double half = CR_SAFRAN_STEP / 2;
    for (int k = 0; k < CR_SAFRAN_NLAND; k++) {
        const struct cr_safran_point *p = &cr_safran_grid_points[k];
        unsigned char ewkb[CR_EWKB_POLYGON_SIZE(5)];
        size_t len = cr_ewkb_rect(ewkb, CR_SAFRAN_EPSG, p->x_l2e - half, p->y_l2e - half,
                                  p->x_l2e + half, p->y_l2e + half);
        if (cr_copy_tuple(&c, 5, 8 * 3 + 8) != 0)
            break;
        cr_copy_int4(&c, p->id);
        cr_copy_int4(&c, p->i);
        cr_copy_int4(&c, p->j);
        cr_copy_float4(&c, (float)p->altitude);
        cr_copy_bytes(&c, ewkb, len);
        if ((rc = cr_copy_maybe_flush(&c, err)) != CR_OK) {
            cr_copy_abort(&c, "flush failed");
            return rc;
        }
    }
    if ((rc = cr_copy_end(&c, NULL, err)))
        return rc;
    rc = cr_pg_exec(conn,
                    "INSERT INTO datamart.grid_cell (cell_id, grid, i, j, altitude, geom_l2e, "
                    "geom_l93, geom_3857, centroid) "
                    "SELECT cell_id, 'SAFRAN', i, j, altitude, geom, ST_Transform(geom, 2154), "
                    "ST_Transform(geom, 3857), ST_Transform(ST_Centroid(geom), 4326) "
                    "FROM grid_stage ORDER BY cell_id;"
                    "ANALYZE datamart.grid_cell",
                    "building datamart.grid_cell", err);
    if (rc)
        return rc;
    *built = 1;
    cr_info("datamart: built %d SAFRAN grid cells in %.1f s", CR_SAFRAN_NLAND, cr_now() - t0);
    return CR_OK;
}
