/* gev.c — L-moments and the GEV; see gev.h. */
#include "gev.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cr_lmoments(double *x, size_t n, struct cr_lmoments *out)
{
    if (n < 3)
        return -1;
    qsort(x, n, sizeof *x, cmp_double);
    double b0 = 0, b1 = 0, b2 = 0, dn = (double)n;
    for (size_t i = 0; i < n; i++) {
        double j = (double)i; /* j - 1 for the 1-based rank */
        b0 += x[i];
        b1 += j / (dn - 1) * x[i];
        b2 += j * (j - 1) / ((dn - 1) * (dn - 2)) * x[i];
    }
    b0 /= dn;
    b1 /= dn;
    b2 /= dn;
    double l2 = 2 * b1 - b0, l3 = 6 * b2 - 6 * b1 + b0;
    out->l1 = b0;
    out->l2 = l2;
    out->t3 = l2 != 0 ? l3 / l2 : NAN;
    return 0;
}

int cr_gev_fit_lmom(const struct cr_lmoments *lm, struct cr_gev *out)
{
    if (!(lm->l2 > 0) || !(lm->t3 > -1 && lm->t3 < 1))
        return -1;
    double c = 2.0 / (3.0 + lm->t3) - log(2.0) / log(3.0);
    double k = 7.8590 * c + 2.9554 * c * c;
    /* Hosking's approximation is within 1e-3 of the root for the t3 of
     * rainfall maxima but drifts for t3 < -0.2; a few Newton steps on
     * t3(k) = 2 (1 - 3^-k)/(1 - 2^-k) - 3 make the fit exact everywhere. */
    for (int it = 0; it < 20 && fabs(k) > 1e-6; it++) {
        double p2 = pow(2.0, -k), p3 = pow(3.0, -k);
        double t = 2.0 * (1.0 - p3) / (1.0 - p2) - 3.0;
        double dt = 2.0 * (log(3.0) * p3 * (1.0 - p2) - (1.0 - p3) * log(2.0) * p2) /
                    ((1.0 - p2) * (1.0 - p2));
        double step = (t - lm->t3) / dt;
        k -= step;
        if (fabs(step) < 1e-13)
            break;
    }
    if (fabs(k) < 1e-6) { /* Gumbel limit */
        out->k = 0;
        out->alpha = lm->l2 / log(2.0);
        out->xi = lm->l1 - 0.57721566490153286 * out->alpha;
        return 0;
    }
    double g = tgamma(1.0 + k);
    out->k = k;
    out->alpha = lm->l2 * k / ((1.0 - pow(2.0, -k)) * g);
    out->xi = lm->l1 - out->alpha * (1.0 - g) / k;
    return isfinite(out->alpha) && isfinite(out->xi) ? 0 : -1;
}

double cr_gev_quantile(const struct cr_gev *g, double F)
{
    double y = -log(F);
    if (g->k == 0)
        return g->xi - g->alpha * log(y);
    return g->xi + g->alpha / g->k * (1.0 - pow(y, g->k));
}

double cr_return_level(double *x, size_t n, double T, size_t min_n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            x[m++] = x[i];
    if (m < min_n || m < 3)
        return NAN;
    struct cr_lmoments lm;
    cr_lmoments(x, m, &lm);
    if (lm.l2 <= 1e-9 * fabs(lm.l1))
        return lm.l1; /* all values equal (up to rounding): a degenerate distribution */
    struct cr_gev g;
    if (cr_gev_fit_lmom(&lm, &g) != 0)
        return NAN;
    return cr_gev_quantile(&g, 1.0 - 1.0 / T);
}
