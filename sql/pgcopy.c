/* pgcopy.c — binary COPY encoder and EWKB writer; see pgcopy.h. */
#include "pgcopy.h"

#include <stdio.h>
#include <stdlib.h>

#include "../core/strutil.h"
#include "pgutil.h"

static const unsigned char copy_signature[11] = {'P',  'G',  'C',  'O',  'P', 'Y',
                                                 '\n', 0xFF, '\r', '\n', 0};

int cr_copy_reserve(struct cr_copy *c, size_t n)
{
    if (c->failed)
        return -1;
    if (c->len + n <= c->cap)
        return 0;
    size_t cap = c->cap ? c->cap : CR_COPY_FLUSH_BYTES + 65536;
    while (cap < c->len + n)
        cap *= 2;
    unsigned char *b = realloc(c->buf, cap);
    if (!b) {
        c->failed = 1;
        return -1;
    }
    c->buf = b;
    c->cap = cap;
    return 0;
}

int cr_copy_begin(struct cr_copy *c, PGconn *conn, const char *sql, const char *what,
                  struct cr_err *err)
{
    memset(c, 0, sizeof *c);
    c->conn = conn;
    cr_strlcpy(c->what, what, sizeof c->what);
    if (cr_copy_reserve(c, CR_COPY_FLUSH_BYTES + 65536) != 0)
        return cr_err_set(err, CR_EINTERNAL, "out of memory for the COPY buffer of %s", what);
    if (conn) {
        PGresult *r = PQexec(conn, sql);
        if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
            char doing[192];
            snprintf(doing, sizeof doing, "starting COPY into %s", what);
            int rc = cr_pg_fail(conn, r, doing, err);
            PQclear(r);
            free(c->buf);
            c->buf = NULL;
            return rc;
        }
        PQclear(r);
    }
    memcpy(c->buf, copy_signature, sizeof copy_signature);
    cr_be32(c->buf + 11, 0); /* flags: no OIDs */
    cr_be32(c->buf + 15, 0); /* no header extension */
    c->len = 19;
    return CR_OK;
}

void cr_copy_set_hook(struct cr_copy *c, void (*fn)(void *), void *arg)
{
    c->after_first_send = fn;
    c->hook_arg = arg;
}

int cr_copy_flush(struct cr_copy *c, struct cr_err *err)
{
    if (c->failed)
        return cr_err_set(err, CR_EINTERNAL, "out of memory encoding rows for %s", c->what);
    if (!c->conn || c->len == 0)
        return CR_OK; /* encode-only mode keeps the bytes for the caller */
    if (PQputCopyData(c->conn, (const char *)c->buf, (int)c->len) != 1) {
        char doing[192];
        snprintf(doing, sizeof doing, "sending rows to %s", c->what);
        c->failed = 1;
        return cr_pg_fail(c->conn, NULL, doing, err);
    }
    int first = c->bytes_sent == 0;
    c->bytes_sent += c->len;
    c->len = 0;
    if (first && c->after_first_send)
        c->after_first_send(c->hook_arg);
    return CR_OK;
}

int cr_copy_text(struct cr_copy *c, const char *s)
{
    if (!s) {
        if (cr_copy_room(c, 4) != 0)
            return -1;
        cr_copy_null(c);
        return 0;
    }
    return cr_copy_bytes(c, s, strlen(s));
}

int cr_copy_bytes(struct cr_copy *c, const void *data, size_t n)
{
    if (n > 0x7FFFFFFF || cr_copy_room(c, 4 + n) != 0) {
        c->failed = 1;
        return -1;
    }
    cr_be32(c->buf + c->len, (uint32_t)n);
    memcpy(c->buf + c->len + 4, data, n);
    c->len += 4 + n;
    return 0;
}

