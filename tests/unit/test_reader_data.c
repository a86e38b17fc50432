/* test_reader_data.c — the reader on real EURO-CORDEX files
 * (../shared/data/climate_nc/euro-cordex: rotated pole, proleptic_gregorian
 * and 360_day) and on DRIAS-format files from the generator. Expected values
 * come from the files read directly with netCDF (raw K minus 273.15), from
 * the calendars' rules, and from DRIAS's SAFRAN grid table
 * (../shared/data/safran_grid), never from the reader itself. */
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

#include "core/log.h"
#include "ingest/reader.h"
#include "ingest/synth.h"
#include "support/ncmake.h"

static const char *shared(const char *rel)
{
    static char buf[4][1024];
    static int next;
    const char *src = getenv("SRC");
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/../shared/data/%s", src && *src ? src : ".", rel);
    return p;
}

static struct cr_series *open_ok(const char *const *paths, size_t n)
{
    struct cr_series *s = NULL;
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_series_open(&s, paths, n, NULL, &err) != CR_OK)
        fail_msg("open failed: %s", err.msg);
    return s;
}

static void assert_date(struct cr_date d, int y, int m, int day)
{
    if (d.year != y || d.month != m || d.day != day)
        fail_msg("date %04d-%02d-%02d, expected %04d-%02d-%02d", d.year, d.month, d.day, y, m, day);
}

static float *read_days(struct cr_series *s, struct cr_date from, size_t n)
{
    struct cr_series_info in;
    cr_series_info(s, &in);
    float *buf = malloc(sizeof(float) * in.ncells * n);
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_series_read(s, from, n, buf, &err) != CR_OK)
        fail_msg("read failed: %s", err.msg);
    return buf;
}

/* Raw tasmin of time step t, all 70 cells, read with netCDF directly. */
static void raw_step(const char *path, size_t t, float *out)
{
    int ncid, var;
    assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "tasmin", &var), NC_NOERR);
    size_t start[3] = {t, 0, 0}, count[3] = {1, 10, 7};
    assert_int_equal(nc_get_vara_float(ncid, var, start, count, out), NC_NOERR);
    nc_close(ncid);
}

static void check_cordex_file(const char *path, struct cr_date day, size_t index)
{
    struct cr_series *s = open_ok(&path, 1);
    float *v = read_days(s, day, 1), raw[70];
    raw_step(path, index, raw);
    for (size_t c = 0; c < 70; c++)
        if (fabs(v[c] - ((double)raw[c] - 273.15)) > 1e-4)
            fail_msg("%s cell %zu: %g, raw %g K", path, c, v[c], raw[c]);
    free(v);
    /* lat/lon are the file's own 2-D lat/lon. */
    int ncid, var;
    double lat[70], lon[70];
    assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "lat", &var), NC_NOERR);
    assert_int_equal(nc_get_var_double(ncid, var, lat), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "lon", &var), NC_NOERR);
    assert_int_equal(nc_get_var_double(ncid, var, lon), NC_NOERR);
    nc_close(ncid);
    for (size_t c = 0; c < 70; c++) {
        assert_true(fabs(cr_series_lat(s)[c] - lat[c]) < 1e-9);
        assert_true(fabs(cr_series_lon(s)[c] - lon[c]) < 1e-9);
    }
    cr_series_close(s);
}

static void test_cordex_proleptic(void **state)
{
    (void)state;
    const char *path = shared("climate_nc/euro-cordex/test1.nc");
    struct cr_series *s = open_ok(&path, 1);
    struct cr_series_info in;
    cr_series_info(s, &in);
    assert_int_equal(in.var, CR_VAR_TASMIN);
    assert_string_equal(in.file_var, "tasmin");
    assert_string_equal(in.file_units, "K");
    assert_int_equal(in.calendar, CR_CAL_PROLEPTIC);
    assert_date(in.first, 1950, 1, 1);
    assert_date(in.last, 1950, 12, 31);
    assert_int_equal(in.ndays, 365);
    assert_int_equal(in.ny, 10);
    assert_int_equal(in.nx, 7);
    assert_string_equal(in.layout, "time,rlat,rlon");
    assert_string_equal(in.crs_name, "rotated_latitude_longitude");
    assert_string_equal(in.latlon_source, "2-D lat/lon");
    cr_series_close(s);
    /* 1950-07-20 is step 200 (31+28+31+30+31+30 = 181 days before July). */
    check_cordex_file(path, (struct cr_date){1950, 1, 1}, 0);
    check_cordex_file(path, (struct cr_date){1950, 7, 20}, 200);
    check_cordex_file(path, (struct cr_date){1950, 12, 31}, 364);
}

