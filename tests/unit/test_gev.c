/* test_gev.c — L-moments, the GEV fit and return levels, ensemble
 * statistics, against hand computations, published formulas and another
 * implementation's values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "indicators/ensemble.h"
#include "indicators/gev.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* Sample L-moments of 1..5 by hand: b0 = 3, b1 = (0 + 2/4 + 2*3/4 + 3*4/4
 * + 4*5/4)/5 = 2, b2 = (2*3/12 + 6*4/12 + 12*5/12)/5 = 1.5, so l2 = 2b1 - b0
 * = 1 and l3 = 6b2 - 6b1 + b0 = 0. */
static void test_lmoments_by_hand(void **state)
{
    (void)state;
    double x[5] = {4, 2, 5, 1, 3};
    struct cr_lmoments lm;
    assert_int_equal(cr_lmoments(x, 5, &lm), 0);
    NEAR(lm.l1, 3, 1e-12);
    NEAR(lm.l2, 1, 1e-12);
    NEAR(lm.t3, 0, 1e-12);
    assert_int_equal(cr_lmoments(x, 2, &lm), -1);
}

/* xclim's GEV test sample (tests/test_stats.py::test_genextreme_fit).
 * Sample L-moments recomputed with numpy in
 * ../shared/research/indicators-science.md §1.8 G10: l1 = 329.0,
 * l2 = 47.6421, t3 = 0.096111, where Hosking's approximation alone gives
 * k = 0.118883 and RL(20) = 483.087. The exact root of t3(k), found by
 * bisection in plain Python (no climrisk code): k = 0.118306626,
 * alpha = 75.818574, xi = 293.255223; RL(2) 320.4499, RL(10) 443.0508,
 * RL(20) 483.1393, RL(50) 530.2096, RL(100) 562.2330. */
static const double sample[20] = {279, 302, 450, 272, 401, 222, 311, 327, 294, 299,
                                  348, 286, 492, 296, 227, 437, 340, 376, 444, 177};

static void test_xclim_sample(void **state)
{
    (void)state;
    double x[20];
    memcpy(x, sample, sizeof x);
    struct cr_lmoments lm;
    assert_int_equal(cr_lmoments(x, 20, &lm), 0);
    NEAR(lm.l1, 329.0, 1e-9);
    NEAR(lm.l2, 47.6421, 1e-4);
    NEAR(lm.t3, 0.096111, 1e-6);
    struct cr_gev g;
    assert_int_equal(cr_gev_fit_lmom(&lm, &g), 0);
    NEAR(g.k, 0.118306626, 1e-8);
    NEAR(g.xi, 293.255223, 1e-5);
    NEAR(g.alpha, 75.818574, 1e-5);
    NEAR(cr_gev_quantile(&g, 1 - 1.0 / 2), 320.4499, 1e-3);
    NEAR(cr_gev_quantile(&g, 1 - 1.0 / 10), 443.0508, 1e-3);
    NEAR(cr_gev_quantile(&g, 1 - 1.0 / 20), 483.1393, 1e-3);
    NEAR(cr_gev_quantile(&g, 1 - 1.0 / 50), 530.2096, 1e-3);
    NEAR(cr_gev_quantile(&g, 1 - 1.0 / 100), 562.2330, 1e-3);
    /* within 0.06 of the approximation-only value */
    NEAR(cr_gev_quantile(&g, 0.95), 483.087, 0.06);
    memcpy(x, sample, sizeof x);
    NEAR(cr_return_level(x, 20, 20, 10), 483.1393, 1e-3);
}

/* The fitted distribution's own L-moments (Hosking 1990; lmomco lmomgev):
 * l1 = xi + alpha (1 - G(1+k))/k, l2 = alpha (1 - 2^-k) G(1+k)/k,
 * t3 = 2 (1 - 3^-k)/(1 - 2^-k) - 3, must give back the sample's. */
