/* ncmerge.h — replace some variables of a NetCDF file by those of another.
 *
 * An incremental run that recomputes only the indicators whose recipe
 * changed writes them to a fresh file, then publishes a file holding the
 * unchanged variables of the previous output and the new ones. Dimensions
 * shared by both files must have the same length; variables keep their
 * type, dimensions, chunking, compression, fill value and attributes. */
#ifndef CR_NCMERGE_H
#define CR_NCMERGE_H

#include "../core/error.h"

/* Write out = base with every variable of update replacing (or added to)
 * base's; global attributes come from update, then base's others. out is
 * written under a temporary name and renamed; base may equal out. When base
 * does not exist, out becomes a copy of update. */
int cr_nc_merge(const char *base, const char *update, const char *out, struct cr_err *err);

#endif
