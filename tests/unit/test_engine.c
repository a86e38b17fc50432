/* test_engine.c — every indicator of the engine on small made-up series
 * whose values are computed by hand (in the comments): thresholds and their
 * strictness, year and snow-year boundaries, spells crossing 1 July and
 * 1 January, leap/noleap/all_leap/360_day calendars, missing days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "indicators/catalog.h"
#include "indicators/engine.h"
#include "indicators/pet.h"
#include "support/engine_run.h"

#define ALL_IND ((1UL << CR_IND_COUNT) - 1)

static void opts_all(struct cr_engine_opts *o, int tn, int tx, int tg, int pr, int ps)
{
    cr_engine_opts_defaults(o);
    o->have[CR_IN_TN] = tn;
    o->have[CR_IN_TX] = tx;
    o->have[CR_IN_TG] = tg;
    o->have[CR_IN_PR] = pr;
    o->have[CR_IN_PS] = ps;
    o->indicators = ALL_IND;
}

static int md(struct cr_date d, int m, int day)
{
    return d.month == m && d.day == day;
}

/* a <= d <= b, within one year */
static int between(struct cr_date d, int m1, int d1, int m2, int d2)
{
    int x = d.month * 100 + d.day;
    return x >= m1 * 100 + d1 && x <= m2 * 100 + d2;
}

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))
#define ISNAN(a)        assert_true(isnan((double)(a)))

static void test_catalogue_matches_engine(void **state)
{
    (void)state;
    size_t n;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&n);
    assert_int_equal(n, CR_IND_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(cr_engine_indicator_id(cat[i].code), (int)i);
        assert_string_equal(cr_engine_indicator_code((enum cr_ind)i), cat[i].code);
    }
    assert_int_equal(cr_engine_indicator_id("nope"), -1);
}

/* ---- A: constant climate ------------------------------------------------- */

static float constant_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user, (void)d, (void)cell;
    switch (in) {
    case CR_IN_TN:
        return 10;
    case CR_IN_TX:
        return 20;
    case CR_IN_TG:
        return 15;
    default:
        return 0;
    }
}

/* FAO-56 eq. 21-25, written out again here from the paper. */
static double fao_ra(double lat_deg, int J)
{
    double phi = lat_deg * M_PI / 180, dr = 1 + 0.033 * cos(2 * M_PI / 365 * J);
    double dec = 0.409 * sin(2 * M_PI / 365 * J - 1.39);
    double ws = acos(-tan(phi) * tan(dec));
    return 24 * 60 / M_PI * 0.0820 * dr *
           (ws * sin(phi) * sin(dec) + cos(phi) * cos(dec) * sin(ws));
}

static void test_constant_climate(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 1, 1, 1);
    double lat[2] = {45, 35};
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2001, 2001, 2, lat, constant_fn, NULL, 31, &r, &err),
        CR_OK);
    NEAR(engine_value(&r, CR_IND_TG_MEAN, 2001, 0), 15, 1e-5);
    NEAR(engine_value(&r, CR_IND_TXX, 2001, 0), 20, 0);
    NEAR(engine_value(&r, CR_IND_SU, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_TR, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_FD, 2001, 0), 0, 0);
    /* TG > 5 from 1 January, no end: 365 - 1 + 1 */
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 0), 365, 0);
    /* (15 + 20)/2 - 10 = 7.5 a day, 183 days 1 Apr-30 Sep, k(45) = 1.03, k(35) = 1 */
    NEAR(engine_value(&r, CR_IND_HUGLIN, 2001, 0), 7.5 * 183 * 1.03, 1e-2);
    NEAR(engine_value(&r, CR_IND_HUGLIN, 2001, 1), 7.5 * 183, 1e-2);
    /* 5 a day over 214 days of 1 Apr-31 Oct */
    NEAR(engine_value(&r, CR_IND_WINKLER, 2001, 0), 1070, 1e-3);
    NEAR(engine_value(&r, CR_IND_CNI, 2001, 0), 10, 1e-5);
    NEAR(engine_value(&r, CR_IND_SPRING_FROST, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_GDD5, 2001, 0), 3650, 1e-3);
    /* 15 a day: 13 days = 195, 14 days = 210 */
    NEAR(engine_value(&r, CR_IND_TSUM200, 2001, 0), 14, 0);
    NEAR(engine_value(&r, CR_IND_RX1DAY, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_RX5DAY, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_R20MM, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_PRCPTOT, 2001, 0), 0, 0);
    NEAR(engine_value(&r, CR_IND_CDD, 2001, 0), 365, 0);
    /* The snow year 2001 ends in 2002, outside the series: undefined. */
    ISNAN(engine_value(&r, CR_IND_PRSN_TOTAL, 2001, 0));
    ISNAN(engine_value(&r, CR_IND_SNOW_DAYS, 2001, 0));
    /* Water deficit: sum over 1 Jun (day 152) - 31 Aug (day 243) of
     * 0.0023 Ra/2.5 (15 + 17.8) sqrt(20 - 10), PR = 0. */
    for (int c = 0; c < 2; c++) {
        double want = 0;
        for (int J = 152; J <= 243; J++)
            want += 0.0023 * fao_ra(lat[c], J) / 2.5 * 32.8 * sqrt(10.0);
        NEAR(engine_value(&r, CR_IND_WATER_DEFICIT, 2001, c), want, want * 1e-5);
    }
    for (int i = 0; i < CR_IND_COUNT; i++)
        assert_int_equal(r.emitted[i], 1); /* each indicator once for 2001 */
    engine_result_free(&r);
}

