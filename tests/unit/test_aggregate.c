/* test_aggregate.c — horizon and ensemble statistics, and warming-level
 * horizons, end to end from small annual files whose values are chosen so
 * every expected number is computed by hand (comments).
 *
 * Two models on a 1 x 2 grid (cell 1 has no data), historical 1951-2005
 * and rcp85 2006-2100, with the shipped scenarios/ (REF 1976-2005, H1-H3,
 * RWL20/27/40 = REF + 1.4/2.1/3.4 degC on rcp85, window 21, horizon 20):
 *   France-mean temperature: 12.0 in the historical run; from 2006,
 *   A: 12.01 + 0.04 (y - 2005), B: 12.01 + 0.02 (y - 2005).
 *   The 21-year centred mean of a linear series is the series itself, so
 *   A exceeds REF + 1.4 when 0.04 k + 0.01 > 1.4, k > 34.75: pivot 2040,
 *   horizon 2030-2049; REF + 2.1: k > 52.25, pivot 2058 (2048-2067);
 *   REF + 3.4: k > 84.75, pivot 2090 (2080-2099; its window 2080-2100 is
 *   still in the run). B: REF + 1.4 at k > 69.5, pivot 2075 (2065-2084);
 *   REF + 2.1 would need k > 104.5, past 2100: never, nor REF + 3.4.
 *   su = y - 2000 in both models (so a horizon mean is its middle year
 *   minus 2000). rx1day: 50 everywhere, except A's REF years (100) and
 *   2030-2049 (xclim's 20-value GEV sample, RL20 = 483.1393, test_gev.c). */
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

#include "indicators/aggregate.h"
#include "indicators/annual_out.h"
#include "indicators/levels.h"
#include "scenarios/scenarios.h"

static const double sample[20] = {279, 302, 450, 272, 401, 222, 311, 327, 294, 299,
                                  348, 286, 492, 296, 227, 437, 340, 376, 444, 177};

static char dir[512];

static void write_annual(const char *model, const char *exp, int y0, int y1, double slope)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/annual/%s_%s.nc", dir, model, exp);
    struct cr_annual_grid g = {.ny = 1, .nx = 2, .nspatial = 2, .dim_names = {"y", "x"}};
    struct cr_annual_out *o;
    struct cr_err err;
    int n = y1 - y0 + 1;
    unsigned long inds = (1UL << CR_IND_SU) | (1UL << CR_IND_RX1DAY);
    assert_int_equal(cr_annual_out_open(&o, path, &g, y0, n, inds, 1, &err), CR_OK);
    float *tas = malloc(sizeof *tas * (size_t)n);
    for (int y = y0; y <= y1; y++) {
        float su[2] = {(float)(y - 2000), NAN};
        float rx[2] = {50, NAN};
        if (strcmp(model, "GA_RA") == 0 && y >= 1976 && y <= 2005)
            rx[0] = 100;
        if (strcmp(model, "GA_RA") == 0 && y >= 2030 && y <= 2049)
            rx[0] = (float)sample[y - 2030];
        assert_int_equal(cr_annual_out_put(o, CR_IND_SU, y, su, &err), CR_OK);
        assert_int_equal(cr_annual_out_put(o, CR_IND_RX1DAY, y, rx, &err), CR_OK);
        tas[y - y0] = y <= 2005 ? 12.0f : (float)(12.01 + slope * (y - 2005));
    }
    assert_int_equal(cr_annual_out_put_series(o, tas, &err), CR_OK);
    free(tas);
    assert_int_equal(cr_annual_out_commit(o, &err), CR_OK);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/aggXXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    write_annual("GA_RA", "historical", 1951, 2005, 0);
    write_annual("GA_RA", "rcp85", 2006, 2100, 0.04);
    write_annual("GB_RB", "historical", 1951, 2005, 0);
    write_annual("GB_RB", "rcp85", 2006, 2100, 0.02);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int h_index(int ncid, const char *code)
{
    int v, dim;
    size_t n;
    nc_inq_dimid(ncid, "horizon", &dim);
    nc_inq_dimlen(ncid, dim, &n);
    nc_inq_varid(ncid, "horizon", &v);
    char *names[16];
    assert_true(n <= 16);
    assert_int_equal(nc_get_var_string(ncid, v, names), NC_NOERR);
    int found = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], code) == 0)
            found = (int)i;
    nc_free_string(n, names);
    return found;
}

