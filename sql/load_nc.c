/* load_nc.c — describe and read annual/statistics NetCDF files for the
 * loader; see load_nc.h. */
#include "load_nc.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strutil.h"

static int nc_fail(struct cr_err *err, int status, const char *path, const char *what)
{
    return cr_err_set(err, CR_EDATA, "%s: %s: %s", path, what, nc_strerror(status));
}

/* A text global attribute into out; "" when absent. */
static void get_text_att(int ncid, int varid, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    nc_type t;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR)
        return;
    if (t == NC_CHAR) {
        char *buf = malloc(len + 1);
        if (buf && nc_get_att_text(ncid, varid, name, buf) == NC_NOERR) {
            buf[len] = '\0';
            cr_strlcpy(out, buf, size);
        }
        free(buf);
    } else if (t == NC_STRING && len == 1) {
        char *s = NULL;
        if (nc_get_att_string(ncid, varid, name, &s) == NC_NOERR && s)
            cr_strlcpy(out, s, size);
        if (s)
            nc_free_string(1, &s);
    }
    cr_trim(out);
}

/* A 1-D list of n strings (NC_STRING, or NC_CHAR with a length dimension)
 * into fixed slots of width w. */
static int read_strings(const struct cr_nc_file *f, const char *name, size_t n, char *out, size_t w,
                        struct cr_err *err)
{
    int varid, ndims, dimids[2];
    nc_type t;
    if (nc_inq_varid(f->ncid, name, &varid) != NC_NOERR)
        return cr_err_set(err, CR_EDATA,
                          "%s: statistics file without variable '%s' (see "
                          "docs/formats.md)",
                          f->path, name);
    nc_inq_vartype(f->ncid, varid, &t);
    nc_inq_varndims(f->ncid, varid, &ndims);
    if (t == NC_STRING && ndims == 1) {
        char **s = calloc(n ? n : 1, sizeof *s);
        if (!s)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        int st = nc_get_var_string(f->ncid, varid, s);
        if (st != NC_NOERR) {
            free(s);
            return nc_fail(err, st, f->path, name);
        }
        for (size_t k = 0; k < n; k++)
            cr_strlcpy(out + k * w, s[k] ? s[k] : "", w);
        nc_free_string(n, s);
        free(s);
        return CR_OK;
    }
    if (t == NC_CHAR && ndims == 2) {
        nc_inq_vardimid(f->ncid, varid, dimids);
        size_t len;
        nc_inq_dimlen(f->ncid, dimids[1], &len);
        char *buf = malloc(n * len + 1);
        if (!buf)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        int st = nc_get_var_text(f->ncid, varid, buf);
        for (size_t k = 0; st == NC_NOERR && k < n; k++) {
            size_t m = len < w - 1 ? len : w - 1;
            memcpy(out + k * w, buf + k * len, m);
            out[k * w + m] = '\0';
            cr_trim(out + k * w);
        }
        free(buf);
        return st == NC_NOERR ? CR_OK : nc_fail(err, st, f->path, name);
    }
    return cr_err_set(err, CR_EDATA, "%s: variable '%s' must be a list of strings", f->path, name);
}

static int read_ints(const struct cr_nc_file *f, const char *name, int *out, int required, size_t n,
                     struct cr_err *err)
{
    int varid;
    if (nc_inq_varid(f->ncid, name, &varid) != NC_NOERR) {
        if (!required) {
            for (size_t k = 0; k < n; k++)
                out[k] = -1;
            return CR_OK;
        }
        return cr_err_set(err, CR_EDATA, "%s: no variable '%s' (see docs/formats.md)", f->path,
                          name);
    }
    int st = nc_get_var_int(f->ncid, varid, out);
    return st == NC_NOERR ? CR_OK : nc_fail(err, st, f->path, name);
}

static int dim_of(int ncid, const char *name, int *dimid, size_t *len)
{
    if (nc_inq_dimid(ncid, name, dimid) != NC_NOERR)
        return -1;
    nc_inq_dimlen(ncid, *dimid, len);
    return 0;
}

