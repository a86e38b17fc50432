/* test_load_nc.c — the loader's NetCDF side: fixture files written as
 * docs/formats.md says are described and read back map by map with the
 * values of the fixture formulas (computed here by hand for a few cells),
 * NaN where the formula leaves a hole, and files on another grid or without
 * climrisk_kind are refused with an error naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/catalog.h"
#include "sql/load_nc.h"
#include "tests/unit/support/nc_fixture.h"

static int is_indicator(const char *code)
{
    return cr_indicator_find(code) != NULL;
}

static void tmp_path(char *out, size_t size, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(out, size, "%s/%s", dir && *dir ? dir : "/tmp", name);
}

/* Index of a land cell (in cell_id order) by DRIAS id. */
static int land_index(int id)
{
    for (int k = 0; k < CR_SAFRAN_NLAND; k++)
        if (cr_safran_grid_points[k].id == id)
            return k;
    return -1;
}

static void test_annual_roundtrip(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "test_load_nc_annual.nc");
    const char *inds[] = {"fd", "rx1day"};
    struct fx_opts o = {0};
    o.experiment = "rcp4.5";
    o.model = "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63";
    o.first_year = 2030;
    o.last_year = 2032;
    o.indicators = inds;
    o.nindicators = 2;
    o.variant = 3;
    o.deflate = 1;
    struct cr_err err;
    assert_int_equal(fx_write_annual(path, &o, &err), CR_OK);

    struct cr_nc_file f;
    assert_int_equal(cr_nc_open(&f, path, is_indicator, &err), CR_OK);
    assert_int_equal(f.kind, CR_NC_ANNUAL);
    assert_string_equal(f.experiment, "rcp4.5"); /* normalised by the loader, not here */
    assert_string_equal(f.model, "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63");
    assert_string_equal(f.gcm, "CNRM-CERFACS-CNRM-CM5");
    assert_string_equal(f.rcm, "CNRM-ALADIN63");
    assert_int_equal(f.nyears, 3);
    assert_int_equal(f.years[2], 2032);
    assert_int_equal(f.nvars, 2);
    assert_string_equal(f.vars[1].indicator, "rx1day");

    float *data = malloc(cr_nc_var_size(&f, &f.vars[1]) * sizeof *data);
    size_t outer, inner;
    assert_int_equal(cr_nc_read_var(&f, &f.vars[1], data, &outer, &inner, &err), CR_OK);
    assert_int_equal(outer, 3);
    assert_int_equal(inner, 1);
    /* rx1day is catalogue index 14. Cell 13510 (Boigneville), year 2031,
     * variant 3: 14000 + 131 + (13510 mod 61 = 29)/8 + 1.5 = 14136.125 */
    int k13510 = land_index(13510);
    assert_true(k13510 >= 0);
    assert_float_equal(data[1 * CR_SAFRAN_NLAND + k13510], 14136.125f, 0.0f);
    /* first land cell, id 139 (i 139, j 0): 14000 + 130 + (139 mod 61 = 17)/8 + 1.5 */
    assert_int_equal(cr_safran_grid_points[0].id, 139);
    assert_float_equal(data[0], 14133.625f, 0.0f);
    /* a hole: (c + 14) mod 53 == 0, c = 53*m - 14 for a land cell */
    int holes = 0, values = 0;
    for (int k = 0; k < CR_SAFRAN_NLAND; k++) {
        int id = cr_safran_grid_points[k].id;
        int want_nan = (id + 14) % 53 == 0;
        assert_int_equal(isnan(data[2 * CR_SAFRAN_NLAND + k]) != 0, want_nan);
        holes += want_nan;
        values += !want_nan;
    }
    assert_true(holes > 100 && values > 8700);
    free(data);
    cr_nc_close(&f);
    remove(path);
}

