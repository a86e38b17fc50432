/* test_scenarios.c — scenario declarations and warming-level pivot years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scenarios.h"
#include "scenarios/warming.h"

static void test_shipped_files(void **state)
{
    (void)state;
    struct cr_scenarios s;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_scenarios_load(&s, "scenarios", &err), CR_OK);
    const struct cr_ensemble *drias = cr_scenarios_ensemble(&s, "DRIAS-2020");
    const struct cr_ensemble *tracc = cr_scenarios_ensemble(&s, "EXPLORE2-TRACC");
    assert_non_null(drias);
    assert_non_null(tracc);
    assert_int_equal(drias->nmembers, 12);
    assert_int_equal(tracc->nmembers, 17);
    /* Published counts for Explore2-ADAMONT: 17 RCP8.5, 9 RCP4.5, 10 RCP2.6. */
    int n85 = 0, n45 = 0, n26 = 0;
    for (size_t i = 0; i < tracc->nmembers; i++)
        for (int k = 0; k < tracc->members[i].nexperiments; k++) {
            n85 += strcmp(tracc->members[i].experiments[k], "rcp85") == 0;
            n45 += strcmp(tracc->members[i].experiments[k], "rcp45") == 0;
            n26 += strcmp(tracc->members[i].experiments[k], "rcp26") == 0;
        }
    assert_int_equal(n85, 17);
    assert_int_equal(n45, 9);
    assert_int_equal(n26, 10);
    const struct cr_period *ref = cr_scenarios_reference(&s);
    assert_non_null(ref);
    assert_string_equal(ref->code, "REF");
    assert_int_equal(ref->first_year, 1976);
    assert_int_equal(ref->last_year, 2005);
    const struct cr_period *h2 = cr_scenarios_period(&s, "H2");
    assert_int_equal(h2->first_year, 2041);
    assert_int_equal(h2->last_year, 2070);
    assert_true(cr_period_uses(h2, "rcp45"));
    assert_false(cr_period_uses(h2, "historical"));
    /* TRACC: +2 / +2.7 / +4 France against pre-industrial = +1.4 / +2.1 / +3.4
     * against 1976-2005. */
    assert_true(fabs(cr_scenarios_level(&s, "RWL20")->above_reference - 1.4) < 1e-9);
    assert_true(fabs(cr_scenarios_level(&s, "RWL27")->above_reference - 2.1) < 1e-9);
    assert_true(fabs(cr_scenarios_level(&s, "RWL40")->above_reference - 3.4) < 1e-9);
    assert_non_null(cr_scenarios_experiment(&s, "rcp4.5"));
    assert_string_equal(cr_scenarios_experiment(&s, "Historical")->id, "historical");
    assert_null(cr_scenarios_experiment(&s, "ssp585"));
    assert_int_equal(s.nstats, 6);
    cr_scenarios_free(&s);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    char dir[] = "/tmp/scn-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "experiments.ini",
               "[historical]\ntype = historical\n[rcp45]\ntype = scenario\n");
    write_file(dir, "periods.ini",
               "[REF]\nyears = 1976-2005\nexperiments = historical\nreference = yes\n"
               "[H1]\nyears = 2021-2050\nexperiments = rcp45\ncolour = red\n");
    write_file(dir, "warming_levels.ini", "[reference]\npreindustrial_to_reference = 0.6\n");
    write_file(dir, "statistics.ini", "[median]\ntype = quantile\nq = 0.5\n");
    struct cr_scenarios s;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_scenarios_load(&s, dir, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "periods.ini:8:"));
    assert_non_null(strstr(err.msg, "colour"));
    cr_scenarios_free(&s);

    /* A period naming an undeclared experiment. */
    write_file(dir, "periods.ini",
               "[REF]\nyears = 1976-2005\nexperiments = historical\nreference = yes\n"
               "[H1]\nyears = 2021-2050\nexperiments = ssp585\n");
    assert_int_equal(cr_scenarios_load(&s, dir, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "ssp585"));
    cr_scenarios_free(&s);

    /* Bad year range. */
    write_file(dir, "periods.ini", "[REF]\nyears = 2005-1976\nexperiments = historical\n");
    assert_int_equal(cr_scenarios_load(&s, dir, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "periods.ini:2:"));
    cr_scenarios_free(&s);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A France-mean series rising 0.04 degC a year: T(y) = 12 + 0.04 (y - 1990).
 * REF mean (1976-2005) = 12 + 0.04 * 0.5 = 12.02. The centred mean of a
 * linear series is the series itself, so +1.4 is first exceeded when
 * 0.04 (y - 1990) > 1.42, i.e. y > 2025.5: pivot 2026, horizon 2016-2035. */
static void test_pivot_linear_trend(void **state)
{
    (void)state;
    double t[125];
    for (int k = 0; k < 125; k++)
        t[k] = 12 + 0.04 * (1976 + k - 1990);
    double ref = 0;
    for (int k = 0; k < 30; k++)
        ref += t[k] / 30;
    assert_true(fabs(ref - 12.02) < 1e-9);
    int pivot = cr_warming_pivot(t, 1976, 125, 21, ref, 1.4);
    assert_int_equal(pivot, 2026);
    int a, b;
    cr_warming_horizon(pivot, 20, &a, &b);
    assert_int_equal(a, 2016);
    assert_int_equal(b, 2035);
    /* +2.1: 0.04 (y - 1990) > 2.12 -> y > 2043 -> 2044 */
    assert_int_equal(cr_warming_pivot(t, 1976, 125, 21, ref, 2.1), 2044);
    /* +3.4: y - 1990 > 85.5 -> 2076 */
    assert_int_equal(cr_warming_pivot(t, 1976, 125, 21, ref, 3.4), 2076);
}

static void test_pivot_never_reached_and_gaps(void **state)
{
    (void)state;
    /* 0.02 degC a year never gains 3.4 degC before 2100. */
    double t[125];
    for (int k = 0; k < 125; k++)
        t[k] = 12 + 0.02 * (1976 + k - 1990);
    assert_int_equal(cr_warming_pivot(t, 1976, 125, 21, 12.01, 3.4), 0);
    /* A gap 2006-2020 (historical run then a scenario from 2021): no window
     * may straddle it, so with 0.04/yr the +1.4 pivot (2026) cannot be
     * smoothed before 2031 and the first complete window that exceeds is
     * 2031's. */
    for (int k = 0; k < 125; k++)
        t[k] = 12 + 0.04 * (1976 + k - 1990);
    for (int y = 2006; y <= 2020; y++)
        t[y - 1976] = NAN;
    assert_int_equal(cr_warming_pivot(t, 1976, 125, 21, 12.02, 1.4), 2031);
    double sm[125];
    cr_running_mean(t, 125, 21, sm);
    assert_true(isnan(sm[2030 - 1976]));
    assert_true(fabs(sm[2031 - 1976] - t[2031 - 1976]) < 1e-9);
    assert_true(isnan(sm[1976 - 1976]));  /* window starts before the series */
    assert_true(!isnan(sm[1986 - 1976])); /* 1976..1996 all present */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_files),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_pivot_linear_trend),
        cmocka_unit_test(test_pivot_never_reached_and_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