/* Map the file's x/y axes onto SAFRAN columns/rows. */
static int check_grid(struct cr_nc_file *f, int *ydim, int *xdim, struct cr_err *err)
{
    size_t ny, nx;
    int xv, yv;
    if (dim_of(f->ncid, "y", ydim, &ny) != 0 || dim_of(f->ncid, "x", xdim, &nx) != 0 ||
        nc_inq_varid(f->ncid, "x", &xv) != NC_NOERR || nc_inq_varid(f->ncid, "y", &yv) != NC_NOERR)
        return cr_err_set(err, CR_EDATA,
                          "%s: no x/y dimensions and coordinates: the datamart stores outputs "
                          "on the SAFRAN 8 km grid (Lambert II etendu x/y in metres) only",
                          f->path);
    double *xs = malloc(nx * sizeof *xs), *ys = malloc(ny * sizeof *ys);
    int *col_of_i = malloc(CR_SAFRAN_NX * sizeof(int)),
        *row_of_j = malloc(CR_SAFRAN_NY * sizeof(int));
    f->land_offset = malloc(CR_SAFRAN_NLAND * sizeof *f->land_offset);
    int rc = CR_OK;
    if (!xs || !ys || !col_of_i || !row_of_j || !f->land_offset)
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    if (rc == CR_OK && (nc_get_var_double(f->ncid, xv, xs) != NC_NOERR ||
                        nc_get_var_double(f->ncid, yv, ys) != NC_NOERR))
        rc = cr_err_set(err, CR_EDATA, "%s: cannot read the x/y coordinates", f->path);
    for (int k = 0; rc == CR_OK && k < CR_SAFRAN_NX; k++)
        col_of_i[k] = -1;
    for (int k = 0; rc == CR_OK && k < CR_SAFRAN_NY; k++)
        row_of_j[k] = -1;
    for (size_t c = 0; rc == CR_OK && c < nx; c++) {
        double u = (xs[c] - CR_SAFRAN_X0) / CR_SAFRAN_STEP;
        long i = lround(u);
        if (fabs(u - (double)i) * CR_SAFRAN_STEP > 1.0 || i < 0 || i >= CR_SAFRAN_NX)
            rc = cr_err_set(err, CR_EDATA,
                            "%s: x[%zu] = %g m is not a SAFRAN column centre (60000 + 8000 i): "
                            "the datamart stores SAFRAN-grid outputs only",
                            f->path, c, xs[c]);
        else
            col_of_i[i] = (int)c;
    }
    for (size_t r = 0; rc == CR_OK && r < ny; r++) {
        double u = (ys[r] - CR_SAFRAN_Y0) / CR_SAFRAN_STEP;
        long j = lround(u);
        if (fabs(u - (double)j) * CR_SAFRAN_STEP > 1.0 || j < 0 || j >= CR_SAFRAN_NY)
            rc = cr_err_set(err, CR_EDATA,
                            "%s: y[%zu] = %g m is not a SAFRAN row centre (1617000 + 8000 j): "
                            "the datamart stores SAFRAN-grid outputs only",
                            f->path, r, ys[r]);
        else
            row_of_j[j] = (int)r;
    }
    for (int k = 0; rc == CR_OK && k < CR_SAFRAN_NLAND; k++) {
        const struct cr_safran_point *p = &cr_safran_grid_points[k];
        int c = col_of_i[p->i], r = row_of_j[p->j];
        f->land_offset[k] = (c < 0 || r < 0) ? -1 : (long)r * (long)nx + c;
    }
    f->ny = (int)ny;
    f->nx = (int)nx;
    free(xs);
    free(ys);
    free(col_of_i);
    free(row_of_j);
    return rc;
}

static const char *const quantities[] = {"mean", "anom", "ratio", "rl20", "rl20_anom"};

/* "<indicator>_<quantity>", "<indicator>_ens_<quantity>" or
 * "<indicator>_<quantity>_ens": the longest catalogue code that prefixes
 * the name wins (codes contain underscores). */
