/* cffile.c — one CF NetCDF file: variable, decoding, time axis, reads; see
 * cffile.h.
 *
 * The hot path is cr_cffile_read on a time-major float variable:
 * nc_get_vara_float fills the caller's buffer, then one pass converts in
 * place (fill -> NaN, raw * a + b). Everything else here runs once per
 * file. */
#include "cffile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/log.h"
#include "../core/strutil.h"
#include "h5chunk.h"
#include "ncutil.h"

/* Largest transpose / double buffer, in values (32 MB of doubles). */
#define TMP_MAX_VALUES (4u << 20)

int cr_cffile_open_error(const char *path, int st, struct cr_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cr_err_set(err, CR_EDATA, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return cr_err_set(err, CR_EDATA, "'%s' is a directory, not a NetCDF file", path);
    if (sb.st_size == 0)
        return cr_err_set(err, CR_EDATA, "'%s' is empty (0 bytes): download it again", path);
    if (st == NC_ENOTNC)
        return cr_err_set(err, CR_EDATA,
                          "'%s' is not a NetCDF file (%s): a partial download, an HTML error "
                          "page or another format? Check it with `ncdump -h` and download it "
                          "again",
                          path, nc_strerror(st));
    return cr_err_set(err, CR_EDATA,
                      "cannot open '%s' as NetCDF: %s (truncated or damaged file? check it with "
                      "`ncdump -h` and download it again)",
                      path, nc_strerror(st));
}

/* ---- choosing the variable -------------------------------------------- */

static int has_since(const char *units)
{
    return strstr(units, " since ") != NULL;
}

/* The position of the time dimension among varid's dimensions, or -1: the
 * dimension whose coordinate variable has "<unit> since <date>" units, axis
 * T or standard_name time. */
static int time_axis_of(int ncid, int varid)
{
    int nd, dims[NC_MAX_VAR_DIMS];
    if (nc_inq_var(ncid, varid, NULL, NULL, &nd, dims, NULL) != NC_NOERR)
        return -1;
    for (int k = 0; k < nd; k++) {
        int cv = cr_nc_coord_var(ncid, dims[k]);
        char text[128];
        if (cv < 0)
            continue;
        if ((cr_nc_text_att(ncid, cv, "units", text, sizeof text) == 0 && has_since(text)) ||
            (cr_nc_text_att(ncid, cv, "axis", text, sizeof text) == 0 && strcmp(text, "T") == 0) ||
            (cr_nc_text_att(ncid, cv, "standard_name", text, sizeof text) == 0 &&
             strcmp(text, "time") == 0))
            return k;
    }
    return -1;
}

/* Is v named by another variable's "bounds" attribute (time_bnds, ...)? */
static int is_bounds_var(int ncid, int v, int nvars)
{
    char name[NC_MAX_NAME + 1];
    nc_inq_varname(ncid, v, name);
    size_t len = strlen(name);
    if ((len > 5 && strcmp(name + len - 5, "_bnds") == 0) ||
        (len > 7 && strcmp(name + len - 7, "_bounds") == 0))
        return 1;
    for (int u = 0; u < nvars; u++) {
        char b[NC_MAX_NAME + 1];
        if (cr_nc_text_att(ncid, u, "bounds", b, sizeof b) == 0 && strcmp(b, name) == 0)
            return 1;
    }
    return 0;
}

/* A variable holding data over time (not a coordinate or bounds). */
static int is_data_var(int ncid, int v, int nvars)
{
    nc_type type;
    int nd, dims[NC_MAX_VAR_DIMS];
    if (nc_inq_var(ncid, v, NULL, &type, &nd, dims, NULL) != NC_NOERR)
        return 0;
    if (type == NC_CHAR || type == NC_STRING || type > NC_STRING || nd < 1)
        return 0;
    if (nd == 1 && cr_nc_coord_var(ncid, dims[0]) == v)
        return 0;
    if (time_axis_of(ncid, v) < 0)
        return 0;
    return !is_bounds_var(ncid, v, nvars);
}

/* The canonical variable of v: from its name, else standard_name and
 * cell_methods. */
static int canonical_of(int ncid, int v, enum cr_var *out)
{
    char name[NC_MAX_NAME + 1], sn[128], cm[256];
    nc_inq_varname(ncid, v, name);
    if (cr_var_parse(name, out) == 0)
        return 0;
    if (cr_nc_text_att(ncid, v, "standard_name", sn, sizeof sn) != 0)
        return -1;
    if (cr_nc_text_att(ncid, v, "cell_methods", cm, sizeof cm) != 0)
        cm[0] = '\0';
    return cr_var_from_standard_name(sn, cm, out);
}

/* "a, b, c" of every variable in the file. */
static void list_vars(int ncid, char *out, size_t size)
{
    int nvars;
    out[0] = '\0';
    if (nc_inq_nvars(ncid, &nvars) != NC_NOERR)
        return;
    size_t n = 0;
    for (int v = 0; v < nvars && n + 1 < size; v++) {
        char name[NC_MAX_NAME + 1];
        nc_inq_varname(ncid, v, name);
        int w = snprintf(out + n, size - n, "%s%s", v ? ", " : "", name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (nvars == 0)
        cr_strlcpy(out, "(none)", size);
}

static const char *method_word(enum cr_var v)
{
    return v == CR_VAR_TASMIN ? "minimum" : v == CR_VAR_TASMAX ? "maximum" : "mean";
}

static int find_variable(struct cr_cffile *f, const char *request, struct cr_err *err)
{
    int ncid = f->ncid, nvars;
    nc_inq_nvars(ncid, &nvars);
    char present[1024];
    enum cr_var want;
    int have_want = request && cr_var_parse(request, &want) == 0;
    int found = -1;
    if (request && nc_inq_varid(ncid, request, &found) != NC_NOERR)
        found = -1;
    if (found < 0 && have_want) {
        /* Another name of the same variable (tasmax -> tasmaxAdjust). */
        for (const char *const *n = cr_var_file_names(want); *n && found < 0; n++)
            if (nc_inq_varid(ncid, *n, &found) != NC_NOERR)
                found = -1;
        /* Or any data variable whose standard_name says it is. */
        for (int v = 0; v < nvars && found < 0; v++) {
            enum cr_var c;
            if (is_data_var(ncid, v, nvars) && canonical_of(ncid, v, &c) == 0 && c == want)
                found = v;
        }
    }
    if (found < 0 && request && !have_want) {
        /* A standard_name: the one data variable carrying it. */
        int n = 0;
        for (int v = 0; v < nvars; v++) {
            char sn[128];
            if (is_data_var(ncid, v, nvars) &&
                cr_nc_text_att(ncid, v, "standard_name", sn, sizeof sn) == 0 &&
                strcmp(sn, request) == 0) {
                found = v;
                n++;
            }
        }
        if (n > 1) {
            list_vars(ncid, present, sizeof present);
            return cr_err_set(err, CR_EDATA,
                              "'%s': %d variables have standard_name %s; ask for one by name "
                              "(variables: %s)",
                              f->path, n, request, present);
        }
    }
    if (found < 0 && !request) {
        /* The file's one data variable; among several, the one we know. */
        int ndata = 0, nknown = 0, any = -1, known = -1;
        char names[512] = "";
        for (int v = 0; v < nvars; v++) {
            if (!is_data_var(ncid, v, nvars))
                continue;
            char name[NC_MAX_NAME + 1];
            nc_inq_varname(ncid, v, name);
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", name);
            ndata++;
            any = v;
            enum cr_var c;
            if (canonical_of(ncid, v, &c) == 0) {
                nknown++;
                known = v;
            }
        }
        if (ndata == 1)
            found = any;
        else if (nknown == 1)
            found = known;
        else if (ndata == 0) {
            list_vars(ncid, present, sizeof present);
            return cr_err_set(err, CR_EDATA,
                              "'%s' has no data variable with a time dimension (variables: "
                              "%s); is it a daily climate file?",
                              f->path, present);
        } else
            return cr_err_set(err, CR_EDATA,
                              "'%s' holds several data variables (%s): say which one to read",
                              f->path, names);
    }
    if (found < 0) {
        list_vars(ncid, present, sizeof present);
        if (have_want) {
            char names[256] = "";
            for (const char *const *n = cr_var_file_names(want); *n; n++) {
                size_t len = strlen(names);
                snprintf(names + len, sizeof names - len, "%s, ", *n);
            }
            const char *sn = want <= CR_VAR_TAS    ? "air_temperature"
                             : want == CR_VAR_PR   ? "precipitation_flux"
                             : want == CR_VAR_PRSN ? "snowfall_flux"
                                                   : "surface_snow_amount";
            return cr_err_set(err, CR_EDATA,
                              "'%s' has no %s variable (looked for %sor standard_name %s%s%s); "
                              "the file has: %s. Is it the right file for %s?",
                              f->path, cr_var_name(want), names, sn,
                              want <= CR_VAR_TAS ? " with cell_methods time: " : "",
                              want <= CR_VAR_TAS ? method_word(want) : "", present, request);
        }
        return cr_err_set(err, CR_EDATA,
                          "'%s' has no variable or standard_name '%s'; the file has: %s", f->path,
                          request, present);
    }
    f->varid = found;
    nc_inq_varname(ncid, found, f->var_name);
    if (canonical_of(ncid, found, &f->var) != 0) {
        if (have_want) {
            f->var = want;
        } else {
            return cr_err_set(err, CR_EDATA,
                              "'%s': variable %s is not one climrisk reads (tasmin, tasmax, tas, "
                              "pr, prsn, snw by DRIAS/CORDEX name or standard_name)",
                              f->path, f->var_name);
        }
    }
    if (have_want && f->var != want) {
        /* Asked for a DRIAS/CORDEX name the file uses for something else. */
        return cr_err_set(err, CR_EDATA,
                          "'%s': variable %s looks like %s (standard_name/cell_methods), not %s",
                          f->path, f->var_name, cr_var_name(f->var), cr_var_name(want));
    }
    return CR_OK;
}

/* ---- dimensions and decoding ------------------------------------------ */

static int read_layout(struct cr_cffile *f, struct cr_err *err)
{
    int dims[NC_MAX_VAR_DIMS];
    nc_inq_var(f->ncid, f->varid, NULL, &f->xtype, &f->ndims, dims, NULL);
    f->time_axis = time_axis_of(f->ncid, f->varid);
    if (f->time_axis < 0)
        return cr_err_set(err, CR_EDATA,
                          "'%s': variable %s has no time dimension (no dimension with a "
                          "'<unit> since <date>' coordinate variable)",
                          f->path, f->var_name);
    f->nspatial = 0;
    f->layout[0] = '\0';
    int spatial_dimids[2] = {-1, -1};
    for (int k = 0; k < f->ndims; k++) {
        char name[NC_MAX_NAME + 1];
        nc_inq_dim(f->ncid, dims[k], name, &f->dimlen[k]);
        size_t len = strlen(f->layout);
        snprintf(f->layout + len, sizeof f->layout - len, "%s%s", k ? "," : "", name);
        if (k == f->time_axis || f->dimlen[k] == 1)
            continue; /* length-1 dimensions (height) carry no cells */
        if (f->nspatial == 2)
            return cr_err_set(err, CR_EDATA,
                              "'%s': variable %s has dimensions (%s): more than two besides time; "
                              "climrisk reads (time, y, x) grids and (time, location) station "
                              "sets",
                              f->path, f->var_name, f->layout);
        spatial_dimids[f->nspatial] = dims[k];
        f->spatial_axis[f->nspatial++] = k;
    }
    f->time_major = 1;
    for (int s = 0; s < f->nspatial; s++)
        if (f->spatial_axis[s] < f->time_axis)
            f->time_major = 0;
    return cr_grid_read(f->ncid, f->varid, spatial_dimids, f->nspatial, f->path, &f->grid, err);
}

static int read_decoding(struct cr_cffile *f, struct cr_err *err)
{
    int ncid = f->ncid, v = f->varid;
    if (cr_nc_text_att(ncid, v, "units", f->units, sizeof f->units) != 0)
        return cr_err_set(err, CR_EDATA,
                          "'%s': variable %s has no units attribute; climrisk does not guess "
                          "units (expected one of: %s)",
                          f->path, f->var_name, cr_units_accepted(f->var));
    struct cr_unit_conv conv;
    if (cr_units_conversion(f->var, f->units, &conv) != 0)
        return cr_err_set(err, CR_EDATA,
                          "'%s': variable %s has units '%s', which climrisk does not know for "
                          "%s (accepted: %s); convert the file (e.g. with cdo) or report the "
                          "spelling",
                          f->path, f->var_name, f->units, cr_var_name(f->var),
                          cr_units_accepted(f->var));
    cr_nc_text_att(ncid, v, "standard_name", f->standard_name, sizeof f->standard_name);
    double sf = 1, ao = 0;
    cr_nc_double_att(ncid, v, "scale_factor", &sf);
    cr_nc_double_att(ncid, v, "add_offset", &ao);
    if (!isfinite(sf) || !isfinite(ao) || sf == 0)
        return cr_err_set(err, CR_EDATA,
                          "'%s': variable %s has an unusable scale_factor %g / "
                          "add_offset %g",
                          f->path, f->var_name, sf, ao);
    f->a = sf * conv.scale;
    f->b = ao * conv.scale + conv.offset;

    /* Fill: _FillValue, or the netCDF default of the type when the file
     * does not set one (unwritten values hold it). */
    f->nfill = 0;
    int no_fill = 0;
    double fv;
    if (cr_nc_double_att(ncid, v, "_FillValue", &fv) == 0) {
        f->fill[f->nfill++] = fv;
    } else if (nc_inq_var_fill(ncid, v, &no_fill, NULL) == NC_NOERR && !no_fill) {
        switch (f->xtype) {
        case NC_FLOAT:
            f->fill[f->nfill++] = NC_FILL_FLOAT;
            break;
        case NC_DOUBLE:
            f->fill[f->nfill++] = NC_FILL_DOUBLE;
            break;
        case NC_SHORT:
            f->fill[f->nfill++] = NC_FILL_SHORT;
            break;
        case NC_INT:
            f->fill[f->nfill++] = NC_FILL_INT;
            break;
        case NC_BYTE:
            f->fill[f->nfill++] = NC_FILL_BYTE;
            break;
        default:
            break;
        }
    }
    double mv[3];
    int nmv = cr_nc_double_atts(ncid, v, "missing_value", mv, 3);
    for (int k = 0; k < nmv && f->nfill < 4; k++)
        if (f->nfill == 0 || mv[k] != f->fill[0])
            f->fill[f->nfill++] = mv[k];
    double vr[2];
    f->has_valid = 0;
    f->valid_min = -INFINITY;
    f->valid_max = INFINITY;
    if (cr_nc_double_atts(ncid, v, "valid_range", vr, 2) == 2) {
        f->valid_min = vr[0];
        f->valid_max = vr[1];
        f->has_valid = 1;
    } else {
        if (cr_nc_double_att(ncid, v, "valid_min", &f->valid_min) == 0)
            f->has_valid = 1;
        if (cr_nc_double_att(ncid, v, "valid_max", &f->valid_max) == 0)
            f->has_valid = 1;
    }
    return CR_OK;
}

/* ---- time axis -------------------------------------------------------- */

static int cmp_day_index(const void *pa, const void *pb)
{
    const int64_t *a = pa, *b = pb;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static int read_time(struct cr_cffile *f, struct cr_err *err)
{
    int ncid = f->ncid, dims[NC_MAX_VAR_DIMS];
    nc_inq_vardimid(ncid, f->varid, dims);
    int tvar = cr_nc_coord_var(ncid, dims[f->time_axis]);
    char tname[NC_MAX_NAME + 1];
    nc_inq_varname(ncid, tvar, tname);
    if (cr_nc_text_att(ncid, tvar, "units", f->time_units, sizeof f->time_units) != 0)
        return cr_err_set(err, CR_EDATA, "'%s': time variable %s has no units attribute", f->path,
                          tname);
    struct cr_time_units tu;
    char why[256];
    if (cr_time_units_parse(f->time_units, &tu, why, sizeof why) != 0)
        return cr_err_set(err, CR_EDATA, "'%s': variable %s: %s", f->path, tname, why);
    if (cr_nc_text_att(ncid, tvar, "calendar", f->calendar_attr, sizeof f->calendar_attr) != 0)
        f->calendar_attr[0] = '\0';
    if (!f->calendar_attr[0]) {
        f->cal = CR_CAL_STANDARD; /* CF: no calendar attribute means standard */
    } else if (cr_calendar_parse(cr_trim(f->calendar_attr), &f->cal) != 0) {
        return cr_err_set(err, CR_EDATA,
                          "'%s': time calendar '%s' is not one climrisk reads (standard, "
                          "gregorian, proleptic_gregorian, noleap, 365_day, all_leap, 366_day, "
                          "360_day): convert its time axis to one of them (e.g. with cdo) or "
                          "report the calendar",
                          f->path, f->calendar_attr);
    }
    if (!cr_cal_valid(f->cal, tu.epoch))
        return cr_err_set(err, CR_EDATA,
                          "'%s': the reference date of time units '%s' does not exist in the %s "
                          "calendar",
                          f->path, f->time_units, cr_calendar_name(f->cal));
    f->ntime = f->dimlen[f->time_axis];
    if (f->ntime == 0)
        return cr_err_set(err, CR_EDATA, "'%s': variable %s has no time steps (empty file?)",
                          f->path, f->var_name);
    size_t n = f->ntime;
    double *t = malloc(sizeof(double) * n);
    int64_t *pairs = malloc(sizeof(int64_t) * 2 * n);
    double *bnds = NULL;
    int rc = CR_OK;
    if (!t || !pairs) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory reading the time axis of '%s'", f->path);
        goto done;
    }
    int st = nc_get_var_double(ncid, tvar, t);
    if (st != NC_NOERR) {
        rc = cr_err_set(err, CR_EDATA, "'%s': cannot read time values: %s (truncated file?)",
                        f->path, nc_strerror(st));
        goto done;
    }
    /* With bounds, a day is the middle of its interval: files that stamp
     * a daily value at the end of the day (00:00 next day) stay right. */
    char bname[NC_MAX_NAME + 1];
    int bvar, bnd, bdims[NC_MAX_VAR_DIMS];
    size_t blen;
    if (cr_nc_text_att(ncid, tvar, "bounds", bname, sizeof bname) == 0 &&
        nc_inq_varid(ncid, bname, &bvar) == NC_NOERR &&
        nc_inq_var(ncid, bvar, NULL, NULL, &bnd, bdims, NULL) == NC_NOERR && bnd == 2 &&
        bdims[0] == dims[f->time_axis] && nc_inq_dimlen(ncid, bdims[1], &blen) == NC_NOERR &&
        blen == 2 && (bnds = malloc(sizeof(double) * 2 * n)) != NULL &&
        nc_get_var_double(ncid, bvar, bnds) == NC_NOERR) {
        for (size_t k = 0; k < n; k++) {
            double span = (bnds[2 * k + 1] - bnds[2 * k]) * tu.seconds_per_unit;
            if (isfinite(span) && span > 0 && span <= 86400 * 1.01)
                t[k] = 0.5 * (bnds[2 * k] + bnds[2 * k + 1]);
        }
    }
    int64_t epoch = cr_cal_day_number(f->cal, tu.epoch);
    for (size_t k = 0; k < n; k++) {
        /* Same rounding as cr_time_to_date: float noise stays on its day. */
        double total = t[k] * tu.seconds_per_unit + tu.epoch_seconds;
        total = floor(total * 1000.0 + 0.5) / 1000.0;
        if (!isfinite(total) || fabs(total) > 8.64e16) { /* beyond 1e12 days */
            rc = cr_err_set(err, CR_EDATA, "'%s': time step %zu has no valid time value (%g)",
                            f->path, k, t[k]);
            goto done;
        }
        pairs[2 * k] = epoch + (int64_t)floor(total / 86400.0);
        pairs[2 * k + 1] = (int64_t)k;
    }
    qsort(pairs, n, sizeof(int64_t) * 2, cmp_day_index);
    size_t longer = 0;
    for (size_t k = 1; k < n; k++) {
        if (pairs[2 * k] == pairs[2 * k - 2]) {
            struct cr_date d = cr_cal_from_day_number(f->cal, pairs[2 * k]);
            rc = cr_err_set(err, CR_EDATA,
                            "'%s': two time steps fall on %04d-%02d-%02d; climrisk reads daily "
                            "data (one step per day): aggregate sub-daily files first (e.g. "
                            "`cdo daymean`)",
                            f->path, d.year, d.month, d.day);
            goto done;
        }
        if (pairs[2 * k] - pairs[2 * k - 2] > 1)
            longer++;
    }
    if (n >= 3 && longer * 2 > n) {
        rc = cr_err_set(err, CR_EDATA,
                        "'%s': most time steps are more than one day apart (%zu of %zu): not "
                        "daily data (monthly? check the frequency attribute)",
                        f->path, longer, n - 1);
        goto done;
    }
    f->runs = malloc(sizeof *f->runs * n);
    if (!f->runs) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    f->nruns = 0;
    f->internal_gaps = 0;
    for (size_t k = 0; k < n; k++) {
        int64_t day = pairs[2 * k];
        size_t idx = (size_t)pairs[2 * k + 1];
        struct cr_time_run *r = f->nruns ? &f->runs[f->nruns - 1] : NULL;
        if (r && day == r->day + (int64_t)r->len && idx == r->index + r->len) {
            r->len++;
            continue;
        }
        if (r && day > r->day + (int64_t)r->len)
            f->internal_gaps += (size_t)(day - r->day - (int64_t)r->len);
        f->runs[f->nruns++] = (struct cr_time_run){day, idx, 1};
    }
    f->first_day = pairs[0];
    f->last_day = pairs[2 * (n - 1)];
done:
    free(t);
    free(pairs);
    free(bnds);
    return rc;
}

/* ---- open / read / close ---------------------------------------------- */

int cr_cffile_open(struct cr_cffile *f, const char *path, const char *variable, struct cr_err *err)
{
    memset(f, 0, sizeof *f);
    f->ncid = -1;
    f->decode_threads = 1;
    if (cr_strlcpy(f->path, path, sizeof f->path) >= sizeof f->path)
        return cr_err_set(err, CR_EUSAGE, "path too long: '%.200s...'", path);
    int st = nc_open(path, NC_NOWRITE, &f->ncid);
    if (st != NC_NOERR) {
        f->ncid = -1;
        return cr_cffile_open_error(path, st, err);
    }
    int rc = find_variable(f, variable, err);
    if (rc == CR_OK)
        rc = read_layout(f, err);
    if (rc == CR_OK)
        rc = read_decoding(f, err);
    if (rc == CR_OK)
        rc = read_time(f, err);
    if (rc != CR_OK)
        cr_cffile_free(f);
    return rc;
}

void cr_cffile_close_handle(struct cr_cffile *f)
{
    cr_h5chunk_close(f->direct);
    f->direct = NULL;
    f->direct_tried = 0;
    if (f->ncid >= 0)
        nc_close(f->ncid);
    f->ncid = -1;
}

void cr_cffile_free(struct cr_cffile *f)
{
    cr_cffile_close_handle(f);
    free(f->runs);
    f->runs = NULL;
    cr_grid_free(&f->grid);
}

static int reopen(struct cr_cffile *f, struct cr_err *err)
{
    if (f->ncid >= 0)
        return CR_OK;
    int st = nc_open(f->path, NC_NOWRITE, &f->ncid);
    if (st != NC_NOERR) {
        f->ncid = -1;
        return cr_cffile_open_error(f->path, st, err);
    }
    int varid;
    if (nc_inq_varid(f->ncid, f->var_name, &varid) != NC_NOERR || varid != f->varid) {
        cr_cffile_close_handle(f);
        return cr_err_set(err, CR_EDATA, "'%s' changed while being read (variable %s moved)",
                          f->path, f->var_name);
    }
    return CR_OK;
}

/* Decode n raw values in place: fill -> NaN, else raw * a + b. This pass
 * is all the reader adds to nc_get_vara_float, so the common case (at most
 * two fill values, no valid range) is written for the compiler's
 * vectoriser at -O2: blocks of 16 with a fixed trip count, and the fill
 * test as a bit mask rather than a branch. NaN inputs need no test: NaN *
 * a + b is NaN. */
static void decode_floats(const struct cr_cffile *f, float *restrict v, size_t n)
{
    const float a = (float)f->a, b = (float)f->b;
    if (f->nfill <= 2 && !f->has_valid) {
        const uint32_t nan_bits = 0x7fc00000u;
        uint32_t u0 = nan_bits, u1 = nan_bits;
        float f0 = f->nfill > 0 ? (float)f->fill[0] : NAN;
        float f1 = f->nfill > 1 ? (float)f->fill[1] : NAN;
        if (!isnan(f0))
            memcpy(&u0, &f0, sizeof u0);
        if (!isnan(f1))
            memcpy(&u1, &f1, sizeof u1);
        size_t k = 0;
        for (; k + 16 <= n; k += 16) {
            for (size_t j = 0; j < 16; j++) {
                uint32_t u, yb;
                memcpy(&u, &v[k + j], sizeof u);
                float y = v[k + j] * a + b;
                memcpy(&yb, &y, sizeof yb);
                uint32_t m = -(uint32_t)((u == u0) | (u == u1));
                yb = (yb & ~m) | (nan_bits & m);
                memcpy(&v[k + j], &yb, sizeof yb);
            }
        }
        for (; k < n; k++) {
            uint32_t u;
            memcpy(&u, &v[k], sizeof u);
            v[k] = (u == u0 || u == u1) ? NAN : v[k] * a + b;
        }
        return;
    }
    const float lo = (float)f->valid_min, hi = (float)f->valid_max;
    for (size_t k = 0; k < n; k++) {
        float x = v[k];
        int bad = x < lo || x > hi;
        for (int m = 0; m < f->nfill; m++)
            bad |= x == (float)f->fill[m];
        v[k] = bad ? NAN : x * a + b;
    }
}

static void decode_doubles(const struct cr_cffile *f, const double *in, float *out, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        double x = in[k];
        int bad = x < f->valid_min || x > f->valid_max;
        for (int m = 0; m < f->nfill; m++)
            bad |= x == f->fill[m];
        out[k] = bad ? NAN : (float)(x * f->a + f->b);
    }
}

/* Hyperslab of nt steps from t0 over the whole spatial extent. */
static void slab(const struct cr_cffile *f, size_t t0, size_t nt, size_t *start, size_t *count)
{
    for (int k = 0; k < f->ndims; k++) {
        start[k] = 0;
        count[k] = f->dimlen[k];
    }
    start[f->time_axis] = t0;
    count[f->time_axis] = nt;
}

static int read_error(const struct cr_cffile *f, size_t t0, size_t nt, int st, struct cr_err *err)
{
    return cr_err_set(err, CR_EDATA,
                      "'%s': reading %s, time steps %zu to %zu: %s (truncated or damaged file? "
                      "check it with `ncdump` and download it again)",
                      f->path, f->var_name, t0, t0 + nt - 1, nc_strerror(st));
}

int cr_cffile_read(struct cr_cffile *f, size_t t0, size_t nt, float *out, struct cr_err *err)
{
    if (nt == 0)
        return CR_OK;
    if (t0 + nt > f->ntime)
        return cr_err_set(err, CR_EINTERNAL, "'%s': time steps %zu+%zu beyond %zu", f->path, t0, nt,
                          f->ntime);
    int rc = reopen(f, err);
    if (rc)
        return rc;
    size_t ncells = f->grid.ncells;
    size_t start[NC_MAX_VAR_DIMS], count[NC_MAX_VAR_DIMS];
    int is_double = f->xtype == NC_DOUBLE;
    if (f->time_major && !is_double && f->time_axis == 0) {
        if (!f->direct_tried) {
            const char *why = NULL;
            f->direct =
                cr_h5chunk_open(f->path, f->var_name, f->ndims, f->dimlen, f->decode_threads, &why);
            f->direct_tried = 1;
            if (!f->direct)
                cr_log(CR_LOG_DEBUG, "%s: %s read through netCDF (%s)", f->path, f->var_name, why);
        }
        /* The fastest path: whole-map chunks inflated by libdeflate. On a
         * failure netCDF reads the block again and names the error. */
        if (f->direct && cr_h5chunk_read(f->direct, t0, nt, out) == 0) {
            decode_floats(f, out, nt * ncells);
            return CR_OK;
        }
    }
    if (f->time_major && !is_double) {
        /* The fast path: straight into the caller's buffer. */
        slab(f, t0, nt, start, count);
        int st = nc_get_vara_float(f->ncid, f->varid, start, count, out);
        if (st != NC_NOERR && st != NC_ERANGE)
            return read_error(f, t0, nt, st, err);
        decode_floats(f, out, nt * ncells);
        return CR_OK;
    }
    /* Bounded sub-blocks through a temporary buffer: transposed (the
     * spatial dimensions come before time) and/or read as double. */
    size_t step = ncells ? TMP_MAX_VALUES / ncells : nt;
    if (step == 0)
        step = 1;
    if (step > nt)
        step = nt;
    size_t esize = is_double ? sizeof(double) : sizeof(float);
    void *tmp = malloc(esize * step * (ncells ? ncells : 1));
    float *dec = (!f->time_major && is_double) ? malloc(sizeof(float) * step * ncells) : NULL;
    if (!tmp || (!f->time_major && is_double && !dec)) {
        free(tmp);
        free(dec);
        return cr_err_set(err, CR_EINTERNAL, "out of memory reading '%s'", f->path);
    }
    /* Strides of time and of each spatial axis in the slab as stored. */
    for (size_t done = 0; done < nt && rc == CR_OK;) {
        size_t n = nt - done < step ? nt - done : step;
        slab(f, t0 + done, n, start, count);
        int st = is_double ? nc_get_vara_double(f->ncid, f->varid, start, count, tmp)
                           : nc_get_vara_float(f->ncid, f->varid, start, count, tmp);
        if (st != NC_NOERR && st != NC_ERANGE) {
            rc = read_error(f, t0 + done, n, st, err);
            break;
        }
        float *dst = out + done * ncells;
        if (f->time_major) { /* double, already in (time, cells) order */
            decode_doubles(f, tmp, dst, n * ncells);
        } else {
            float *vals = tmp;
            if (is_double) {
                decode_doubles(f, tmp, dec, n * ncells);
                vals = dec;
            }
            size_t stride[NC_MAX_VAR_DIMS], s = 1;
            for (int k = f->ndims - 1; k >= 0; k--) {
                stride[k] = s;
                s *= count[k];
            }
            size_t st_t = stride[f->time_axis];
            size_t st_y = f->nspatial == 2 ? stride[f->spatial_axis[0]] : 0;
            size_t st_x = f->nspatial >= 1 ? stride[f->spatial_axis[f->nspatial - 1]] : 0;
            size_t ny = f->grid.ny, nx = f->grid.nx;
            for (size_t t = 0; t < n; t++)
                for (size_t j = 0; j < ny; j++)
                    for (size_t i = 0; i < nx; i++)
                        dst[t * ncells + j * nx + i] = vals[t * st_t + j * st_y + i * st_x];
            if (!is_double)
                decode_floats(f, dst, n * ncells);
        }
        done += n;
    }
    free(tmp);
    free(dec);
    return rc;
}
