/* ncmake.c — hand-made CF NetCDF files for reader tests; see ncmake.h. */
#include "ncmake.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static double default_value(size_t t, size_t j, size_t i, size_t nx)
{
    return (double)t + 0.01 * (double)(j * nx + i);
}

static double default_lat(size_t j, size_t i)
{
    return 45.0 + 0.5 * (double)j + 0.01 * (double)i;
}

static double default_lon(size_t j, size_t i)
{
    return 2.0 + 0.5 * (double)i + 0.01 * (double)j;
}

void ncm_defaults(struct ncm_spec *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->var_name = "tas";
    s->units = "K";
    s->type = NC_FLOAT;
    s->layout = "time,y,x";
    s->ny = 3;
    s->nx = 4;
    s->ntime = 10;
    s->time_units = "days since 2000-01-01";
    s->calendar = "standard";
    s->time0 = 0.5;
    s->time_step = 1;
    s->scale_factor = 1;
    s->fill = 1e20;
    s->grid = NCM_GRID_NONE;
    s->missing_cell = -1;
}

#define TRY(call)                                                                                  \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR) {                                                                     \
            fprintf(stderr, "ncmake %s: %s: %s\n", s->path, #call, nc_strerror(st_));              \
            nc_close(ncid);                                                                        \
            return st_;                                                                            \
        }                                                                                          \
    } while (0)

static int text(int ncid, int varid, const char *name, const char *value)
{
    return nc_put_att_text(ncid, varid, name, strlen(value), value);
}

static int dbl(int ncid, int varid, const char *name, double v)
{
    return nc_put_att_double(ncid, varid, name, NC_DOUBLE, 1, &v);
}