static void test_stats_names_and_shapes(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "test_load_nc_stats.nc");
    const char *inds[] = {"spring_frost", "rx1day", "tg_mean"};
    const char *models[] = {"A-GCM_A-RCM", "B-GCM_B-RCM", "C-GCM_C-RCM"};
    const char *hz[] = {"REF", "H2", "RWL27"};
    struct fx_opts o = {0};
    o.experiment = "rcp85";
    o.models = models;
    o.nmodels = 3;
    o.horizons = hz;
    o.nhorizons = 3;
    o.indicators = inds;
    o.nindicators = 3;
    o.deflate = 0;
    struct cr_err err;
    assert_int_equal(fx_write_stats(path, &o, &err), CR_OK);
    struct cr_nc_file f;
    assert_int_equal(cr_nc_open(&f, path, is_indicator, &err), CR_OK);
    assert_int_equal(f.kind, CR_NC_STATS);
    assert_int_equal(f.nmodels, 3);
    assert_int_equal(f.nhorizons, 3);
    assert_int_equal(f.nstats, 6);
    assert_string_equal(f.models[2], "C-GCM_C-RCM");
    assert_string_equal(f.horizons[2], "RWL27");
    assert_string_equal(f.horizon_types[2], "warming_level");
    assert_string_equal(f.stats[5], "agreement");
    /* model 1 never reaches the warming level */
    assert_int_equal(f.first_year[1 * 3 + 2], -1);
    assert_int_equal(f.first_year[0 * 3 + 1], 2041);
    assert_int_equal(f.ens_nmodels[2], 2);
    assert_int_equal(f.ens_nmodels[0], 3);
    /* spring_frost: mean, anom, ratio x (model, ens); rx1day: + rl20 (both)
     * and rl20_anom (model); tg_mean has no ratio: 6 + 9 + 4 = 19 */
    assert_int_equal(f.nvars, 19);
    int seen_rl20_ens = 0, seen_rl20_anom = 0, seen_ens_anom = 0;
    for (int v = 0; v < f.nvars; v++) {
        const struct cr_nc_var *var = &f.vars[v];
        if (strcmp(var->name, "rx1day_rl20_ens") == 0) {
            assert_string_equal(var->indicator, "rx1day");
            assert_string_equal(var->quantity, "rl20");
            assert_true(var->ensemble);
            seen_rl20_ens = 1;
        }
        if (strcmp(var->name, "rx1day_rl20_anom") == 0) {
            assert_string_equal(var->quantity, "rl20_anom");
            assert_false(var->ensemble);
            seen_rl20_anom = 1;
        }
        if (strcmp(var->name, "spring_frost_ens_anom") == 0) {
            assert_string_equal(var->indicator, "spring_frost");
            assert_string_equal(var->quantity, "anom");
            assert_true(var->ensemble);
            seen_ens_anom = 1;
            float *data = malloc(cr_nc_var_size(&f, var) * sizeof *data);
            size_t outer, inner;
            assert_int_equal(cr_nc_read_var(&f, var, data, &outer, &inner, &err), CR_OK);
            assert_int_equal(outer, 6);
            assert_int_equal(inner, 3);
            /* p95 (stat 2), H2 (h 1), cell 13510: spring_frost k = 10, q = 1:
             * 10000 + 100 + 10 + 52 + 29/8 = 10165.625 */
            int k = land_index(13510);
            assert_float_equal(data[(2 * 3 + 1) * CR_SAFRAN_NLAND + k], 10165.625f, 0.0f);
            free(data);
        }
    }
    assert_true(seen_rl20_ens && seen_rl20_anom && seen_ens_anom);
    cr_nc_close(&f);
    remove(path);
}

/* A 2 x 2 annual file at x0; fill_att names a fill attribute ("_FillValue"
 * or "missing_value", NULL for none) of value -9999, which the first map
 * value also takes when fill_att is given. */