int cr_copy_end(struct cr_copy *c, uint64_t *rows, struct cr_err *err)
{
    int rc = CR_OK;
    if (rows)
        *rows = 0;
    if (c->failed || cr_copy_room(c, 2) != 0) {
        cr_copy_abort(c, "out of memory");
        return cr_err_set(err, CR_EINTERNAL, "out of memory encoding rows for %s", c->what);
    }
    cr_be16(c->buf + c->len, 0xFFFFu); /* trailer: field count -1 */
    c->len += 2;
    if (!c->conn) {
        if (rows)
            *rows = c->rows;
        return CR_OK; /* buffer kept for the caller (tests) */
    }
    if ((rc = cr_copy_flush(c, err)) != CR_OK) {
        cr_copy_abort(c, "send failed");
        return rc;
    }
    char doing[192];
    snprintf(doing, sizeof doing, "finishing COPY into %s", c->what);
    if (PQputCopyEnd(c->conn, NULL) != 1) {
        rc = cr_pg_fail(c->conn, NULL, doing, err);
    } else {
        PGresult *r;
        while ((r = PQgetResult(c->conn)) != NULL) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                if (rc == CR_OK)
                    rc = cr_pg_fail(c->conn, r, doing, err);
            } else if (rows) {
                *rows = strtoull(PQcmdTuples(r), NULL, 10);
            }
            PQclear(r);
        }
    }
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
    return rc;
}

void cr_copy_abort(struct cr_copy *c, const char *why)
{
    if (c->conn && PQtransactionStatus(c->conn) == PQTRANS_ACTIVE) {
        PQputCopyEnd(c->conn, why ? why : "aborted by climrisk");
        PGresult *r;
        while ((r = PQgetResult(c->conn)) != NULL)
            PQclear(r);
    }
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

/* --- EWKB --- */

static void le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void le_double(unsigned char *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    le32(p, (uint32_t)bits);
    le32(p + 4, (uint32_t)(bits >> 32));
}

#define EWKB_SRID_FLAG 0x20000000u

size_t cr_ewkb_rect(unsigned char *out, int srid, double x0, double y0, double x1, double y1)
{
    const double xs[5] = {x0, x1, x1, x0, x0};
    const double ys[5] = {y0, y0, y1, y1, y0};
    unsigned char *p = out;
    *p++ = 1; /* NDR */
    le32(p, 3u | EWKB_SRID_FLAG);
    le32(p + 4, (uint32_t)srid);
    le32(p + 8, 1); /* rings */
    le32(p + 12, 5);
    p += 16;
    for (int k = 0; k < 5; k++, p += 16) {
        le_double(p, xs[k]);
        le_double(p + 8, ys[k]);
    }
    return (size_t)(p - out);
}

size_t cr_ewkb_point(unsigned char *out, int srid, double x, double y)
{
    out[0] = 1;
    le32(out + 1, 1u | EWKB_SRID_FLAG);
    le32(out + 5, (uint32_t)srid);
    le_double(out + 9, x);
    le_double(out + 17, y);
    return CR_EWKB_POINT_SIZE;
}

int cr_ewkb_from_wkb(const unsigned char *wkb, size_t len, int srid, unsigned char **out,
                     size_t *out_len, struct cr_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (len < 5 || (wkb[0] != 0 && wkb[0] != 1))
        return cr_err_set(err, CR_EDATA, "malformed WKB geometry (%zu bytes)", len);
    uint32_t type;
    if (wkb[0] == 1)
        type = (uint32_t)wkb[1] | (uint32_t)wkb[2] << 8 | (uint32_t)wkb[3] << 16 |
               (uint32_t)wkb[4] << 24;
    else
        type = (uint32_t)wkb[4] | (uint32_t)wkb[3] << 8 | (uint32_t)wkb[2] << 16 |
               (uint32_t)wkb[1] << 24;
    if (type < 1 || type > 7)
        return cr_err_set(err, CR_EDATA,
                          "unsupported WKB geometry type %u (only 2-D point, line, polygon and "
                          "their multi/collection types)",
                          type);
    unsigned char *e = malloc(len + 4);
    if (!e)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    e[0] = wkb[0];
    uint32_t ewkb_type = type | EWKB_SRID_FLAG;
    if (wkb[0] == 1) {
        le32(e + 1, ewkb_type);
        le32(e + 5, (uint32_t)srid);
    } else {
        cr_be32(e + 1, ewkb_type);
        cr_be32(e + 5, (uint32_t)srid);
    }
    memcpy(e + 9, wkb + 5, len - 5);
    *out = e;
    *out_len = len + 4;
    return CR_OK;
}
