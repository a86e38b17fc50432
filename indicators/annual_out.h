/* annual_out.h — the annual indicator file of one simulation
 * (docs/formats.md, "Annual file"), written year by year as the engine
 * closes years, published atomically at the end.
 *
 * Two formats: NetCDF-4/CF (dims year x the input's spatial dims, the
 * input's coordinates and grid mapping copied, one float variable per
 * indicator with the catalogue's metadata, tas_france(year), provenance) or,
 * when the path ends in .csv, the long CSV `indicator,year,cell,value`.
 * Every netCDF call takes the process-wide lock (nclock.h), so writers of
 * simulations computed in parallel threads never run inside the library at
 * the same time. */
#ifndef CR_ANNUAL_OUT_H
#define CR_ANNUAL_OUT_H

#include <stddef.h>

#include "../core/error.h"
#include "engine.h"

struct cr_annual_grid {
    size_t ny, nx;          /* ny = 1 for a station set */
    int nspatial;           /* 2 or 1 */
    char dim_names[2][64];  /* file order; dim_names[0] "" when nspatial = 1 */
    const char *source_path; /* a file to copy coordinates from (NetCDF); NULL: none */
    const char *source_var;  /* its data variable */
};

struct cr_annual_out;

/* Create path's temporary file. computes: the indicators that will be put.
 * tas_france: add the France-mean temperature variable. */
int cr_annual_out_open(struct cr_annual_out **out, const char *path,
                       const struct cr_annual_grid *grid, int first_year, int nyears,
                       unsigned long computes, int tas_france, struct cr_err *err);

/* One year's map of one indicator (ny * nx values, NaN = no value). */
int cr_annual_out_put(struct cr_annual_out *o, enum cr_ind id, int year, const float *values,
                      struct cr_err *err);

/* The France-mean temperature per year (nyears values). */
int cr_annual_out_put_series(struct cr_annual_out *o, const float *tas_france,
                             struct cr_err *err);

/* A global attribute (NetCDF; ignored for CSV). Text or a number. */
int cr_annual_out_attr_text(struct cr_annual_out *o, const char *name, const char *value,
                            struct cr_err *err);
int cr_annual_out_attr_double(struct cr_annual_out *o, const char *name, double value,
                              struct cr_err *err);

/* Close and rename into place. */
int cr_annual_out_commit(struct cr_annual_out *o, struct cr_err *err);
/* Close and remove the temporary file; safe after a failed commit. */
void cr_annual_out_abort(struct cr_annual_out *o);

#endif
