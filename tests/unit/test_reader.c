/* test_reader.c — the series reader on small files written here with the
 * netCDF API: every calendar, layout, unit, packing and fill convention,
 * split files (gaps, overlaps), grids and CRS, and the errors. Expected
 * values are computed by hand from the values written (ncmake's value
 * function), dates by hand from the calendars' rules. */
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
#include "ingest/validate.h"
#include "support/ncmake.h"

/* ---- helpers ------------------------------------------------------------ */

static struct cr_series *open_ok(const char *const *paths, size_t n, const char *var)
{
    struct cr_series *s = NULL;
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_series_open(&s, paths, n, var, &err) != CR_OK)
        fail_msg("open failed: %s", err.msg);
    return s;
}

static struct cr_series *open1(const char *path, const char *var)
{
    return open_ok(&path, 1, var);
}

/* Opening (and, if that works, reading every day) fails with CR_EDATA and a
 * message holding each needle. */
static void expect_error(const char *const *paths, size_t n, const char *var, const char *needle1,
                         const char *needle2)
{
    struct cr_series *s = NULL;
    struct cr_err err;
    cr_err_clear(&err);
    int rc = cr_series_open(&s, paths, n, var, &err);
    if (rc == CR_OK) {
        struct cr_series_info in;
        cr_series_info(s, &in);
        float *buf = malloc(sizeof(float) * in.ncells * in.span_days);
        rc = cr_series_read(s, in.first, in.span_days, buf, &err);
        free(buf);
        cr_series_close(s);
    }
    if (rc != CR_EDATA)
        fail_msg("expected a data error (%s / %s), got %d: %s", needle1, needle2 ? needle2 : "", rc,
                 err.msg);
    if (needle1 && !strstr(err.msg, needle1))
        fail_msg("'%s' not in: %s", needle1, err.msg);
    if (needle2 && !strstr(err.msg, needle2))
        fail_msg("'%s' not in: %s", needle2, err.msg);
}

static void expect_error1(const char *path, const char *var, const char *n1, const char *n2)
{
    expect_error(&path, 1, var, n1, n2);
}

static void assert_date(struct cr_date d, int y, int m, int day)
{
    if (d.year != y || d.month != m || d.day != day)
        fail_msg("date %04d-%02d-%02d, expected %04d-%02d-%02d", d.year, d.month, d.day, y, m, day);
}

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.9g, expected %.9g (tolerance %g)", got, want, tol);
}

static float *read_all(struct cr_series *s, struct cr_date from, size_t ndays)
{
    struct cr_series_info in;
    cr_series_info(s, &in);
    float *buf = malloc(sizeof(float) * in.ncells * ndays);
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_series_read(s, from, ndays, buf, &err) != CR_OK)
        fail_msg("read failed: %s", err.msg);
    return buf;
}

/* ---- calendars ---------------------------------------------------------- */

static void test_calendars(void **state)
{
    (void)state;
    /* 400 daily steps from 2000-01-01 (noon); step 59 and the last day by
     * the calendars' rules: 2000 is a leap year in standard/gregorian/
     * proleptic, every year in all_leap; Feb has 30 days in 360_day. */
    static const struct {
        const char *attr;
        enum cr_calendar cal;
        int m59, d59;   /* date of step 59 in 2000 */
        int ly, lm, ld; /* date of step 399 */
    } cases[] = {
        {"standard", CR_CAL_STANDARD, 2, 29, 2001, 2, 3},
        {"gregorian", CR_CAL_STANDARD, 2, 29, 2001, 2, 3},
        {NULL, CR_CAL_STANDARD, 2, 29, 2001, 2, 3},
        {"proleptic_gregorian", CR_CAL_PROLEPTIC, 2, 29, 2001, 2, 3},
        {"noleap", CR_CAL_NOLEAP, 3, 1, 2001, 2, 4},
        {"365_day", CR_CAL_NOLEAP, 3, 1, 2001, 2, 4},
        {"all_leap", CR_CAL_ALL_LEAP, 2, 29, 2001, 2, 3},
        {"366_day", CR_CAL_ALL_LEAP, 2, 29, 2001, 2, 3},
        {"360_day", CR_CAL_360, 2, 30, 2001, 2, 10},
        {"NoLeap", CR_CAL_NOLEAP, 3, 1, 2001, 2, 4},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct ncm_spec sp;
        char name[64];
        snprintf(name, sizeof name, "cal%zu.nc", k);
        ncm_defaults(&sp, ncm_path(name));
        sp.calendar = cases[k].attr;
        sp.ntime = 400;
        sp.units = "degC";
        assert_int_equal(ncm_write(&sp), 0);
        struct cr_series *s = open1(sp.path, NULL);
        struct cr_series_info in;
        cr_series_info(s, &in);
        assert_int_equal(in.calendar, cases[k].cal);
        assert_date(in.first, 2000, 1, 1);
        assert_date(in.last, cases[k].ly, cases[k].lm, cases[k].ld);
        assert_int_equal(in.ndays, 400);
        assert_int_equal(in.gaps, 0);
        /* The day of step 59 holds step 59's values: 59 + 0.01 * cell. */
        float *v = read_all(s, (struct cr_date){2000, cases[k].m59, cases[k].d59}, 1);
        for (size_t c = 0; c < in.ncells; c++)
            assert_close(v[c], 59 + 0.01 * (double)c, 1e-4);
        free(v);
        cr_series_close(s);
    }
}

