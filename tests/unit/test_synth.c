/* test_synth.c — the DRIAS-format generator: real grid, names, CF metadata,
 * determinism and physical consistency of the values. */
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

#include "core/sha256.h"
#include "ingest/grid.h"
#include "ingest/synth.h"

#define MODEL "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63"

static char tmpdir[] = "/tmp/synth-test-XXXXXX";

static void init_opts(struct cr_synth_opts *o, const char *sub, const char *scenarios,
                      const char *variables)
{
    memset(o, 0, sizeof *o);
    snprintf(o->out_dir, sizeof o->out_dir, "%s/%s", tmpdir, sub);
    cr_strlist_split(&o->models, MODEL);
    cr_strlist_split(&o->scenarios, scenarios);
    cr_strlist_split(&o->variables, variables);
    o->hist_first = 1990;
    o->hist_last = 1990;
    o->scen_first = 2090;
    o->scen_last = 2090;
    o->seed = 7;
    o->calendar = CR_CAL_STANDARD;
    o->deflate = 0;
    o->jobs = 1;
}

static void free_opts(struct cr_synth_opts *o)
{
    cr_strlist_free(&o->models);
    cr_strlist_free(&o->scenarios);
    cr_strlist_free(&o->variables);
}

static void run(struct cr_synth_opts *o)
{
    struct cr_synth_report rep;
    struct cr_err err;
    cr_err_clear(&err);
    int rc = cr_synth_run(o, &rep, &err);
    if (rc != CR_OK)
        fail_msg("synth failed: %s", err.msg);
}

static void path_of(char *out, size_t size, const struct cr_synth_opts *o, const char *var,
                    const char *scenario, int y0, int y1, int last_day)
{
    char name[512];
    struct cr_date a = {y0, 1, 1}, b = {y1, 12, last_day};
    assert_int_equal(cr_synth_file_name(name, sizeof name, var, MODEL, scenario, a, b), 0);
    assert_int_equal(cr_path_join(out, size, o->out_dir, name), 0);
}

static void text_att(int ncid, int varid, const char *name, char *out, size_t size)
{
    size_t len = 0;
    assert_int_equal(nc_inq_attlen(ncid, varid, name, &len), NC_NOERR);
    assert_true(len < size);
    assert_int_equal(nc_get_att_text(ncid, varid, name, out), NC_NOERR);
    out[len] = '\0';
}

/* Read a whole (small) variable: ntime x 134 x 143. */
static float *read_all(const char *path, const char *var, size_t *ntime)
{
    int ncid, v, tdim;
    assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, var, &v), NC_NOERR);
    assert_int_equal(nc_inq_dimid(ncid, "time", &tdim), NC_NOERR);
    assert_int_equal(nc_inq_dimlen(ncid, tdim, ntime), NC_NOERR);
    float *data = malloc(sizeof(float) * *ntime * CR_SAFRAN_NCELL);
    assert_non_null(data);
    assert_int_equal(nc_get_var_float(ncid, v, data), NC_NOERR);
    nc_close(ncid);
    return data;
}

