/* test_calendar.c — CF calendars and time units against hand-computed dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ingest/calendar.h"

static int64_t days_between(enum cr_calendar cal, struct cr_date a, struct cr_date b)
{
    return cr_cal_day_number(cal, b) - cr_cal_day_number(cal, a);
}

static void test_days_between_1950_and_2000(void **state)
{
    (void)state;
    struct cr_date a = {1950, 1, 1}, b = {2000, 1, 1};
    /* 50 years: 13 leap years (1952..2000 exclusive of 2000: 52,56,...,96 = 12)
     * -> 50*365 + 12 = 18262 */
    assert_int_equal(days_between(CR_CAL_STANDARD, a, b), 18262);
    assert_int_equal(days_between(CR_CAL_PROLEPTIC, a, b), 18262);
    assert_int_equal(days_between(CR_CAL_NOLEAP, a, b), 18250);
    assert_int_equal(days_between(CR_CAL_ALL_LEAP, a, b), 18300);
    assert_int_equal(days_between(CR_CAL_360, a, b), 18000);
}

static void test_year_lengths(void **state)
{
    (void)state;
    assert_int_equal(cr_cal_days_in_year(CR_CAL_STANDARD, 2000), 366);
    assert_int_equal(cr_cal_days_in_year(CR_CAL_STANDARD, 1900), 365);
    assert_int_equal(cr_cal_days_in_year(CR_CAL_STANDARD, 2100), 365);
    assert_int_equal(cr_cal_days_in_year(CR_CAL_STANDARD, 1500), 366); /* Julian */
    assert_int_equal(cr_cal_days_in_year(CR_CAL_PROLEPTIC, 1500), 365);
    assert_int_equal(cr_cal_days_in_year(CR_CAL_NOLEAP, 2000), 365);
    assert_int_equal(cr_cal_days_in_year(CR_CAL_ALL_LEAP, 2001), 366);
    assert_int_equal(cr_cal_days_in_year(CR_CAL_360, 2000), 360);
    assert_int_equal(cr_cal_days_in_month(CR_CAL_360, 2000, 2), 30);
    assert_int_equal(cr_cal_days_in_month(CR_CAL_NOLEAP, 2000, 2), 28);
    assert_int_equal(cr_cal_days_in_month(CR_CAL_STANDARD, 2004, 2), 29);
}

static void test_gregorian_switch(void **state)
{
    (void)state;
    struct cr_date d = {1582, 10, 4};
    struct cr_date next = cr_cal_add_days(CR_CAL_STANDARD, d, 1);
    assert_int_equal(next.year, 1582);
    assert_int_equal(next.month, 10);
    assert_int_equal(next.day, 15);
    next = cr_cal_add_days(CR_CAL_PROLEPTIC, d, 1);
    assert_int_equal(next.day, 5);
    struct cr_date gap = {1582, 10, 10};
    assert_false(cr_cal_valid(CR_CAL_STANDARD, gap));
    assert_true(cr_cal_valid(CR_CAL_PROLEPTIC, gap));
}

static void test_day_of_year(void **state)
{
    (void)state;
    struct cr_date d = {2001, 12, 31};
    assert_int_equal(cr_cal_doy(CR_CAL_STANDARD, d), 365);
    struct cr_date leap = {2004, 12, 31};
    assert_int_equal(cr_cal_doy(CR_CAL_STANDARD, leap), 366);
    assert_int_equal(cr_cal_doy(CR_CAL_NOLEAP, leap), 365);
    struct cr_date d360 = {2004, 12, 30};
    assert_int_equal(cr_cal_doy(CR_CAL_360, d360), 360);
    struct cr_date mar1 = {2004, 3, 1};
    assert_int_equal(cr_cal_doy(CR_CAL_STANDARD, mar1), 61);
    assert_int_equal(cr_cal_doy(CR_CAL_360, mar1), 61);
    assert_int_equal(cr_cal_doy(CR_CAL_ALL_LEAP, (struct cr_date){2003, 3, 1}), 61);
}

static void test_round_trip_every_calendar(void **state)
{
    (void)state;
    enum cr_calendar cals[] = {CR_CAL_STANDARD, CR_CAL_PROLEPTIC, CR_CAL_NOLEAP, CR_CAL_ALL_LEAP,
                               CR_CAL_360};
    for (size_t c = 0; c < 5; c++) {
        struct cr_date d = {1949, 12, 1};
        int64_t n = cr_cal_day_number(cals[c], d);
        for (int k = 0; k < 60000; k++) {
            struct cr_date back = cr_cal_from_day_number(cals[c], n + k);
            assert_true(cr_cal_valid(cals[c], back));
            assert_int_equal(cr_cal_day_number(cals[c], back), n + k);
        }
        /* far in the past too (found by fuzzing: year -5001) */
        d.year = -5001;
        n = cr_cal_day_number(cals[c], d);
        for (int k = 0; k < 4000; k += 7) {
            struct cr_date back = cr_cal_from_day_number(cals[c], n + k);
            assert_true(cr_cal_valid(cals[c], back));
            assert_int_equal(cr_cal_day_number(cals[c], back), n + k);
        }
    }
}

