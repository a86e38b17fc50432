/* catalog.h — the indicator catalogue: what each indicator is called, in
 * which unit, in which risk category, what it needs, and where its
 * definition comes from.
 *
 * This table is the one place an indicator is described. The engine uses it
 * to know which inputs to read; the NetCDF writers take units, long names and
 * references from it; the datamart's `indicator` table and the web viewer's
 * legends are filled from it. Formulas live in the engine and in
 * docs/indicators.md. */
#ifndef CR_CATALOG_H
#define CR_CATALOG_H

#include <stddef.h>

enum cr_category { CR_CAT_BASE, CR_CAT_VINE, CR_CAT_GRASS, CR_CAT_FLOOD, CR_CAT_SNOW };

/* How annual values combine and compare across horizons. */
enum cr_ind_kind {
    CR_KIND_LEVEL, /* a temperature or a date: anomaly = difference only */
    CR_KIND_COUNT, /* a number of days: difference and ratio */
    CR_KIND_SUM,   /* an accumulated amount: difference and ratio */
};

/* Bit flags of the daily inputs an indicator reads. */
enum {
    CR_NEED_TASMIN = 1 << 0,
    CR_NEED_TASMAX = 1 << 1,
    CR_NEED_TAS = 1 << 2, /* falls back to (tasmin + tasmax) / 2 */
    CR_NEED_PR = 1 << 3,
    CR_NEED_PRSN = 1 << 4, /* falls back to pr on days with TG <= threshold */
    CR_NEED_LAT = 1 << 5,
};

/* The year an annual value belongs to. */
enum cr_ind_year { CR_YEAR_CALENDAR, CR_YEAR_SNOW /* 1 Aug - 31 Jul, labelled by its start */ };

struct cr_indicator_def {
    const char *code;
    const char *name_en;
    const char *name_fr;
    const char *units; /* CF/UDUNITS string */
    enum cr_category category;
    enum cr_ind_kind kind;
    int ratio; /* is the ratio of horizon means meaningful */
    unsigned needs;
    enum cr_ind_year year;
    const char *cell_methods;
    const char *definition; /* one line, the formula in words */
    const char *reference;  /* source paper or standard */
};

/* All indicators, in catalogue order. */
const struct cr_indicator_def *cr_indicator_catalog(size_t *n);
/* By code; NULL if unknown. */
const struct cr_indicator_def *cr_indicator_find(const char *code);
/* "base", "vine", "grass", "flood", "snow" */
const char *cr_category_name(enum cr_category c);

#endif