static void test_names_metadata_and_grid(void **state)
{
    (void)state;
    struct cr_synth_opts o;
    init_opts(&o, "meta", "historical,rcp45",
              "tasminAdjust,tasmaxAdjust,tasAdjust,prtotAdjust,prsnAdjust");
    run(&o);
    char path[1024];
    /* DRIAS portal naming, e.g. the research notes' example:
     * tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20900101-20901231.nc
     */
    path_of(path, sizeof path, &o, "tasmaxAdjust", "rcp45", 2090, 2090, 31);
    assert_non_null(strstr(path, "tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_"
                                 "METEO-FRANCE_ADAMONT-France_SAFRAN_day_20900101-20901231.nc"));
    int ncid;
    assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    int fmt;
    nc_inq_format(ncid, &fmt);
    assert_int_equal(fmt, NC_FORMAT_NETCDF4);
    int dy, dx, dt, v, vt, vx, vy, vcrs;
    size_t ny, nx, nt;
    assert_int_equal(nc_inq_dimid(ncid, "y", &dy), NC_NOERR);
    assert_int_equal(nc_inq_dimid(ncid, "x", &dx), NC_NOERR);
    assert_int_equal(nc_inq_dimid(ncid, "time", &dt), NC_NOERR);
    nc_inq_dimlen(ncid, dy, &ny);
    nc_inq_dimlen(ncid, dx, &nx);
    nc_inq_dimlen(ncid, dt, &nt);
    assert_int_equal(ny, 134);
    assert_int_equal(nx, 143);
    assert_int_equal(nt, 365);
    int unlimited;
    nc_inq_unlimdim(ncid, &unlimited);
    assert_int_equal(unlimited, dt);
    char buf[4096];
    assert_int_equal(nc_inq_varid(ncid, "tasmaxAdjust", &v), NC_NOERR);
    nc_type type;
    int ndims, dims[3];
    nc_inq_var(ncid, v, NULL, &type, &ndims, dims, NULL);
    assert_int_equal(type, NC_FLOAT);
    assert_int_equal(ndims, 3);
    assert_int_equal(dims[0], dt);
    assert_int_equal(dims[1], dy);
    assert_int_equal(dims[2], dx);
    text_att(ncid, v, "units", buf, sizeof buf);
    assert_string_equal(buf, "K");
    text_att(ncid, v, "standard_name", buf, sizeof buf);
    assert_string_equal(buf, "air_temperature");
    text_att(ncid, v, "grid_mapping", buf, sizeof buf);
    assert_string_equal(buf, "LambertParisII");
    int shuffle, deflate, level, storage;
    size_t chunks[3];
    nc_inq_var_chunking(ncid, v, &storage, chunks);
    assert_int_equal(storage, NC_CHUNKED);
    assert_int_equal(chunks[0], 1);
    assert_int_equal(chunks[1], 134);
    assert_int_equal(chunks[2], 143);
    nc_inq_var_deflate(ncid, v, &shuffle, &deflate, &level);
    float fill;
    int no_fill;
    nc_inq_var_fill(ncid, v, &no_fill, &fill);
    assert_true(fill == 1e20f);
    assert_int_equal(nc_inq_varid(ncid, "time", &vt), NC_NOERR);
    text_att(ncid, vt, "units", buf, sizeof buf);
    assert_string_equal(buf, "days since 1950-01-01 00:00:00");
    text_att(ncid, vt, "calendar", buf, sizeof buf);
    assert_string_equal(buf, "standard");
    /* days from 1950-01-01 to 2090-01-01: 140 * 365 + 35 leap days
     * (1952, 1956, ..., 2088) = 51135; values are at noon. */
    double t0;
    size_t zero = 0;
    nc_get_var1_double(ncid, vt, &zero, &t0);
    assert_true(t0 == 51135.5);
    double xs[143], ys[134];
    assert_int_equal(nc_inq_varid(ncid, "x", &vx), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "y", &vy), NC_NOERR);
    nc_get_var_double(ncid, vx, xs);
    nc_get_var_double(ncid, vy, ys);
    assert_true(xs[0] == 60000 && xs[142] == 1196000);
    assert_true(ys[0] == 1617000 && ys[133] == 2681000);
    text_att(ncid, vx, "units", buf, sizeof buf);
    assert_string_equal(buf, "m");
    assert_int_equal(nc_inq_varid(ncid, "LambertParisII", &vcrs), NC_NOERR);
    text_att(ncid, vcrs, "grid_mapping_name", buf, sizeof buf);
    assert_string_equal(buf, "lambert_conformal_conic");
    text_att(ncid, vcrs, "epsg", buf, sizeof buf);
    assert_string_equal(buf, "27572");
    text_att(ncid, vcrs, "crs_wkt", buf, sizeof buf);
    assert_non_null(strstr(buf, "Lambert zone II"));
    int vlat;
    assert_int_equal(nc_inq_varid(ncid, "lat", &vlat), NC_NOERR);
    nc_inq_varndims(ncid, vlat, &ndims);
    assert_int_equal(ndims, 2);
    text_att(ncid, NC_GLOBAL, "Conventions", buf, sizeof buf);
    assert_string_equal(buf, "CF-1.6");
    text_att(ncid, NC_GLOBAL, "synthetic", buf, sizeof buf);
    assert_string_equal(buf, "true");
    text_att(ncid, NC_GLOBAL, "experiment_id", buf, sizeof buf);
    assert_string_equal(buf, "rcp45");
    nc_close(ncid);

    /* The land mask is the real grid: 8981 values a day, fill elsewhere. */
    size_t ntime;
    float *tx = read_all(path, "tasmaxAdjust", &ntime);
    const int *land = cr_safran_land_map();
    for (size_t t = 0; t < ntime; t += 50) {
        int n = 0;
        for (int k = 0; k < CR_SAFRAN_NCELL; k++) {
            int has = tx[t * CR_SAFRAN_NCELL + k] < 1e19f;
            n += has;
            assert_int_equal(has, land[k] >= 0);
        }
        assert_int_equal(n, 8981);
    }
    free(tx);
    char hist[1024];
    path_of(hist, sizeof hist, &o, "prtotAdjust", "historical", 1990, 1990, 31);
    assert_non_null(strstr(hist, "_Historical_METEO-FRANCE"));
    assert_int_equal(access(hist, R_OK), 0);
    free_opts(&o);
}

