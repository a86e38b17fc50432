/* nc_fixture.c — annual/statistics NetCDF fixtures with known values; see
 * nc_fixture.h. */
#include "nc_fixture.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "indicators/catalog.h"
#include "ingest/grid.h"

#define NY CR_SAFRAN_NY
#define NX CR_SAFRAN_NX

static const char *const qty_names[] = {"mean", "anom", "ratio", "rl20", "rl20_anom"};
static const char *const stat_names[] = {"median", "p05", "p95", "min", "max", "agreement"};
#define NSTATS 6

float fx_annual_value(int k, int year, int c, int variant)
{
    if ((c + k) % 53 == 0)
        return NAN;
    return (float)(1000.0 * k + (year - 1900) + (c % 61) / 8.0 + variant / 2.0);
}

float fx_stats_value(int k, int q, int h, int o, int c, int variant)
{
    if ((c + k + h) % 53 == 0)
        return NAN;
    return (float)(1000.0 * k + 100.0 * q + 10.0 * h + o + (c % 61) / 8.0 + variant / 2.0);
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR) {                                                                     \
            rc = cr_err_set(err, CR_EINTERNAL, "fixture %s: %s: %s", path, #call,                  \
                            nc_strerror(st_));                                                     \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static int put_text(int ncid, int varid, const char *name, const char *value)
{
    return nc_put_att_text(ncid, varid, name, strlen(value), value);
}

/* Indicators to write: catalogue indices. */
static int pick_indicators(const struct fx_opts *o, int *ks, struct cr_err *err)
{
    size_t n;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&n);
    if (!o->indicators) {
        for (size_t k = 0; k < n; k++)
            ks[k] = (int)k;
        return (int)n;
    }
    for (int j = 0; j < o->nindicators; j++) {
        ks[j] = -1;
        for (size_t k = 0; k < n; k++)
            if (strcmp(cat[k].code, o->indicators[j]) == 0)
                ks[j] = (int)k;
        if (ks[j] < 0)
            return -cr_err_set(err, CR_EUSAGE, "unknown indicator '%s'", o->indicators[j]);
    }
    return o->nindicators;
}

/* Shared grid part: y, x, lat, lon, grid mapping. */
static int define_grid(int ncid, int *ydim, int *xdim, int *yv, int *xv, int *latv, int *lonv,
                       const char *path, struct cr_err *err)
{
    int rc = CR_OK, crsv;
    CHECK(nc_def_dim(ncid, "y", NY, ydim));
    CHECK(nc_def_dim(ncid, "x", NX, xdim));
    CHECK(nc_def_var(ncid, "y", NC_DOUBLE, 1, ydim, yv));
    CHECK(put_text(ncid, *yv, "units", "m"));
    CHECK(put_text(ncid, *yv, "standard_name", "projection_y_coordinate"));
    CHECK(nc_def_var(ncid, "x", NC_DOUBLE, 1, xdim, xv));
    CHECK(put_text(ncid, *xv, "units", "m"));
    CHECK(put_text(ncid, *xv, "standard_name", "projection_x_coordinate"));
    int d2[2] = {*ydim, *xdim};
    CHECK(nc_def_var(ncid, "lat", NC_DOUBLE, 2, d2, latv));
    CHECK(put_text(ncid, *latv, "units", "degrees_north"));
    CHECK(put_text(ncid, *latv, "standard_name", "latitude"));
    CHECK(nc_def_var(ncid, "lon", NC_DOUBLE, 2, d2, lonv));
    CHECK(put_text(ncid, *lonv, "units", "degrees_east"));
    CHECK(put_text(ncid, *lonv, "standard_name", "longitude"));
    CHECK(nc_def_var(ncid, "LambertParisII", NC_INT, 0, NULL, &crsv));
    CHECK(put_text(ncid, crsv, "grid_mapping_name", "lambert_conformal_conic"));
    char *wkt = NULL;
    if (cr_safran_crs_wkt(&wkt, err) == CR_OK && wkt) {
        CHECK(put_text(ncid, crsv, "crs_wkt", wkt));
        free(wkt);
    }
    CHECK(put_text(ncid, NC_GLOBAL, "Conventions", "CF-1.8"));
    CHECK(put_text(ncid, NC_GLOBAL, "climrisk_version", "test-fixture"));
    CHECK(put_text(ncid, NC_GLOBAL, "comment",
                   "test fixture with closed-form values (tests/unit/support/nc_fixture.h)"));
done:
    return rc;
}