static void test_time_units(void **state)
{
    (void)state;
    /* Hours since noon of the previous day, steps 24 h apart. */
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path("hours.nc"));
    sp.time_units = "hours since 1999-12-31 12:00:00";
    sp.time0 = 24;
    sp.time_step = 24;
    sp.units = "degC";
    assert_int_equal(ncm_write(&sp), 0);
    struct cr_series *s = open1(sp.path, NULL);
    struct cr_series_info in;
    cr_series_info(s, &in);
    assert_date(in.first, 2000, 1, 1);
    assert_date(in.last, 2000, 1, 10);
    cr_series_close(s);

    /* Daily values stamped at the end of their day (00:00 next day) read on
     * the right day when the bounds say so... */
    ncm_defaults(&sp, ncm_path("end-stamped.nc"));
    sp.time0 = 1;
    sp.time_bounds = 1;
    sp.bounds_shift = -0.5; /* bounds [k, k+1] around t = k+1 */
    sp.units = "degC";
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_date(in.first, 2000, 1, 1);
    cr_series_close(s);
    /* ... and on the next day without bounds (the stamp is all there is). */
    ncm_defaults(&sp, ncm_path("end-stamped-nobounds.nc"));
    sp.time0 = 1;
    sp.units = "degC";
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_date(in.first, 2000, 1, 2);
    cr_series_close(s);

    /* Unknown calendar, bad units, sub-daily and monthly steps. */
    ncm_defaults(&sp, ncm_path("julian.nc"));
    sp.calendar = "julian";
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "calendar 'julian'", "julian.nc");
    ncm_defaults(&sp, ncm_path("badtime.nc"));
    sp.time_units = "fortnights since 2000-01-01";
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "fortnights", "badtime.nc");
    ncm_defaults(&sp, ncm_path("6hourly.nc"));
    sp.time_step = 0.25;
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "daily", "6hourly.nc");
    ncm_defaults(&sp, ncm_path("monthly.nc"));
    sp.time_step = 30;
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "not daily", "monthly.nc");
}

/* ---- layouts ------------------------------------------------------------ */

static void check_default_values(struct cr_series *s, size_t ndays)
{
    struct cr_series_info in;
    cr_series_info(s, &in);
    float *v = read_all(s, in.first, ndays);
    for (size_t t = 0; t < ndays; t++)
        for (size_t c = 0; c < in.ncells; c++)
            assert_close(v[t * in.ncells + c], (double)t + 0.01 * (double)c, 1e-4);
    free(v);
}