static void test_cordex_360_day(void **state)
{
    (void)state;
    const char *path = shared("climate_nc/euro-cordex/test2.nc");
    struct cr_series *s = open_ok(&path, 1);
    struct cr_series_info in;
    cr_series_info(s, &in);
    assert_int_equal(in.calendar, CR_CAL_360);
    assert_date(in.first, 1949, 12, 1);
    assert_date(in.last, 1950, 12, 30);
    assert_int_equal(in.ndays, 390);
    assert_int_equal(in.gaps, 0);
    cr_series_close(s);
    /* 360-day months of 30 days: 1950-02-30 is step 30 + 30 + 29 = 89. */
    check_cordex_file(path, (struct cr_date){1950, 2, 30}, 89);
    check_cordex_file(path, (struct cr_date){1950, 2, 29}, 88);
    check_cordex_file(path, (struct cr_date){1950, 12, 30}, 389);
}

/* ---- DRIAS-format files from the generator ------------------------------- */

static void synth(const char *dir, int y0, int y1, int per_file, enum cr_calendar cal)
{
    struct cr_synth_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.out_dir, sizeof o.out_dir, "%s", dir);
    cr_strlist_split(&o.models, "A_B");
    cr_strlist_split(&o.scenarios, "rcp45");
    cr_strlist_split(&o.variables, "tasmaxAdjust");
    o.hist_first = o.scen_first = y0;
    o.hist_last = o.scen_last = y1;
    o.seed = 42;
    o.calendar = cal;
    o.deflate = 1;
    o.jobs = 1;
    o.years_per_file = per_file;
    struct cr_synth_report rep;
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_synth_run(&o, &rep, &err) != CR_OK)
        fail_msg("synth: %s", err.msg);
    cr_strlist_free(&o.models);
    cr_strlist_free(&o.scenarios);
    cr_strlist_free(&o.variables);
}

static const char *drias_name(const char *dir, int y0, int y1, int last_day, char *buf, size_t size)
{
    snprintf(
        buf, size,
        "%s/"
        "tasmaxAdjust_France_A_B_rcp4.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_%d0101-%d12%02d.nc",
        dir, y0, y1, last_day);
    return buf;
}

