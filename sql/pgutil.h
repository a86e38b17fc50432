/* pgutil.h — small libpq helpers shared by the datamart modules.
 *
 * Every datamart step (migrations, seeding, loading, grants) talks to the
 * server through these few calls so that a failed statement always becomes a
 * CR_EEXTERNAL error carrying the server's message and the statement's
 * purpose, and so that results are always freed. libpq itself is the
 * interface; nothing here hides it (callers still hold a PGconn *). */
#ifndef CR_PGUTIL_H
#define CR_PGUTIL_H

#include <libpq-fe.h>
#include <stddef.h>

#include "../core/error.h"

/* Connect (blocking) with a UTF8 client encoding and an application_name
 * of "climrisk <what>"; on failure *conn is NULL. */
int cr_pg_connect(const char *dsn, const char *what, PGconn **conn, struct cr_err *err);

/* Run one or more statements without parameters (simple query protocol).
 * `what` names the step in the error message ("creating the grid"). */
int cr_pg_exec(PGconn *conn, const char *sql, const char *what, struct cr_err *err);

/* Run one statement with text parameters (NULL entries are SQL NULL). When
 * res is not NULL it receives the result (PQclear it); otherwise the result
 * is freed. Accepts PGRES_COMMAND_OK and PGRES_TUPLES_OK. */
int cr_pg_execp(PGconn *conn, const char *sql, int nparams, const char *const *params,
                PGresult **res, const char *what, struct cr_err *err);

/* First column of the first row as text into out ("" when no row or NULL). */
int cr_pg_query_text(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     char *out, size_t size, const char *what, struct cr_err *err);

/* Same as a long; *found is 0 when there was no row or the value was NULL. */
int cr_pg_query_long(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     long long *out, int *found, const char *what, struct cr_err *err);

/* Turn a failed result (or a connection error when res is NULL) into err. */
int cr_pg_fail(PGconn *conn, const PGresult *res, const char *what, struct cr_err *err);

/* A growable NUL-terminated string, for building SQL and JSON. Allocation
 * failures are sticky: cr_sb_failed() tells, and the text stays valid. */
struct cr_sb {
    char *s;
    size_t len, cap;
    int failed;
};
void cr_sb_init(struct cr_sb *b);
void cr_sb_free(struct cr_sb *b);
void cr_sb_add(struct cr_sb *b, const char *text);
void cr_sb_addf(struct cr_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append text as a JSON string literal (quotes and escapes included). */
void cr_sb_add_json(struct cr_sb *b, const char *text);
int cr_sb_failed(const struct cr_sb *b);

#endif