static void test_fao56_example(void **state)
{
    (void)state;
    /* FAO-56 Example 8: 3 September (J = 246) at 20 degrees S:
     * Ra = 32.2 MJ m-2 day-1. */
    NEAR(cr_fao56_ra(-20, 246), 32.2, 0.05);
    struct cr_date d = {2001, 9, 3};
    NEAR(cr_fao56_day(CR_CAL_STANDARD, d), 246, 0);
    struct cr_date d360 = {2001, 12, 30};
    NEAR(cr_fao56_day(CR_CAL_360, d360), 365, 1e-9);
    /* Polar night: no sun at 80 N on 21 December. */
    NEAR(cr_fao56_ra(80, 355), 0, 1e-9);
    /* Hargreaves-Samani as xclim HG85: 0.0023 * 32.2/2.5 * (20 + 17.8) *
     * sqrt(12) = 0.029624 * 37.8 * 3.46410 = 3.8791 mm/day. */
    NEAR(cr_hargreaves_pet(32.2, 20, 26, 14), 0.0023 * 32.2 / 2.5 * 37.8 * sqrt(12.0), 1e-9);
    NEAR(cr_hargreaves_pet(32.2, 20, 26, 14), 3.8791, 1e-4);
    NEAR(cr_hargreaves_pet(32.2, -30, 26, 14), 0, 0); /* clipped at 0 */
    NEAR(cr_hargreaves_pet(32.2, 20, 14, 26), 0, 0);  /* TN > TX */
}

/* ---- B: thresholds ----------------------------------------------------- */

static float thresholds_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user, (void)cell;
    static const float tx[4] = {25, 25.5f, 35, 35.1f};
    static const float tn[4] = {20, 20.5f, 0, -0.1f};
    static const float pr[4] = {20, 19.9f, 1, 0.99f};
    int i = (d.month == 1 && d.day <= 4) ? d.day - 1 : -1;
    switch (in) {
    case CR_IN_TX:
        return i >= 0 ? tx[i] : 20;
    case CR_IN_TN:
        return i >= 0 ? tn[i] : 5;
    case CR_IN_TG:
        return 10;
    case CR_IN_PR:
        return i >= 0 ? pr[i] : 0;
    default:
        return 0;
    }
}

