/* units.h — the units a file may use and how they become canonical units.
 *
 * The engine computes in degC, mm/day (precipitation, snowfall) and kg m-2
 * (= mm of snow water equivalent). Files say K, degC, Celsius, kg m-2 s-1,
 * mm/day, mm... in many spellings. Rather than a general units library
 * (udunits2 would accept units that make no sense for a variable, such as
 * a precipitation in K), this is an explicit table per quantity, tested
 * entry by entry; anything not in it is refused with the accepted list, so a
 * file in unexpected units can never be misread silently. */
#ifndef CR_UNITS_H
#define CR_UNITS_H

#include <stddef.h>

#include "reader.h"

/* canonical = file_value * scale + offset */
struct cr_unit_conv {
    double scale;
    double offset;
};

/* The conversion of `units` (a file's units attribute) to the canonical
 * units of var. Returns 0, or -1 when the units are unknown for var. */
int cr_units_conversion(enum cr_var var, const char *units, struct cr_unit_conv *conv);

/* A short list of accepted spellings for var, for error messages. */
const char *cr_units_accepted(enum cr_var var);

/* The spelling the table is keyed on: trimmed, lower case, single blanks,
 * "^" and "**" dropped (m^-2 -> m-2), "." and "*" between factors read as a
 * blank (kg.m-2.s-1 -> kg m-2 s-1). */
void cr_units_normalize(const char *units, char *out, size_t size);

#endif
