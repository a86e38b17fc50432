/* dsn.h — PostgreSQL connection strings, handled without leaking secrets.
 *
 * A DSN may carry a password (`password=...` or a URI's user:pass@). It must
 * never reach a log line, a report, or another process's command line (where
 * `ps` shows it): log the redacted form, and hand connection parameters to
 * child programs (psql, ogr2ogr) through libpq's environment variables. */
#ifndef CR_DSN_H
#define CR_DSN_H

#include <stddef.h>

#include "../core/error.h"

/* The DSN with any password replaced by "***" (keyword and URI forms). */
void cr_dsn_redact(const char *dsn, char *out, size_t size);

/* Set PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, ... in this
 * process's environment from the DSN (for a child that inherits it). */
int cr_dsn_to_env(const char *dsn, struct cr_err *err);

#endif
