/* ensemble.c — ensemble statistics; see ensemble.h. */
#include "ensemble.h"

#include <math.h>
#include <stdlib.h>

double cr_quantile7(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

static int sign(double x)
{
    return (x > 0) - (x < 0);
}

double cr_sign_agreement(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    int s = sign(cr_quantile7(v, n, 0.5));
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += sign(v[i]) == s;
    return (double)same / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cr_ensemble_stat(const struct cr_statistic *s, double *v, size_t n, int for_anomaly)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[m++] = v[i];
    if (m == 0)
        return NAN;
    if (m > 1)
        qsort(v, m, sizeof *v, cmp_double);
    switch (s->type) {
    case CR_STAT_QUANTILE:
        return cr_quantile7(v, m, s->q);
    case CR_STAT_MIN:
        return v[0];
    case CR_STAT_MAX:
        return v[m - 1];
    case CR_STAT_AGREEMENT:
        return for_anomaly ? cr_sign_agreement(v, m) : NAN;
    }
    return NAN;
}