static void test_thresholds(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 1, 1, 0);
    double lat = 45;
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2001, 2001, 1, &lat, thresholds_fn, NULL, 10, &r, &err),
        CR_OK);
    NEAR(engine_value(&r, CR_IND_SU, 2001, 0), 3, 0);   /* 25.5, 35, 35.1 > 25 */
    NEAR(engine_value(&r, CR_IND_TX35, 2001, 0), 1, 0); /* only 35.1 > 35 */
    NEAR(engine_value(&r, CR_IND_TXX, 2001, 0), 35.1, 1e-5);
    NEAR(engine_value(&r, CR_IND_TR, 2001, 0), 1, 0);                     /* 20.5 > 20, not 20 */
    NEAR(engine_value(&r, CR_IND_FD, 2001, 0), 1, 0);                     /* -0.1 < 0, not 0 */
    NEAR(engine_value(&r, CR_IND_R20MM, 2001, 0), 1, 0);                  /* 20 >= 20, not 19.9 */
    NEAR(engine_value(&r, CR_IND_PRCPTOT, 2001, 0), 20 + 19.9 + 1, 1e-4); /* 1 >= 1, not 0.99 */
    NEAR(engine_value(&r, CR_IND_RX1DAY, 2001, 0), 20, 0);
    /* first window ends on 5 Jan: 20 + 19.9 + 1 + 0.99 + 0 */
    NEAR(engine_value(&r, CR_IND_RX5DAY, 2001, 0), 41.89, 1e-4);
    /* dry from 4 Jan (0.99 < 1) to 31 Dec: 362 days */
    NEAR(engine_value(&r, CR_IND_CDD, 2001, 0), 362, 0);
    engine_result_free(&r);
}

/* ---- C: spells and windows across 1 January ---------------------------- */

static float newyear_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user;
    if (in != CR_IN_PR)
        return 10;
    if (cell == 0) /* dry 20 Dec 2001 - 10 Jan 2002, wet otherwise */
        return (d.year == 2001 && between(d, 12, 20, 12, 31)) ||
                       (d.year == 2002 && between(d, 1, 1, 1, 10))
                   ? 0
                   : 5;
    /* cell 1: 10 mm on 29-31 Dec 2001, 30 mm on 1-2 Jan 2002 */
    if (d.year == 2001 && between(d, 12, 29, 12, 31))
        return 10;
    if (d.year == 2002 && between(d, 1, 1, 1, 2))
        return 30;
    return 0;
}

static void check_newyear(size_t block)
{
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 1, 1, 0);
    o.indicators = (1UL << CR_IND_CDD) | (1UL << CR_IND_RX5DAY) | (1UL << CR_IND_RX1DAY);
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2001, 2002, 2, NULL, newyear_fn, NULL, block, &r, &err),
        CR_OK);
    /* The spell is cut at 1 January: 12 days in 2001, 10 in 2002
     * (climdex, which lets spells span years, gives 0 and 22). */
    NEAR(engine_value(&r, CR_IND_CDD, 2001, 0), 12, 0);
    NEAR(engine_value(&r, CR_IND_CDD, 2002, 0), 10, 0);
    /* The window 29 Dec - 2 Jan (90 mm) ends in 2002 and counts there;
     * 2001's best window is 27-31 Dec (30 mm). */
    NEAR(engine_value(&r, CR_IND_RX5DAY, 2001, 1), 30, 1e-5);
    NEAR(engine_value(&r, CR_IND_RX5DAY, 2002, 1), 90, 1e-5);
    NEAR(engine_value(&r, CR_IND_RX1DAY, 2001, 1), 10, 0);
    NEAR(engine_value(&r, CR_IND_RX1DAY, 2002, 1), 30, 0);
    engine_result_free(&r);
}

static void test_new_year_spells(void **state)
{
    (void)state;
    check_newyear(1);
    check_newyear(7);
    check_newyear(400);
}

/* ---- D: growing season -------------------------------------------------- */

static float gsl_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user;
    if (in != CR_IN_TG)
        return 0;
    switch (cell) {
    case 0: /* warm from 28 Jun: the first warm run starts before 1 July but
               is not 6 days long by then */
        return between(d, 6, 28, 12, 31) ? 10 : 0;
    case 1: /* warm 1 Mar - 27 Jun, cold 28 Jun - 10 Jul, warm again */
        return between(d, 3, 1, 6, 27) || between(d, 7, 11, 12, 31) ? 10 : 0;
    case 2: /* warm 15 Jun - 15 Jul (xclim test G7: 31) */
        return between(d, 6, 15, 7, 15) ? 10 : 0;
    case 3: /* warm, with 5 cold days in August and 6 from 1 October */
        return between(d, 8, 1, 8, 5) || between(d, 10, 1, 10, 6) ? 0 : 10;
    case 4: /* exactly 5 degC: never > 5, never < 5 */
        return 5;
    default: /* leap year, warm all year */
        return 10;
    }
}

