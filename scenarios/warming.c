/* warming.c — warming-level pivot years; see warming.h. */
#include "warming.h"

#include <math.h>
#include <stdlib.h>

void cr_running_mean(const double *values, int n, int window, double *smoothed)
{
    int half = window / 2, need = 2 * half + 1;
    for (int i = 0; i < n; i++) {
        double sum = 0;
        int count = 0;
        for (int k = i - half; k <= i + half; k++) {
            if (k < 0 || k >= n || isnan(values[k]))
                continue;
            sum += values[k];
            count++;
        }
        smoothed[i] = count >= need ? sum / count : NAN;
    }
}

int cr_warming_pivot(const double *values, int first_year, int n, int window, double ref_mean,
                     double above_reference)
{
    double *smoothed = malloc(sizeof *smoothed * (size_t)(n > 0 ? n : 1));
    if (!smoothed)
        return -1;
    cr_running_mean(values, n, window, smoothed);
    int pivot = 0;
    for (int i = 0; i < n && !pivot; i++)
        if (!isnan(smoothed[i]) && smoothed[i] > ref_mean + above_reference)
            pivot = first_year + i;
    free(smoothed);
    return pivot;
}

void cr_warming_horizon(int pivot, int length, int *first_year, int *last_year)
{
    *first_year = pivot - length / 2;
    *last_year = *first_year + length - 1;
}