static void test_drias_files(void **state)
{
    (void)state;
    char one_dir[1100], split_dir[1100], p1[2048], p2[2048], p3[2048];
    snprintf(one_dir, sizeof one_dir, "%s", ncm_path("drias-one"));
    snprintf(split_dir, sizeof split_dir, "%s", ncm_path("drias-split"));
    synth(one_dir, 2021, 2022, 0, CR_CAL_STANDARD);
    synth(split_dir, 2021, 2022, 1, CR_CAL_STANDARD);

    const char *one = drias_name(one_dir, 2021, 2022, 31, p1, sizeof p1);
    struct cr_series *s = open_ok(&one, 1);
    struct cr_series_info in;
    cr_series_info(s, &in);
    assert_int_equal(in.var, CR_VAR_TASMAX);
    assert_int_equal(in.epsg, 27572);
    assert_int_equal(in.ny, 134);
    assert_int_equal(in.nx, 143);
    assert_string_equal(in.layout, "time,y,x");
    assert_int_equal(in.ndays, 730);
    assert_date(in.last, 2022, 12, 31);

    /* Land cells: cells with data. */
    float *a = read_days(s, in.first, 730);
    size_t land = 0;
    for (size_t c = 0; c < in.ncells; c++) {
        int any = 0;
        for (size_t d = 0; d < 730 && !any; d++)
            any = !isnan(a[d * in.ncells + c]);
        land += any;
    }
    assert_int_equal(land, 8981);

    /* The latitude of every SAFRAN point (DRIAS's grid table) within
     * 0.01 degree of the reader's, and data exactly there. */
    FILE *fp = fopen(shared("safran_grid/grilleSafran_utile_drias2021.csv"), "r");
    assert_non_null(fp);
    char line[512];
    size_t points = 0;
    assert_non_null(fgets(line, sizeof line, fp)); /* header */
    while (fgets(line, sizeof line, fp)) {
        int id, i, j;
        double xl2, yl2, x93, y93, lon, lat;
        if (sscanf(line, "%d ;%d ;%d ;%lf ;%lf ;%lf ;%lf ;%lf ;%lf", &id, &i, &j, &xl2, &yl2, &x93,
                   &y93, &lon, &lat) != 9)
            continue;
        size_t c = (size_t)j * 143 + (size_t)i;
        if (fabs(cr_series_lat(s)[c] - lat) > 0.01 || fabs(cr_series_lon(s)[c] - lon) > 0.01)
            fail_msg("point %d: reader lat %.5f lon %.5f, grid table %.5f %.5f", id,
                     cr_series_lat(s)[c], cr_series_lon(s)[c], lat, lon);
        assert_false(isnan(a[c]));
        points++;
    }
    fclose(fp);
    assert_int_equal(points, 8981);
    cr_series_close(s);

    /* The same period split into yearly files (given in reverse order)
     * reads exactly the same values. */
    const char *paths[2] = {drias_name(split_dir, 2022, 2022, 31, p2, sizeof p2),
                            drias_name(split_dir, 2021, 2021, 31, p3, sizeof p3)};
    s = open_ok(paths, 2);
    cr_series_info(s, &in);
    assert_int_equal(in.nfiles, 2);
    assert_int_equal(in.ndays, 730);
    assert_int_equal(in.gaps, 0);
    assert_int_equal(in.overlaps, 0);
    float *b = read_days(s, (struct cr_date){2021, 1, 1}, 730);
    assert_memory_equal(a, b, sizeof(float) * 730 * in.ncells);
    /* Blocks that straddle the two files too. */
    float *c = read_days(s, (struct cr_date){2021, 12, 20}, 30);
    assert_memory_equal(a + (size_t)353 * in.ncells, c, sizeof(float) * 30 * in.ncells);
    free(a);
    free(b);
    free(c);
    cr_series_close(s);
}

static void test_drias_calendars(void **state)
{
    (void)state;
    char dir[1100], p[2048];
    snprintf(dir, sizeof dir, "%s", ncm_path("drias-noleap"));
    synth(dir, 2021, 2021, 0, CR_CAL_NOLEAP);
    const char *path = drias_name(dir, 2021, 2021, 31, p, sizeof p);
    struct cr_series *s = open_ok(&path, 1);
    struct cr_series_info in;
    cr_series_info(s, &in);
    assert_int_equal(in.calendar, CR_CAL_NOLEAP);
    assert_int_equal(in.ndays, 365);
    assert_date(in.last, 2021, 12, 31);
    cr_series_close(s);

    snprintf(dir, sizeof dir, "%s", ncm_path("drias-360"));
    synth(dir, 2021, 2021, 0, CR_CAL_360);
    path = drias_name(dir, 2021, 2021, 30, p, sizeof p);
    s = open_ok(&path, 1);
    cr_series_info(s, &in);
    assert_int_equal(in.calendar, CR_CAL_360);
    assert_int_equal(in.ndays, 360);
    assert_date(in.last, 2021, 12, 30);
    /* Day 2021-02-30 exists and has data on land. */
    float *v = read_days(s, (struct cr_date){2021, 2, 30}, 1);
    size_t land = 0;
    for (size_t c = 0; c < in.ncells; c++)
        land += !isnan(v[c]);
    assert_int_equal(land, 8981);
    free(v);
    cr_series_close(s);
}

int main(void)
{
    cr_log_init(CR_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cordex_proleptic),
        cmocka_unit_test(test_cordex_360_day),
        cmocka_unit_test(test_drias_files),
        cmocka_unit_test(test_drias_calendars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
