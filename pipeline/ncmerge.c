/* ncmerge.c — variable-level merge of two NetCDF-4 files; see ncmerge.h. */
#include "ncmerge.h"

#include <netcdf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fsutil.h"

struct merge {
    int base, update, out; /* ncids, base = -1 when absent */
    const char *out_path;
    struct cr_err *err;
};

static int nc_fail(struct merge *m, int status, const char *what, const char *name)
{
    return cr_err_set(m->err, CR_EINTERNAL, "merging into %s: %s %s: %s", m->out_path, what,
                      name ? name : "", nc_strerror(status));
}

#define TRY(call, what, name)                                                                      \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR)                                                                       \
            return nc_fail(m, st_, what, name);                                                    \
    } while (0)

/* Define in out every dimension of src that out lacks; check the others. */
static int copy_dims(struct merge *m, int src)
{
    int ndims, unlim = -1;
    TRY(nc_inq_ndims(src, &ndims), "dimensions", NULL);
    nc_inq_unlimdim(src, &unlim);
    for (int d = 0; d < ndims; d++) {
        char name[NC_MAX_NAME + 1];
        size_t len;
        TRY(nc_inq_dim(src, d, name, &len), "dimension", NULL);
        int od;
        if (nc_inq_dimid(m->out, name, &od) == NC_NOERR) {
            size_t olen;
            nc_inq_dimlen(m->out, od, &olen);
            if (olen != len)
                return cr_err_set(m->err, CR_EDATA,
                                  "merging into %s: dimension '%s' has length %zu in one file "
                                  "and %zu in the other",
                                  m->out_path, name, olen, len);
            continue;
        }
        TRY(nc_def_dim(m->out, name, d == unlim ? NC_UNLIMITED : len, &od), "dimension", name);
    }
    return CR_OK;
}

static int copy_atts(struct merge *m, int src, int svar, int dvar, int skip_existing)
{
    int natts;
    if (svar == NC_GLOBAL)
        TRY(nc_inq_natts(src, &natts), "attributes", NULL);
    else
        TRY(nc_inq_varnatts(src, svar, &natts), "attributes", NULL);
    for (int a = 0; a < natts; a++) {
        char name[NC_MAX_NAME + 1];
        TRY(nc_inq_attname(src, svar, a, name), "attribute", NULL);
        if (strcmp(name, "_FillValue") == 0)
            continue; /* set through nc_def_var_fill */
        int existing;
        if (skip_existing && nc_inq_attid(m->out, dvar, name, &existing) == NC_NOERR)
            continue;
        TRY(nc_copy_att(src, svar, name, m->out, dvar), "attribute", name);
    }
    return CR_OK;
}

static int define_var(struct merge *m, int src, int v)
{
    char name[NC_MAX_NAME + 1];
    nc_type type;
    int ndims, dims[NC_MAX_VAR_DIMS], odims[NC_MAX_VAR_DIMS];
    TRY(nc_inq_var(src, v, name, &type, &ndims, dims, NULL), "variable", NULL);
    for (int d = 0; d < ndims; d++) {
        char dname[NC_MAX_NAME + 1];
        TRY(nc_inq_dimname(src, dims[d], dname), "dimension", name);
        TRY(nc_inq_dimid(m->out, dname, &odims[d]), "dimension", dname);
    }
    int ov;
    TRY(nc_def_var(m->out, name, type, ndims, odims, &ov), "variable", name);
    if (ndims > 0) {
        int storage;
        size_t chunks[NC_MAX_VAR_DIMS];
        if (nc_inq_var_chunking(src, v, &storage, chunks) == NC_NOERR && storage == NC_CHUNKED)
            TRY(nc_def_var_chunking(m->out, ov, NC_CHUNKED, chunks), "chunking", name);
        int shuffle, deflate, level;
        if (nc_inq_var_deflate(src, v, &shuffle, &deflate, &level) == NC_NOERR && deflate)
            TRY(nc_def_var_deflate(m->out, ov, shuffle, 1, level), "deflate", name);
    }
    int no_fill;
    unsigned char fill[64];
    size_t fill_len;
    if (type != NC_STRING && nc_inq_attlen(src, v, "_FillValue", &fill_len) == NC_NOERR &&
        nc_inq_var_fill(src, v, &no_fill, fill) == NC_NOERR)
        TRY(nc_def_var_fill(m->out, ov, no_fill, fill), "fill value", name);
    return copy_atts(m, src, v, ov, 0);
}