static void test_time_units(void **state)
{
    (void)state;
    struct cr_time_units tu;
    char why[256];
    assert_int_equal(cr_time_units_parse("days since 1950-01-01 00:00:00", &tu, why, sizeof why),
                     0);
    assert_true(tu.seconds_per_unit == 86400);
    assert_int_equal(tu.epoch.year, 1950);
    assert_int_equal(cr_time_units_parse("hours since 1949-12-01T00:00:00Z", &tu, why, sizeof why),
                     0);
    assert_true(tu.seconds_per_unit == 3600);
    assert_int_equal(tu.epoch.month, 12);
    assert_int_equal(cr_time_units_parse("days since 1950-1-1", &tu, why, sizeof why), 0);
    assert_int_equal(
        cr_time_units_parse("seconds since 2000-01-01 12:30:00 UTC", &tu, why, sizeof why), 0);
    assert_true(tu.epoch_seconds == 45000);
    assert_int_equal(cr_time_units_parse("fortnights since 1950-01-01", &tu, why, sizeof why), -1);
    assert_non_null(strstr(why, "unknown unit"));
    assert_int_equal(cr_time_units_parse("days after 1950-01-01", &tu, why, sizeof why), -1);
    assert_int_equal(cr_time_units_parse("days since yesterday", &tu, why, sizeof why), -1);
    assert_int_equal(cr_time_units_parse("days since 1950-01-01 +05:00", &tu, why, sizeof why), -1);
    assert_int_equal(cr_time_units_parse("days since 1950-13-01", &tu, why, sizeof why), -1);
}

static void test_time_to_date(void **state)
{
    (void)state;
    struct cr_time_units tu;
    char why[256];
    /* test2.nc of EURO-CORDEX: 360_day, days since 1949-12-01; first value
     * 0.5 is 1949-12-01 noon, and 30 days later is 1950-01-01. */
    cr_time_units_parse("days since 1949-12-01T00:00:00Z", &tu, why, sizeof why);
    double sod;
    struct cr_date d = cr_time_to_date(CR_CAL_360, &tu, 30.5, &sod);
    assert_int_equal(d.year, 1950);
    assert_int_equal(d.month, 1);
    assert_int_equal(d.day, 1);
    assert_true(sod == 43200);
    d = cr_time_to_date(CR_CAL_STANDARD, &tu, 31.5, NULL);
    assert_int_equal(d.year, 1950);
    assert_int_equal(d.day, 1);
    /* hours: 1950-01-02 06:00 */
    cr_time_units_parse("hours since 1950-01-01", &tu, why, sizeof why);
    d = cr_time_to_date(CR_CAL_NOLEAP, &tu, 30.0, &sod);
    assert_int_equal(d.day, 2);
    assert_true(sod == 6 * 3600);
    double back = cr_date_to_time(CR_CAL_NOLEAP, &tu, d, sod);
    assert_true(back == 30.0);
    /* float noise just below midnight stays on its day */
    cr_time_units_parse("days since 1950-01-01", &tu, why, sizeof why);
    d = cr_time_to_date(CR_CAL_STANDARD, &tu, 0.99999999999, NULL);
    assert_int_equal(d.day, 2);
}

static void test_calendar_names(void **state)
{
    (void)state;
    enum cr_calendar c;
    assert_int_equal(cr_calendar_parse("Gregorian", &c), 0);
    assert_int_equal(c, CR_CAL_STANDARD);
    assert_int_equal(cr_calendar_parse("365_day", &c), 0);
    assert_int_equal(c, CR_CAL_NOLEAP);
    assert_int_equal(cr_calendar_parse("366_day", &c), 0);
    assert_int_equal(c, CR_CAL_ALL_LEAP);
    assert_int_equal(cr_calendar_parse("360_day", &c), 0);
    assert_int_equal(cr_calendar_parse("julian", &c), -1);
    assert_int_equal(cr_calendar_parse("", &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_between_1950_and_2000),
        cmocka_unit_test(test_year_lengths),
        cmocka_unit_test(test_gregorian_switch),
        cmocka_unit_test(test_day_of_year),
        cmocka_unit_test(test_round_trip_every_calendar),
        cmocka_unit_test(test_time_units),
        cmocka_unit_test(test_time_to_date),
        cmocka_unit_test(test_calendar_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