static void test_layouts(void **state)
{
    (void)state;
    static const struct {
        const char *layout;
        size_t nspatial;
        const char *d0, *d1;
    } cases[] = {
        {"time,y,x", 2, "y", "x"},
        {"y,x,time", 2, "y", "x"},
        {"time,height,y,x", 2, "y", "x"},
        {"time,location", 1, "", "location"},
        {"location,time", 1, "", "location"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct ncm_spec sp;
        char name[64];
        snprintf(name, sizeof name, "layout%zu.nc", k);
        ncm_defaults(&sp, ncm_path(name));
        sp.layout = cases[k].layout;
        sp.units = "degC";
        sp.nx = 5;
        assert_int_equal(ncm_write(&sp), 0);
        struct cr_series *s = open1(sp.path, NULL);
        struct cr_series_info in;
        cr_series_info(s, &in);
        assert_string_equal(in.layout, cases[k].layout);
        assert_int_equal(in.nspatial, cases[k].nspatial);
        assert_string_equal(in.dim_names[0], cases[k].d0);
        assert_string_equal(in.dim_names[1], cases[k].d1);
        assert_int_equal(in.ncells, cases[k].nspatial == 2 ? 15 : 5);
        check_default_values(s, 10);
        if (cases[k].nspatial == 1) {
            /* lat(location): ncmake's default 45 + 0.5 j + 0.01 i with j = 0. */
            for (size_t c = 0; c < 5; c++)
                assert_close(cr_series_lat(s)[c], 45.0 + 0.01 * (double)c, 1e-9);
            assert_string_equal(in.latlon_source, "lat/lon per location");
        }
        cr_series_close(s);
    }
}

/* Rotated pole to geographic, the textbook formula (independent of PROJ):
 * pole at (39.25N, 162W) as EURO-CORDEX. */
static void rotated_to_geo(double rlon, double rlat, double *lon, double *lat)
{
    double d = M_PI / 180, plat = 39.25 * d;
    rlon *= d;
    rlat *= d;
    *lat = asin(sin(rlat) * sin(plat) + cos(rlat) * cos(rlon) * cos(plat)) / d;
    *lon = atan2(cos(rlat) * sin(rlon), sin(plat) * cos(rlat) * cos(rlon) - cos(plat) * sin(rlat)) /
               d -
           162.0 + 180.0;
}

static void test_grids(void **state)
{
    (void)state;
    struct ncm_spec sp;
    struct cr_series *s;
    struct cr_series_info in;

    /* (time, lat, lon) with 1-D coordinates: plain geographic. */
    ncm_defaults(&sp, ncm_path("latlon.nc"));
    sp.grid = NCM_GRID_LATLON;
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_string_equal(in.crs_name, "latitude_longitude");
    assert_int_equal(in.epsg, 4326);
    assert_string_equal(in.layout, "time,lat,lon");
    assert_string_equal(in.latlon_source, "1-D lat/lon");
    for (size_t j = 0; j < 3; j++)
        for (size_t i = 0; i < 4; i++) {
            assert_close(cr_series_lat(s)[j * 4 + i], 40.0 + (double)j, 1e-12);
            assert_close(cr_series_lon(s)[j * 4 + i], -5.0 + (double)i, 1e-12);
        }
    cr_series_close(s);

    /* Rotated pole without 2-D lat/lon: computed with PROJ. */
    ncm_defaults(&sp, ncm_path("rotated.nc"));
    sp.grid = NCM_GRID_ROTATED;
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_string_equal(in.crs_name, "rotated_latitude_longitude");
    assert_string_equal(in.layout, "time,rlat,rlon");
    assert_string_equal(in.latlon_source, "PROJ from x/y");
    for (size_t j = 0; j < 3; j++)
        for (size_t i = 0; i < 4; i++) {
            double lon, lat;
            rotated_to_geo(-4.835 + 0.11 * (double)i, -4.565 + 0.11 * (double)j, &lon, &lat);
            assert_close(cr_series_lat(s)[j * 4 + i], lat, 1e-6);
            assert_close(cr_series_lon(s)[j * 4 + i], lon, 1e-6);
        }
    cr_series_close(s);

    /* Lambert II étendu, three ways of saying it, around DRIAS point 13510
     * (column 68, row 94; lat 48.31996732, lon 2.39043578 in DRIAS's grid
     * table). */
    for (int way = 0; way < 3; way++) {
        char name[64];
        snprintf(name, sizeof name, "lambert2-%d.nc", way);
        ncm_defaults(&sp, ncm_path(name));
        sp.grid = NCM_GRID_LAMBERT2;
        sp.lambert_1sp = way; /* 0 CF parameters, 1 DRIAS 1SP + epsg, 2 DRIAS 1SP only */
        sp.x0 = 60000 + 8000 * 68;
        sp.dx = 8000;
        sp.y0 = 1617000 + 8000 * 94;
        sp.dy = 8000;
        assert_int_equal(ncm_write(&sp), 0);
        s = open1(sp.path, NULL);
        cr_series_info(s, &in);
        assert_int_equal(in.epsg, 27572);
        assert_string_equal(in.latlon_source, "PROJ from x/y");
        assert_close(cr_series_lat(s)[0], 48.31996732, 1e-4);
        assert_close(cr_series_lon(s)[0], 2.39043578, 1e-4);
        cr_series_close(s);
    }

    /* Lambert-93 from CF parameters: the same point from its Lambert-93
     * coordinates in the grid table (654813.906, 6802357.333). */
    ncm_defaults(&sp, ncm_path("lambert93.nc"));
    sp.grid = NCM_GRID_LAMBERT93;
    sp.x0 = 654813.906;
    sp.dx = 8000;
    sp.y0 = 6802357.333;
    sp.dy = 8000;
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_int_equal(in.epsg, 2154);
    assert_close(cr_series_lat(s)[0], 48.31996732, 1e-4);
    assert_close(cr_series_lon(s)[0], 2.39043578, 1e-4);
    cr_series_close(s);

    /* 2-D lat/lon variables win over anything computed. */
    ncm_defaults(&sp, ncm_path("latlon2d.nc"));
    sp.grid = NCM_GRID_LAMBERT2;
    sp.latlon2d = 1;
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_string_equal(in.latlon_source, "2-D lat/lon");
    assert_close(cr_series_lat(s)[1 * 4 + 2], 45.0 + 0.5 * 1 + 0.01 * 2, 1e-12);
    assert_close(cr_series_lon(s)[1 * 4 + 2], 2.0 + 0.5 * 2 + 0.01 * 1, 1e-12);
    cr_series_close(s);

    /* No coordinates at all: cells still read, lat/lon unknown. */
    ncm_defaults(&sp, ncm_path("nocoords.nc"));
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    cr_series_info(s, &in);
    assert_string_equal(in.latlon_source, "none");
    assert_true(isnan(cr_series_lat(s)[0]));
    cr_series_close(s);
}

/* ---- units, packing, fill values ----------------------------------------- */

static double g_const;
static double const_value(size_t t, size_t j, size_t i)
{
    (void)t;
    (void)j;
    (void)i;
    return g_const;
}

static void test_units_in_files(void **state)
{
    (void)state;
    static const struct {
        const char *var, *units;
        double value, expected;
    } cases[] = {
        {"tasmaxAdjust", "K", 300.0, 26.85},
        {"tasmin", "degC", -3.5, -3.5},
        {"tas", "Celsius", 11.0, 11.0},
        {"tasAdjust", "deg_C", 11.0, 11.0},
        {"prtotAdjust", "kg m-2 s-1", 1e-4, 8.64},
        {"pr", "kg/m2/s", 1e-4, 8.64},
        {"pr", "mm/s", 1e-4, 8.64},
        {"prsnAdjust", "mm day-1", 3.0, 3.0},
        {"pr", "mm/d", 3.0, 3.0},
        {"pr", "mm", 3.0, 3.0},
        {"snw", "kg m-2", 150.0, 150.0},
        {"snw", "m", 0.15, 150.0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct ncm_spec sp;
        char name[64];
        snprintf(name, sizeof name, "units%zu.nc", k);
        ncm_defaults(&sp, ncm_path(name));
        sp.var_name = cases[k].var;
        sp.units = cases[k].units;
        g_const = cases[k].value;
        sp.value = const_value;
        assert_int_equal(ncm_write(&sp), 0);
        struct cr_series *s = open1(sp.path, NULL);
        float *v = read_all(s, (struct cr_date){2000, 1, 1}, 10);
        for (size_t n = 0; n < 10 * 12; n++)
            assert_close(v[n], cases[k].expected, 1e-4 * (1 + fabs(cases[k].expected)));
        struct cr_series_info in;
        cr_series_info(s, &in);
        assert_string_equal(in.file_units, cases[k].units);
        free(v);
        cr_series_close(s);
    }
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path("furlongs.nc"));
    sp.var_name = "tasmax";
    sp.units = "furlongs";
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "furlongs.nc': variable tasmax has units 'furlongs'", "degC");
    ncm_defaults(&sp, ncm_path("prK.nc"));
    sp.var_name = "pr";
    sp.units = "K";
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "units 'K'", "kg m-2 s-1");
    ncm_defaults(&sp, ncm_path("nounits.nc"));
    sp.units = NULL;
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "no units attribute", "nounits.nc");
}