static void test_growing_season(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 0, 0, 1, 0, 0);
    o.indicators = 1UL << CR_IND_GSL;
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2000, 2001, 6, NULL, gsl_fn, NULL, 45, &r, &err), CR_OK);
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 0), 0, 0);
    /* start 1 Mar (day 60); the cold run that starts before 1 July only
     * counts from 1 July (day 182): season ends on 30 June, 182 - 60 = 122 */
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 1), 122, 0);
    /* start 15 Jun (day 166), cold from 16 Jul (day 197): 31 */
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 2), 31, 0);
    /* start 1 Jan, end before 1 Oct (day 274): 273 */
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 3), 273, 0);
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 4), 0, 0);
    NEAR(engine_value(&r, CR_IND_GSL, 2000, 5), 366, 0); /* leap year */
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 5), 365, 0);
    engine_result_free(&r);
}

/* ---- E: calendars -------------------------------------------------------- */

static float calendar_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user, (void)d, (void)cell;
    switch (in) {
    case CR_IN_TN:
        return -1;
    case CR_IN_TX:
        return 25;
    case CR_IN_TG:
        return 15;
    default:
        return 0;
    }
}

static void check_calendar(enum cr_calendar cal, int year, int ndays, int aprsep, int aproct,
                           int aprmay)
{
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 1, 1, 1);
    double lat = 35; /* k = 1 */
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(engine_run(&o, cal, year, year, 1, &lat, calendar_fn, NULL, 100, &r, &err),
                     CR_OK);
    /* (15 + 25)/2 - 10 = 10 a day over 1 Apr-30 Sep */
    NEAR(engine_value(&r, CR_IND_HUGLIN, year, 0), 10.0 * aprsep, 1e-3);
    NEAR(engine_value(&r, CR_IND_WINKLER, year, 0), 5.0 * aproct, 1e-3);
    NEAR(engine_value(&r, CR_IND_SPRING_FROST, year, 0), aprmay, 0);
    NEAR(engine_value(&r, CR_IND_FD, year, 0), ndays, 0);
    NEAR(engine_value(&r, CR_IND_GDD5, year, 0), 10.0 * ndays, 1e-3);
    NEAR(engine_value(&r, CR_IND_GSL, year, 0), ndays, 0);
    NEAR(engine_value(&r, CR_IND_CNI, year, 0), -1, 1e-6);
    NEAR(engine_value(&r, CR_IND_SU, year, 0), 0, 0); /* 25 is not > 25 */
    NEAR(engine_value(&r, CR_IND_CDD, year, 0), ndays, 0);
    engine_result_free(&r);
}

static void test_calendars(void **state)
{
    (void)state;
    check_calendar(CR_CAL_STANDARD, 2001, 365, 183, 214, 61);
    check_calendar(CR_CAL_STANDARD, 2000, 366, 183, 214, 61);
    check_calendar(CR_CAL_PROLEPTIC, 1900, 365, 183, 214, 61); /* not leap */
    check_calendar(CR_CAL_NOLEAP, 2000, 365, 183, 214, 61);
    check_calendar(CR_CAL_ALL_LEAP, 2001, 366, 183, 214, 61);
    /* 360_day: 6 months of 30 days, 7 months of 30 days, 2 months */
    check_calendar(CR_CAL_360, 2001, 360, 180, 210, 60);
}

/* tsum200 on the calendar's day of year: TG = 1 reaches 200 on day 200
 * whatever the calendar (18 Jul in a leap year, 19 Jul otherwise, 20 Jul
 * in 360_day); TG = 20 exactly on day 10; TG = 0 never. */
static float tsum_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user, (void)d;
    if (in != CR_IN_TG)
        return 0;
    return cell == 0 ? 1.0f : cell == 1 ? 20.0f : cell == 2 ? 0.0f : -3.0f;
}