static int s_index(int ncid, const char *code)
{
    int v, dim;
    size_t n;
    nc_inq_dimid(ncid, "stat", &dim);
    nc_inq_dimlen(ncid, dim, &n);
    nc_inq_varid(ncid, "stat", &v);
    char *names[16];
    assert_int_equal(nc_get_var_string(ncid, v, names), NC_NOERR);
    int found = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], code) == 0)
            found = (int)i;
    nc_free_string(n, names);
    return found;
}

/* value of var[a][b][0][cell] */
static float at(int ncid, const char *var, int a, int b, int cell)
{
    int v;
    assert_int_equal(nc_inq_varid(ncid, var, &v), NC_NOERR);
    size_t start[4] = {(size_t)a, (size_t)b, 0, (size_t)cell}, count[4] = {1, 1, 1, 1};
    float x;
    assert_int_equal(nc_get_vara_float(ncid, v, start, count, &x), NC_NOERR);
    return x;
}

static int iat(int ncid, const char *var, int a, int b)
{
    int v;
    assert_int_equal(nc_inq_varid(ncid, var, &v), NC_NOERR);
    size_t start[2] = {(size_t)a, (size_t)b}, count[2] = {1, 1};
    int x;
    assert_int_equal(nc_get_vara_int(ncid, v, start, count, &x), NC_NOERR);
    return x;
}

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static void test_pivots_from_files(void **state)
{
    (void)state;
    struct cr_scenarios scn;
    struct cr_err err;
    assert_int_equal(cr_scenarios_load(&scn, "scenarios", &err), CR_OK);
    const struct cr_period *ref = cr_scenarios_reference(&scn);
    char hist[700], exp[700];
    snprintf(hist, sizeof hist, "%s/annual/GA_RA_historical.nc", dir);
    snprintf(exp, sizeof exp, "%s/annual/GA_RA_rcp85.nc", dir);
    int y0, n;
    double *v;
    assert_int_equal(cr_level_series(hist, exp, &y0, &n, &v, &err), CR_OK);
    assert_int_equal(y0, 1951);
    assert_int_equal(n, 150);
    struct cr_level_result r;
    cr_level_find(v, y0, n, ref, cr_scenarios_level(&scn, "RWL20"), 21, 20, &r);
    assert_int_equal(r.status, CR_LEVEL_REACHED);
    assert_int_equal(r.pivot, 2040);
    assert_int_equal(r.first_year, 2030);
    assert_int_equal(r.last_year, 2049);
    NEAR(r.ref_mean, 12.0, 1e-6);
    /* a 31-year window still gives the same pivot on a linear series, but
     * needs 2025-2055: the horizon stays 2030-2049 */
    cr_level_find(v, y0, n, ref, cr_scenarios_level(&scn, "RWL20"), 31, 20, &r);
    assert_int_equal(r.pivot, 2040);
    free(v);
    snprintf(hist, sizeof hist, "%s/annual/GB_RB_historical.nc", dir);
    snprintf(exp, sizeof exp, "%s/annual/GB_RB_rcp85.nc", dir);
    assert_int_equal(cr_level_series(hist, exp, &y0, &n, &v, &err), CR_OK);
    cr_level_find(v, y0, n, ref, cr_scenarios_level(&scn, "RWL40"), 21, 20, &r);
    assert_int_equal(r.status, CR_LEVEL_NOT_REACHED);
    /* highest smoothed value: 2090 (window 2080-2100): 0.02 * 85 + 0.01 */
    NEAR(r.max_smoothed, 1.71, 1e-4);
    /* no historical run: no reference */
    free(v);
    assert_int_equal(cr_level_series(NULL, exp, &y0, &n, &v, &err), CR_OK);
    cr_level_find(v, y0, n, ref, cr_scenarios_level(&scn, "RWL20"), 21, 20, &r);
    assert_int_equal(r.status, CR_LEVEL_NO_REFERENCE);
    free(v);
    cr_scenarios_free(&scn);
}