static double kelvin_value(size_t t, size_t j, size_t i)
{
    return 280.0 + 0.37 * (double)t + 0.013 * (double)(j * 4 + i);
}

static void test_packing(void **state)
{
    (void)state;
    /* short, scale 0.01, offset 273.15 K: raw = round((v - 273.15) / 0.01),
     * so the canonical value is raw * 0.01 degC. */
    for (int with_attr = 0; with_attr < 2; with_attr++) {
        struct ncm_spec sp;
        ncm_defaults(&sp, ncm_path(with_attr ? "packed.nc" : "packed-default-fill.nc"));
        sp.type = NC_SHORT;
        sp.scale_factor = 0.01;
        sp.add_offset = 273.15;
        sp.value = kelvin_value;
        sp.fill_mode = with_attr ? NCM_FILL_ATTR : NCM_FILL_DEFAULT;
        sp.fill = -32767;
        sp.missing_cell = 5;
        assert_int_equal(ncm_write(&sp), 0);
        struct cr_series *s = open1(sp.path, NULL);
        float *v = read_all(s, (struct cr_date){2000, 1, 1}, 10);
        for (size_t t = 0; t < 10; t++)
            for (size_t c = 0; c < 12; c++) {
                float got = v[t * 12 + c];
                if (c == 5) {
                    assert_true(isnan(got));
                    continue;
                }
                double raw = round((kelvin_value(t, c / 4, c % 4) - 273.15) / 0.01);
                assert_close(got, raw * 0.01, 1e-4);
            }
        free(v);
        cr_series_close(s);
    }
}

static void test_fill_conventions(void **state)
{
    (void)state;
    static const struct {
        enum ncm_fill mode;
        nc_type type;
        double fill;
    } cases[] = {
        {NCM_FILL_ATTR, NC_FLOAT, 1e20},    {NCM_FILL_ATTR, NC_DOUBLE, 1e20},
        {NCM_FILL_MISSING, NC_FLOAT, -999}, {NCM_FILL_NAN, NC_FLOAT, 0},
        {NCM_FILL_NAN, NC_DOUBLE, 0},       {NCM_FILL_DEFAULT, NC_FLOAT, 0},
        {NCM_FILL_DEFAULT, NC_DOUBLE, 0},   {NCM_FILL_VALID_RANGE, NC_FLOAT, -999},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct ncm_spec sp;
        char name[64];
        snprintf(name, sizeof name, "fill%zu.nc", k);
        ncm_defaults(&sp, ncm_path(name));
        sp.fill_mode = cases[k].mode;
        sp.type = cases[k].type;
        sp.fill = cases[k].fill;
        sp.valid_min = 200;
        sp.valid_max = 350;
        sp.value = kelvin_value;
        sp.missing_cell = 7;
        assert_int_equal(ncm_write(&sp), 0);
        struct cr_series *s = open1(sp.path, NULL);
        float *v = read_all(s, (struct cr_date){2000, 1, 1}, 10);
        for (size_t t = 0; t < 10; t++)
            for (size_t c = 0; c < 12; c++) {
                float got = v[t * 12 + c];
                if (c == 7) {
                    if (!isnan(got))
                        fail_msg("case %zu: missing cell reads %g", k, got);
                    continue;
                }
                assert_close(got, kelvin_value(t, c / 4, c % 4) - 273.15, 1e-4);
            }
        free(v);
        cr_series_close(s);
    }
}

