/* levels.c — warming-level pivot years of simulations; see levels.h. */
#include "levels.h"

#include <math.h>
#include <netcdf.h>
#include <stdlib.h>
#include <string.h>

#include "../scenarios/warming.h"

const char *cr_level_status_name(enum cr_level_status s)
{
    switch (s) {
    case CR_LEVEL_REACHED:
        return "reached";
    case CR_LEVEL_NOT_REACHED:
        return "not reached";
    case CR_LEVEL_NO_REFERENCE:
        return "no reference period";
    case CR_LEVEL_NO_SERIES:
        return "no tas_france series";
    case CR_LEVEL_BEYOND_RUN:
        return "horizon beyond the run";
    }
    return "?";
}

/* tas_france of one annual file, by year. */
static int read_series(const char *path, int **years, float **vals, size_t *n, struct cr_err *err)
{
    int ncid, st = nc_open(path, NC_NOWRITE, &ncid);
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EDATA, "cannot open annual file %s: %s", path, nc_strerror(st));
    int dim, yv, tv;
    *years = NULL;
    *vals = NULL;
    *n = 0;
    if (nc_inq_dimid(ncid, "year", &dim) != NC_NOERR || nc_inq_dimlen(ncid, dim, n) != NC_NOERR ||
        nc_inq_varid(ncid, "year", &yv) != NC_NOERR) {
        nc_close(ncid);
        return cr_err_set(err, CR_EDATA, "%s is not a climrisk annual file (no year axis)", path);
    }
    if (nc_inq_varid(ncid, "tas_france", &tv) != NC_NOERR) {
        nc_close(ncid);
        *n = 0;
        return CR_OK; /* no temperature inputs: no series */
    }
    *years = malloc(sizeof **years * (*n ? *n : 1));
    *vals = malloc(sizeof **vals * (*n ? *n : 1));
    if (!*years || !*vals) {
        nc_close(ncid);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    st = nc_get_var_int(ncid, yv, *years);
    if (st == NC_NOERR)
        st = nc_get_var_float(ncid, tv, *vals);
    nc_close(ncid);
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EDATA, "reading tas_france of %s: %s", path, nc_strerror(st));
    return CR_OK;
}

int cr_level_series(const char *hist_path, const char *exp_path, int *y0, int *n, double **values,
                    struct cr_err *err)
{
    int *yr[2] = {NULL, NULL};
    float *v[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    const char *paths[2] = {hist_path, exp_path};
    int rc = CR_OK;
    for (int k = 0; k < 2 && rc == CR_OK; k++)
        if (paths[k])
            rc = read_series(paths[k], &yr[k], &v[k], &len[k], err);
    int lo = 1 << 30, hi = -(1 << 30);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < len[k]; i++) {
            lo = yr[k][i] < lo ? yr[k][i] : lo;
            hi = yr[k][i] > hi ? yr[k][i] : hi;
        }
    *values = NULL;
    *n = 0;
    *y0 = 0;
    if (rc == CR_OK && hi >= lo) {
        *n = hi - lo + 1;
        *y0 = lo;
        *values = malloc(sizeof **values * (size_t)*n);
        if (!*values)
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        for (int i = 0; rc == CR_OK && i < *n; i++)
            (*values)[i] = NAN;
        /* the scenario run wins where both have a year */
        for (int k = 0; rc == CR_OK && k < 2; k++)
            for (size_t i = 0; i < len[k]; i++)
                if (!isnan(v[k][i]))
                    (*values)[yr[k][i] - lo] = v[k][i];
    }
    for (int k = 0; k < 2; k++) {
        free(yr[k]);
        free(v[k]);
    }
    return rc;
}

void cr_level_find(const double *values, int y0, int n, const struct cr_period *ref,
                   const struct cr_warming_level *lvl, int window, int horizon,
                   struct cr_level_result *out)
{
    memset(out, 0, sizeof *out);
    out->first_year = out->last_year = -1;
    out->ref_mean = NAN;
    out->max_smoothed = NAN;
    if (!values || n <= 0) {
        out->status = CR_LEVEL_NO_SERIES;
        return;
    }
    double sum = 0;
    int count = 0;
    for (int y = ref->first_year; y <= ref->last_year; y++) {
        int i = y - y0;
        if (i < 0 || i >= n || isnan(values[i])) {
            out->status = CR_LEVEL_NO_REFERENCE;
            return;
        }
        sum += values[i];
        count++;
    }
    out->ref_mean = sum / count;
    double *sm = malloc(sizeof *sm * (size_t)n);
    if (sm) {
        cr_running_mean(values, n, window, sm);
        for (int i = 0; i < n; i++)
            if (!isnan(sm[i]) && (isnan(out->max_smoothed) || sm[i] - out->ref_mean > out->max_smoothed))
                out->max_smoothed = sm[i] - out->ref_mean;
        free(sm);
    }
    int pivot = cr_warming_pivot(values, y0, n, window, out->ref_mean, lvl->above_reference);
    if (pivot <= 0) {
        out->status = CR_LEVEL_NOT_REACHED;
        return;
    }
    out->pivot = pivot;
    int a, b;
    cr_warming_horizon(pivot, horizon, &a, &b);
    if (a < y0 || b > y0 + n - 1) {
        out->status = CR_LEVEL_BEYOND_RUN;
        return;
    }
    out->status = CR_LEVEL_REACHED;
    out->first_year = a;
    out->last_year = b;
}
