/* annual_out.c — annual indicator files (NetCDF or CSV); see annual_out.h. */
#include "annual_out.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/strutil.h"
#include "catalog.h"
#include "nclock.h"
#include "ncgrid.h"

struct cr_annual_out {
    int csv;
    char final_path[CR_PATH_MAX];
    char tmp_path[CR_PATH_MAX];
    struct cr_atomic_file af;
    int ncid;
    int year_dim, spatial_dims[2];
    int varid[CR_IND_COUNT];
    int tas_varid;
    int first_year, nyears;
    size_t ny, nx, ncells;
    int nspatial;
};

#define NCX(call, what)                                                                            \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR) {                                                                     \
            rc = cr_err_set(err, CR_EINTERNAL, "writing %s: %s: %s", o->final_path, what,         \
                            nc_strerror(st_));                                                     \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static int put_text(int ncid, int varid, const char *name, const char *value)
{
    return nc_put_att_text(ncid, varid, name, strlen(value), value);
}

int cr_annual_out_open(struct cr_annual_out **out, const char *path,
                       const struct cr_annual_grid *g, int first_year, int nyears,
                       unsigned long computes, int tas_france, struct cr_err *err)
{
    *out = NULL;
    struct cr_annual_out *o = calloc(1, sizeof *o);
    if (!o)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    o->ncid = -1;
    o->first_year = first_year;
    o->nyears = nyears;
    o->ny = g->ny;
    o->nx = g->nx;
    o->ncells = g->ny * g->nx;
    o->nspatial = g->nspatial;
    o->tas_varid = -1;
    for (int i = 0; i < CR_IND_COUNT; i++)
        o->varid[i] = -1;
    cr_strlcpy(o->final_path, path, sizeof o->final_path);
    size_t len = strlen(path);
    o->csv = len > 4 && cr_strieq(path + len - 4, ".csv");
    char dir[CR_PATH_MAX];
    cr_dirname(path, dir, sizeof dir);
    int rc = cr_mkdir_p(dir, err);
    if (rc) {
        free(o);
        return rc;
    }
    if (o->csv) {
        rc = cr_atomic_open(&o->af, path, err);
        if (rc) {
            free(o);
            return rc;
        }
        fprintf(o->af.fp, "indicator,year,cell,value\n");
        *out = o;
        return CR_OK;
    }
    rc = cr_part_path(path, o->tmp_path, sizeof o->tmp_path, err);
    if (rc) {
        free(o);
        return rc;
    }
    cr_netcdf_lock();
    int in = -1;
    struct cr_ncgrid_copy plan;
    memset(&plan, 0, sizeof plan);
    NCX(nc_create(o->tmp_path, NC_NETCDF4 | NC_CLOBBER, &o->ncid), "creating the file");
    NCX(nc_def_dim(o->ncid, "year", (size_t)nyears, &o->year_dim), "year dimension");
    int nsp = 0;
    for (int s = 0; s < 2; s++) {
        if (!g->dim_names[s][0])
            continue;
        NCX(nc_def_dim(o->ncid, g->dim_names[s], s == 0 && g->nspatial == 2 ? g->ny : g->nx,
                       &o->spatial_dims[nsp]),
            "spatial dimension");
        nsp++;
    }
    int yv;
    NCX(nc_def_var(o->ncid, "year", NC_INT, 1, &o->year_dim, &yv), "year");
    put_text(o->ncid, yv, "long_name", "year (calendar year; snow year = year it starts in, 1 Aug)");
    put_text(o->ncid, yv, "units", "1");
    if (g->source_path) {
        NCX(nc_open(g->source_path, NC_NOWRITE, &in), "opening the input to copy its grid");
        rc = cr_ncgrid_define(in, g->source_var, g->dim_names, 2, o->ncid, o->spatial_dims, &plan,
                              o->final_path, err);
        if (rc)
            goto done;
    }
    const char *coordinates = plan.coordinates, *gridmap = plan.grid_mapping;
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    int dims[3] = {o->year_dim, o->spatial_dims[0], o->spatial_dims[1]};
    size_t chunk[3] = {1, nsp == 2 ? g->ny : g->nx, g->nx};
    float nanv = NAN;
    for (int id = 0; id < CR_IND_COUNT; id++) {
        if (!(computes & (1UL << id)))
            continue;
        const struct cr_indicator_def *d = &cat[id];
        int v;
        NCX(nc_def_var(o->ncid, d->code, NC_FLOAT, 1 + nsp, dims, &v), "indicator variable");
        if (nsp == 1)
            chunk[1] = g->nx;
        NCX(nc_def_var_chunking(o->ncid, v, NC_CHUNKED, chunk), "chunking");
        NCX(nc_def_var_deflate(o->ncid, v, 1, 1, 1), "deflate");
        NCX(nc_def_var_fill(o->ncid, v, 0, &nanv), "fill value");
        /* A year's chunk is written once: a cache of two chunks lets HDF5
         * compress and write each year as the next arrives, instead of
         * holding every year of every indicator until the file closes
         * (memory would grow with the number of years). */
        size_t chunk_bytes = sizeof(float) * chunk[1] * (nsp == 2 ? chunk[2] : 1);
        NCX(nc_set_var_chunk_cache(o->ncid, v, 2 * chunk_bytes + 1024, 7, 1.0f), "chunk cache");
        put_text(o->ncid, v, "units", d->units);
        put_text(o->ncid, v, "long_name", d->name_en);
        put_text(o->ncid, v, "long_name_fr", d->name_fr);
        put_text(o->ncid, v, "cell_methods", d->cell_methods);
        put_text(o->ncid, v, "definition", d->definition);
        put_text(o->ncid, v, "references", d->reference);
        put_text(o->ncid, v, "category", cr_category_name(d->category));
        put_text(o->ncid, v, "year_type", d->year == CR_YEAR_SNOW ? "snow year (1 Aug - 31 Jul)"
                                                                   : "calendar year");
        if (gridmap[0])
            put_text(o->ncid, v, "grid_mapping", gridmap);
        if (coordinates[0])
            put_text(o->ncid, v, "coordinates", coordinates);
        o->varid[id] = v;
    }
    if (tas_france) {
        NCX(nc_def_var(o->ncid, "tas_france", NC_FLOAT, 1, &o->year_dim, &o->tas_varid), "tas_france");
        NCX(nc_def_var_fill(o->ncid, o->tas_varid, 0, &nanv), "fill value");
        put_text(o->ncid, o->tas_varid, "units", "degC");
        put_text(o->ncid, o->tas_varid, "long_name",
                 "area-weighted mean over the cells with data of the annual mean of TG");
        put_text(o->ncid, o->tas_varid, "cell_methods", "area: mean time: mean");
        put_text(o->ncid, o->tas_varid, "comment",
                 "input of the warming-level pivot years (scenarios/warming_levels.ini)");
    }
    put_text(o->ncid, NC_GLOBAL, "Conventions", "CF-1.8");
    put_text(o->ncid, NC_GLOBAL, "climrisk_kind", "annual");
    NCX(nc_enddef(o->ncid), "end of definitions");
    int *years = malloc(sizeof *years * (size_t)(nyears > 0 ? nyears : 1));
    if (!years) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int i = 0; i < nyears; i++)
        years[i] = first_year + i;
    int st = nc_put_var_int(o->ncid, yv, years);
    free(years);
    NCX(st, "year values");
    if (in >= 0)
        rc = cr_ncgrid_copy_data(in, o->ncid, &plan, o->final_path, err);