static void test_physical_consistency(void **state)
{
    (void)state;
    struct cr_synth_opts o;
    init_opts(&o, "phys", "rcp85", "tasminAdjust,tasmaxAdjust,tasAdjust,prtotAdjust,prsnAdjust");
    run(&o);
    char p[5][1024];
    const char *vars[5] = {"tasminAdjust", "tasmaxAdjust", "tasAdjust", "prtotAdjust",
                           "prsnAdjust"};
    float *d[5];
    size_t nt = 0;
    for (int v = 0; v < 5; v++) {
        path_of(p[v], sizeof p[v], &o, vars[v], "rcp85", 2090, 2090, 31);
        d[v] = read_all(p[v], vars[v], &nt);
    }
    const int *land = cr_safran_land_map();
    double jan = 0, jul = 0, south = 0, north = 0, high = 0, low = 0;
    double snow_high = 0, snow_low = 0, cev_max = 0, paris_max = 0;
    int njan = 0, njul = 0, ns = 0, nn = 0, nh = 0, nl = 0, nsh = 0, nsl = 0;
    for (size_t t = 0; t < nt; t++) {
        for (int k = 0; k < CR_SAFRAN_NCELL; k++) {
            int pidx = land[k];
            if (pidx < 0)
                continue;
            size_t i = t * CR_SAFRAN_NCELL + (size_t)k;
            float tn = d[0][i], tx = d[1][i], tg = d[2][i], pr = d[3][i] * 86400,
                  ps = d[4][i] * 86400;
            /* tasmin < tas < tasmax, 0 <= prsn <= pr, plausible ranges */
            if (!(tn < tg && tg < tx))
                fail_msg("day %zu cell %d: tasmin %g tas %g tasmax %g", t, k, tn, tg, tx);
            assert_true(tn > 273.15 - 45 && tx < 273.15 + 50);
            assert_true(pr >= 0 && pr < 600);
            assert_true(ps >= 0 && ps <= pr * 1.000001f);
            const struct cr_safran_point *pt = &cr_safran_grid_points[pidx];
            double c = tg - 273.15;
            if (t < 31) {
                jan += c;
                njan++;
            } else if (t >= 181 && t < 212) {
                jul += c;
                njul++;
            }
            if (pt->lat < 44.0 && pt->altitude < 300) {
                south += c;
                ns++;
            } else if (pt->lat > 49.5 && pt->altitude < 300) {
                north += c;
                nn++;
            }
            if (pt->altitude > 1500) {
                high += c;
                nh++;
                snow_high += ps;
                nsh++;
            } else if (pt->altitude < 200) {
                low += c;
                nl++;
                snow_low += ps;
                nsl++;
            }
            /* Cévennes (around 3.9E 44.3N) vs Paris basin daily maxima */
            if (fabs(pt->lon - 3.9) < 0.3 && fabs(pt->lat - 44.3) < 0.2 && pr > cev_max)
                cev_max = pr;
            if (fabs(pt->lon - 2.35) < 0.3 && fabs(pt->lat - 48.85) < 0.2 && pr > paris_max)
                paris_max = pr;
        }
    }
    /* seasonal cycle: France-mean July at least 12 degC above January */
    assert_true(jul / njul - jan / njan > 12);
    /* latitude: the Mediterranean lowlands are warmer than the north */
    assert_true(south / ns - north / nn > 2.5);
    /* altitude: above 1500 m at least 7 degC colder than below 200 m */
    assert_true(low / nl - high / nh > 7);
    /* snowfall is a mountain thing */
    assert_true(snow_high / nsh > 20 * (snow_low / nsl + 1e-9));
    /* heavier extremes in the Cévennes */
    assert_true(cev_max > paris_max);
    for (int v = 0; v < 5; v++)
        free(d[v]);
    free_opts(&o);
}