static int copy_data(struct merge *m, int src, int v)
{
    char name[NC_MAX_NAME + 1];
    nc_type type;
    int ndims, dims[NC_MAX_VAR_DIMS], ov;
    TRY(nc_inq_var(src, v, name, &type, &ndims, dims, NULL), "variable", NULL);
    TRY(nc_inq_varid(m->out, name, &ov), "variable", name);
    size_t count[NC_MAX_VAR_DIMS], start[NC_MAX_VAR_DIMS] = {0}, total = 1, size;
    for (int d = 0; d < ndims; d++) {
        TRY(nc_inq_dimlen(src, dims[d], &count[d]), "dimension", name);
        total *= count[d];
    }
    TRY(nc_inq_type(src, type, NULL, &size), "type", name);
    if (total == 0)
        return CR_OK;
    /* Copy slab by slab along the first dimension to bound memory. */
    size_t rows = ndims > 0 ? count[0] : 1, per_row = rows ? total / rows : 0;
    size_t step = per_row * size > 0 ? (64u << 20) / (per_row * size) : rows;
    if (step == 0)
        step = 1;
    void *buf = malloc((step < rows ? step : rows) * per_row * size);
    if (!buf)
        return cr_err_set(m->err, CR_EINTERNAL, "out of memory copying %s", name);
    int rc = CR_OK;
    for (size_t r0 = 0; r0 < rows && rc == CR_OK; r0 += step) {
        size_t n = rows - r0 < step ? rows - r0 : step;
        if (ndims > 0) {
            start[0] = r0;
            count[0] = n;
        }
        int st = nc_get_vara(src, v, start, count, buf);
        if (st == NC_NOERR)
            st = nc_put_vara(m->out, ov, start, count, buf);
        if (type == NC_STRING)
            nc_free_string(n * per_row, buf);
        if (st != NC_NOERR)
            rc = nc_fail(m, st, "copying", name);
    }
    free(buf);
    return rc;
}

static int has_var(int ncid, const char *name)
{
    int v;
    return nc_inq_varid(ncid, name, &v) == NC_NOERR;
}

static int merge_into(struct merge *m)
{
    int rc, nb = 0, nu;
    if ((rc = copy_dims(m, m->update)) || (m->base >= 0 && (rc = copy_dims(m, m->base))))
        return rc;
    TRY(nc_inq_nvars(m->update, &nu), "variables", NULL);
    if (m->base >= 0)
        TRY(nc_inq_nvars(m->base, &nb), "variables", NULL);
    for (int v = 0; v < nb; v++) {
        char name[NC_MAX_NAME + 1];
        nc_inq_varname(m->base, v, name);
        if (!has_var(m->update, name) && (rc = define_var(m, m->base, v)))
            return rc;
    }
    for (int v = 0; v < nu; v++)
        if ((rc = define_var(m, m->update, v)))
            return rc;
    if ((rc = copy_atts(m, m->update, NC_GLOBAL, NC_GLOBAL, 0)) ||
        (m->base >= 0 && (rc = copy_atts(m, m->base, NC_GLOBAL, NC_GLOBAL, 1))))
        return rc;
    TRY(nc_enddef(m->out), "end of definitions", NULL);
    for (int v = 0; v < nb; v++) {
        char name[NC_MAX_NAME + 1];
        nc_inq_varname(m->base, v, name);
        if (!has_var(m->update, name) && (rc = copy_data(m, m->base, v)))
            return rc;
    }
    for (int v = 0; v < nu; v++)
        if ((rc = copy_data(m, m->update, v)))
            return rc;
    return CR_OK;
}

int cr_nc_merge(const char *base, const char *update, const char *out, struct cr_err *err)
{
    struct merge m = {-1, -1, -1, out, err};
    char tmp[CR_PATH_MAX];
    int rc = cr_part_path(out, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    int st = nc_open(update, NC_NOWRITE, &m.update);
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EINTERNAL, "cannot open %s: %s", update, nc_strerror(st));
    if (cr_file_exists(base) && (st = nc_open(base, NC_NOWRITE, &m.base)) != NC_NOERR) {
        nc_close(m.update);
        return cr_err_set(err, CR_EDATA, "cannot open %s: %s (delete it to recompute it whole)",
                          base, nc_strerror(st));
    }
    st = nc_create(tmp, NC_NETCDF4 | NC_CLOBBER, &m.out);
    if (st != NC_NOERR)
        rc = cr_err_set(err, CR_EINTERNAL, "cannot create %s: %s", tmp, nc_strerror(st));
    else
        rc = merge_into(&m);
    if (m.out >= 0 && (st = nc_close(m.out)) != NC_NOERR && rc == CR_OK)
        rc =
            cr_err_set(err, CR_EINTERNAL, "cannot write %s: %s (disk full?)", tmp, nc_strerror(st));
    nc_close(m.update);
    if (m.base >= 0)
        nc_close(m.base);
    if (rc == CR_OK)
        return cr_publish(tmp, out, err);
    unlink(tmp);
    return rc;
}
