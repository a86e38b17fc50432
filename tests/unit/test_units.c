/* test_units.c — the units table, spelling by spelling, against hand
 * conversions (0 degC = 273.15 K; 1 kg m-2 of water = 1 mm; 1 day =
 * 86400 s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "ingest/units.h"

/* value in `units` -> expected canonical value */
struct row {
    enum cr_var var;
    const char *units;
    double value, expected;
};

static const struct row rows[] = {
    /* temperature -> degC */
    {CR_VAR_TAS, "K", 300.0, 26.85},
    {CR_VAR_TASMIN, "K", 273.15, 0.0},
    {CR_VAR_TASMAX, "kelvin", 250.0, -23.15},
    {CR_VAR_TAS, "degK", 283.15, 10.0},
    {CR_VAR_TAS, "degC", 21.5, 21.5},
    {CR_VAR_TAS, "Celsius", -4.0, -4.0},
    {CR_VAR_TAS, "celsius", -4.0, -4.0},
    {CR_VAR_TAS, "deg_C", 12.0, 12.0},
    {CR_VAR_TAS, "degree_Celsius", 12.0, 12.0},
    {CR_VAR_TAS, "degrees_Celsius", 12.0, 12.0},
    {CR_VAR_TAS,
     "\xc2\xb0"
     "C",
     7.0, 7.0},
    {CR_VAR_TAS, "  degC ", 7.0, 7.0},
    {CR_VAR_TAS, "degF", 212.0, 100.0},
    {CR_VAR_TAS, "degF", 32.0, 0.0},
    /* precipitation -> mm/day */
    {CR_VAR_PR, "kg m-2 s-1", 1.0 / 86400.0, 1.0},
    {CR_VAR_PR, "kg m-2 s-1", 0.0001, 8.64},
    {CR_VAR_PR, "kg/m2/s", 0.0001, 8.64},
    {CR_VAR_PR, "kg m^-2 s^-1", 0.0001, 8.64},
    {CR_VAR_PR, "kg m**-2 s**-1", 0.0001, 8.64},
    {CR_VAR_PR, "kg.m-2.s-1", 0.0001, 8.64},
    {CR_VAR_PR, "kg  m-2  s-1", 0.0001, 8.64},
    {CR_VAR_PR, "mm/s", 0.0001, 8.64},
    {CR_VAR_PR, "mm s-1", 0.0001, 8.64},
    {CR_VAR_PR, "mm day-1", 5.0, 5.0},
    {CR_VAR_PR, "mm/day", 5.0, 5.0},
    {CR_VAR_PR, "mm/d", 5.0, 5.0},
    {CR_VAR_PR, "mm d-1", 5.0, 5.0},
    {CR_VAR_PR, "mm", 5.0, 5.0},
    {CR_VAR_PR, "kg m-2", 5.0, 5.0},
    {CR_VAR_PR, "mm/h", 0.5, 12.0},
    {CR_VAR_PR, "m", 0.012, 12.0},
    {CR_VAR_PR, "m s-1", 1e-7, 8.64},
    {CR_VAR_PRSN, "kg m-2 s-1", 2.0 / 86400.0, 2.0},
    {CR_VAR_PRSN, "mm/day", 2.0, 2.0},
    /* snow water equivalent -> kg m-2 (= mm) */
    {CR_VAR_SNW, "kg m-2", 120.0, 120.0},
    {CR_VAR_SNW, "kg/m2", 120.0, 120.0},
    {CR_VAR_SNW, "mm", 120.0, 120.0},
    {CR_VAR_SNW, "m", 0.12, 120.0},
    {CR_VAR_SNW, "cm", 12.0, 120.0},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        struct cr_unit_conv c;
        if (cr_units_conversion(rows[k].var, rows[k].units, &c) != 0)
            fail_msg("units '%s' refused for %s", rows[k].units, cr_var_name(rows[k].var));
        double got = rows[k].value * c.scale + c.offset;
        if (fabs(got - rows[k].expected) > 1e-9 * (1 + fabs(rows[k].expected)))
            fail_msg("%s in '%s': %g -> %.12g, expected %g", cr_var_name(rows[k].var),
                     rows[k].units, rows[k].value, got, rows[k].expected);
    }
}

