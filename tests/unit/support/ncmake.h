/* ncmake.h — small CF NetCDF files written with the netCDF API, for reader
 * tests: any layout, calendar, units, packing and fill convention, with
 * values from a function of (time step, cell) so tests know every value. */
#ifndef TEST_NCMAKE_H
#define TEST_NCMAKE_H

#include <netcdf.h>
#include <stddef.h>

enum ncm_fill {
    NCM_FILL_NONE,       /* no attribute */
    NCM_FILL_ATTR,       /* _FillValue = fill */
    NCM_FILL_MISSING,    /* missing_value = fill only */
    NCM_FILL_NAN,        /* _FillValue = NaN */
    NCM_FILL_DEFAULT,    /* no attribute; missing cells hold the netCDF default fill */
    NCM_FILL_VALID_RANGE /* valid_range = [valid_min, valid_max]; missing cells hold fill */
};

enum ncm_grid {
    NCM_GRID_NONE,      /* no grid mapping, no coordinates but the time axis */
    NCM_GRID_LAMBERT2,  /* x/y in metres, LambertParisII like DRIAS (see lambert_1sp) */
    NCM_GRID_LAMBERT93, /* x/y in metres, CF lambert_conformal_conic for EPSG:2154 */
    NCM_GRID_ROTATED,   /* rlat/rlon, rotated pole 39.25 / -162 */
    NCM_GRID_LATLON     /* 1-D lat/lon coordinate variables */
};

struct ncm_spec {
    const char *path;
    const char *var_name;      /* default "tas" */
    const char *units;         /* NULL: no units attribute */
    const char *standard_name; /* optional */
    const char *cell_methods;  /* optional */
    nc_type type;              /* NC_FLOAT (default 0 means float), NC_DOUBLE, NC_SHORT */
    /* Dimension order, comma-separated, with the names time, y, x (or
     * rlat/rlon, lat/lon per grid) or location: "time,y,x", "y,x,time",
     * "time,location", "location,time". Default "time,y,x". */
    const char *layout;
    size_t ny, nx; /* for station sets nx = locations (ny ignored) */
    size_t ntime;
    const char *time_units;  /* default "days since 2000-01-01" */
    const char *calendar;    /* NULL: no calendar attribute */
    double time0, time_step; /* time values time0 + k * step (step 0 means 1) */
    const double *times;     /* or these */
    int time_bounds;         /* write time_bnds [t - 0.5, t + 0.5] + bounds_shift */
    double bounds_shift;
    double scale_factor, add_offset; /* packing (used when type is NC_SHORT) */
    enum ncm_fill fill_mode;
    double fill;
    double valid_min, valid_max;
    enum ncm_grid grid;
    int lambert_1sp; /* LAMBERT2: DRIAS's lambert_conformal_conic_1SP (grads) + epsg */
    int latlon2d;    /* also write 2-D lat/lon (from lat_of/lon_of) */
    double x0, dx;   /* LAMBERT*: x of column 0 and spacing (default DRIAS's) */
    double y0, dy;
    /* Value of time step t at cell (row j, column i) in file units (before
     * packing); default t + 0.01 * (j * nx + i). */
    double (*value)(size_t t, size_t j, size_t i);
    long missing_cell; /* this cell (row-major) is missing at every step; -1 none */
    double (*lat_of)(size_t j, size_t i); /* for latlon2d and location sets */
    double (*lon_of)(size_t j, size_t i);
    const char *global_atts[8][2]; /* extra global text attributes, NULL-terminated */
};

/* Default values for a spec (a 3 x 4 grid, 10 days from 2000-01-01). */
void ncm_defaults(struct ncm_spec *s, const char *path);

/* Write the file; returns 0 or the netCDF status (also printed). */
int ncm_write(const struct ncm_spec *s);

/* Copy the first n bytes of src into dst (a truncated download). */
int ncm_truncate_copy(const char *src, const char *dst, long n);

/* A temporary directory for a test binary (under $TMPDIR), created once. */
const char *ncm_tmpdir(void);

/* path = ncm_tmpdir()/name */
const char *ncm_path(const char *name);

/* Fraction of path's pages in the page cache (mincore), or -1 where the
 * kernel cannot drop a file's pages (tmpfs: they are the file). */
double ncm_resident(const char *path);

#endif