static void test_tsum200(void **state)
{
    (void)state;
    enum cr_calendar cals[3] = {CR_CAL_STANDARD, CR_CAL_NOLEAP, CR_CAL_360};
    for (int k = 0; k < 3; k++) {
        struct cr_engine_opts o;
        opts_all(&o, 0, 0, 1, 0, 0);
        o.indicators = 1UL << CR_IND_TSUM200;
        struct engine_result r;
        struct cr_err err;
        assert_int_equal(engine_run(&o, cals[k], 2000, 2000, 4, NULL, tsum_fn, NULL, 64, &r, &err),
                         CR_OK);
        NEAR(engine_value(&r, CR_IND_TSUM200, 2000, 0), 200, 0);
        NEAR(engine_value(&r, CR_IND_TSUM200, 2000, 1), 10, 0);
        ISNAN(engine_value(&r, CR_IND_TSUM200, 2000, 2));
        ISNAN(engine_value(&r, CR_IND_TSUM200, 2000, 3));
        engine_result_free(&r);
    }
}

/* ---- F: missing days ------------------------------------------------------ */

static float missing_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user;
    int doy = cr_cal_doy(CR_CAL_STANDARD, d);
    switch (in) {
    case CR_IN_TX: /* 36 missing days (cell 0) or 37 (cell 1) in 2001 */
        return (d.year == 2001 && doy <= 36 + (int)cell) ? NAN : 30;
    case CR_IN_TN: /* September: 3 missing (cell 0) or 4 (cell 1) */
        return (d.month == 9 && d.day <= 3 + (int)cell) ? NAN : 12;
    case CR_IN_TG:
        return 20;
    case CR_IN_PR:
        /* 50 mm on 13, 14 and 16 June, 15 June missing */
        if (d.month == 6 && (d.day == 13 || d.day == 14 || d.day == 16))
            return 50;
        return d.month == 6 && d.day == 15 ? NAN : 0;
    default:
        return 0;
    }
}

static void test_missing_days(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 1, 1, 0);
    o.indicators = (1UL << CR_IND_SU) | (1UL << CR_IND_TXX) | (1UL << CR_IND_CNI) |
                   (1UL << CR_IND_TR) | (1UL << CR_IND_RX5DAY) | (1UL << CR_IND_RX1DAY) |
                   (1UL << CR_IND_PRCPTOT);
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2000, 2001, 2, NULL, missing_fn, NULL, 30, &r, &err),
        CR_OK);
    /* 10 % of 365 = 36.5: 36 missing days keep the year, 37 do not */
    NEAR(engine_value(&r, CR_IND_SU, 2001, 0), 365 - 36, 0);
    ISNAN(engine_value(&r, CR_IND_SU, 2001, 1));
    ISNAN(engine_value(&r, CR_IND_TXX, 2001, 1));
    NEAR(engine_value(&r, CR_IND_SU, 2000, 1), 366, 0);
    /* September: 3 of 30 missing is 10 %, allowed; 4 is not. The year's
     * counts on TN are unaffected. */
    NEAR(engine_value(&r, CR_IND_CNI, 2001, 0), 12, 1e-6);
    ISNAN(engine_value(&r, CR_IND_CNI, 2001, 1));
    NEAR(engine_value(&r, CR_IND_TR, 2001, 1), 0, 0);
    /* Every 5-day window holding 15 June is undefined: the best complete
     * window holds 13-14 June (100 mm; climdex, which counts a missing day
     * as 0, would find 150). */
    NEAR(engine_value(&r, CR_IND_RX5DAY, 2001, 0), 100, 1e-5);
    NEAR(engine_value(&r, CR_IND_RX1DAY, 2001, 0), 50, 0);
    NEAR(engine_value(&r, CR_IND_PRCPTOT, 2001, 0), 150, 1e-4);
    engine_result_free(&r);

    /* A stricter tolerance: 0 % missing allowed. */
    o.max_missing_fraction = 0;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2000, 2001, 2, NULL, missing_fn, NULL, 30, &r, &err),
        CR_OK);
    ISNAN(engine_value(&r, CR_IND_CNI, 2001, 0));
    ISNAN(engine_value(&r, CR_IND_PRCPTOT, 2001, 0));
    ISNAN(engine_value(&r, CR_IND_TR, 2000, 0)); /* TN of 2000 misses 3 September days */
    engine_result_free(&r);
}

/* ---- G: snow year and snow model --------------------------------------- */

struct snow_case {
    int with_prsn;
};