/* ---- choosing the variable ---------------------------------------------- */

/* Add a variable shaped like `like` (values 300 K). */
static void add_var(const char *path, const char *like, const char *name, const char *sn,
                    const char *cm)
{
    int ncid, var, dims[3], model;
    assert_int_equal(nc_open(path, NC_WRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_redef(ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, like, &model), NC_NOERR);
    assert_int_equal(nc_inq_vardimid(ncid, model, dims), NC_NOERR);
    assert_int_equal(nc_def_var(ncid, name, NC_FLOAT, 3, dims, &var), NC_NOERR);
    nc_put_att_text(ncid, var, "units", 1, "K");
    if (sn)
        nc_put_att_text(ncid, var, "standard_name", strlen(sn), sn);
    if (cm)
        nc_put_att_text(ncid, var, "cell_methods", strlen(cm), cm);
    assert_int_equal(nc_enddef(ncid), NC_NOERR);
    float *v = calloc(10 * 12, sizeof(float));
    for (int k = 0; k < 120; k++)
        v[k] = 300;
    size_t start[3] = {0, 0, 0}, count[3] = {10, 3, 4};
    assert_int_equal(nc_put_vara_float(ncid, var, start, count, v), NC_NOERR);
    free(v);
    assert_int_equal(nc_close(ncid), NC_NOERR);
}

static void test_variable_choice(void **state)
{
    (void)state;
    struct ncm_spec sp;
    struct cr_series *s;
    struct cr_series_info in;

    /* A CMIP-named file asked for by DRIAS name, and the other way round. */
    ncm_defaults(&sp, ncm_path("cordexname.nc"));
    sp.var_name = "tasmax";
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, "tasmaxAdjust");
    cr_series_info(s, &in);
    assert_int_equal(in.var, CR_VAR_TASMAX);
    assert_string_equal(in.file_var, "tasmax");
    cr_series_close(s);
    ncm_defaults(&sp, ncm_path("driasname.nc"));
    sp.var_name = "prtotAdjust";
    sp.units = "kg m-2 s-1";
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, "pr");
    cr_series_info(s, &in);
    assert_int_equal(in.var, CR_VAR_PR);
    cr_series_close(s);

    /* Names climrisk does not know, told apart by standard_name and
     * cell_methods. */
    ncm_defaults(&sp, ncm_path("stdname.nc"));
    sp.var_name = "TN";
    sp.standard_name = "air_temperature";
    sp.cell_methods = "time: minimum";
    assert_int_equal(ncm_write(&sp), 0);
    add_var(sp.path, "TN", "TX", "air_temperature", "time: maximum");
    s = open1(sp.path, "tasmin");
    cr_series_info(s, &in);
    assert_string_equal(in.file_var, "TN");
    assert_int_equal(in.var, CR_VAR_TASMIN);
    cr_series_close(s);
    s = open1(sp.path, "tasmax");
    cr_series_info(s, &in);
    assert_string_equal(in.file_var, "TX");
    cr_series_close(s);
    s = open1(sp.path, "TX"); /* the file's own name */
    cr_series_info(s, &in);
    assert_int_equal(in.var, CR_VAR_TASMAX);
    cr_series_close(s);
    /* Two variables share the standard_name, and neither is the default. */
    expect_error1(sp.path, "air_temperature", "2 variables have standard_name", "TN");
    expect_error1(sp.path, NULL, "several data variables", "TN, TX");
    /* Missing variable: the message lists what is there. */
    expect_error1(sp.path, "pr", "has no pr variable", "time, TN, TX");
    expect_error1(sp.path, "tas", "has no tas variable", "cell_methods time: mean");

    /* A standard_name alone picks the variable. */
    ncm_defaults(&sp, ncm_path("precipflux.nc"));
    sp.var_name = "RR";
    sp.standard_name = "precipitation_flux";
    sp.units = "kg m-2 s-1";
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, "precipitation_flux");
    cr_series_info(s, &in);
    assert_int_equal(in.var, CR_VAR_PR);
    cr_series_close(s);
    s = open1(sp.path, NULL);
    cr_series_close(s);

    /* An unknown variable is refused, not guessed. */
    ncm_defaults(&sp, ncm_path("huss.nc"));
    sp.var_name = "hussAdjust";
    sp.units = "1";
    assert_int_equal(ncm_write(&sp), 0);
    expect_error1(sp.path, NULL, "hussAdjust is not one climrisk reads", NULL);
}

