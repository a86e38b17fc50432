/* catalog.c — the indicator catalogue table; see catalog.h. */
#include "catalog.h"

#include <string.h>

#define TN  CR_NEED_TASMIN
#define TX  CR_NEED_TASMAX
#define TG  CR_NEED_TAS
#define PR  CR_NEED_PR
#define PS  CR_NEED_PRSN
#define LAT CR_NEED_LAT

static const struct cr_indicator_def catalog[] = {
    {"tg_mean", "Mean temperature", "Température moyenne", "degC", CR_CAT_BASE, CR_KIND_LEVEL, 0,
     TG, CR_YEAR_CALENDAR, "time: mean within days time: mean over days",
     "annual mean of daily mean temperature TG", "ETCCDI/ECA&D TG"},
    {"txx", "Hottest day", "Jour le plus chaud", "degC", CR_CAT_BASE, CR_KIND_LEVEL, 0, TX,
     CR_YEAR_CALENDAR, "time: maximum within days time: maximum over days",
     "annual maximum of daily maximum temperature TX", "ETCCDI TXx (Zhang et al. 2011)"},
    {"su", "Summer days", "Journées d'été", "days", CR_CAT_BASE, CR_KIND_COUNT, 1, TX,
     CR_YEAR_CALENDAR, "time: maximum within days time: sum over days",
     "number of days with TX > 25 degC", "ETCCDI SU (Zhang et al. 2011)"},
    {"tx35", "Scorching days", "Journées caniculaires", "days", CR_CAT_BASE, CR_KIND_COUNT, 1, TX,
     CR_YEAR_CALENDAR, "time: maximum within days time: sum over days",
     "number of days with TX > 35 degC", "DRIAS/Météo-France (TX > 35 degC days)"},
    {"tr", "Tropical nights", "Nuits tropicales", "days", CR_CAT_BASE, CR_KIND_COUNT, 1, TN,
     CR_YEAR_CALENDAR, "time: minimum within days time: sum over days",
     "number of days with TN > 20 degC", "ETCCDI TR (Zhang et al. 2011)"},
    {"fd", "Frost days", "Jours de gel", "days", CR_CAT_BASE, CR_KIND_COUNT, 1, TN,
     CR_YEAR_CALENDAR, "time: minimum within days time: sum over days",
     "number of days with TN < 0 degC", "ETCCDI FD (Zhang et al. 2011)"},
    {"gsl", "Growing season length", "Durée de la saison de croissance", "days", CR_CAT_BASE,
     CR_KIND_COUNT, 1, TG, CR_YEAR_CALENDAR, "time: mean within days time: sum over days",
     "days from the first 6-day spell with TG > 5 degC to the first 6-day spell with TG < 5 degC "
     "after 1 July",
     "ETCCDI GSL (Zhang et al. 2011; climdex.pcic)"},
    {"huglin", "Huglin heliothermal index", "Indice héliothermique de Huglin", "degC days",
     CR_CAT_VINE, CR_KIND_SUM, 1, TG | TX | LAT, CR_YEAR_CALENDAR, "time: sum over days",
     "sum over 1 Apr-30 Sep of max(0, (TG + TX)/2 - 10) * k, k = 1 + 0.06 clamp((lat - 40)/10, "
     "0, 1)",
     "Huglin (1978); xclim huglin_index, smoothed/interpolated coefficient"},
    {"winkler", "Winkler degree-days", "Degrés-jours de Winkler", "degC days", CR_CAT_VINE,
     CR_KIND_SUM, 1, TG, CR_YEAR_CALENDAR, "time: sum over days",
     "sum over 1 Apr-31 Oct of max(0, TG - 10)", "Amerine & Winkler (1944)"},
    {"cni", "Cool night index", "Indice de fraîcheur des nuits", "degC", CR_CAT_VINE, CR_KIND_LEVEL,
     0, TN, CR_YEAR_CALENDAR, "time: minimum within days time: mean over days",
     "mean TN over September", "Tonietto & Carbonneau (2004)"},
    {"spring_frost", "Late frost days", "Jours de gel tardif", "days", CR_CAT_VINE, CR_KIND_COUNT,
     1, TN, CR_YEAR_CALENDAR, "time: minimum within days time: sum over days",
     "number of days with TN < 0 degC between 1 Apr and 31 May", "climrisk (vine budburst frost)"},
    {"gdd5", "Growing degree-days (base 5)", "Degrés-jours de croissance (base 5 °C)", "degC days",
     CR_CAT_GRASS, CR_KIND_SUM, 1, TG, CR_YEAR_CALENDAR, "time: sum over days",
     "sum of max(0, TG - 5)", "ECA&D GD4 analogue (base 5 degC)"},
    {"tsum200", "Grass growth start (T-sum 200)", "Reprise de végétation de l'herbe (T-somme 200)",
     "day of year", CR_CAT_GRASS, CR_KIND_LEVEL, 0, TG, CR_YEAR_CALENDAR, "time: point",
     "day of year on which the sum of max(0, TG) since 1 Jan first reaches 200 degC days",
     "T-sum 200 (Ernst & Loeper 1976; used for grassland fertilisation dates)"},
    {"water_deficit", "Summer water deficit", "Déficit hydrique estival", "mm", CR_CAT_GRASS,
     CR_KIND_SUM, 0, TG | TX | TN | PR | LAT, CR_YEAR_CALENDAR, "time: sum over days",
     "sum over 1 Jun-31 Aug of PET - PR, PET by Hargreaves-Samani (1985) as xclim HG85",
     "Hargreaves & Samani (1985); FAO-56 eq. 21 (Allen et al. 1998)"},
    {"rx1day", "Max 1-day precipitation", "Cumul maximal de précipitations en 1 jour", "mm",
     CR_CAT_FLOOD, CR_KIND_SUM, 1, PR, CR_YEAR_CALENDAR, "time: maximum",
     "annual maximum of daily precipitation PR", "ETCCDI Rx1day (Zhang et al. 2011)"},
    {"rx5day", "Max 5-day precipitation", "Cumul maximal de précipitations en 5 jours", "mm",
     CR_CAT_FLOOD, CR_KIND_SUM, 1, PR, CR_YEAR_CALENDAR, "time: maximum",
     "annual maximum of 5-day running sums of PR, windows labelled by their last day",
     "ETCCDI Rx5day (Zhang et al. 2011)"},
    {"r20mm", "Heavy-rain days", "Jours de fortes précipitations", "days", CR_CAT_FLOOD,
     CR_KIND_COUNT, 1, PR, CR_YEAR_CALENDAR, "time: sum over days",
     "number of days with PR >= 20 mm", "ETCCDI R20mm (Zhang et al. 2011)"},
    {"prcptot", "Wet-day precipitation", "Cumul des précipitations des jours pluvieux", "mm",
     CR_CAT_BASE, CR_KIND_SUM, 1, PR, CR_YEAR_CALENDAR, "time: sum over days",
     "sum of PR on days with PR >= 1 mm", "ETCCDI PRCPTOT (Zhang et al. 2011)"},
    {"cdd", "Max dry spell", "Plus longue période sèche", "days", CR_CAT_BASE, CR_KIND_COUNT, 1, PR,
     CR_YEAR_CALENDAR, "time: sum over days",
     "longest run of consecutive days with PR < 1 mm within the year",
     "ETCCDI CDD (Zhang et al. 2011), spells cut at year ends"},
    {"prsn_total", "Snowfall", "Chutes de neige", "mm", CR_CAT_SNOW, CR_KIND_SUM, 1, PS | TG,
     CR_YEAR_SNOW, "time: sum over days",
     "sum of snowfall PS over the snow year (1 Aug-31 Jul); without PS, PR on days with TG <= 1",
     "climrisk snow module"},
    {"snow_days", "Snow-cover days", "Jours d'enneigement", "days", CR_CAT_SNOW, CR_KIND_COUNT, 1,
     PS | TG, CR_YEAR_SNOW, "time: sum over days",
     "days of the snow year with modelled SWE >= 10 mm (degree-day snow model)",
     "degree-day snow model (e.g. Hock 2003)"},
    {"swe_max", "Max snow water equivalent", "Équivalent en eau maximal du manteau neigeux", "mm",
     CR_CAT_SNOW, CR_KIND_SUM, 1, PS | TG, CR_YEAR_SNOW, "time: maximum",
     "maximum of modelled SWE over the snow year (degree-day snow model)",
     "degree-day snow model (e.g. Hock 2003)"},
};

const struct cr_indicator_def *cr_indicator_catalog(size_t *n)
{
    *n = sizeof catalog / sizeof catalog[0];
    return catalog;
}

const struct cr_indicator_def *cr_indicator_find(const char *code)
{
    for (size_t i = 0; i < sizeof catalog / sizeof catalog[0]; i++)
        if (strcmp(catalog[i].code, code) == 0)
            return &catalog[i];
    return NULL;
}

const char *cr_category_name(enum cr_category c)
{
    static const char *names[] = {"base", "vine", "grass", "flood", "snow"};
    return (unsigned)c < 5 ? names[c] : "?";
}