static float snow_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user;
    int dec_snow = d.year == 2000 && between(d, 12, 1, 12, 10);
    float tg;
    if (d.year == 2000 && d.month == 12)
        tg = dec_snow && cell == 1 ? 1.0f : -5.0f;
    else if (d.year == 2000 || (d.year == 2001 && d.month >= 8))
        tg = 10;
    else
        tg = 2;
    switch (in) {
    case CR_IN_TG:
        return tg;
    case CR_IN_PS:
        return dec_snow ? 5 : 0;
    case CR_IN_PR: /* the same, plus rain on 15 Jan 2001 at TG = 2 */
        return dec_snow ? 5 : (d.year == 2001 && md(d, 1, 15)) ? 3 : 0;
    default:
        return 0;
    }
}

static void check_snow(int with_prsn)
{
    struct cr_engine_opts o;
    opts_all(&o, 0, 0, 1, 1, with_prsn);
    o.indicators = (1UL << CR_IND_PRSN_TOTAL) | (1UL << CR_IND_SNOW_DAYS) | (1UL << CR_IND_SWE_MAX);
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2000, 2001, 2, NULL, snow_fn, NULL, 23, &r, &err), CR_OK);
    /* Cell 0: 5 mm/day on 1-10 Dec at -5 degC, no melt: SWE 5, 10, ... 50
     * (>= 10 from 2 Dec: 30 days to 31 Dec); from 1 Jan TG = 2 melts
     * 3 * 2 = 6 mm/day: 44, 38, 32, 26, 20, 14 (6 days), then 8. */
    NEAR(engine_value(&r, CR_IND_PRSN_TOTAL, 2000, 0), 50, 1e-4);
    NEAR(engine_value(&r, CR_IND_SWE_MAX, 2000, 0), 50, 1e-4);
    NEAR(engine_value(&r, CR_IND_SNOW_DAYS, 2000, 0), 36, 0);
    /* Cell 1: TG = 1 during the snowfall (still snow: TG <= 1), melting
     * 3 mm/day: SWE 2, 4, ... 20 (>= 10 on 5-10 Dec: 6 days), kept at 20
     * through December (21 days), 14 on 1 Jan, 8 on 2 Jan. */
    NEAR(engine_value(&r, CR_IND_PRSN_TOTAL, 2000, 1), 50, 1e-4);
    NEAR(engine_value(&r, CR_IND_SWE_MAX, 2000, 1), 20, 1e-4);
    NEAR(engine_value(&r, CR_IND_SNOW_DAYS, 2000, 1), 28, 0);
    /* Snow year 2001 runs into 2002, beyond the data. */
    ISNAN(engine_value(&r, CR_IND_PRSN_TOTAL, 2001, 0));
    ISNAN(engine_value(&r, CR_IND_SWE_MAX, 2001, 0));
    assert_int_equal(r.emitted[CR_IND_SWE_MAX * 2 + 0], 1);
    assert_int_equal(r.emitted[CR_IND_SWE_MAX * 2 + 1], 1);
    engine_result_free(&r);
}

static void test_snow(void **state)
{
    (void)state;
    check_snow(1);
    check_snow(0); /* the rain of 15 Jan falls at TG = 2 > 1: not snow */
}

/* Snow year 1 Aug - 30 Jul in a 360_day calendar; an incomplete snow year
 * before the data is not emitted. 1 mm of snow a day at -1 degC from
 * 1 Aug 2000 to 30 Jul 2001: 360 mm. */
static float snow360_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user, (void)d, (void)cell;
    return in == CR_IN_TG ? -1.0f : 1.0f;
}

static void test_snow_360(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 0, 0, 1, 1, 1);
    o.indicators = (1UL << CR_IND_PRSN_TOTAL) | (1UL << CR_IND_SWE_MAX) | (1UL << CR_IND_SNOW_DAYS);
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_360, 2000, 2002, 1, NULL, snow360_fn, NULL, 50, &r, &err), CR_OK);
    NEAR(engine_value(&r, CR_IND_PRSN_TOTAL, 2000, 0), 360, 1e-3);
    NEAR(engine_value(&r, CR_IND_PRSN_TOTAL, 2001, 0), 360, 1e-3);
    NEAR(engine_value(&r, CR_IND_SWE_MAX, 2001, 0), 360, 1e-3);
    /* SWE >= 10 from the 10th day of the snow year: 351 days */
    NEAR(engine_value(&r, CR_IND_SNOW_DAYS, 2001, 0), 351, 0);
    ISNAN(engine_value(&r, CR_IND_PRSN_TOTAL, 2002, 0));
    engine_result_free(&r);
}