static int write_grid(int ncid, int yv, int xv, int latv, int lonv, const char *path,
                      struct cr_err *err)
{
    int rc = CR_OK;
    double ys[NY], xs[NX];
    for (int j = 0; j < NY; j++)
        ys[j] = CR_SAFRAN_Y0 + CR_SAFRAN_STEP * j;
    for (int i = 0; i < NX; i++)
        xs[i] = CR_SAFRAN_X0 + CR_SAFRAN_STEP * i;
    double *lon = malloc(CR_SAFRAN_NCELL * sizeof *lon),
           *lat = malloc(CR_SAFRAN_NCELL * sizeof *lat);
    if (!lon || !lat) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    if ((rc = cr_safran_lonlat(lon, lat, err)))
        goto done;
    CHECK(nc_put_var_double(ncid, yv, ys));
    CHECK(nc_put_var_double(ncid, xv, xs));
    CHECK(nc_put_var_double(ncid, latv, lat));
    CHECK(nc_put_var_double(ncid, lonv, lon));
done:
    free(lon);
    free(lat);
    return rc;
}

static int define_indicator_var(int ncid, const char *name, const struct cr_indicator_def *d,
                                int ndims, const int *dims, int deflate, int *varid,
                                const char *path, struct cr_err *err)
{
    int rc = CR_OK;
    CHECK(nc_def_var(ncid, name, NC_FLOAT, ndims, dims, varid));
    size_t chunks[4] = {1, 1, 1, 1};
    chunks[ndims - 2] = NY;
    chunks[ndims - 1] = NX;
    CHECK(nc_def_var_chunking(ncid, *varid, NC_CHUNKED, chunks));
    if (deflate > 0)
        CHECK(nc_def_var_deflate(ncid, *varid, 1, 1, deflate));
    float fill = NAN;
    CHECK(nc_put_att_float(ncid, *varid, "_FillValue", NC_FLOAT, 1, &fill));
    CHECK(put_text(ncid, *varid, "units", d->units));
    CHECK(put_text(ncid, *varid, "long_name", d->name_en));
    CHECK(put_text(ncid, *varid, "long_name_fr", d->name_fr));
    CHECK(put_text(ncid, *varid, "cell_methods", d->cell_methods));
    CHECK(put_text(ncid, *varid, "definition", d->definition));
    CHECK(put_text(ncid, *varid, "references", d->reference));
    CHECK(put_text(ncid, *varid, "category", cr_category_name(d->category)));
    CHECK(put_text(ncid, *varid, "grid_mapping", "LambertParisII"));
    CHECK(put_text(ncid, *varid, "coordinates", "lat lon"));
done:
    return rc;
}

static int is_constant(const struct fx_opts *o, const struct cr_indicator_def *d)
{
    return o->constant_code && strcmp(o->constant_code, d->code) == 0;
}

int fx_write_annual(const char *path, const struct fx_opts *o, struct cr_err *err)
{
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    int ks[64], varids[64];
    int nind = pick_indicators(o, ks, err);
    if (nind < 0)
        return -nind;
    int rc = CR_OK, ncid = -1;
    int nyears = o->last_year - o->first_year + 1;
    float *map = malloc(CR_SAFRAN_NCELL * sizeof *map);
    int *years = malloc((size_t)nyears * sizeof *years);
    if (!map || !years) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    CHECK(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid));
    int tdim, ydim, xdim, yv, xv, latv, lonv, yearv;
    CHECK(nc_def_dim(ncid, "year", (size_t)nyears, &tdim));
    CHECK(nc_def_var(ncid, "year", NC_INT, 1, &tdim, &yearv));
    CHECK(put_text(ncid, yearv, "long_name", "year"));
    if ((rc = define_grid(ncid, &ydim, &xdim, &yv, &xv, &latv, &lonv, path, err)))
        goto done;
    int dims[3] = {tdim, ydim, xdim};
    for (int j = 0; j < nind; j++)
        if ((rc = define_indicator_var(ncid, cat[ks[j]].code, &cat[ks[j]], 3, dims, o->deflate,
                                       &varids[j], path, err)))
            goto done;
    char gcm[128], member[] = "r1i1p1";
    cr_strlcpy(gcm, o->model, sizeof gcm);
    char *us = strchr(gcm, '_');
    const char *rcm = us ? us + 1 : "";
    if (us)
        *us = '\0';
    CHECK(put_text(ncid, NC_GLOBAL, "climrisk_kind", "annual"));
    CHECK(put_text(ncid, NC_GLOBAL, "model", o->model));
    CHECK(put_text(ncid, NC_GLOBAL, "gcm", gcm));
    CHECK(put_text(ncid, NC_GLOBAL, "rcm", rcm));
    CHECK(put_text(ncid, NC_GLOBAL, "member", member));
    CHECK(put_text(ncid, NC_GLOBAL, "experiment", o->experiment));
    CHECK(put_text(ncid, NC_GLOBAL, "input_files", "fixture"));
    CHECK(put_text(ncid, NC_GLOBAL, "tg_source", "tas"));
    CHECK(put_text(ncid, NC_GLOBAL, "prsn_source", "prsn"));
    CHECK(nc_enddef(ncid));
    if ((rc = write_grid(ncid, yv, xv, latv, lonv, path, err)))
        goto done;
    for (int t = 0; t < nyears; t++)
        years[t] = o->first_year + t;
    CHECK(nc_put_var_int(ncid, yearv, years));
    for (int j = 0; j < nind; j++) {
        int k = ks[j];
        for (int t = 0; t < nyears; t++) {
            for (int c = 0; c < CR_SAFRAN_NCELL; c++)
                map[c] = NAN;
            for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
                int id = cr_safran_grid_points[p].id;
                map[id] = is_constant(o, &cat[k]) ? o->constant_value
                                                  : fx_annual_value(k, years[t], id, o->variant);
            }
            size_t start[3] = {(size_t)t, 0, 0}, count[3] = {1, NY, NX};
            CHECK(nc_put_vara_float(ncid, varids[j], start, count, map));
        }
    }
