/* datadir.h — where climrisk finds the files it ships (scenarios, SQL
 * migrations, boundaries, the web viewer).
 *
 * Looked up in order: $CLIMRISK_DATADIR; <dir of the executable>/../share/
 * climrisk (an installed tree); <dir of the executable>/.. (the source tree,
 * when running build/climrisk); the compiled-in PREFIX/share/climrisk. The
 * first directory holding scenarios/ wins. */
#ifndef CR_DATADIR_H
#define CR_DATADIR_H

#include <stddef.h>

#include "error.h"

int cr_datadir(char *out, size_t size, struct cr_err *err);

/* cr_datadir() joined with a relative path. */
int cr_datafile(const char *rel, char *out, size_t size, struct cr_err *err);

#endif
