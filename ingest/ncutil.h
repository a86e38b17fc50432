/* ncutil.h — small netCDF-C helpers shared by the reader's files.
 *
 * Attributes come as NC_CHAR or (netCDF-4) NC_STRING, numbers in any
 * numeric type; these helpers hide that so the CF logic reads plainly. */
#ifndef CR_NCUTIL_H
#define CR_NCUTIL_H

#include <stddef.h>

/* Text attribute into out (NUL-terminated). Returns 0, or -1 when absent,
 * not text, or longer than size - 1. */
int cr_nc_text_att(int ncid, int varid, const char *name, char *out, size_t size);

/* First value of a numeric attribute as a double. Returns 0 or -1. */
int cr_nc_double_att(int ncid, int varid, const char *name, double *out);

/* Up to max values of a numeric attribute; returns how many were read
 * (0 when absent or not numeric). */
int cr_nc_double_atts(int ncid, int varid, const char *name, double *out, int max);

/* The variable whose name equals the dimension's (its coordinate
 * variable), or -1. */
int cr_nc_coord_var(int ncid, int dimid);

#endif