/* ---- several files -------------------------------------------------------- */

static double g_offset;
static double offset_value(size_t t, size_t j, size_t i)
{
    return g_offset + (double)t + 0.01 * (double)(j * 4 + i);
}

/* File `name` with n days from day `first` (0 = 2000-01-01), values
 * offset + local step + 0.01 cell. */
static const char *part(const char *name, int first, size_t n, double offset, const char *cal)
{
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path(name));
    sp.time0 = first + 0.5;
    sp.ntime = n;
    sp.units = "degC";
    sp.calendar = cal;
    g_offset = offset;
    sp.value = offset_value;
    assert_int_equal(ncm_write(&sp), 0);
    return sp.path;
}

static void test_split_files(void **state)
{
    (void)state;
    /* Contiguous, given in the wrong order. */
    const char *b = part("split-b.nc", 10, 10, 100, "standard");
    const char *a = part("split-a.nc", 0, 10, 0, "standard");
    const char *paths[2] = {b, a};
    struct cr_series *s = open_ok(paths, 2, NULL);
    struct cr_series_info in;
    cr_series_info(s, &in);
    assert_int_equal(in.nfiles, 2);
    assert_string_equal(cr_series_file(s, 0), a);
    assert_date(in.first, 2000, 1, 1);
    assert_date(in.last, 2000, 1, 20);
    assert_int_equal(in.ndays, 20);
    assert_int_equal(in.gaps, 0);
    assert_int_equal(in.overlaps, 0);
    float *v = read_all(s, (struct cr_date){2000, 1, 1}, 20);
    for (size_t d = 0; d < 20; d++)
        for (size_t c = 0; c < 12; c++)
            assert_close(v[d * 12 + c],
                         (d < 10 ? (double)d : 100.0 + (double)(d - 10)) + 0.01 * (double)c, 1e-4);
    free(v);
    /* A read across the boundary, and beyond the coverage. */
    v = read_all(s, (struct cr_date){1999, 12, 30}, 25);
    assert_true(isnan(v[0]) && isnan(v[12 + 11]));
    assert_close(v[2 * 12], 0.0, 1e-6);
    assert_close(v[(2 + 19) * 12], 109.0, 1e-4);
    assert_true(isnan(v[(2 + 20) * 12]));
    free(v);
    assert_string_equal(cr_series_file_of_day(s, (struct cr_date){2000, 1, 15}), b);
    assert_null(cr_series_file_of_day(s, (struct cr_date){2000, 2, 15}));
    /* A date the calendar does not have is the caller's bug. */
    float one[12];
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_series_read(s, (struct cr_date){2000, 2, 30}, 1, one, &err), CR_EINTERNAL);
    cr_series_close(s);

    /* A gap of three days. */
    b = part("gap-b.nc", 13, 10, 100, "standard");
    paths[0] = a;
    paths[1] = b;
    s = open_ok(paths, 2, NULL);
    cr_series_info(s, &in);
    assert_int_equal(in.gaps, 3);
    assert_int_equal(in.ndays, 20);
    assert_int_equal(in.span_days, 23);
    const struct cr_series_event *ev;
    assert_int_equal(cr_series_events(s, &ev), 1);
    assert_int_equal(ev[0].kind, CR_SERIES_GAP);
    assert_date(ev[0].first, 2000, 1, 11);
    assert_date(ev[0].last, 2000, 1, 13);
    assert_int_equal(ev[0].ndays, 3);
    assert_string_equal(ev[0].before, a);
    assert_string_equal(ev[0].after, b);
    v = read_all(s, (struct cr_date){2000, 1, 1}, 23);
    for (size_t d = 10; d < 13; d++)
        for (size_t c = 0; c < 12; c++)
            assert_true(isnan(v[d * 12 + c]));
    assert_close(v[13 * 12], 100.0, 1e-4);
    free(v);
    cr_series_close(s);

    /* An overlap of three days: the earlier file's values are kept. */
    b = part("overlap-b.nc", 7, 10, 100, "standard");
    paths[1] = b;
    s = open_ok(paths, 2, NULL);
    cr_series_info(s, &in);
    assert_int_equal(in.overlaps, 3);
    assert_int_equal(in.gaps, 0);
    assert_int_equal(in.ndays, 17);
    assert_int_equal(cr_series_events(s, &ev), 1);
    assert_int_equal(ev[0].kind, CR_SERIES_OVERLAP);
    assert_date(ev[0].first, 2000, 1, 8);
    assert_date(ev[0].last, 2000, 1, 10);
    assert_string_equal(ev[0].before, a);
    assert_string_equal(ev[0].after, b);
    v = read_all(s, (struct cr_date){2000, 1, 1}, 17);
    assert_close(v[8 * 12], 8.0, 1e-4);         /* from a */
    assert_close(v[10 * 12], 103.0, 1e-4);      /* b's fourth step */
    assert_close(v[16 * 12 + 1], 109.01, 1e-4); /* b's last */
    free(v);
    cr_series_close(s);

    /* Files that cannot make one series. */
    b = part("cal-b.nc", 10, 10, 100, "360_day");
    paths[1] = b;
    expect_error(paths, 2, NULL, "calendar", "cal-b.nc");
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path("var-b.nc"));
    sp.var_name = "pr";
    sp.units = "mm/day";
    sp.time0 = 10.5;
    assert_int_equal(ncm_write(&sp), 0);
    paths[1] = sp.path;
    expect_error(paths, 2, "tas", "has no tas variable", "var-b.nc");
}