/* cr_engine_indicator_params() is what incremental runs trust to recompute
 * only the indicators a parameter change affects: changing a parameter must
 * leave every indicator that does not declare it unchanged, and change at
 * least one that does (on the snow series above, without prsn so that the
 * rain/snow temperature matters). */
static int same_value(float a, float b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void test_params_read(void **state)
{
    (void)state;
    struct cr_engine_opts base;
    opts_all(&base, 1, 1, 1, 1, 0);
    struct engine_result r0, r1;
    struct cr_err err;
    const double lat[2] = {45.0, 45.0};
    int rc = engine_run(&base, CR_CAL_STANDARD, 2000, 2001, 2, lat, snow_fn, NULL, 23, &r0, &err);
    if (rc != CR_OK)
        fail_msg("%s", err.msg);
    const unsigned flags[] = {CR_PARAM_SNOW_MELT, CR_PARAM_SNOW_COVER, CR_PARAM_SNOW_RAIN_TEMP};
    for (size_t p = 0; p < 3; p++) {
        struct cr_engine_opts o = base;
        if (flags[p] == CR_PARAM_SNOW_MELT)
            o.snow_melt_factor = 1.0;
        else if (flags[p] == CR_PARAM_SNOW_COVER)
            o.snow_cover_threshold = 30;
        else
            o.snow_rain_temperature = 3.0; /* the rain of 15 Jan (TG = 2) becomes snow */
        assert_int_equal(
            engine_run(&o, CR_CAL_STANDARD, 2000, 2001, 2, lat, snow_fn, NULL, 23, &r1, &err),
            CR_OK);
        int changed = 0;
        for (int id = 0; id < CR_IND_COUNT; id++)
            for (int y = 2000; y <= 2001; y++)
                for (size_t c = 0; c < 2; c++) {
                    int same = same_value(engine_value(&r0, (enum cr_ind)id, y, c),
                                          engine_value(&r1, (enum cr_ind)id, y, c));
                    if (!(cr_engine_indicator_params((enum cr_ind)id) & flags[p]) && !same)
                        fail_msg("%s changed with a parameter it does not declare (%u)",
                                 cr_engine_indicator_code((enum cr_ind)id), flags[p]);
                    changed += !same;
                }
        assert_true(changed > 0);
        engine_result_free(&r1);
    }
    engine_result_free(&r0);
}

/* ---- H: TG fallback, inputs, errors ------------------------------------- */

static void test_tg_fallback_and_inputs(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 0, 1, 0);
    struct engine_result r;
    struct cr_err err;
    double lat = 45;
    assert_int_equal(
        engine_run(&o, CR_CAL_NOLEAP, 2001, 2001, 1, &lat, constant_fn, NULL, 365, &r, &err),
        CR_OK);
    NEAR(engine_value(&r, CR_IND_TG_MEAN, 2001, 0), 15, 1e-6); /* (10 + 20) / 2 */
    engine_result_free(&r);

    int have[CR_IN_COUNT] = {0, 0, 0, 1, 0}, missing[CR_IN_COUNT];
    /* prsn_total without prsn needs pr and TG, i.e. tasmin and tasmax */
    assert_int_equal(cr_engine_missing_inputs(1UL << CR_IND_PRSN_TOTAL, have, missing), 2);
    assert_true(missing[CR_IN_TN] && missing[CR_IN_TX] && !missing[CR_IN_PR]);
    assert_int_equal(cr_engine_missing_inputs(1UL << CR_IND_RX5DAY, have, missing), 0);

    struct cr_engine *e;
    o.have[CR_IN_TN] = 0;
    o.indicators = 1UL << CR_IND_FD;
    assert_int_equal(cr_engine_new(&e, &o, CR_CAL_STANDARD, 2001, 2001, 1, NULL, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "tasmin"));

    opts_all(&o, 1, 1, 1, 1, 1);
    assert_int_equal(cr_engine_new(&e, &o, CR_CAL_STANDARD, 2001, 2001, 1, NULL, &err), CR_EUSAGE);
    assert_non_null(strstr(err.msg, "latitude"));
    o.indicators = 1UL << CR_IND_SU;
    assert_int_equal(cr_engine_new(&e, &o, CR_CAL_STANDARD, 2001, 2001, 1, NULL, &err), CR_OK);
    float v[5] = {30, 30, 30, 30, 30};
    const float *in[CR_IN_COUNT] = {v, v, v, v, v};
    struct cr_date wrong = {2001, 1, 2};
    assert_int_equal(cr_engine_feed(e, wrong, 1, in, NULL, NULL, &err), CR_EINTERNAL);
    cr_engine_free(e);
}

