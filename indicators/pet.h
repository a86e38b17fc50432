/* pet.h — extraterrestrial radiation (FAO-56) and Hargreaves-Samani
 * potential evapotranspiration, for the summer water deficit.
 *
 * Ra follows FAO-56 (Allen et al. 1998) eq. 21-25 exactly; PET follows
 * xclim's "HG85" method: PET = 0.0023 * Ra/2.5 * (TG + 17.8) * sqrt(TX - TN),
 * clipped at 0, Ra/2.5 turning MJ m-2 d-1 into mm/day of evaporation with a
 * latent heat of 2.5 MJ/kg (FAO-56 writes 0.408 Ra, i.e. 2.45 MJ/kg: 2 %
 * more PET; docs/indicators.md). */
#ifndef CR_PET_H
#define CR_PET_H

#include "../ingest/calendar.h"

/* FAO-56 "J", the day of the year used in eq. 23-24 (1 = 1 January): the
 * calendar's day of year; in a 360_day calendar it is stretched to a
 * 365-day year (J = doy * 365/360) so the declination keeps its season. */
double cr_fao56_day(enum cr_calendar cal, struct cr_date d);

/* Extraterrestrial radiation Ra (MJ m-2 day-1) at latitude lat (degrees)
 * on day J (eq. 21, with Gsc = 0.0820 MJ m-2 min-1, eq. 23 dr, eq. 24
 * declination, eq. 25 sunset hour angle, clamped for polar day/night). */
double cr_fao56_ra(double lat_deg, double J);

/* Hargreaves-Samani PET (mm/day) as xclim HG85, from Ra (MJ m-2 d-1) and
 * TG, TX, TN (degC). A negative diurnal range (TN > TX, which separately
 * bias-adjusted data can produce) gives 0 instead of xclim's NaN. */
double cr_hargreaves_pet(double ra, double tg, double tx, double tn);

#endif
