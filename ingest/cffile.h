/* cffile.h — one CF NetCDF file as the reader sees it: which variable, how
 * to decode its values, which days its time steps are, where its cells are.
 *
 * Opening reads metadata only (attributes, the time axis, coordinates);
 * values are read on demand by time-index range, straight into the caller's
 * buffer when the file is time-major (DRIAS, CORDEX) and through a bounded
 * transpose buffer otherwise. The series reader (reader.c) stitches several
 * files together; this module knows nothing about other files. */
#ifndef CR_CFFILE_H
#define CR_CFFILE_H

#include <netcdf.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../core/fsutil.h"
#include "calendar.h"
#include "cfgrid.h"
#include "reader.h"
#include "units.h"

/* Consecutive days held by consecutive time indices. */
struct cr_time_run {
    int64_t day;  /* calendar day number (cr_cal_day_number) of the first */
    size_t index; /* its time index in the file */
    size_t len;
};

struct cr_h5chunk;

struct cr_cffile {
    char path[CR_PATH_MAX];
    int ncid; /* -1 while closed */
    /* Direct chunk reads (h5chunk.h) when the layout allows, tried on the
     * first read after each (re)open. */
    struct cr_h5chunk *direct;
    int direct_tried;
    int decode_threads; /* threads inflating one read (>= 1) */
    int varid;
    char var_name[NC_MAX_NAME + 1];
    enum cr_var var;
    char standard_name[64];
    char units[64];
    nc_type xtype;

    /* dimensions of the variable, in file order */
    int ndims;
    size_t dimlen[NC_MAX_VAR_DIMS];
    int time_axis;       /* which of them is time */
    int spatial_axis[2]; /* which are spatial (file order) */
    int nspatial;
    int time_major; /* time comes before every spatial dimension */
    char layout[64];

    /* decoding: canonical = raw * a + b unless raw is a fill/missing value
     * or outside the valid range */
    double fill[4];
    int nfill;
    int has_valid;
    double valid_min, valid_max;
    double a, b;

    /* time axis */
    enum cr_calendar cal;
    char calendar_attr[32]; /* as written; "" when absent (standard) */
    char time_units[128];
    size_t ntime;
    struct cr_time_run *runs; /* sorted by day */
    size_t nruns;
    int64_t first_day, last_day;
    size_t internal_gaps; /* days missing between the file's own time steps */

    struct cr_grid grid;
};

/* Open path and describe `variable` (canonical, DRIAS, CORDEX, file name or
 * standard_name; NULL = the file's one data variable). The file stays open;
 * cr_cffile_close_handle() releases it and cr_cffile_read() reopens it. */
int cr_cffile_open(struct cr_cffile *f, const char *path, const char *variable, struct cr_err *err);

/* Read nt time steps from index t0 into out (nt * ncells floats,
 * time-major), converted to canonical units, NaN where missing. */
int cr_cffile_read(struct cr_cffile *f, size_t t0, size_t nt, float *out, struct cr_err *err);

void cr_cffile_close_handle(struct cr_cffile *f);
void cr_cffile_free(struct cr_cffile *f);

/* "cannot open X: ..." for a failed nc_open, with a hint (truncated
 * download, HTML page, missing file). */
int cr_cffile_open_error(const char *path, int nc_status, struct cr_err *err);

#endif