static int parse_stats_name(const char *name, int (*is_indicator)(const char *),
                            struct cr_nc_var *v)
{
    size_t best = 0;
    char prefix[96];
    for (size_t k = 1; name[k]; k++) {
        if (name[k] != '_' || k >= sizeof prefix)
            continue;
        memcpy(prefix, name, k);
        prefix[k] = '\0';
        if (is_indicator(prefix))
            best = k;
    }
    if (!best)
        return -1;
    memcpy(v->indicator, name, best);
    v->indicator[best] = '\0';
    char rest[96];
    cr_strlcpy(rest, name + best + 1, sizeof rest);
    v->ensemble = 0;
    size_t n = strlen(rest);
    if (strncmp(rest, "ens_", 4) == 0) {
        memmove(rest, rest + 4, n - 3);
        v->ensemble = 1;
    } else if (n > 4 && strcmp(rest + n - 4, "_ens") == 0) {
        rest[n - 4] = '\0';
        v->ensemble = 1;
    } else {
        /* "rl20_ens_anom" (docs/formats.md: rx1day_rl20_ens_anom) -> rl20_anom */
        char *e = strstr(rest, "_ens_");
        if (e) {
            memmove(e, e + 4, strlen(e + 4) + 1);
            v->ensemble = 1;
        }
    }
    for (size_t q = 0; q < sizeof quantities / sizeof quantities[0]; q++)
        if (strcmp(rest, quantities[q]) == 0) {
            cr_strlcpy(v->quantity, rest, sizeof v->quantity);
            return 0;
        }
    return -1;
}

static int add_var(struct cr_nc_file *f, const struct cr_nc_var *v, struct cr_err *err)
{
    struct cr_nc_var *bigger = realloc(f->vars, (size_t)(f->nvars + 1) * sizeof *f->vars);
    if (!bigger)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    f->vars = bigger;
    f->vars[f->nvars++] = *v;
    return CR_OK;
}

/* A variable's fill value when it is not NaN (NaN reads as no data
 * anyway). Asked when the variable is read, not when the file is opened:
 * netCDF-4 reads a variable's attributes on first use, and opening a
 * statistics file of ~130 variables to read one map (climrisk tiles -i)
 * spent most of its time there. */
static int var_fill(int ncid, int varid, float *fill)
{
    float fv;
    if (nc_get_att_float(ncid, varid, "_FillValue", &fv) == NC_NOERR && !isnan(fv)) {
        *fill = fv;
        return 1;
    }
    if (nc_get_att_float(ncid, varid, "missing_value", &fv) == NC_NOERR && !isnan(fv)) {
        *fill = fv;
        return 1;
    }
    return 0;
}

static int describe_vars(struct cr_nc_file *f, int (*is_indicator)(const char *), int ydim,
                         int xdim, struct cr_err *err)
{
    int lead = -1, mdim = -1, sdim = -1, hdim = -1;
    size_t len;
    if (f->kind == CR_NC_ANNUAL) {
        if (dim_of(f->ncid, "year", &lead, &len) != 0)
            return cr_err_set(err, CR_EDATA, "%s: annual file without a 'year' dimension", f->path);
    } else {
        if (dim_of(f->ncid, "model", &mdim, &len) != 0 ||
            dim_of(f->ncid, "stat", &sdim, &len) != 0 ||
            dim_of(f->ncid, "horizon", &hdim, &len) != 0)
            return cr_err_set(err, CR_EDATA,
                              "%s: statistics file without model/stat/horizon dimensions", f->path);
    }
    int nvars;
    nc_inq_nvars(f->ncid, &nvars);
    for (int id = 0; id < nvars; id++) {
        struct cr_nc_var v;
        memset(&v, 0, sizeof v);
        int ndims, dims[NC_MAX_VAR_DIMS];
        nc_type t;
        nc_inq_varname(f->ncid, id, v.name);
        nc_inq_varndims(f->ncid, id, &ndims);
        nc_inq_vardimid(f->ncid, id, dims);
        nc_inq_vartype(f->ncid, id, &t);
        v.varid = id;
        int spatial = ndims >= 2 && dims[ndims - 2] == ydim && dims[ndims - 1] == xdim;
        int numeric = t == NC_FLOAT || t == NC_DOUBLE;
        if (f->kind == CR_NC_ANNUAL) {
            if (!(ndims == 3 && dims[0] == lead && spatial && numeric))
                continue;
            if (!is_indicator(v.name))
                return cr_err_set(err, CR_EDATA,
                                  "%s: variable '%s'(year, y, x) is not an indicator of the "
                                  "catalogue (indicators/catalog.c); was the file written by "
                                  "another climrisk version?",
                                  f->path, v.name);
            cr_strlcpy(v.indicator, v.name, sizeof v.indicator);
            cr_strlcpy(v.quantity, "value", sizeof v.quantity);
        } else {
            if (!(ndims == 4 && (dims[0] == mdim || dims[0] == sdim) && dims[1] == hdim &&
                  spatial && numeric))
                continue;
            if (parse_stats_name(v.name, is_indicator, &v) != 0)
                return cr_err_set(err, CR_EDATA,
                                  "%s: variable '%s' is not <indicator>_<quantity> with a "
                                  "catalogue indicator and a quantity among mean, anom, ratio, "
                                  "rl20, rl20_anom (docs/formats.md)",
                                  f->path, v.name);
            if (v.ensemble != (dims[0] == sdim))
                return cr_err_set(err, CR_EDATA,
                                  "%s: variable '%s': ensemble statistics must have the 'stat' "
                                  "dimension first, per-model values the 'model' dimension",
                                  f->path, v.name);
        }
        int rc = add_var(f, &v, err);
        if (rc)
            return rc;
    }
    if (f->nvars == 0)
        return cr_err_set(err, CR_EDATA, "%s: no indicator variables on the y/x grid", f->path);
    return CR_OK;
}