static void write_piece(const char *path, double x0, int kind, const char *fill_att)
{
    int ncid, yd, xd, yv, xv, td, tv, vv;
    assert_int_equal(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid), NC_NOERR);
    nc_def_dim(ncid, "year", 1, &td);
    nc_def_dim(ncid, "y", 2, &yd);
    nc_def_dim(ncid, "x", 2, &xd);
    nc_def_var(ncid, "year", NC_INT, 1, &td, &tv);
    nc_def_var(ncid, "y", NC_DOUBLE, 1, &yd, &yv);
    nc_def_var(ncid, "x", NC_DOUBLE, 1, &xd, &xv);
    int dims[3] = {td, yd, xd};
    nc_def_var(ncid, "fd", NC_FLOAT, 3, dims, &vv);
    float fill = -9999.0f;
    if (fill_att)
        nc_put_att_float(ncid, vv, fill_att, NC_FLOAT, 1, &fill);
    if (kind)
        nc_put_att_text(ncid, NC_GLOBAL, "climrisk_kind", 6, "annual");
    nc_put_att_text(ncid, NC_GLOBAL, "experiment", 5, "rcp45");
    nc_put_att_text(ncid, NC_GLOBAL, "model", 3, "A_B");
    nc_enddef(ncid);
    double ys[2] = {1617000, 1625000}, xs[2] = {x0, x0 + 8000};
    int year = 2030;
    float v[4] = {fill_att ? fill : 1, 2, 3, 4};
    nc_put_var_double(ncid, yv, ys);
    nc_put_var_double(ncid, xv, xs);
    nc_put_var_int(ncid, tv, &year);
    nc_put_var_float(ncid, vv, v);
    nc_close(ncid);
}

static void write_bad_grid(const char *path, double x0, int kind)
{
    write_piece(path, x0, kind, NULL);
}

static void test_refuses_other_grids(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "test_load_nc_bad.nc");
    struct cr_err err;
    struct cr_nc_file f;
    write_bad_grid(path, 60500.0, 1); /* half a cell off */
    assert_int_equal(cr_nc_open(&f, path, is_indicator, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "not a SAFRAN column"));
    assert_non_null(strstr(err.msg, path));
    cr_nc_close(&f);
    write_bad_grid(path, 60000.0, 0); /* right grid, no climrisk_kind */
    assert_int_equal(cr_nc_open(&f, path, is_indicator, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "climrisk_kind"));
    cr_nc_close(&f);
    /* A 2 x 2 piece of the grid (columns 139-140, rows 0-1) is fine: the
     * land cell 139 = (139, 0) gets the file's first value, cells outside
     * the piece read as NaN. */
    write_bad_grid(path, 60000.0 + 8000.0 * 139, 1);
    assert_int_equal(cr_nc_open(&f, path, is_indicator, &err), CR_OK);
    float *data = malloc(cr_nc_var_size(&f, &f.vars[0]) * sizeof *data);
    size_t outer, inner;
    assert_int_equal(cr_nc_read_var(&f, &f.vars[0], data, &outer, &inner, &err), CR_OK);
    int finite = 0;
    for (int k = 0; k < CR_SAFRAN_NLAND; k++)
        finite += !isnan(data[k]);
    assert_true(finite >= 1 && finite <= 4);
    assert_float_equal(data[land_index(139)], 1.0f, 0.0f);
    free(data);
    cr_nc_close(&f);
    remove(path);
}

/* A value equal to the variable's _FillValue or missing_value reads as NaN
 * (the fill is asked when the variable is read, not at open). */
static void test_fill_values(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "test_load_nc_fill.nc");
    const char *atts[] = {"_FillValue", "missing_value"};
    for (int a = 0; a < 2; a++) {
        write_piece(path, 60000.0 + 8000.0 * 139, 1, atts[a]);
        struct cr_err err;
        struct cr_nc_file f;
        assert_int_equal(cr_nc_open(&f, path, is_indicator, &err), CR_OK);
        float *data = malloc(cr_nc_var_size(&f, &f.vars[0]) * sizeof *data);
        size_t outer, inner;
        assert_int_equal(cr_nc_read_var(&f, &f.vars[0], data, &outer, &inner, &err), CR_OK);
        assert_true(isnan(data[land_index(139)]));
        free(data);
        cr_nc_close(&f);
    }
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annual_roundtrip),
        cmocka_unit_test(test_stats_names_and_shapes),
        cmocka_unit_test(test_refuses_other_grids),
        cmocka_unit_test(test_fill_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
