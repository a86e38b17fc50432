/* gev.h — return levels from a GEV fitted by L-moments (Hosking 1990).
 *
 * For the 20-year return level of annual maximum 1-day precipitation over
 * each 30-year horizon and cell: closed-form, no optimiser, robust for the
 * 20-30 annual maxima of a horizon (maximum likelihood often fails to
 * converge on so few values). Formulas: sample L-moments from unbiased
 * probability-weighted moments; GEV shape by Hosking's rational
 * approximation k = 7.8590 c + 2.9554 c^2, c = 2/(3 + t3) - ln 2/ln 3
 * (Hosking, Wallis & Wood 1985), refined by Newton steps on the exact
 * relation t3 = 2 (1 - 3^-k)/(1 - 2^-k) - 3 so the fitted distribution has
 * exactly the sample's L-moments (as Hosking's PELGEV, lmomco and
 * lmoments3 aim for). Hosking's k is the negative of the usual GEV shape
 * xi (k = scipy's c). */
#ifndef CR_GEV_H
#define CR_GEV_H

#include <stddef.h>

struct cr_lmoments {
    double l1, l2, t3; /* mean, L-scale, L-skewness */
};

struct cr_gev {
    double xi;    /* location */
    double alpha; /* scale */
    double k;     /* shape (Hosking's sign) */
};

/* Sample L-moments of x[0..n-1] (n >= 3). x is sorted in place; NaN values
 * must have been removed. Returns 0, or -1 when n < 3. */
int cr_lmoments(double *x, size_t n, struct cr_lmoments *out);

/* GEV parameters matching l1, l2, t3. Returns 0, or -1 when l2 <= 0 or t3
 * is outside (-1, 1). */
int cr_gev_fit_lmom(const struct cr_lmoments *lm, struct cr_gev *out);

/* Quantile of non-exceedance probability F (0 < F < 1). */
double cr_gev_quantile(const struct cr_gev *g, double F);

/* The T-year return level of the values (annual maxima) x[0..n-1] with NaN
 * skipped: quantile 1 - 1/T of the L-moment GEV fit. NaN when fewer than
 * min_n values remain or the fit fails; a constant sample gives that
 * constant. x is reordered. */
double cr_return_level(double *x, size_t n, double T, size_t min_n);

#endif