static int describe_stats(struct cr_nc_file *f, struct cr_err *err)
{
    int d;
    size_t nm, nh, ns;
    dim_of(f->ncid, "model", &d, &nm);
    dim_of(f->ncid, "horizon", &d, &nh);
    dim_of(f->ncid, "stat", &d, &ns);
    f->nmodels = (int)nm;
    f->nhorizons = (int)nh;
    f->nstats = (int)ns;
    f->models = calloc(nm ? nm : 1, sizeof *f->models);
    f->horizons = calloc(nh ? nh : 1, sizeof *f->horizons);
    f->horizon_types = calloc(nh ? nh : 1, sizeof *f->horizon_types);
    f->stats = calloc(ns ? ns : 1, sizeof *f->stats);
    f->first_year = malloc((nm * nh + 1) * sizeof(int));
    f->last_year = malloc((nm * nh + 1) * sizeof(int));
    f->ens_nmodels = malloc((nh + 1) * sizeof(int));
    if (!f->models || !f->horizons || !f->horizon_types || !f->stats || !f->first_year ||
        !f->last_year || !f->ens_nmodels)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    int rc;
    if ((rc = read_strings(f, "model", nm, (char *)f->models, sizeof f->models[0], err)) ||
        (rc = read_strings(f, "horizon", nh, (char *)f->horizons, sizeof f->horizons[0], err)) ||
        (rc = read_strings(f, "stat", ns, (char *)f->stats, sizeof f->stats[0], err)))
        return rc;
    int varid;
    if (nc_inq_varid(f->ncid, "horizon_type", &varid) == NC_NOERR) {
        if ((rc = read_strings(f, "horizon_type", nh, (char *)f->horizon_types,
                               sizeof f->horizon_types[0], err)))
            return rc;
    }
    if ((rc = read_ints(f, "horizon_first_year", f->first_year, 0, nm * nh, err)) ||
        (rc = read_ints(f, "horizon_last_year", f->last_year, 0, nm * nh, err)) ||
        (rc = read_ints(f, "ensemble_nmodels", f->ens_nmodels, 0, nh, err)))
        return rc;
    return CR_OK;
}

int cr_nc_open(struct cr_nc_file *f, const char *path, int (*is_indicator)(const char *code),
               struct cr_err *err)
{
    memset(f, 0, sizeof *f);
    f->ncid = -1;
    cr_strlcpy(f->path, path, sizeof f->path);
    int st = nc_open(path, NC_NOWRITE, &f->ncid);
    if (st != NC_NOERR) {
        f->ncid = -1;
        return cr_err_set(err, CR_EDATA, "cannot open %s as NetCDF: %s", path, nc_strerror(st));
    }
    char kind[32];
    get_text_att(f->ncid, NC_GLOBAL, "climrisk_kind", kind, sizeof kind);
    if (strcmp(kind, "annual") == 0)
        f->kind = CR_NC_ANNUAL;
    else if (strcmp(kind, "stats") == 0)
        f->kind = CR_NC_STATS;
    else
        return cr_err_set(err, CR_EDATA,
                          "%s: global attribute climrisk_kind is '%s', expected 'annual' or "
                          "'stats' (files written by climrisk compute/aggregate, "
                          "docs/formats.md)",
                          path, kind);
    get_text_att(f->ncid, NC_GLOBAL, "experiment", f->experiment, sizeof f->experiment);
    get_text_att(f->ncid, NC_GLOBAL, "climrisk_version", f->climrisk_version,
                 sizeof f->climrisk_version);
    if (!f->experiment[0])
        return cr_err_set(err, CR_EDATA, "%s: no 'experiment' global attribute", path);
    int ydim, xdim, rc;
    if ((rc = check_grid(f, &ydim, &xdim, err)))
        return rc;
    if (f->kind == CR_NC_ANNUAL) {
        get_text_att(f->ncid, NC_GLOBAL, "model", f->model, sizeof f->model);
        get_text_att(f->ncid, NC_GLOBAL, "gcm", f->gcm, sizeof f->gcm);
        get_text_att(f->ncid, NC_GLOBAL, "rcm", f->rcm, sizeof f->rcm);
        get_text_att(f->ncid, NC_GLOBAL, "member", f->member, sizeof f->member);
        if (!f->model[0])
            return cr_err_set(err, CR_EDATA, "%s: annual file without a 'model' global attribute",
                              path);
        int d;
        size_t ny;
        if (dim_of(f->ncid, "year", &d, &ny) != 0)
            return cr_err_set(err, CR_EDATA, "%s: annual file without a 'year' dimension", path);
        f->nyears = (int)ny;
        f->years = malloc((ny + 1) * sizeof(int));
        if (!f->years)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        if ((rc = read_ints(f, "year", f->years, 1, ny, err)))
            return rc;
    } else if ((rc = describe_stats(f, err))) {
        return rc;
    }
    return describe_vars(f, is_indicator, ydim, xdim, err);
}