done:
    if (in >= 0)
        nc_close(in);
    if (rc && o->ncid >= 0) {
        nc_close(o->ncid);
        o->ncid = -1;
        remove(o->tmp_path);
    }
    cr_netcdf_unlock();
    if (rc) {
        free(o);
        return rc;
    }
    *out = o;
    return CR_OK;
}

int cr_annual_out_put(struct cr_annual_out *o, enum cr_ind id, int year, const float *values,
                      struct cr_err *err)
{
    int yi = year - o->first_year;
    if (yi < 0 || yi >= o->nyears)
        return CR_OK; /* outside the file's years (cannot happen with the engine) */
    if (o->csv) {
        const char *code = cr_engine_indicator_code(id);
        FILE *fp = o->af.fp;
        for (size_t c = 0; c < o->ncells; c++)
            if (!isnan(values[c]))
                fprintf(fp, "%s,%d,%zu,%.9g\n", code, year, c, (double)values[c]);
        if (ferror(fp))
            return cr_err_set(err, CR_EINTERNAL, "writing %s: disk full or I/O error",
                              o->final_path);
        return CR_OK;
    }
    if (o->varid[id] < 0)
        return CR_OK;
    size_t start[3] = {(size_t)yi, 0, 0};
    size_t count[3] = {1, o->nspatial == 2 ? o->ny : o->nx, o->nx};
    cr_netcdf_lock();
    int st = nc_put_vara_float(o->ncid, o->varid[id], start, count, values);
    cr_netcdf_unlock();
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EINTERNAL, "writing %s: %s %d: %s", o->final_path,
                          cr_engine_indicator_code(id), year, nc_strerror(st));
    return CR_OK;
}