static void test_grid_mismatch(void **state)
{
    (void)state;
    /* Two halves of a period on grids one column apart. */
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path("grid-a.nc"));
    sp.grid = NCM_GRID_LAMBERT2;
    sp.units = "degC";
    assert_int_equal(ncm_write(&sp), 0);
    const char *a = sp.path;
    ncm_defaults(&sp, ncm_path("grid-b.nc"));
    sp.grid = NCM_GRID_LAMBERT2;
    sp.units = "degC";
    sp.x0 = 68000;
    sp.dx = 8000;
    sp.y0 = 1617000;
    sp.dy = 8000;
    sp.time0 = 10.5;
    assert_int_equal(ncm_write(&sp), 0);
    const char *b = sp.path;
    const char *paths[2] = {a, b};
    expect_error(paths, 2, NULL, "not on the same grid", "grid-b.nc");
    /* A grid of another size. */
    ncm_defaults(&sp, ncm_path("grid-c.nc"));
    sp.grid = NCM_GRID_LAMBERT2;
    sp.units = "degC";
    sp.nx = 5;
    sp.time0 = 10.5;
    assert_int_equal(ncm_write(&sp), 0);
    paths[1] = sp.path;
    expect_error(paths, 2, NULL, "grid sizes differ", "3 x 5");

    /* Variables of one simulation: same grid passes, another fails. */
    ncm_defaults(&sp, ncm_path("grid-tasmax.nc"));
    sp.grid = NCM_GRID_LAMBERT2;
    sp.var_name = "tasmax";
    assert_int_equal(ncm_write(&sp), 0);
    struct cr_series *sa = open1(a, NULL), *sx = open1(sp.path, NULL), *sb = open1(b, NULL);
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_series_same_grid(sa, sx, &err), CR_OK);
    assert_int_equal(cr_series_same_grid(sx, sb, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "grid-b.nc"));
    assert_non_null(strstr(err.msg, "grid-tasmax.nc"));
    cr_series_close(sa);
    cr_series_close(sx);
    cr_series_close(sb);
}

/* ---- damaged files -------------------------------------------------------- */

static void test_bad_files(void **state)
{
    (void)state;
    const char *text = ncm_path("page.nc");
    FILE *fp = fopen(text, "w");
    fputs("<html><body>404 Not Found</body></html>\n", fp);
    fclose(fp);
    expect_error1(text, NULL, "is not a NetCDF file", "page.nc");
    const char *empty = ncm_path("empty.nc");
    fclose(fopen(empty, "w"));
    expect_error1(empty, NULL, "empty", "empty.nc");
    expect_error1(ncm_path("nothere.nc"), NULL, "nothere.nc", "No such file");

    /* Truncated downloads of a real EURO-CORDEX file, cut at several
     * places: each is refused when opened or when its values are read. */
    const char *src = getenv("SRC");
    char real[1024];
    snprintf(real, sizeof real, "%s/../shared/data/climate_nc/euro-cordex/test1.nc",
             src ? src : ".");
    long cuts[] = {100, 4096, 30000, 100000, 170000};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "trunc%ld.nc", cuts[k]);
        const char *dst = ncm_path(name);
        assert_int_equal(ncm_truncate_copy(real, dst, cuts[k]), 0);
        expect_error1(dst, NULL, name, NULL);
    }
}

/* ---- validation ----------------------------------------------------------- */

static double spiky_value(size_t t, size_t j, size_t i)
{
    /* degC; one cell-day far too cold, one far too hot. */
    if (t == 2 && j == 1 && i == 1)
        return -150;
    if (t == 5 && j == 0 && i == 3)
        return 75;
    return 10 + (double)t;
}

static double tasmin_value(size_t t, size_t j, size_t i)
{
    return 5 + (double)t + 0.1 * (double)(j * 4 + i);
}

static double tasmax_value(size_t t, size_t j, size_t i)
{
    if (t == 4 && j == 2 && i == 0)
        return 0; /* below that day's tasmin (9.8) */
    return 15 + (double)t;
}

static double negative_pr(size_t t, size_t j, size_t i)
{
    return (t == 3 && j == 0 && i == 0) ? -2.0 : 1.5;
}