void cr_nc_close(struct cr_nc_file *f)
{
    if (f->ncid >= 0)
        nc_close(f->ncid);
    free(f->years);
    free(f->models);
    free(f->horizons);
    free(f->horizon_types);
    free(f->stats);
    free(f->first_year);
    free(f->last_year);
    free(f->ens_nmodels);
    free(f->vars);
    free(f->land_offset);
    memset(f, 0, sizeof *f);
    f->ncid = -1;
}

static void var_shape(const struct cr_nc_file *f, const struct cr_nc_var *v, size_t *outer,
                      size_t *inner)
{
    if (f->kind == CR_NC_ANNUAL) {
        *outer = (size_t)f->nyears;
        *inner = 1;
    } else {
        *outer = (size_t)(v->ensemble ? f->nstats : f->nmodels);
        *inner = (size_t)f->nhorizons;
    }
}

size_t cr_nc_var_size(const struct cr_nc_file *f, const struct cr_nc_var *v)
{
    size_t outer, inner;
    var_shape(f, v, &outer, &inner);
    return outer * inner * CR_SAFRAN_NLAND;
}

int cr_nc_read_var(struct cr_nc_file *f, const struct cr_nc_var *v, float *out, size_t *outer,
                   size_t *inner, struct cr_err *err)
{
    var_shape(f, v, outer, inner);
    size_t maps = *outer * *inner, mapsize = (size_t)f->ny * (size_t)f->nx;
    float *raw = malloc((maps * mapsize + 1) * sizeof *raw);
    if (!raw)
        return cr_err_set(err, CR_EINTERNAL, "out of memory reading %s from %s", v->name, f->path);
    int st = nc_get_var_float(f->ncid, v->varid, raw);
    if (st != NC_NOERR) {
        free(raw);
        return cr_err_set(err, CR_EDATA, "%s: cannot read variable '%s': %s", f->path, v->name,
                          nc_strerror(st));
    }
    float fill = NAN;
    int has_fill = var_fill(f->ncid, v->varid, &fill);
    for (size_t m = 0; m < maps; m++) {
        const float *map = raw + m * mapsize;
        float *dst = out + m * CR_SAFRAN_NLAND;
        for (int k = 0; k < CR_SAFRAN_NLAND; k++) {
            long off = f->land_offset[k];
            float x = off < 0 ? NAN : map[off];
            if (!isfinite(x) || (has_fill && x == fill))
                x = NAN;
            dst[k] = x;
        }
    }
    free(raw);
    return CR_OK;
}

int cr_nc_read_var_grow(struct cr_nc_file *f, const struct cr_nc_var *v, float **buf, size_t *cap,
                        size_t *outer, size_t *inner, struct cr_err *err)
{
    size_t need = cr_nc_var_size(f, v);
    if (need > *cap) {
        float *bigger = realloc(*buf, need * sizeof **buf);
        if (!bigger)
            return cr_err_set(err, CR_EINTERNAL, "out of memory reading %s from %s", v->name,
                              f->path);
        *buf = bigger;
        *cap = need;
    }
    return cr_nc_read_var(f, v, *buf, outer, inner, err);
}
