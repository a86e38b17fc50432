/* validate.h — physical plausibility of daily values, counted block by
 * block.
 *
 * A file in the wrong units, a broken bias correction or a bad merge shows
 * up as impossible values: temperatures outside -90..60 degC, negative
 * precipitation, tasmax below tasmin on the same cell-day. A few such
 * values happen in real data and must not stop a night's run; many mean the
 * input is wrong and every indicator built on it would be too. So the
 * engine passes each block it reads through these checks: problems are
 * counted (and, if asked, set to NaN), and at the end a share of invalid
 * values above [inputs] max_invalid_fraction is an error (CR_EDATA, exit
 * 2) naming the file, variable, first bad cell-day and what to do; below it
 * they are one warning line. */
#ifndef CR_VALIDATE_H
#define CR_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "reader.h"

/* Plausible range of near-surface air temperature, degC (the records are
 * -89.2 and 56.7). */
#define CR_VALID_TEMP_MIN (-90.0)
#define CR_VALID_TEMP_MAX 60.0
/* Largest plausible daily precipitation, mm/day (record: 1825 mm). */
#define CR_VALID_PR_MAX 2000.0

/* Default of [inputs] max_invalid_fraction. */
#define CR_MAX_INVALID_FRACTION_DEFAULT 0.001

enum cr_check {
    CR_CHECK_TOO_LOW,  /* temperature below -90 degC */
    CR_CHECK_TOO_HIGH, /* temperature above 60 degC, precipitation above 2000 mm/day */
    CR_CHECK_NEGATIVE, /* precipitation, snowfall or SWE below 0 */
    CR_CHECK_TX_LT_TN, /* tasmax < tasmin on a cell-day */
    CR_CHECK_COUNT
};

struct cr_check_example {
    int set;
    enum cr_var var;
    size_t cell;
    struct cr_date date;
    float value, other; /* other: tasmin for CR_CHECK_TX_LT_TN */
    char file[256];     /* base name of the file holding it */
};

struct cr_validation {
    double max_invalid_fraction;
    int mask;                         /* set invalid values to NaN */
    uint64_t checked[CR_CHECK_COUNT]; /* values (or pairs) with data examined */
    uint64_t invalid[CR_CHECK_COUNT];
    struct cr_check_example first[CR_CHECK_COUNT];
};

/* mask: also replace each invalid value by NaN (both values of a
 * tasmax < tasmin pair), so indicators ignore them. */
void cr_validation_init(struct cr_validation *v, double max_invalid_fraction, int mask);

/* Check one block read from s with cr_series_read (ndays from start).
 * Returns the number of values with data (not NaN) it checked. */
uint64_t cr_validate_block(struct cr_validation *v, const struct cr_series *s, struct cr_date start,
                           float *block, size_t ndays);

/* Check tasmax >= tasmin on every cell-day where both have data; the two
 * blocks cover the same days on the same grid. */
void cr_validate_pair(struct cr_validation *v, const struct cr_series *tasmin,
                      const struct cr_series *tasmax, struct cr_date start, float *tn, float *tx,
                      size_t ndays);

uint64_t cr_validation_invalid(const struct cr_validation *v);

/* One line per kind of problem found, e.g. "12 tasmax values above 60 degC
 * (0.0012%), first cell 4521 on 2031-07-14 in f.nc (61.2)". "" when
 * nothing was found. */
void cr_validation_summary(const struct cr_validation *v, char *out, size_t size);

/* CR_EDATA when the share of invalid values of any check is above
 * max_invalid_fraction; otherwise CR_OK (after one warning line when some
 * values were invalid). */
int cr_validation_finish(const struct cr_validation *v, struct cr_err *err);

#endif