/* ---- I: cells that start late ------------------------------------------ */

/* Cell 0 has data throughout; cell 1 has no value at all before
 * 20 Jan 2001 (and so joins the computation late); cell 2 never has one.
 * TX = 30, TN = 21, TG = 25, PR = 2 every day with data. */
static float late_fn(void *user, struct cr_date d, enum cr_input in, size_t cell)
{
    (void)user;
    if (cell == 2 || (cell == 1 && (d.year == 2000 || (d.month == 1 && d.day < 20))))
        return NAN;
    switch (in) {
    case CR_IN_TX:
        return 30;
    case CR_IN_TN:
        return 21;
    case CR_IN_TG:
        return 25;
    case CR_IN_PR:
        return 2;
    default:
        return 0;
    }
}

static void test_late_cells(void **state)
{
    (void)state;
    struct cr_engine_opts o;
    opts_all(&o, 1, 1, 1, 1, 0);
    double lat[3] = {45, 45, 45};
    struct engine_result r;
    struct cr_err err;
    assert_int_equal(
        engine_run(&o, CR_CAL_STANDARD, 2000, 2001, 3, lat, late_fn, NULL, 9, &r, &err), CR_OK);
    for (int i = 0; i < CR_IND_COUNT; i++) {
        ISNAN(engine_value(&r, (enum cr_ind)i, 2000, 1)); /* no data in 2000 */
        ISNAN(engine_value(&r, (enum cr_ind)i, 2001, 2)); /* never any data */
    }
    /* 2001: 19 days missing (1-19 Jan) of 365, under 10 %: defined, and the
     * counts are of the 346 days with data. */
    NEAR(engine_value(&r, CR_IND_SU, 2001, 0), 365, 0);
    NEAR(engine_value(&r, CR_IND_SU, 2001, 1), 346, 0);
    NEAR(engine_value(&r, CR_IND_TR, 2001, 1), 346, 0);
    NEAR(engine_value(&r, CR_IND_PRCPTOT, 2001, 1), 2 * 346, 1e-3);
    /* the first complete 5-day window ends on 24 Jan */
    NEAR(engine_value(&r, CR_IND_RX5DAY, 2001, 1), 10, 1e-5);
    NEAR(engine_value(&r, CR_IND_CDD, 2001, 1), 0, 0);
    NEAR(engine_value(&r, CR_IND_TG_MEAN, 2001, 1), 25, 1e-5);
    /* the growing season starts on 20 Jan (day 20): 365 - 20 + 1 */
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 1), 346, 0);
    NEAR(engine_value(&r, CR_IND_GSL, 2001, 0), 365, 0);
    /* windows within the year are complete: as cell 0 */
    NEAR(engine_value(&r, CR_IND_HUGLIN, 2001, 1), engine_value(&r, CR_IND_HUGLIN, 2001, 0), 1e-3);
    engine_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_matches_engine),
        cmocka_unit_test(test_constant_climate),
        cmocka_unit_test(test_fao56_example),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_new_year_spells),
        cmocka_unit_test(test_growing_season),
        cmocka_unit_test(test_calendars),
        cmocka_unit_test(test_tsum200),
        cmocka_unit_test(test_missing_days),
        cmocka_unit_test(test_snow),
        cmocka_unit_test(test_snow_360),
        cmocka_unit_test(test_params_read),
        cmocka_unit_test(test_tg_fallback_and_inputs),
        cmocka_unit_test(test_late_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