static void test_statistics_file(void **state)
{
    (void)state;
    struct cr_scenarios scn;
    struct cr_err err;
    assert_int_equal(cr_scenarios_load(&scn, "scenarios", &err), CR_OK);
    struct cr_aggregate_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.annual_dir, sizeof o.annual_dir, "%s/annual", dir);
    snprintf(o.out_dir, sizeof o.out_dir, "%s/stats", dir);
    o.scn = &scn;
    o.warming_window = 21;
    o.warming_horizon = 20;
    o.max_missing_fraction = 0.1;
    o.cog = 0;
    struct cr_aggregate_report rep;
    int rc = cr_aggregate(&o, &rep, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(rep.experiments, 2); /* historical and rcp85 */
    assert_int_equal(rep.levels_not_reached, 2); /* B: RWL27 and RWL40 */

    char path[700];
    snprintf(path, sizeof path, "%s/stats/rcp85.nc", dir);
    int nc;
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    int REF = h_index(nc, "REF"), H1 = h_index(nc, "H1"), RWL20 = h_index(nc, "RWL20"),
        RWL27 = h_index(nc, "RWL27"), RWL40 = h_index(nc, "RWL40");
    assert_true(REF == 0 && H1 > 0 && RWL20 > 0 && RWL27 > 0 && RWL40 > 0);
    /* model order: GA_RA, GB_RB */
    assert_int_equal(iat(nc, "horizon_first_year", 0, REF), 1976);
    assert_int_equal(iat(nc, "horizon_last_year", 0, REF), 2005);
    assert_int_equal(iat(nc, "horizon_first_year", 0, RWL20), 2030);
    assert_int_equal(iat(nc, "horizon_last_year", 0, RWL20), 2049);
    assert_int_equal(iat(nc, "warming_pivot_year", 0, RWL20), 2040);
    assert_int_equal(iat(nc, "warming_pivot_year", 0, RWL27), 2058);
    assert_int_equal(iat(nc, "horizon_first_year", 0, RWL27), 2048);
    assert_int_equal(iat(nc, "warming_pivot_year", 0, RWL40), 2090);
    assert_int_equal(iat(nc, "horizon_first_year", 0, RWL40), 2080);
    assert_int_equal(iat(nc, "warming_pivot_year", 1, RWL20), 2075);
    assert_int_equal(iat(nc, "horizon_first_year", 1, RWL20), 2065);
    assert_int_equal(iat(nc, "warming_pivot_year", 1, RWL27), 0);
    assert_int_equal(iat(nc, "horizon_first_year", 1, RWL27), -1);
    assert_int_equal(iat(nc, "warming_pivot_year", 1, RWL40), 0);
    assert_int_equal(iat(nc, "warming_pivot_year", 0, H1), -1);
    int v, counts[8];
    assert_int_equal(nc_inq_varid(nc, "ensemble_nmodels", &v), NC_NOERR);
    assert_int_equal(nc_get_var_int(nc, v, counts), NC_NOERR);
    assert_int_equal(counts[REF], 2);
    assert_int_equal(counts[H1], 2);
    assert_int_equal(counts[RWL20], 2);
    assert_int_equal(counts[RWL27], 1);
    assert_int_equal(counts[RWL40], 1);
    size_t len;
    assert_int_equal(nc_inq_attlen(nc, NC_GLOBAL, "warming_levels_not_reached", &len), NC_NOERR);
    char *nr = calloc(len + 1, 1);
    nc_get_att_text(nc, NC_GLOBAL, "warming_levels_not_reached", nr);
    assert_non_null(strstr(nr, "RWL40 GB_RB: not reached"));
    assert_non_null(strstr(nr, "RWL27 GB_RB: not reached"));
    free(nr);

    /* Means: A REF 1990.5 - 2000 = -9.5; A RWL20 2039.5 - 2000 = 39.5
     * (anomaly 49); B RWL20 2074.5 - 2000 = 74.5 (anomaly 84);
     * H1 (2021-2050) 35.5 for both (anomaly 45). */
    NEAR(at(nc, "su_mean", 0, REF, 0), -9.5, 1e-5);
    NEAR(at(nc, "su_mean", 0, RWL20, 0), 39.5, 1e-5);
    NEAR(at(nc, "su_anom", 0, RWL20, 0), 49, 1e-5);
    NEAR(at(nc, "su_anom", 1, RWL20, 0), 84, 1e-5);
    NEAR(at(nc, "su_anom", 0, REF, 0), 0, 0);
    NEAR(at(nc, "su_ratio", 0, RWL20, 0), 39.5 / -9.5, 1e-5);
    NEAR(at(nc, "su_anom", 0, H1, 0), 45, 1e-5);
    assert_true(isnan(at(nc, "su_mean", 1, RWL27, 0))); /* B has no RWL27 */
    assert_true(isnan(at(nc, "su_mean", 0, REF, 1)));   /* cell without data */
    /* Ensemble of RWL20 anomalies {49, 84}: median 66.5, p05 49 + 0.05 * 35
     * = 50.75, p95 49 + 0.95 * 35 = 82.25, min 49, max 84, agreement 1. */
    NEAR(at(nc, "su_ens_anom", s_index(nc, "median"), RWL20, 0), 66.5, 1e-4);
    NEAR(at(nc, "su_ens_anom", s_index(nc, "p05"), RWL20, 0), 50.75, 1e-4);
    NEAR(at(nc, "su_ens_anom", s_index(nc, "p95"), RWL20, 0), 82.25, 1e-4);
    NEAR(at(nc, "su_ens_anom", s_index(nc, "min"), RWL20, 0), 49, 1e-4);
    NEAR(at(nc, "su_ens_anom", s_index(nc, "max"), RWL20, 0), 84, 1e-4);
    NEAR(at(nc, "su_ens_anom", s_index(nc, "agreement"), RWL20, 0), 1, 0);
    assert_true(isnan(at(nc, "su_ens_mean", s_index(nc, "agreement"), RWL20, 0)));
    /* RWL40: A alone, anomaly (2089.5 - 2000) + 9.5 = 99 */
    NEAR(at(nc, "su_ens_anom", s_index(nc, "median"), RWL40, 0), 99, 1e-4);
    NEAR(at(nc, "su_ens_mean", s_index(nc, "p95"), RWL40, 0), 89.5, 1e-4);
    /* RL20: A's RWL20 years hold the GEV sample: 483.1393; A's REF is a
     * constant 100: RL20 100, change +383.1393. B: constant 50. */
    NEAR(at(nc, "rx1day_rl20", 0, RWL20, 0), 483.1393, 2e-3);
    NEAR(at(nc, "rx1day_rl20", 0, REF, 0), 100, 1e-5);
    NEAR(at(nc, "rx1day_rl20_anom", 0, RWL20, 0), 383.1393, 2e-3);
    NEAR(at(nc, "rx1day_rl20", 1, RWL20, 0), 50, 1e-5);
    NEAR(at(nc, "rx1day_rl20_ens", s_index(nc, "max"), RWL20, 0), 483.1393, 2e-3);
    NEAR(at(nc, "rx1day_mean", 0, RWL20, 0), 329.0, 1e-3); /* the sample's mean */
    nc_close(nc);

    /* historical: REF only */
    snprintf(path, sizeof path, "%s/stats/historical.nc", dir);
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    int dim;
    nc_inq_dimid(nc, "horizon", &dim);
    nc_inq_dimlen(nc, dim, &len);
    assert_int_equal(len, 1);
    NEAR(at(nc, "su_mean", 1, 0, 0), -9.5, 1e-5);
    nc_close(nc);
    cr_scenarios_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pivots_from_files),
        cmocka_unit_test(test_statistics_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
