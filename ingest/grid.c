/* grid.c — SAFRAN grid look-ups and its CRS through PROJ; see grid.h. */
#include "grid.h"

#include <pthread.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

static int land_map[CR_SAFRAN_NCELL];
static pthread_once_t land_map_once = PTHREAD_ONCE_INIT;

static void build_land_map(void)
{
    for (int k = 0; k < CR_SAFRAN_NCELL; k++)
        land_map[k] = -1;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cr_safran_point *pt = &cr_safran_grid_points[p];
        land_map[pt->j * CR_SAFRAN_NX + pt->i] = p;
    }
}

const int *cr_safran_land_map(void)
{
    pthread_once(&land_map_once, build_land_map);
    return land_map;
}

int cr_safran_land_index(int i, int j)
{
    if (i < 0 || i >= CR_SAFRAN_NX || j < 0 || j >= CR_SAFRAN_NY)
        return -1;
    return cr_safran_land_map()[j * CR_SAFRAN_NX + i];
}

int cr_safran_crs_wkt(char **wkt, struct cr_err *err)
{
    *wkt = NULL;
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *crs = proj_create(ctx, "EPSG:27572");
    if (!crs) {
        proj_context_destroy(ctx);
        return cr_err_set(err, CR_EEXTERNAL,
                          "PROJ does not know EPSG:27572 (is the proj-data package installed?)");
    }
    const char *text = proj_as_wkt(ctx, crs, PJ_WKT1_GDAL, NULL);
    if (text)
        *wkt = strdup(text);
    proj_destroy(crs);
    proj_context_destroy(ctx);
    if (!*wkt)
        return cr_err_set(err, CR_EEXTERNAL, "PROJ could not write EPSG:27572 as WKT");
    return CR_OK;
}

int cr_safran_lonlat(double *lon, double *lat, struct cr_err *err)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *raw = proj_create_crs_to_crs(ctx, "EPSG:27572", "EPSG:4326", NULL);
    PJ *pj = raw ? proj_normalize_for_visualization(ctx, raw) : NULL;
    proj_destroy(raw);
    if (!pj) {
        proj_context_destroy(ctx);
        return cr_err_set(
            err, CR_EEXTERNAL,
            "PROJ cannot transform EPSG:27572 to EPSG:4326 (is proj-data installed?)");
    }
    for (int j = 0; j < CR_SAFRAN_NY; j++) {
        for (int i = 0; i < CR_SAFRAN_NX; i++) {
            PJ_COORD c = proj_coord(CR_SAFRAN_X0 + CR_SAFRAN_STEP * i,
                                    CR_SAFRAN_Y0 + CR_SAFRAN_STEP * j, 0, 0);
            PJ_COORD g = proj_trans(pj, PJ_FWD, c);
            lon[j * CR_SAFRAN_NX + i] = g.xy.x;
            lat[j * CR_SAFRAN_NX + i] = g.xy.y;
        }
    }
    proj_destroy(pj);
    proj_context_destroy(ctx);
    return CR_OK;
}