int ncm_write(const struct ncm_spec *s)
{
    int ncid = -1;
    int st = nc_create(s->path, NC_NETCDF4 | NC_CLOBBER, &ncid);
    if (st != NC_NOERR) {
        fprintf(stderr, "ncmake %s: %s\n", s->path, nc_strerror(st));
        return st;
    }
    const char *yname = "y", *xname = "x";
    if (s->grid == NCM_GRID_ROTATED)
        yname = "rlat", xname = "rlon";
    if (s->grid == NCM_GRID_LATLON)
        yname = "lat", xname = "lon";
    /* Dimensions in the layout's order. */
    char layout[128];
    snprintf(layout, sizeof layout, "%s", s->layout);
    int dimids[4], ndims = 0, tdim = -1, ydim = -1, xdim = -1, ldim = -1;
    char role[4];
    size_t len[4];
    for (char *tok = strtok(layout, ","); tok && ndims < 4; tok = strtok(NULL, ",")) {
        if (strcmp(tok, "time") == 0) {
            TRY(nc_def_dim(ncid, "time", NC_UNLIMITED, &dimids[ndims]));
            tdim = dimids[ndims];
            role[ndims] = 'T';
            len[ndims] = s->ntime;
        } else if (strcmp(tok, "y") == 0) {
            TRY(nc_def_dim(ncid, yname, s->ny, &dimids[ndims]));
            ydim = dimids[ndims];
            role[ndims] = 'Y';
            len[ndims] = s->ny;
        } else if (strcmp(tok, "x") == 0) {
            TRY(nc_def_dim(ncid, xname, s->nx, &dimids[ndims]));
            xdim = dimids[ndims];
            role[ndims] = 'X';
            len[ndims] = s->nx;
        } else if (strcmp(tok, "location") == 0) {
            TRY(nc_def_dim(ncid, "location", s->nx, &dimids[ndims]));
            ldim = dimids[ndims];
            role[ndims] = 'L';
            len[ndims] = s->nx;
        } else if (strcmp(tok, "height") == 0) {
            TRY(nc_def_dim(ncid, "height", 1, &dimids[ndims]));
            role[ndims] = 'H';
            len[ndims] = 1;
        } else {
            fprintf(stderr, "ncmake: unknown dimension %s\n", tok);
            nc_close(ncid);
            return NC_EINVAL;
        }
        ndims++;
    }
    size_t ny = ldim >= 0 ? 1 : s->ny, nx = s->nx;

    /* Time axis. */
    int tvar = -1, bdim, bvar = -1;
    if (tdim >= 0) {
        TRY(nc_def_var(ncid, "time", NC_DOUBLE, 1, &tdim, &tvar));
        TRY(text(ncid, tvar, "standard_name", "time"));
        TRY(text(ncid, tvar, "units", s->time_units));
        if (s->calendar)
            TRY(text(ncid, tvar, "calendar", s->calendar));
        TRY(text(ncid, tvar, "axis", "T"));
        if (s->time_bounds) {
            TRY(nc_def_dim(ncid, "bnds", 2, &bdim));
            int bd[2] = {tdim, bdim};
            TRY(nc_def_var(ncid, "time_bnds", NC_DOUBLE, 2, bd, &bvar));
            TRY(text(ncid, tvar, "bounds", "time_bnds"));
        }
    }
    /* Spatial coordinates and grid mapping. */
    int yvar = -1, xvar = -1, gm = -1, lat2 = -1, lon2 = -1, llat = -1, llon = -1;
    if (ydim >= 0 && s->grid != NCM_GRID_NONE)
        TRY(nc_def_var(ncid, yname, NC_DOUBLE, 1, &ydim, &yvar));
    if (xdim >= 0 && s->grid != NCM_GRID_NONE)
        TRY(nc_def_var(ncid, xname, NC_DOUBLE, 1, &xdim, &xvar));
    switch (s->grid) {
    case NCM_GRID_LAMBERT2:
    case NCM_GRID_LAMBERT93:
        TRY(text(ncid, yvar, "standard_name", "projection_y_coordinate"));
        TRY(text(ncid, yvar, "units", "m"));
        TRY(text(ncid, xvar, "standard_name", "projection_x_coordinate"));
        TRY(text(ncid, xvar, "units", "m"));
        TRY(nc_def_var(ncid, s->grid == NCM_GRID_LAMBERT2 ? "LambertParisII" : "Lambert93", NC_INT,
                       0, NULL, &gm));
        if (s->grid == NCM_GRID_LAMBERT2 && s->lambert_1sp) {
            TRY(text(ncid, gm, "grid_mapping_name", "lambert_conformal_conic_1SP"));
            TRY(nc_put_att_float(ncid, gm, "latitude_of_origin", NC_FLOAT, 1, (float[]){52.f}));
            TRY(nc_put_att_float(ncid, gm, "central_meridian", NC_FLOAT, 1, (float[]){0.f}));
            TRY(nc_put_att_float(ncid, gm, "scale_factor", NC_FLOAT, 1, (float[]){0.9998774f}));
            TRY(nc_put_att_float(ncid, gm, "false_easting", NC_FLOAT, 1, (float[]){600000.f}));
            TRY(nc_put_att_float(ncid, gm, "false_northing", NC_FLOAT, 1, (float[]){2200000.f}));
            if (s->lambert_1sp == 1)
                TRY(text(ncid, gm, "epsg", "27572"));
        } else if (s->grid == NCM_GRID_LAMBERT2) {
            TRY(text(ncid, gm, "grid_mapping_name", "lambert_conformal_conic"));
            TRY(dbl(ncid, gm, "standard_parallel", 46.8));
            TRY(dbl(ncid, gm, "longitude_of_central_meridian", 2.337229166666667));
            TRY(dbl(ncid, gm, "latitude_of_projection_origin", 46.8));
            TRY(dbl(ncid, gm, "scale_factor_at_projection_origin", 0.99987742));
            TRY(dbl(ncid, gm, "false_easting", 600000));
            TRY(dbl(ncid, gm, "false_northing", 2200000));
            TRY(dbl(ncid, gm, "semi_major_axis", 6378249.2));
            TRY(dbl(ncid, gm, "inverse_flattening", 293.4660212936269));
        } else {
            double sp[2] = {49, 44};
            TRY(text(ncid, gm, "grid_mapping_name", "lambert_conformal_conic"));
            TRY(nc_put_att_double(ncid, gm, "standard_parallel", NC_DOUBLE, 2, sp));
            TRY(dbl(ncid, gm, "longitude_of_central_meridian", 3));
            TRY(dbl(ncid, gm, "latitude_of_projection_origin", 46.5));
            TRY(dbl(ncid, gm, "false_easting", 700000));
            TRY(dbl(ncid, gm, "false_northing", 6600000));
            TRY(dbl(ncid, gm, "semi_major_axis", 6378137));
            TRY(dbl(ncid, gm, "inverse_flattening", 298.257222101));
        }
        break;
    case NCM_GRID_ROTATED:
        TRY(text(ncid, yvar, "standard_name", "grid_latitude"));
        TRY(text(ncid, yvar, "units", "degrees"));
        TRY(text(ncid, xvar, "standard_name", "grid_longitude"));
        TRY(text(ncid, xvar, "units", "degrees"));
        TRY(nc_def_var(ncid, "rotated_pole", NC_CHAR, 0, NULL, &gm));
        TRY(text(ncid, gm, "grid_mapping_name", "rotated_latitude_longitude"));
        TRY(dbl(ncid, gm, "grid_north_pole_latitude", 39.25));
        TRY(dbl(ncid, gm, "grid_north_pole_longitude", -162));
        break;
    case NCM_GRID_LATLON:
        TRY(text(ncid, yvar, "standard_name", "latitude"));
        TRY(text(ncid, yvar, "units", "degrees_north"));
        TRY(text(ncid, xvar, "standard_name", "longitude"));
        TRY(text(ncid, xvar, "units", "degrees_east"));
        break;
    default:
        break;
    }
    if (s->latlon2d && ydim >= 0 && xdim >= 0) {
        int d2[2] = {ydim, xdim};
        TRY(nc_def_var(ncid, "lat", NC_DOUBLE, 2, d2, &lat2));
        TRY(text(ncid, lat2, "standard_name", "latitude"));
        TRY(text(ncid, lat2, "units", "degrees_north"));
        TRY(nc_def_var(ncid, "lon", NC_DOUBLE, 2, d2, &lon2));
        TRY(text(ncid, lon2, "standard_name", "longitude"));
        TRY(text(ncid, lon2, "units", "degrees_east"));
    }
    if (ldim >= 0) {
        TRY(nc_def_var(ncid, "lat", NC_DOUBLE, 1, &ldim, &llat));
        TRY(text(ncid, llat, "standard_name", "latitude"));
        TRY(text(ncid, llat, "units", "degrees_north"));
        TRY(nc_def_var(ncid, "lon", NC_DOUBLE, 1, &ldim, &llon));
        TRY(text(ncid, llon, "standard_name", "longitude"));
        TRY(text(ncid, llon, "units", "degrees_east"));
    }
    /* The data variable. */
    nc_type type = s->type ? s->type : NC_FLOAT;
    int var;
    TRY(nc_def_var(ncid, s->var_name, type, ndims, dimids, &var));
    if (s->units)
        TRY(text(ncid, var, "units", s->units));
    if (s->standard_name)
        TRY(text(ncid, var, "standard_name", s->standard_name));
    if (s->cell_methods)
        TRY(text(ncid, var, "cell_methods", s->cell_methods));
    if (gm >= 0)
        TRY(text(ncid, var, "grid_mapping",
                 s->grid == NCM_GRID_LAMBERT2    ? "LambertParisII"
                 : s->grid == NCM_GRID_LAMBERT93 ? "Lambert93"
                                                 : "rotated_pole"));
    if (type == NC_SHORT) {
        TRY(dbl(ncid, var, "scale_factor", s->scale_factor));
        TRY(dbl(ncid, var, "add_offset", s->add_offset));
    }
    double missing = s->fill;
    switch (s->fill_mode) {
    case NCM_FILL_ATTR:
        if (type == NC_SHORT) {
            short f = (short)s->fill;
            TRY(nc_def_var_fill(ncid, var, 0, &f));
        } else if (type == NC_DOUBLE) {
            TRY(nc_def_var_fill(ncid, var, 0, &s->fill));
        } else {
            float f = (float)s->fill;
            TRY(nc_def_var_fill(ncid, var, 0, &f));
        }
        break;
    case NCM_FILL_MISSING:
        TRY(nc_put_att_double(ncid, var, "missing_value", type, 1, &s->fill));
        break;
    case NCM_FILL_NAN: {
        if (type == NC_DOUBLE) {
            double f = NAN;
            TRY(nc_def_var_fill(ncid, var, 0, &f));
        } else {
            float f = NAN;
            TRY(nc_def_var_fill(ncid, var, 0, &f));
        }
        missing = NAN;
        break;
    }
    case NCM_FILL_DEFAULT:
        missing = type == NC_DOUBLE  ? NC_FILL_DOUBLE
                  : type == NC_SHORT ? NC_FILL_SHORT
                                     : (double)NC_FILL_FLOAT;
        break;
    case NCM_FILL_VALID_RANGE: {
        double vr[2] = {s->valid_min, s->valid_max};
        TRY(nc_put_att_double(ncid, var, "valid_range", type, 2, vr));
        break;
    }
    default:
        break;
    }
    for (int k = 0; k < 8 && s->global_atts[k][0]; k++)
        TRY(text(ncid, NC_GLOBAL, s->global_atts[k][0], s->global_atts[k][1]));
    TRY(nc_enddef(ncid));

    /* Coordinate values. */
    if (tvar >= 0) {
        double *t = malloc(sizeof(double) * (s->ntime ? s->ntime : 1));
        double *b = malloc(sizeof(double) * 2 * (s->ntime ? s->ntime : 1));
        for (size_t k = 0; k < s->ntime; k++) {
            t[k] =
                s->times ? s->times[k] : s->time0 + (double)k * (s->time_step ? s->time_step : 1);
            b[2 * k] = t[k] - 0.5 + s->bounds_shift;
            b[2 * k + 1] = t[k] + 0.5 + s->bounds_shift;
        }
        size_t start = 0, count = s->ntime;
        st = nc_put_vara_double(ncid, tvar, &start, &count, t);
        if (st == NC_NOERR && bvar >= 0) {
            size_t st2[2] = {0, 0}, ct2[2] = {s->ntime, 2};
            st = nc_put_vara_double(ncid, bvar, st2, ct2, b);
        }
        free(t);
        free(b);
        TRY(st);
    }
    double *yc = malloc(sizeof(double) * (ny + 1)), *xc = malloc(sizeof(double) * (nx + 1));
    for (size_t j = 0; j < ny; j++)
        yc[j] = s->grid == NCM_GRID_ROTATED  ? -4.565 + 0.11 * (double)j
                : s->grid == NCM_GRID_LATLON ? 40.0 + (double)j
                : s->grid == NCM_GRID_LAMBERT93
                    ? (s->dy ? s->y0 + s->dy * (double)j : 6200000.0 + 8000.0 * (double)j)
                    : (s->dy ? s->y0 + s->dy * (double)j : 1617000.0 + 8000.0 * (double)j);
    for (size_t i = 0; i < nx; i++)
        xc[i] = s->grid == NCM_GRID_ROTATED  ? -4.835 + 0.11 * (double)i
                : s->grid == NCM_GRID_LATLON ? -5.0 + (double)i
                : s->grid == NCM_GRID_LAMBERT93
                    ? (s->dx ? s->x0 + s->dx * (double)i : 600000.0 + 8000.0 * (double)i)
                    : (s->dx ? s->x0 + s->dx * (double)i : 60000.0 + 8000.0 * (double)i);
    st = NC_NOERR;
    if (yvar >= 0)
        st = nc_put_var_double(ncid, yvar, yc);
    if (st == NC_NOERR && xvar >= 0)
        st = nc_put_var_double(ncid, xvar, xc);
    free(yc);
    free(xc);
    TRY(st);
    double (*lat_of)(size_t, size_t) = s->lat_of ? s->lat_of : default_lat;
    double (*lon_of)(size_t, size_t) = s->lon_of ? s->lon_of : default_lon;
    if (lat2 >= 0 || llat >= 0) {
        double *la = malloc(sizeof(double) * ny * nx), *lo = malloc(sizeof(double) * ny * nx);
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                la[j * nx + i] = lat_of(j, i);
                lo[j * nx + i] = lon_of(j, i);
            }
        st = nc_put_var_double(ncid, lat2 >= 0 ? lat2 : llat, la);
        if (st == NC_NOERR)
            st = nc_put_var_double(ncid, lon2 >= 0 ? lon2 : llon, lo);
        free(la);
        free(lo);
        TRY(st);
    }
    /* Values, in the file's dimension order. */
    size_t total = 1;
    for (int k = 0; k < ndims; k++)
        total *= len[k];
    double *v = malloc(sizeof(double) * (total ? total : 1));
    for (size_t n = 0; n < total; n++) {
        size_t rest = n, t = 0, j = 0, i = 0;
        for (int k = ndims - 1; k >= 0; k--) {
            size_t idx = rest % len[k];
            rest /= len[k];
            if (role[k] == 'T')
                t = idx;
            else if (role[k] == 'Y')
                j = idx;
            else if (role[k] == 'X' || role[k] == 'L')
                i = idx;
        }
        double x = s->value ? s->value(t, j, i) : default_value(t, j, i, nx);
        if (s->missing_cell >= 0 && (size_t)s->missing_cell == j * nx + i)
            x = missing;
        else if (type == NC_SHORT)
            x = round((x - s->add_offset) / s->scale_factor);
        v[n] = x;
    }
    size_t start[4] = {0, 0, 0, 0};
    st = nc_put_vara_double(ncid, var, start, len, v);
    free(v);
    TRY(st);
    return nc_close(ncid);
}