static void test_refused(void **state)
{
    (void)state;
    struct cr_unit_conv c;
    /* Unknown, or known but meaningless for the variable. */
    assert_int_equal(cr_units_conversion(CR_VAR_TAS, "furlongs", &c), -1);
    assert_int_equal(cr_units_conversion(CR_VAR_TAS, "", &c), -1);
    assert_int_equal(cr_units_conversion(CR_VAR_TAS, "kg m-2 s-1", &c), -1);
    assert_int_equal(cr_units_conversion(CR_VAR_PR, "K", &c), -1);
    assert_int_equal(cr_units_conversion(CR_VAR_PR, "degC", &c), -1);
    assert_int_equal(cr_units_conversion(CR_VAR_SNW, "kg m-2 s-1", &c), -1);
    assert_int_equal(cr_units_conversion(CR_VAR_TAS, "C", &c), -1); /* coulomb in UDUNITS */
    assert_non_null(strstr(cr_units_accepted(CR_VAR_TAS), "degC"));
    assert_non_null(strstr(cr_units_accepted(CR_VAR_PR), "kg m-2 s-1"));
}

static void test_normalize(void **state)
{
    (void)state;
    char out[64];
    cr_units_normalize("  Kg.M-2.s-1 ", out, sizeof out);
    assert_string_equal(out, "kg m-2 s-1");
    cr_units_normalize("kg m**-2 s^-1", out, sizeof out);
    assert_string_equal(out, "kg m-2 s-1");
    cr_units_normalize("mm\tday-1", out, sizeof out);
    assert_string_equal(out, "mm day-1");
    cr_units_normalize("1.5", out, sizeof out); /* a number keeps its point */
    assert_string_equal(out, "1.5");
}

static void test_variable_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum cr_var var;
    } names[] = {
        {"tasminAdjust", CR_VAR_TASMIN},
        {"tasmaxAdjust", CR_VAR_TASMAX},
        {"tasAdjust", CR_VAR_TAS},
        {"prtotAdjust", CR_VAR_PR},
        {"prsnAdjust", CR_VAR_PRSN},
        {"tasmin", CR_VAR_TASMIN},
        {"tasmax", CR_VAR_TASMAX},
        {"tas", CR_VAR_TAS},
        {"pr", CR_VAR_PR},
        {"prsn", CR_VAR_PRSN},
        {"snw", CR_VAR_SNW},
        {"prAdjust", CR_VAR_PR},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        enum cr_var v;
        assert_int_equal(cr_var_parse(names[k].name, &v), 0);
        assert_int_equal(v, names[k].var);
    }
    enum cr_var v;
    assert_int_equal(cr_var_parse("hussAdjust", &v), -1);
    assert_int_equal(cr_var_from_standard_name("air_temperature", "time: minimum", &v), 0);
    assert_int_equal(v, CR_VAR_TASMIN);
    assert_int_equal(cr_var_from_standard_name("air_temperature", "area: mean time: maximum", &v),
                     0);
    assert_int_equal(v, CR_VAR_TASMAX);
    assert_int_equal(cr_var_from_standard_name("air_temperature", "time: mean", &v), 0);
    assert_int_equal(v, CR_VAR_TAS);
    assert_int_equal(cr_var_from_standard_name("air_temperature", NULL, &v), 0);
    assert_int_equal(v, CR_VAR_TAS);
    assert_int_equal(cr_var_from_standard_name("precipitation_flux", NULL, &v), 0);
    assert_int_equal(v, CR_VAR_PR);
    assert_int_equal(cr_var_from_standard_name("snowfall_flux", NULL, &v), 0);
    assert_int_equal(v, CR_VAR_PRSN);
    assert_int_equal(cr_var_from_standard_name("lwe_thickness_of_surface_snow_amount", NULL, &v),
                     0);
    assert_int_equal(v, CR_VAR_SNW);
    assert_int_equal(cr_var_from_standard_name("specific_humidity", NULL, &v), -1);
    assert_string_equal(cr_var_units(CR_VAR_PR), "mm/day");
    assert_string_equal(cr_var_units(CR_VAR_TASMAX), "degC");
    assert_string_equal(cr_var_units(CR_VAR_SNW), "kg m-2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_variable_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
