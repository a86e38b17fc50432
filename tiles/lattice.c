/* lattice.c — SAFRAN cell corners reprojected with PROJ. */
#include "lattice.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

static int transform(PJ_CONTEXT *ctx, const char *to, double *x, double *y, size_t n,
                     struct cr_err *err)
{
    PJ *p = proj_create_crs_to_crs(ctx, "EPSG:27572", to, NULL);
    PJ *norm = p ? proj_normalize_for_visualization(ctx, p) : NULL;
    proj_destroy(p);
    if (!norm)
        return cr_err_set(err, CR_EEXTERNAL, "PROJ: no transformation EPSG:27572 -> %s (%s)", to,
                          proj_context_errno_string(ctx, proj_context_errno(ctx)));
    size_t done =
        proj_trans_generic(norm, PJ_FWD, x, sizeof *x, n, y, sizeof *y, n, NULL, 0, 0, NULL, 0, 0);
    proj_destroy(norm);
    if (done != n)
        return cr_err_set(err, CR_EEXTERNAL, "PROJ: transformed %zu of %zu points to %s", done, n,
                          to);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return cr_err_set(err, CR_EEXTERNAL, "PROJ: lattice point %zu not transformable to %s",
                              i, to);
    return CR_OK;
}

int cr_lattice_build(struct cr_lattice *l, struct cr_err *err)
{
    memset(l, 0, sizeof *l);
    size_t n = (size_t)CR_LAT_NX * CR_LAT_NY;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *lx = malloc(n * sizeof *lx), *ly = malloc(n * sizeof *ly);
    l->merc = malloc(2 * n * sizeof *l->merc);
    PJ_CONTEXT *ctx = proj_context_create();
    int rc = CR_OK;
    if (!x || !y || !lx || !ly || !l->merc || !ctx) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int cj = 0; cj < CR_LAT_NY; cj++)
        for (int ci = 0; ci < CR_LAT_NX; ci++) {
            size_t k = (size_t)cj * CR_LAT_NX + ci;
            x[k] = lx[k] = CR_SAFRAN_X0 - CR_SAFRAN_STEP / 2 + CR_SAFRAN_STEP * ci;
            y[k] = ly[k] = CR_SAFRAN_Y0 - CR_SAFRAN_STEP / 2 + CR_SAFRAN_STEP * cj;
        }
    if ((rc = transform(ctx, "EPSG:3857", x, y, n, err)) ||
        (rc = transform(ctx, "EPSG:4326", lx, ly, n, err)))
        goto done;
    for (size_t k = 0; k < n; k++) {
        l->merc[2 * k] = x[k];
        l->merc[2 * k + 1] = y[k];
    }
    l->minx = l->miny = l->lon_min = l->lat_min = INFINITY;
    l->maxx = l->maxy = l->lon_max = l->lat_max = -INFINITY;
    for (size_t p = 0; p < CR_SAFRAN_NLAND; p++) {
        int i = cr_safran_grid_points[p].i, j = cr_safran_grid_points[p].j;
        for (int c = 0; c < 4; c++) {
            size_t k = (size_t)(j + c / 2) * CR_LAT_NX + (size_t)(i + c % 2);
            l->minx = fmin(l->minx, x[k]);
            l->maxx = fmax(l->maxx, x[k]);
            l->miny = fmin(l->miny, y[k]);
            l->maxy = fmax(l->maxy, y[k]);
            l->lon_min = fmin(l->lon_min, lx[k]);
            l->lon_max = fmax(l->lon_max, lx[k]);
            l->lat_min = fmin(l->lat_min, ly[k]);
            l->lat_max = fmax(l->lat_max, ly[k]);
        }
    }
    l->lon_c = (l->lon_min + l->lon_max) / 2;
    l->lat_c = (l->lat_min + l->lat_max) / 2;
done:
    if (ctx)
        proj_context_destroy(ctx);
    free(x);
    free(y);
    free(lx);
    free(ly);
    if (rc)
        cr_lattice_free(l);
    return rc;
}

void cr_lattice_free(struct cr_lattice *l)
{
    free(l->merc);
    l->merc = NULL;
}
