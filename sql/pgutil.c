/* pgutil.c — libpq helpers; see pgutil.h. */
#include "pgutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strutil.h"

int cr_pg_fail(PGconn *conn, const PGresult *res, const char *what, struct cr_err *err)
{
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = conn ? PQerrorMessage(conn) : "no connection";
    char text[CR_ERR_MSG_MAX];
    cr_strlcpy(text, msg, sizeof text);
    cr_trim(text);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return cr_err_set(err, CR_EEXTERNAL, "database error while %s: %s%s%s%s", what, text,
                      state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
}

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int cr_pg_connect(const char *dsn, const char *what, PGconn **conn, struct cr_err *err)
{
    char app[64];
    snprintf(app, sizeof app, "climrisk %s", what);
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {dsn, app, "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c)
        return cr_err_set(err, CR_EINTERNAL, "out of memory connecting to the database");
    if (PQstatus(c) != CONNECTION_OK) {
        char text[CR_ERR_MSG_MAX];
        cr_strlcpy(text, PQerrorMessage(c), sizeof text);
        cr_trim(text);
        PQfinish(c);
        *conn = NULL;
        return cr_err_set(err, CR_EEXTERNAL,
                          "cannot connect to the datamart database: %s (check [datamart] dsn, "
                          "CLIMRISK_DSN, or start the private server with 'climrisk db start')",
                          text);
    }
    /* Server notices (e.g. "relation already exists, skipping") are noise
     * for users; errors still come back through results. */
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    *conn = c;
    return CR_OK;
}

static int ok_status(ExecStatusType st)
{
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int cr_pg_exec(PGconn *conn, const char *sql, const char *what, struct cr_err *err)
{
    PGresult *r = PQexec(conn, sql);
    int rc = CR_OK;
    if (!r || !ok_status(PQresultStatus(r)))
        rc = cr_pg_fail(conn, r, what, err);
    PQclear(r);
    return rc;
}

int cr_pg_execp(PGconn *conn, const char *sql, int nparams, const char *const *params,
                PGresult **res, const char *what, struct cr_err *err)
{
    if (res)
        *res = NULL;
    PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!r || !ok_status(PQresultStatus(r))) {
        int rc = cr_pg_fail(conn, r, what, err);
        PQclear(r);
        return rc;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return CR_OK;
}

int cr_pg_query_text(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     char *out, size_t size, const char *what, struct cr_err *err)
{
    PGresult *r;
    int rc = cr_pg_execp(conn, sql, nparams, params, &r, what, err);
    if (rc)
        return rc;
    out[0] = '\0';
    if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        cr_strlcpy(out, PQgetvalue(r, 0, 0), size);
    PQclear(r);
    return CR_OK;
}

int cr_pg_query_long(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     long long *out, int *found, const char *what, struct cr_err *err)
{
    PGresult *r;
    int rc = cr_pg_execp(conn, sql, nparams, params, &r, what, err);
    if (rc)
        return rc;
    *found = 0;
    *out = 0;
    if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0)) {
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *found = 1;
    }
    PQclear(r);
    return CR_OK;
}

void cr_sb_init(struct cr_sb *b)
{
    memset(b, 0, sizeof *b);
}

void cr_sb_free(struct cr_sb *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

static int sb_reserve(struct cr_sb *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->failed = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void cr_sb_add(struct cr_sb *b, const char *text)
{
    size_t n = strlen(text);
    if (sb_reserve(b, n) != 0)
        return;
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

void cr_sb_addf(struct cr_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sb_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cr_sb_add_json(struct cr_sb *b, const char *text)
{
    cr_sb_add(b, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            esc[2] = '\0';
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        } else {
            esc[0] = (char)*p;
            esc[1] = '\0';
        }
        cr_sb_add(b, esc);
    }
    cr_sb_add(b, "\"");
}

int cr_sb_failed(const struct cr_sb *b)
{
    return b->failed || !b->s;
}
