/* test_ncmerge.c — variable-level merge of NetCDF files (incremental runs). */
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
#include <unistd.h>

#include "pipeline/ncmerge.h"

static char dir[] = "/tmp/ncmerge-XXXXXX";

static void path(char *out, const char *name)
{
    snprintf(out, 256, "%s/%s", dir, name);
}

/* A file with dims year(ny) x cell(3), a year coordinate, a string model
 * list, and float variables named in vars with value base + index. */
static void make_file(const char *name, size_t ny, const char *const *vars, int nvars, float base,
                      const char *title)
{
    char p[256];
    path(p, name);
    int nc, dy, dc, dm, vy, vm;
    assert_int_equal(nc_create(p, NC_NETCDF4 | NC_CLOBBER, &nc), NC_NOERR);
    nc_def_dim(nc, "year", ny, &dy);
    nc_def_dim(nc, "cell", 3, &dc);
    nc_def_dim(nc, "model", 2, &dm);
    nc_def_var(nc, "year", NC_INT, 1, &dy, &vy);
    nc_def_var(nc, "model", NC_STRING, 1, &dm, &vm);
    int dims[2] = {dy, dc}, ids[8];
    for (int i = 0; i < nvars; i++) {
        assert_int_equal(nc_def_var(nc, vars[i], NC_FLOAT, 2, dims, &ids[i]), NC_NOERR);
        float fill = NAN;
        nc_def_var_fill(nc, ids[i], 0, &fill);
        nc_def_var_deflate(nc, ids[i], 1, 1, 1);
        nc_put_att_text(nc, ids[i], "units", 4, "days");
    }
    nc_put_att_text(nc, NC_GLOBAL, "title", strlen(title), title);
    nc_put_att_text(nc, NC_GLOBAL, name[0] == 'b' ? "only_in_base" : "only_in_update", 1, "x");
    nc_enddef(nc);
    int years[8];
    for (size_t k = 0; k < ny; k++)
        years[k] = 2000 + (int)k;
    nc_put_var_int(nc, vy, years);
    const char *models[2] = {"A_B", "C_D"};
    nc_put_var_string(nc, vm, models);
    float v[24];
    for (int i = 0; i < nvars; i++) {
        for (size_t k = 0; k < ny * 3; k++)
            v[k] = base + (float)(i * 100 + (int)k);
        nc_put_var_float(nc, ids[i], v);
    }
    nc_close(nc);
}

static float value(const char *file, const char *var, size_t k)
{
    int nc, v;
    assert_int_equal(nc_open(file, NC_NOWRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, var, &v), NC_NOERR);
    size_t idx[2] = {k / 3, k % 3};
    float x;
    nc_get_var1_float(nc, v, idx, &x);
    nc_close(nc);
    return x;
}

static void test_merge_replaces_and_keeps(void **state)
{
    (void)state;
    const char *base_vars[] = {"su", "fd", "tr"};
    const char *upd_vars[] = {"fd", "snow_days"};
    make_file("base.nc", 4, base_vars, 3, 0, "base");
    make_file("update.nc", 4, upd_vars, 2, 1000, "update");
    char base[256], update[256], out[256];
    path(base, "base.nc");
    path(update, "update.nc");
    path(out, "out.nc");
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_nc_merge(base, update, out, &err), CR_OK);
    /* su, tr from base; fd replaced; snow_days added */
    assert_true(value(out, "su", 5) == 5);
    assert_true(value(out, "tr", 5) == 205);
    assert_true(value(out, "fd", 5) == 1005);
    assert_true(value(out, "snow_days", 2) == 1102);
    int nc, v;
    assert_int_equal(nc_open(out, NC_NOWRITE, &nc), NC_NOERR);
    char title[16] = "";
    nc_get_att_text(nc, NC_GLOBAL, "title", title);
    assert_string_equal(title, "update");
    int a;
    assert_int_equal(nc_inq_attid(nc, NC_GLOBAL, "only_in_base", &a), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "model", &v), NC_NOERR);
    char *models[2];
    assert_int_equal(nc_get_var_string(nc, v, models), NC_NOERR);
    assert_string_equal(models[1], "C_D");
    nc_free_string(2, models);
    assert_int_equal(nc_inq_varid(nc, "su", &v), NC_NOERR);
    int shuffle, deflate, level;
    nc_inq_var_deflate(nc, v, &shuffle, &deflate, &level);
    assert_int_equal(deflate, 1);
    char units[8] = "";
    nc_get_att_text(nc, v, "units", units);
    assert_string_equal(units, "days");
    nc_close(nc);

    /* merging onto itself (base == out) works and leaves no temporary file */
    assert_int_equal(cr_nc_merge(out, update, out, &err), CR_OK);
    assert_true(value(out, "su", 1) == 1);
    /* no base yet: the output is a copy of the update */
    char fresh[256];
    path(fresh, "fresh.nc");
    assert_int_equal(cr_nc_merge(fresh, update, fresh, &err), CR_OK);
    assert_true(value(fresh, "fd", 0) == 1000);
}

static void test_mismatched_dimensions(void **state)
{
    (void)state;
    const char *vars[] = {"su"};
    make_file("base3.nc", 3, vars, 1, 0, "base");
    make_file("update4.nc", 4, vars, 1, 0, "update");
    char base[256], update[256], out[256];
    path(base, "base3.nc");
    path(update, "update4.nc");
    path(out, "out34.nc");
    struct cr_err err;
    assert_int_equal(cr_nc_merge(base, update, out, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "'year'"));
    assert_int_equal(access(out, F_OK), -1);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_replaces_and_keeps),
        cmocka_unit_test(test_mismatched_dimensions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