int ncm_truncate_copy(const char *src, const char *dst, long n)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (!in || !out) {
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        return -1;
    }
    char buf[4096];
    long left = n;
    while (left > 0) {
        size_t want = left < (long)sizeof buf ? (size_t)left : sizeof buf;
        size_t got = fread(buf, 1, want, in);
        if (got == 0)
            break;
        fwrite(buf, 1, got, out);
        left -= (long)got;
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

const char *ncm_tmpdir(void)
{
    static char dir[1024];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ncmake-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return dir;
}

const char *ncm_path(const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof bufs[0], "%s/%s", ncm_tmpdir(), name);
    return p;
}

double ncm_resident(const char *path)
{
    struct statfs fs;
    if (statfs(path, &fs) == 0 && fs.f_type == 0x01021994 /* tmpfs */)
        return -1;
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, "ncm_resident: cannot open '%s'\n", path);
        exit(1);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    long page = sysconf(_SC_PAGESIZE);
    size_t npages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page, in = 0;
    unsigned char *vec = malloc(npages);
    if (map == MAP_FAILED || !vec || mincore(map, (size_t)st.st_size, vec) != 0) {
        fprintf(stderr, "ncm_resident: mincore failed on '%s'\n", path);
        exit(1);
    }
    for (size_t i = 0; i < npages; i++)
        in += vec[i] & 1;
    free(vec);
    munmap(map, (size_t)st.st_size);
    close(fd);
    return (double)in / (double)npages;
}
