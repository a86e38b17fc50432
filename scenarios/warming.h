/* warming.h — the pivot year at which a simulation reaches a warming level.
 *
 * TRACC method (drias-climat.fr): smooth the simulation's France-mean annual
 * temperature with a centred running mean; the pivot year is the first year
 * whose smoothed value exceeds the model's reference-period mean by the
 * level; the level's horizon is the window of years around the pivot. */
#ifndef CR_WARMING_H
#define CR_WARMING_H

/* Centred running mean of `window` years (odd; an even window is widened
 * by one) over an annual series of n values (NaN = year absent). A smoothed
 * value needs every year of its window: a truncated window at the start of a
 * run or next to a gap would bias the mean of a rising series, so those
 * years are NaN. A run must therefore cover pivot +/- window/2 for a level
 * to be found (DRIAS scenario runs start in 2006). */
void cr_running_mean(const double *values, int n, int window, double *smoothed);

/* First year (first_year + index) whose smoothed value exceeds
 * ref_mean + above_reference; 0 when the series never does, -1 when out of
 * memory. */
int cr_warming_pivot(const double *values, int first_year, int n, int window, double ref_mean,
                     double above_reference);

/* The horizon of a pivot: [pivot - length/2, pivot + length/2 - 1]
 * (20 years -> [pivot - 10, pivot + 9]). */
void cr_warming_horizon(int pivot, int length, int *first_year, int *last_year);

#endif