done:
    if (ncid >= 0) {
        int st = nc_close(ncid);
        if (rc == CR_OK && st != NC_NOERR)
            rc = cr_err_set(err, CR_EINTERNAL, "fixture %s: close: %s", path, nc_strerror(st));
    }
    free(map);
    free(years);
    return rc;
}

/* Years of a horizon for model m (-1 when a warming level is not reached). */
static void horizon_years(const char *code, int h, int m, int *first, int *last)
{
    static const struct {
        const char *code;
        int first, last;
    } periods[] = {{"REF", 1976, 2005}, {"H1", 2021, 2050}, {"H2", 2041, 2070}, {"H3", 2071, 2100}};
    for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++)
        if (strcmp(code, periods[k].code) == 0) {
            *first = periods[k].first;
            *last = periods[k].last;
            return;
        }
    if (strncmp(code, "RWL", 3) == 0 && m == 1) {
        *first = *last = -1;
        return;
    }
    int pivot = 2030 + 10 * h + 3 * m;
    *first = pivot - 10;
    *last = pivot + 9;
}

static int put_strings(int ncid, int varid, const char *const *v)
{
    return nc_put_var_string(ncid, varid, (const char **)v);
}

struct stats_var {
    int varid, k, q, ensemble;
};

int fx_write_stats(const char *path, const struct fx_opts *o, struct cr_err *err)
{
    static const char *const def_h[] = {"REF", "H1", "H2", "H3"};
    const char *const *hz = o->horizons ? o->horizons : def_h;
    int nh = o->horizons ? o->nhorizons : 4, nm = o->nmodels;
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    int ks[64];
    int nind = pick_indicators(o, ks, err);
    if (nind < 0)
        return -nind;
    struct stats_var vars[64 * 10];
    int nvars = 0, rc = CR_OK, ncid = -1;
    float *map = malloc(CR_SAFRAN_NCELL * sizeof *map);
    int *fy = malloc((size_t)(nm * nh) * sizeof *fy), *ly = malloc((size_t)(nm * nh) * sizeof *ly);
    int *nmod = malloc((size_t)nh * sizeof *nmod);
    const char **types = malloc((size_t)nh * sizeof *types);
    if (!map || !fy || !ly || !nmod || !types) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    CHECK(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid));
    int mdim, hdim, sdim, ydim, xdim, yv, xv, latv, lonv, mv, hv, htv, sv, fyv, lyv, nmv;
    CHECK(nc_def_dim(ncid, "model", (size_t)nm, &mdim));
    CHECK(nc_def_dim(ncid, "horizon", (size_t)nh, &hdim));
    CHECK(nc_def_dim(ncid, "stat", NSTATS, &sdim));
    CHECK(nc_def_var(ncid, "model", NC_STRING, 1, &mdim, &mv));
    CHECK(nc_def_var(ncid, "horizon", NC_STRING, 1, &hdim, &hv));
    CHECK(nc_def_var(ncid, "horizon_type", NC_STRING, 1, &hdim, &htv));
    CHECK(nc_def_var(ncid, "stat", NC_STRING, 1, &sdim, &sv));
    int mh[2] = {mdim, hdim};
    CHECK(nc_def_var(ncid, "horizon_first_year", NC_INT, 2, mh, &fyv));
    CHECK(nc_def_var(ncid, "horizon_last_year", NC_INT, 2, mh, &lyv));
    CHECK(nc_def_var(ncid, "ensemble_nmodels", NC_INT, 1, &hdim, &nmv));
    if ((rc = define_grid(ncid, &ydim, &xdim, &yv, &xv, &latv, &lonv, path, err)))
        goto done;
    for (int j = 0; j < nind; j++) {
        const struct cr_indicator_def *d = &cat[ks[j]];
        int rx = strcmp(d->code, "rx1day") == 0;
        for (int q = 0; q < 5; q++) {
            if ((q == 2 && !d->ratio) || (q >= 3 && !rx))
                continue;
            for (int ens = 0; ens < 2; ens++) {
                if (ens && q == 4)
                    continue; /* docs/formats.md: no ensemble of rl20_anom */
                char name[128];
                if (q >= 3)
                    snprintf(name, sizeof name, "%s_%s%s", d->code, qty_names[q],
                             ens ? "_ens" : "");
                else
                    snprintf(name, sizeof name, "%s_%s%s", d->code, ens ? "ens_" : "",
                             qty_names[q]);
                int dims[4] = {ens ? sdim : mdim, hdim, ydim, xdim};
                struct stats_var *v = &vars[nvars++];
                v->k = ks[j];
                v->q = q;
                v->ensemble = ens;
                if ((rc = define_indicator_var(ncid, name, d, 4, dims, o->deflate, &v->varid, path,
                                               err)))
                    goto done;
            }
        }
    }
    CHECK(put_text(ncid, NC_GLOBAL, "climrisk_kind", "stats"));
    CHECK(put_text(ncid, NC_GLOBAL, "experiment", o->experiment));
    CHECK(put_text(ncid, NC_GLOBAL, "annual_files", "fixture"));
    CHECK(nc_enddef(ncid));
    if ((rc = write_grid(ncid, yv, xv, latv, lonv, path, err)))
        goto done;
    for (int h = 0; h < nh; h++) {
        types[h] = strncmp(hz[h], "RWL", 3) == 0 ? "warming_level" : "period";
        nmod[h] = strncmp(hz[h], "RWL", 3) == 0 && nm > 1 ? nm - 1 : nm;
        for (int m = 0; m < nm; m++)
            horizon_years(hz[h], h, m, &fy[m * nh + h], &ly[m * nh + h]);
    }
    CHECK(put_strings(ncid, mv, o->models));
    CHECK(put_strings(ncid, hv, hz));
    CHECK(put_strings(ncid, htv, types));
    CHECK(put_strings(ncid, sv, stat_names));
    CHECK(nc_put_var_int(ncid, fyv, fy));
    CHECK(nc_put_var_int(ncid, lyv, ly));
    CHECK(nc_put_var_int(ncid, nmv, nmod));
    for (int v = 0; v < nvars; v++) {
        const struct stats_var *sv2 = &vars[v];
        int outer = sv2->ensemble ? NSTATS : nm;
        int constant = is_constant(o, &cat[sv2->k]);
        for (int oi = 0; oi < outer; oi++) {
            for (int h = 0; h < nh; h++) {
                int missing = (!sv2->ensemble && fy[oi * nh + h] < 0) ||
                              (sv2->ensemble && sv2->q == 0 && oi == NSTATS - 1);
                for (int c = 0; c < CR_SAFRAN_NCELL; c++)
                    map[c] = NAN;
                for (int p = 0; p < CR_SAFRAN_NLAND && !missing; p++) {
                    int id = cr_safran_grid_points[p].id;
                    map[id] = constant
                                  ? o->constant_value
                                  : fx_stats_value(sv2->k, sv2->q, h, sv2->ensemble ? 50 + oi : oi,
                                                   id, o->variant);
                }
                size_t start[4] = {(size_t)oi, (size_t)h, 0, 0}, count[4] = {1, 1, NY, NX};
                CHECK(nc_put_vara_float(ncid, sv2->varid, start, count, map));
            }
        }
    }
done:
    if (ncid >= 0) {
        int st = nc_close(ncid);
        if (rc == CR_OK && st != NC_NOERR)
            rc = cr_err_set(err, CR_EINTERNAL, "fixture %s: close: %s", path, nc_strerror(st));
    }
    free(map);
    free(fy);
    free(ly);
    free(nmod);
    free(types);
    return rc;
}