static void sha_of(const char *path, char hex[CR_SHA256_HEX])
{
    struct cr_err err;
    assert_int_equal(cr_sha256_file(path, hex, &err), CR_OK);
}

static void test_deterministic_for_a_seed(void **state)
{
    (void)state;
    struct cr_synth_opts a, b, c;
    init_opts(&a, "seed-a", "historical,rcp26", "tasAdjust,prtotAdjust");
    init_opts(&b, "seed-b", "historical,rcp26", "tasAdjust,prtotAdjust");
    init_opts(&c, "seed-c", "historical,rcp26", "tasAdjust,prtotAdjust");
    b.jobs = 2; /* the result must not depend on the number of workers */
    c.seed = 8;
    run(&a);
    run(&b);
    run(&c);
    char pa[1024], pb[1024], pc[1024], ha[65], hb[65], hc[65];
    path_of(pa, sizeof pa, &a, "prtotAdjust", "rcp26", 2090, 2090, 31);
    path_of(pb, sizeof pb, &b, "prtotAdjust", "rcp26", 2090, 2090, 31);
    path_of(pc, sizeof pc, &c, "prtotAdjust", "rcp26", 2090, 2090, 31);
    sha_of(pa, ha);
    sha_of(pb, hb);
    sha_of(pc, hc);
    assert_string_equal(ha, hb);
    assert_string_not_equal(ha, hc);
    free_opts(&a);
    free_opts(&b);
    free_opts(&c);
}

static double france_mean(const char *path)
{
    size_t nt;
    float *d = read_all(path, "tasAdjust", &nt);
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < nt * CR_SAFRAN_NCELL; i++)
        if (d[i] < 1e19f) {
            sum += d[i];
            n++;
        }
    free(d);
    return sum / n - 273.15;
}

/* Warming by 2090 must order the scenarios: historical < RCP2.6 < RCP4.5 <
 * RCP8.5, by margins far above the year-to-year noise of a France mean. */
static void test_warming_orders_scenarios(void **state)
{
    (void)state;
    struct cr_synth_opts o;
    init_opts(&o, "warm", "historical,rcp26,rcp45,rcp85", "tasAdjust");
    o.hist_first = o.hist_last = 1990;
    run(&o);
    char p[1024];
    path_of(p, sizeof p, &o, "tasAdjust", "historical", 1990, 1990, 31);
    double h = france_mean(p);
    path_of(p, sizeof p, &o, "tasAdjust", "rcp26", 2090, 2090, 31);
    double r26 = france_mean(p);
    path_of(p, sizeof p, &o, "tasAdjust", "rcp45", 2090, 2090, 31);
    double r45 = france_mean(p);
    path_of(p, sizeof p, &o, "tasAdjust", "rcp85", 2090, 2090, 31);
    double r85 = france_mean(p);
    /* DRIAS magnitudes: France-mean around 11-13 degC in 1990 */
    assert_true(h > 10 && h < 14);
    assert_true(r26 - h > 0.5);
    assert_true(r45 - r26 > 0.5);
    assert_true(r85 - r45 > 1.0);
    assert_true(r85 - h > 2.5 && r85 - h < 6.5);
    free_opts(&o);
}

