/* pet.c — FAO-56 Ra and Hargreaves-Samani PET; see pet.h. */
#include "pet.h"

#include <math.h>

#define GSC 0.0820           /* solar constant, MJ m-2 min-1 (FAO-56) */
#define LATENT_HEAT 2.5      /* MJ/kg, as xclim HG85 */
#define PI 3.14159265358979323846

double cr_fao56_day(enum cr_calendar cal, struct cr_date d)
{
    int doy = cr_cal_doy(cal, d);
    return cal == CR_CAL_360 ? doy * (365.0 / 360.0) : (double)doy;
}

double cr_fao56_ra(double lat_deg, double J)
{
    double phi = lat_deg * PI / 180.0;
    double x = 2.0 * PI * J / 365.0;
    double dr = 1.0 + 0.033 * cos(x);           /* eq. 23 */
    double delta = 0.409 * sin(x - 1.39);       /* eq. 24 */
    double c = -tan(phi) * tan(delta);          /* eq. 25 */
    double ws = c >= 1.0 ? 0.0 : c <= -1.0 ? PI : acos(c);
    double ra = 24.0 * 60.0 / PI * GSC * dr *
                (ws * sin(phi) * sin(delta) + cos(phi) * cos(delta) * sin(ws)); /* eq. 21 */
    return ra > 0 ? ra : 0.0;
}

double cr_hargreaves_pet(double ra, double tg, double tx, double tn)
{
    double dtr = tx - tn;
    if (!(dtr > 0))
        return isnan(dtr) ? NAN : 0.0;
    double pet = 0.0023 * (ra / LATENT_HEAT) * (tg + 17.8) * sqrt(dtr);
    return pet > 0 ? pet : (isnan(pet) ? NAN : 0.0);
}
