/* ensemble.h — statistics across the models of an ensemble, per cell.
 *
 * The statistics themselves are declared in scenarios/statistics.ini
 * (quantile with its probability, min, max, agreement); this module
 * evaluates one of them on the models' values at one cell. Quantiles use
 * linear interpolation between order statistics (Hyndman & Fan type 7, R's
 * and numpy's default); agreement is the share of models whose anomaly has
 * the sign of the median anomaly (the IPCC AR6 Atlas "model agreement"). */
#ifndef CR_ENSEMBLE_H
#define CR_ENSEMBLE_H

#include <stddef.h>

#include "../scenarios/scenarios.h"

/* Type-7 quantile of sorted values v[0..n-1]; NaN when n == 0. */
double cr_quantile7(const double *sorted, size_t n, double q);

/* Share of values with the sign (-1, 0, +1) of their median; NaN when
 * n == 0. v is sorted. */
double cr_sign_agreement(const double *sorted, size_t n);

/* Statistic s over the values v[0..n-1], NaN values skipped (v is
 * reordered). `agreement` applies to anomalies only: for_anomaly = 0 gives
 * NaN for it. */
double cr_ensemble_stat(const struct cr_statistic *s, double *v, size_t n, int for_anomaly);

#endif
