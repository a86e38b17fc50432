/* load_nc.h — what the loader reads from the annual and statistics NetCDF
 * files of a run (docs/formats.md), independent of the database.
 *
 * A file is opened once to describe it (kind, experiment, model, the maps
 * it holds) and then read map by map: a "map" is one indicator quantity for
 * one (year) or (model or ensemble statistic, horizon), as the 8981 land
 * cells of the SAFRAN grid in increasing cell_id order, NaN where the file
 * has no value. The spatial axes are checked against the SAFRAN grid through
 * their x/y coordinate values, so a file on another grid is refused instead
 * of being loaded into the wrong cells. */
#ifndef CR_LOAD_NC_H
#define CR_LOAD_NC_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../ingest/grid.h"

enum cr_nc_kind { CR_NC_ANNUAL, CR_NC_STATS };

/* One indicator variable of a file. */
struct cr_nc_var {
    char name[96];      /* NetCDF variable name */
    char indicator[48]; /* catalogue code */
    char quantity[16];  /* annual: "value"; stats: mean, anom, ratio, rl20, rl20_anom */
    int ensemble;       /* stats: first dimension is stat (1) or model (0) */
    int varid;
};

struct cr_nc_file {
    char path[CR_PATH_MAX];
    enum cr_nc_kind kind;
    char experiment[32]; /* normalised by the caller */
    /* annual */
    char model[128], gcm[64], rcm[64], member[32];
    int nyears;
    int *years;
    /* stats */
    int nmodels, nhorizons, nstats;
    char (*models)[128];
    char (*horizons)[16];
    char (*horizon_types)[16];
    char (*stats)[16];
    int *first_year, *last_year; /* [model * nhorizons + h], -1 = none */
    int *ens_nmodels;            /* [h], -1 when absent */
    /* both */
    struct cr_nc_var *vars;
    int nvars;
    char climrisk_version[64];
    int ncid;
    int ny, nx;
    long *land_offset; /* [8981]: offset of each land cell in a y*x map, -1 if outside */
};

/* Open and describe path; indicator codes are recognised with
 * is_indicator (the catalogue). Errors name the file and variable. */
int cr_nc_open(struct cr_nc_file *f, const char *path, int (*is_indicator)(const char *code),
               struct cr_err *err);
void cr_nc_close(struct cr_nc_file *f);

/* Read every map of variable v into out (outer * inner * 8981 floats,
 * outer = years for annual files, models or stats for stats files; inner =
 * 1 or nhorizons), land cells in cell_id order, missing values as NaN. */
int cr_nc_read_var(struct cr_nc_file *f, const struct cr_nc_var *v, float *out, size_t *outer,
                   size_t *inner, struct cr_err *err);

/* Floats cr_nc_read_var needs for v. */
size_t cr_nc_var_size(const struct cr_nc_file *f, const struct cr_nc_var *v);

/* cr_nc_read_var into *buf (*cap floats), grown when v needs more; the
 * caller frees *buf. For loops over the variables of a file. */
int cr_nc_read_var_grow(struct cr_nc_file *f, const struct cr_nc_var *v, float **buf, size_t *cap,
                        size_t *outer, size_t *inner, struct cr_err *err);

#endif
