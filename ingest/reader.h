/* reader.h — one climate variable of one simulation, read as daily maps in
 * canonical units, whatever the files look like.
 *
 * A series is one variable (tasmin, tasmax, tas, pr, prsn, snw) of one
 * simulation, spread over one or more CF NetCDF files that split its period
 * (DRIAS and CORDEX split by years). The reader understands DRIAS and CORDEX
 * variable names and standard_name, converts units (K/degC -> degC,
 * kg m-2 s-1 and mm/day -> mm/day), decodes every CF calendar, accepts
 * (time, y, x), (time, rlat, rlon), (time, lat, lon), (time, location) and
 * (location, time) layouts, and applies _FillValue / missing_value /
 * scale_factor / add_offset. Missing values come out as NaN.
 *
 * The indicator engine asks for a run of consecutive calendar days
 * (cr_series_read) and gets a day-major block: out[d * ncells + c]. Days the
 * files do not cover (before, after, or in a gap between files) are NaN.
 * Memory is bounded by the block the caller asks for; nothing reads a whole
 * file. docs/ingest.md documents names, units, calendars and layouts. */
#ifndef CR_READER_H
#define CR_READER_H

#include <stddef.h>

#include "../core/error.h"
#include "calendar.h"

/* Canonical variables. */
enum cr_var {
    CR_VAR_TASMIN,
    CR_VAR_TASMAX,
    CR_VAR_TAS,
    CR_VAR_PR,
    CR_VAR_PRSN,
    CR_VAR_SNW,
    CR_VAR_COUNT
};

/* "tasmin", "tasmax", "tas", "pr", "prsn", "snw" */
const char *cr_var_name(enum cr_var v);
/* "degC", "mm/day" or "kg m-2" */
const char *cr_var_units(enum cr_var v);
/* Accepts canonical, DRIAS (tasminAdjust, prtotAdjust...) and CORDEX names
 * (case-insensitive). Returns 0 or -1. */
int cr_var_parse(const char *name, enum cr_var *v);
/* The canonical variable of a CF standard_name; air_temperature needs the
 * variable's cell_methods ("time: minimum" -> tasmin, "time: maximum" ->
 * tasmax, otherwise tas). cell_methods may be NULL. Returns 0 or -1. */
int cr_var_from_standard_name(const char *standard_name, const char *cell_methods, enum cr_var *v);
/* The names a file may give a canonical variable, NULL-terminated, most
 * likely first ("tasmaxAdjust", "tasmax", ...). */
const char *const *cr_var_file_names(enum cr_var v);

struct cr_series;

struct cr_series_info {
    enum cr_var var;
    char file_var[64];   /* the variable's name in the files */
    char file_units[64]; /* its units attribute */
    enum cr_calendar calendar;
    struct cr_date first, last; /* coverage: first and last day with a time step */
    size_t ndays;               /* time steps read (after removing overlaps) */
    size_t ny, nx;              /* spatial shape; a station set has ny = 1, nx = locations */
    size_t ncells;              /* ny * nx; cells are numbered row-major over (y, x) */
    char dim_names[2][64];      /* spatial dimension names as in the file ("y","x") */
    char layout[64];            /* e.g. "time,y,x" or "location,time", as in the file */
    char crs_name[64];          /* grid_mapping_name, or "latitude_longitude" */
    int epsg;                   /* 0 when unknown */
    size_t nfiles;
    size_t gaps;     /* missing days between files */
    size_t overlaps; /* days present in two files (the later file is skipped) */
    /* Added with the implementation: */
    int nspatial;           /* 2 for grids; 1 for station sets (dim_names[0] is "") */
    char crs_label[128];    /* PROJ's name, e.g. "NTF (Paris) / Lambert zone II" */
    char latlon_source[64]; /* "2-D lat/lon", "1-D lat/lon", "PROJ from x/y", "none" */
    char standard_name[64]; /* the variable's standard_name ("" when absent) */
    size_t span_days;       /* days from first to last, inclusive (= ndays + gaps) */
};

/* Open a series from paths (one or more files of the same variable), which
 * may be given in any order. `variable` is a canonical, DRIAS or CORDEX name,
 * or a CF standard_name; NULL picks the one data variable of the files.
 * Files must share variable, units, calendar and grid. Errors (CR_EDATA)
 * name the file and the variable and say what to do. Only metadata is read;
 * at most one file is kept open at a time. */
int cr_series_open(struct cr_series **out, const char *const *paths, size_t npaths,
                   const char *variable, struct cr_err *err);

void cr_series_info(const struct cr_series *s, struct cr_series_info *info);

/* Latitude and longitude (degrees) of every cell (ncells values), from the
 * files' 2-D or 1-D lat/lon, else computed with PROJ from the grid mapping;
 * NaN when the files give neither (latlon_source "none"). */
const double *cr_series_lat(const struct cr_series *s);
const double *cr_series_lon(const struct cr_series *s);

/* Read ndays consecutive days from `start` into out (ndays * ncells floats,
 * day-major), in canonical units; NaN where there is no value. `start` must
 * be a valid date of the series' calendar. */
int cr_series_read(struct cr_series *s, struct cr_date start, size_t ndays, float *out,
                   struct cr_err *err);

void cr_series_close(struct cr_series *s);

/* Threads that inflate the chunks of one cr_series_read (default 1), for
 * DRIAS-layout NetCDF-4 files (ingest/h5chunk.h): a caller reading one
 * simulation on an otherwise idle machine gives it the spare cores.
 * Call it before the first read. */
void cr_series_set_decode_threads(struct cr_series *s, int threads);

/* ---- added with the implementation ------------------------------------ */

/* The files of the series, in date order (k < info.nfiles). */
const char *cr_series_file(const struct cr_series *s, size_t k);
/* First and last day of file k's own time steps. */
void cr_series_file_period(const struct cr_series *s, size_t k, struct cr_date *first,
                           struct cr_date *last);
/* The file that provides day d, or NULL when no file covers it. */
const char *cr_series_file_of_day(const struct cr_series *s, struct cr_date d);

/* Gaps and overlaps between (or inside) the files, in date order. */
enum cr_series_event_kind { CR_SERIES_GAP, CR_SERIES_OVERLAP };
struct cr_series_event {
    enum cr_series_event_kind kind;
    struct cr_date first, last; /* the days missing, or read twice */
    size_t ndays;
    const char *before; /* gap: file ending before it; overlap: file kept */
    const char *after;  /* gap: file starting after it; overlap: file skipped */
};
size_t cr_series_events(const struct cr_series *s, const struct cr_series_event **events);

/* CR_OK when two series (e.g. tasmin and tasmax of one simulation) lie on
 * the same grid: same shape, CRS and cell coordinates (within 1e-4 degree).
 * Otherwise CR_EDATA with a message naming both files and the difference. */
int cr_series_same_grid(const struct cr_series *a, const struct cr_series *b, struct cr_err *err);

#endif
