/* test_config.c — the INI configuration: defaults, values, and errors that
 * name the file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "config/config.h"

static int load(struct cr_config *cfg, const char *text, struct cr_err *err)
{
    cr_err_clear(err);
    return cr_config_load_string(cfg, text, "t.ini", "/base", err);
}

static void test_defaults(void **state)
{
    (void)state;
    struct cr_config cfg;
    struct cr_err err;
    assert_int_equal(load(&cfg, "", &err), CR_OK);
    assert_string_equal(cfg.source, "synth");
    assert_int_equal(cfg.synth_hist_first, 1976);
    assert_int_equal(cfg.synth_hist_last, 2005);
    assert_int_equal(cfg.synth_variables.n, 5);
    assert_true(cfg.max_missing_fraction == 0.10);
    assert_true(cfg.snow_melt_factor == 3.0);
    assert_string_equal(cfg.workdir, "/base/work");
    assert_int_equal(cfg.warming_window, 21);
    cr_config_free(&cfg);
}

static void test_values(void **state)
{
    (void)state;
    struct cr_config cfg;
    struct cr_err err;
    const char *text = "; comment\n"
                       "[run]\n"
                       "name = nightly\n"
                       "workdir = /srv/climrisk\n"
                       "jobs = 4   ; inline comment\n"
                       "[synth]\n"
                       "models = A_B, C_D\n"
                       "scenario_years = 2021-2050\n"
                       "calendar = 360_day\n"
                       "[inputs]\n"
                       "cache = cache\n"
                       "[indicators]\n"
                       "snow_melt_factor = 2.5\n";
    assert_int_equal(load(&cfg, text, &err), CR_OK);
    assert_string_equal(cfg.run_name, "nightly");
    assert_string_equal(cfg.workdir, "/srv/climrisk");
    assert_int_equal(cfg.jobs, 4);
    assert_int_equal(cfg.synth_models.n, 2);
    assert_string_equal(cfg.synth_models.items[1], "C_D");
    assert_int_equal(cfg.synth_scen_first, 2021);
    assert_int_equal(cfg.synth_scen_last, 2050);
    assert_string_equal(cfg.synth_calendar, "360_day");
    assert_string_equal(cfg.cache_dir, "/base/cache");
    assert_true(cfg.snow_melt_factor == 2.5);
    cr_config_free(&cfg);
}

struct bad_case {
    const char *text;
    const char *expect[3]; /* substrings of the message */
};

static void test_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"[run]\nname = x\nspeed = 3\n", {"t.ini:3:", "unknown key 'speed' in [run]", "workdir"}},
        {"[colour]\nred = 1\n", {"t.ini:2:", "unknown section [colour]", NULL}},
        {"[run]\njobs = four\n", {"t.ini:2:", "'jobs'", "not an integer"}},
        {"[run]\njobs = 1000\n", {"t.ini:2:", "out of range", NULL}},
        {"[compute]\nmax_missing_fraction = 1.5\n", {"t.ini:2:", "max_missing_fraction", "range"}},
        {"[inputs]\nsource = ftp\n",
         {"t.ini:2:", "'ftp' is not one of synth|manifest|directory", NULL}},
        {"[run]\nname = a\n\nname = b\n", {"t.ini:4:", "given twice", NULL}},
        {"[synth]\nhistorical_years = 2005-1976\n", {"t.ini:2:", "year range", NULL}},
        {"[synth]\nmodels = ,\n", {"t.ini:2:", "empty list", NULL}},
        {"[run]\nthis line has no equals sign\n", {"t.ini:2:", "syntax error", NULL}},
        {"[run\nname = x\n", {"t.ini:1:", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cr_config cfg;
        struct cr_err err;
        int rc = load(&cfg, cases[i].text, &err);
        if (rc != CR_EUSAGE)
            fail_msg("case %zu accepted: %s", i, cases[i].text);
        for (int k = 0; k < 3 && cases[i].expect[k]; k++)
            if (!strstr(err.msg, cases[i].expect[k]))
                fail_msg("case %zu: '%s' not in '%s'", i, cases[i].expect[k], err.msg);
        cr_config_free(&cfg);
    }
}

/* libinih would split a line longer than its buffer and parse the rest as
 * a new line; the loader must refuse it, naming the key. */
static void test_overlong_line(void **state)
{
    (void)state;
    char text[400];
    memset(text, 0, sizeof text);
    strcpy(text, "[datamart]\ndsn = ");
    memset(text + strlen(text), 'a', 250);
    strcat(text, "\n");
    struct cr_config cfg;
    struct cr_err err;
    assert_int_equal(load(&cfg, text, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "t.ini:2: key 'dsn' in [datamart]: line longer than"));
    cr_config_free(&cfg);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct cr_config cfg;
    struct cr_err err;
    assert_int_equal(cr_config_load(&cfg, "/nonexistent/climrisk.ini", &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "/nonexistent/climrisk.ini"));
    cr_config_free(&cfg);
    /* a directory is not a config file */
    assert_int_equal(cr_config_load(&cfg, "/tmp", &err), CR_EUSAGE);
    cr_config_free(&cfg);
}

static void test_demo_config_is_valid(void **state)
{
    (void)state;
    struct cr_config cfg;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_config_load(&cfg, "config/demo.ini", &err), CR_OK);
    assert_string_equal(cfg.run_name, "demo");
    assert_non_null(strstr(cfg.workdir, "config/../build/demo"));
    cr_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_overlong_line),
        cmocka_unit_test(test_missing_file), cmocka_unit_test(test_demo_config_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