static void test_calendars_and_split_files(void **state)
{
    (void)state;
    struct cr_synth_opts o;
    init_opts(&o, "cal360", "rcp45", "tasAdjust");
    o.calendar = CR_CAL_360;
    o.scen_first = 2090;
    o.scen_last = 2091;
    run(&o);
    char p[1024];
    path_of(p, sizeof p, &o, "tasAdjust", "rcp45", 2090, 2091, 30);
    size_t nt;
    float *d = read_all(p, "tasAdjust", &nt);
    assert_int_equal(nt, 720);
    free(d);
    int ncid, vt;
    assert_int_equal(nc_open(p, NC_NOWRITE, &ncid), NC_NOERR);
    nc_inq_varid(ncid, "time", &vt);
    char cal[32];
    text_att(ncid, vt, "calendar", cal, sizeof cal);
    assert_string_equal(cal, "360_day");
    double t0;
    size_t zero = 0;
    nc_get_var1_double(ncid, vt, &zero, &t0);
    assert_true(t0 == 140 * 360 + 0.5); /* 1950-01-01 .. 2090-01-01 in 360-day years */
    nc_close(ncid);
    free_opts(&o);

    /* Split into one file per year: same values as the single file. */
    struct cr_synth_opts whole, split;
    init_opts(&whole, "whole", "rcp45", "tasAdjust");
    init_opts(&split, "split", "rcp45", "tasAdjust");
    whole.scen_last = split.scen_last = 2091;
    split.years_per_file = 1;
    run(&whole);
    run(&split);
    char pw[1024], p1[1024], p2[1024];
    path_of(pw, sizeof pw, &whole, "tasAdjust", "rcp45", 2090, 2091, 31);
    path_of(p1, sizeof p1, &split, "tasAdjust", "rcp45", 2090, 2090, 31);
    path_of(p2, sizeof p2, &split, "tasAdjust", "rcp45", 2091, 2091, 31);
    size_t nw, n1, n2;
    float *w = read_all(pw, "tasAdjust", &nw);
    float *a = read_all(p1, "tasAdjust", &n1);
    float *b = read_all(p2, "tasAdjust", &n2);
    assert_int_equal(nw, n1 + n2);
    assert_memory_equal(w, a, n1 * CR_SAFRAN_NCELL * sizeof(float));
    assert_memory_equal(w + n1 * CR_SAFRAN_NCELL, b, n2 * CR_SAFRAN_NCELL * sizeof(float));
    free(w);
    free(a);
    free(b);
    free_opts(&whole);
    free_opts(&split);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct cr_synth_opts o;
    struct cr_err err;
    init_opts(&o, "bad", "rcp60", "tasAdjust");
    assert_int_equal(cr_synth_validate(&o, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "rcp60"));
    free_opts(&o);
    init_opts(&o, "bad", "rcp45", "tas");
    assert_int_equal(cr_synth_validate(&o, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "'tas'"));
    free_opts(&o);
    init_opts(&o, "bad", "rcp45", "tasAdjust");
    cr_strlist_free(&o.models);
    cr_strlist_split(&o.models, "CNRM-CM5");
    assert_int_equal(cr_synth_validate(&o, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "GCM_RCM"));
    free_opts(&o);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_metadata_and_grid),
        cmocka_unit_test(test_physical_consistency),
        cmocka_unit_test(test_deterministic_for_a_seed),
        cmocka_unit_test(test_warming_orders_scenarios),
        cmocka_unit_test(test_calendars_and_split_files),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