static void test_validation(void **state)
{
    (void)state;
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path("spiky.nc"));
    sp.units = "degC";
    sp.value = spiky_value;
    assert_int_equal(ncm_write(&sp), 0);
    struct cr_series *s = open1(sp.path, NULL);
    struct cr_date d0 = {2000, 1, 1};
    float *v = read_all(s, d0, 10);

    /* 2 bad values of 120: under a 5 % threshold a warning, over 0.1 % an
     * error naming the file, the day and the value. */
    struct cr_validation val;
    struct cr_err err;
    cr_validation_init(&val, 0.05, 0);
    cr_validate_block(&val, s, d0, v, 10);
    assert_int_equal(val.invalid[CR_CHECK_TOO_LOW], 1);
    assert_int_equal(val.invalid[CR_CHECK_TOO_HIGH], 1);
    assert_int_equal(val.checked[CR_CHECK_TOO_LOW], 120);
    assert_int_equal(val.first[CR_CHECK_TOO_LOW].cell, 5);
    assert_date(val.first[CR_CHECK_TOO_LOW].date, 2000, 1, 3);
    assert_string_equal(val.first[CR_CHECK_TOO_LOW].file, "spiky.nc");
    cr_err_clear(&err);
    assert_int_equal(cr_validation_finish(&val, &err), CR_OK);
    assert_false(isnan(v[2 * 12 + 5])); /* not masked */
    cr_validation_init(&val, 0.001, 1);
    cr_validate_block(&val, s, d0, v, 10);
    assert_int_equal(cr_validation_finish(&val, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "below -90 degC"));
    assert_non_null(strstr(err.msg, "2000-01-03 in spiky.nc"));
    assert_non_null(strstr(err.msg, "max_invalid_fraction"));
    assert_true(isnan(v[2 * 12 + 5])); /* masked */
    assert_true(isnan(v[5 * 12 + 3]));
    assert_close(v[0], 10, 1e-6);
    free(v);
    cr_series_close(s);

    /* tasmax < tasmin on one cell-day. */
    ncm_defaults(&sp, ncm_path("pair-tasmin.nc"));
    sp.var_name = "tasminAdjust";
    sp.units = "degC";
    sp.value = tasmin_value;
    assert_int_equal(ncm_write(&sp), 0);
    struct cr_series *tn = open1(sp.path, NULL);
    ncm_defaults(&sp, ncm_path("pair-tasmax.nc"));
    sp.var_name = "tasmaxAdjust";
    sp.units = "degC";
    sp.value = tasmax_value;
    assert_int_equal(ncm_write(&sp), 0);
    struct cr_series *tx = open1(sp.path, NULL);
    float *a = read_all(tn, d0, 10), *b = read_all(tx, d0, 10);
    cr_validation_init(&val, 0.001, 1);
    cr_validate_pair(&val, tn, tx, d0, a, b, 10);
    assert_int_equal(val.invalid[CR_CHECK_TX_LT_TN], 1);
    assert_int_equal(val.checked[CR_CHECK_TX_LT_TN], 120);
    assert_int_equal(val.first[CR_CHECK_TX_LT_TN].cell, 8);
    assert_date(val.first[CR_CHECK_TX_LT_TN].date, 2000, 1, 5);
    assert_true(isnan(a[4 * 12 + 8]) && isnan(b[4 * 12 + 8]));
    cr_err_clear(&err);
    assert_int_equal(cr_validation_finish(&val, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "tasmax < tasmin"));
    free(a);
    free(b);
    cr_series_close(tn);
    cr_series_close(tx);

    /* Negative precipitation. */
    ncm_defaults(&sp, ncm_path("negative-pr.nc"));
    sp.var_name = "pr";
    sp.units = "mm/day";
    sp.value = negative_pr;
    assert_int_equal(ncm_write(&sp), 0);
    s = open1(sp.path, NULL);
    v = read_all(s, d0, 10);
    cr_validation_init(&val, 0.01, 0);
    cr_validate_block(&val, s, d0, v, 10);
    assert_int_equal(val.invalid[CR_CHECK_NEGATIVE], 1);
    assert_int_equal(cr_validation_invalid(&val), 1);
    assert_int_equal(cr_validation_finish(&val, &err), CR_OK); /* 1/120 < 1 % */
    cr_validation_init(&val, 0.001, 0);
    cr_validate_block(&val, s, d0, v, 10);
    assert_int_equal(cr_validation_finish(&val, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "pr values negative"));
    free(v);
    cr_series_close(s);
}

int main(void)
{
    cr_log_init(CR_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendars),        cmocka_unit_test(test_time_units),
        cmocka_unit_test(test_layouts),          cmocka_unit_test(test_grids),
        cmocka_unit_test(test_units_in_files),   cmocka_unit_test(test_packing),
        cmocka_unit_test(test_fill_conventions), cmocka_unit_test(test_variable_choice),
        cmocka_unit_test(test_split_files),      cmocka_unit_test(test_grid_mismatch),
        cmocka_unit_test(test_bad_files),        cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
