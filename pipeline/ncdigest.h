/* ncdigest.h — a content hash of some variables of a NetCDF file.
 *
 * A statistics file holds every indicator; when one indicator's values
 * change the whole file's bytes change. Hashing the values of that
 * indicator's variables instead lets a later step (aggregate, tiles) redo
 * only the indicators whose numbers changed, whatever happened to the
 * others. */
#ifndef CR_NCDIGEST_H
#define CR_NCDIGEST_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/sha256.h"

/* SHA-256 over the name, type, shape and values of every numeric variable
 * of path whose name starts with prefix, in file order; *matched is the
 * number of such variables. */
int cr_nc_digest_vars(const char *path, const char *prefix, char hex[CR_SHA256_HEX], int *matched,
                      struct cr_err *err);

/* The same over the variables named in names[0..nnames) (in file order). */
int cr_nc_digest_named(const char *path, const char *const *names, size_t nnames,
                       char hex[CR_SHA256_HEX], int *matched, struct cr_err *err);

#endif