int cr_annual_out_put_series(struct cr_annual_out *o, const float *tas_france, struct cr_err *err)
{
    if (o->csv || o->tas_varid < 0)
        return CR_OK;
    cr_netcdf_lock();
    int st = nc_put_var_float(o->ncid, o->tas_varid, tas_france);
    cr_netcdf_unlock();
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EINTERNAL, "writing %s: tas_france: %s", o->final_path,
                          nc_strerror(st));
    return CR_OK;
}

int cr_annual_out_attr_text(struct cr_annual_out *o, const char *name, const char *value,
                            struct cr_err *err)
{
    if (o->csv)
        return CR_OK;
    cr_netcdf_lock();
    int st = nc_put_att_text(o->ncid, NC_GLOBAL, name, strlen(value), value);
    cr_netcdf_unlock();
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EINTERNAL, "writing %s: attribute %s: %s", o->final_path, name,
                          nc_strerror(st));
    return CR_OK;
}

int cr_annual_out_attr_double(struct cr_annual_out *o, const char *name, double value,
                              struct cr_err *err)
{
    if (o->csv)
        return CR_OK;
    cr_netcdf_lock();
    int st = nc_put_att_double(o->ncid, NC_GLOBAL, name, NC_DOUBLE, 1, &value);
    cr_netcdf_unlock();
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EINTERNAL, "writing %s: attribute %s: %s", o->final_path, name,
                          nc_strerror(st));
    return CR_OK;
}

int cr_annual_out_commit(struct cr_annual_out *o, struct cr_err *err)
{
    int rc;
    if (o->csv) {
        rc = cr_atomic_commit(&o->af, err);
        if (rc)
            cr_atomic_abort(&o->af);
        free(o);
        return rc;
    }
    cr_netcdf_lock();
    int st = nc_close(o->ncid);
    cr_netcdf_unlock();
    o->ncid = -1;
    if (st != NC_NOERR) {
        rc = cr_err_set(err, CR_EINTERNAL, "writing %s: closing: %s", o->final_path,
                        nc_strerror(st));
        remove(o->tmp_path);
        free(o);
        return rc;
    }
    rc = cr_publish(o->tmp_path, o->final_path, err);
    free(o);
    return rc;
}

void cr_annual_out_abort(struct cr_annual_out *o)
{
    if (!o)
        return;
    if (o->csv) {
        cr_atomic_abort(&o->af);
    } else {
        if (o->ncid >= 0) {
            cr_netcdf_lock();
            nc_close(o->ncid);
            cr_netcdf_unlock();
        }
        remove(o->tmp_path);
    }
    free(o);
}