static void test_fit_reproduces_lmoments(void **state)
{
    (void)state;
    const double t3s[] = {-0.6, -0.4, -0.2, -0.05, 0.0, 0.05, 0.1699, 0.3, 0.45, 0.7};
    for (size_t i = 0; i < sizeof t3s / sizeof t3s[0]; i++) {
        struct cr_lmoments lm = {100, 20, t3s[i]};
        struct cr_gev g;
        assert_int_equal(cr_gev_fit_lmom(&lm, &g), 0);
        if (g.k == 0)
            continue;
        double G = tgamma(1 + g.k);
        NEAR(g.xi + g.alpha * (1 - G) / g.k, 100, 1e-9);
        NEAR(g.alpha * (1 - pow(2, -g.k)) * G / g.k, 20, 1e-9);
        double t3 = 2 * (1 - pow(3, -g.k)) / (1 - pow(2, -g.k)) - 3;
        NEAR(t3, t3s[i], 1e-9);
        /* The quantile function inverts the CDF F = exp(-(1 - k (x - xi)/alpha)^(1/k)). */
        double q = cr_gev_quantile(&g, 0.95);
        double F = exp(-pow(1 - g.k * (q - g.xi) / g.alpha, 1 / g.k));
        NEAR(F, 0.95, 1e-12);
    }
    /* Gumbel: t3 = ln(9/8)/ln 2 = 0.169925 gives k ~ 0; alpha = l2/ln 2,
     * xi = l1 - 0.5772 alpha, RL(20) = xi - alpha ln(-ln 0.95). */
    struct cr_lmoments gum = {100, 20, log(9.0 / 8.0) / log(2.0)};
    struct cr_gev g;
    assert_int_equal(cr_gev_fit_lmom(&gum, &g), 0);
    NEAR(g.k, 0, 1e-6);
    double a = 20 / log(2.0), xi = 100 - 0.5772157 * a;
    NEAR(cr_gev_quantile(&g, 0.95), xi - a * log(-log(0.95)), 1e-3);
    /* Degenerate and invalid samples */
    struct cr_lmoments bad = {1, 0, 0};
    assert_int_equal(cr_gev_fit_lmom(&bad, &g), -1);
    double same[4] = {7, 7, 7, 7};
    NEAR(cr_return_level(same, 4, 20, 3), 7, 0);
    double few[4] = {1, NAN, NAN, 2};
    assert_true(isnan(cr_return_level(few, 4, 20, 3)));
}

/* Type-7 quantiles as R's quantile(c(1, 2, 3, 4, 10), q): 0.05 -> 1.2,
 * 0.5 -> 3, 0.95 -> 8.8 (h = 4 * 0.95 = 3.8: 4 + 0.8 * 6). */
static void test_ensemble_stats(void **state)
{
    (void)state;
    struct cr_statistic med = {.type = CR_STAT_QUANTILE, .q = 0.5},
                        p05 = {.type = CR_STAT_QUANTILE, .q = 0.05},
                        p95 = {.type = CR_STAT_QUANTILE, .q = 0.95}, mn = {.type = CR_STAT_MIN},
                        mx = {.type = CR_STAT_MAX}, agr = {.type = CR_STAT_AGREEMENT};
    double v[6];
#define SET() memcpy(v, (double[6]){10, 2, NAN, 4, 1, 3}, sizeof v)
    SET();
    NEAR(cr_ensemble_stat(&p05, v, 6, 0), 1.2, 1e-12);
    SET();
    NEAR(cr_ensemble_stat(&med, v, 6, 0), 3, 1e-12);
    SET();
    NEAR(cr_ensemble_stat(&p95, v, 6, 0), 8.8, 1e-12);
    SET();
    NEAR(cr_ensemble_stat(&mn, v, 6, 0), 1, 0);
    SET();
    NEAR(cr_ensemble_stat(&mx, v, 6, 0), 10, 0);
    SET();
    assert_true(isnan(cr_ensemble_stat(&agr, v, 6, 0)));
    /* Anomalies -1, 2, 3, 0.5, -0.2: median 0.5 > 0, 3 of 5 positive. */
    double an[5] = {-1, 2, 3, 0.5, -0.2};
    NEAR(cr_ensemble_stat(&agr, an, 5, 1), 0.6, 1e-12);
    /* Even count: median of -1, -2, 3, -4 is -1.5; 3 of 4 negative. */
    double an2[4] = {-1, -2, 3, -4};
    NEAR(cr_ensemble_stat(&agr, an2, 4, 1), 0.75, 1e-12);
    double none[2] = {NAN, NAN};
    assert_true(isnan(cr_ensemble_stat(&med, none, 2, 0)));
    double one[1] = {5};
    NEAR(cr_ensemble_stat(&p95, one, 1, 0), 5, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lmoments_by_hand),
        cmocka_unit_test(test_xclim_sample),
        cmocka_unit_test(test_fit_reproduces_lmoments),
        cmocka_unit_test(test_ensemble_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
