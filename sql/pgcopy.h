/* pgcopy.h — rows streamed to PostgreSQL with COPY ... FROM STDIN (FORMAT
 * binary), and EWKB geometries for PostGIS columns.
 *
 * Why hand-written: libpq moves COPY data (PQputCopyData) but has no row
 * encoder, and PostgreSQL documents the binary COPY format (ref/copy.sgml,
 * "Binary Format": 11-byte signature, int32 flags, int32 header extension,
 * then per tuple an int16 field count and per field an int32 length and the
 * type's send representation, big-endian; trailer int16 -1) as the way to
 * feed it. Binary rows skip the server's text parsing, which is where a
 * text-mode loader such as ogr2ogr spends its time. Geometry fields are
 * PostGIS EWKB (liblwgeom lwin_wkb.c: byte order, type word with the SRID
 * flag 0x20000000, SRID, then WKB), which the geometry type's binary
 * receive function accepts.
 *
 * The encoder fills a buffer and hands it to libpq in 1 MiB pieces; the
 * buffer can also be used alone (conn NULL) to test the encoding. */
#ifndef CR_PGCOPY_H
#define CR_PGCOPY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../core/error.h"

#define CR_COPY_FLUSH_BYTES (1u << 20)

struct cr_copy {
    PGconn *conn; /* NULL: encode only (tests) */
    unsigned char *buf;
    size_t len, cap;
    uint64_t rows;
    uint64_t bytes_sent;
    int failed; /* sticky allocation or send failure */
    char what[128];
    /* Test hook: called once after the first buffer is sent (see
     * cr_copy_set_hook); used to pause a load mid-COPY deterministically. */
    void (*after_first_send)(void *arg);
    void *hook_arg;
};

/* Start `sql` (a COPY ... FROM STDIN (FORMAT binary) statement) on conn, or
 * only prepare the buffer when conn is NULL, and write the file header.
 * `what` names the table in error messages. */
int cr_copy_begin(struct cr_copy *c, PGconn *conn, const char *sql, const char *what,
                  struct cr_err *err);

void cr_copy_set_hook(struct cr_copy *c, void (*fn)(void *), void *arg);

/* Send the buffered bytes now (also done automatically past 1 MiB). */
int cr_copy_flush(struct cr_copy *c, struct cr_err *err);

/* Write the trailer, end the COPY and check the server's verdict. *rows
 * (may be NULL) receives the rows the server reports. Frees the buffer. */
int cr_copy_end(struct cr_copy *c, uint64_t *rows, struct cr_err *err);

/* Abandon the COPY (the server discards it and the statement fails, so the
 * transaction must be rolled back). Frees the buffer. */
void cr_copy_abort(struct cr_copy *c, const char *why);

/* Grow the buffer so n more bytes fit; 0 or -1 (sets c->failed). */
int cr_copy_reserve(struct cr_copy *c, size_t n);

/* --- field encoders (inline: the load loop calls them for every value) --- */

static inline void cr_be16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static inline void cr_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline void cr_be64(unsigned char *p, uint64_t v)
{
    cr_be32(p, (uint32_t)(v >> 32));
    cr_be32(p + 4, (uint32_t)v);
}

/* Begin a tuple of nfields fields; the caller then writes exactly nfields
 * fields. Reserves `payload` bytes for them (fields past it reserve on
 * their own), so fixed-width rows cost one check. */
static inline int cr_copy_tuple(struct cr_copy *c, int nfields, size_t payload)
{
    if (c->len + 2 + payload > c->cap && cr_copy_reserve(c, 2 + payload) != 0)
        return -1;
    cr_be16(c->buf + c->len, (uint16_t)nfields);
    c->len += 2;
    c->rows++;
    return 0;
}

/* Fixed-width fields: the caller reserved room through cr_copy_tuple. */
static inline void cr_copy_int2(struct cr_copy *c, int16_t v)
{
    unsigned char *p = c->buf + c->len;
    cr_be32(p, 2);
    cr_be16(p + 4, (uint16_t)v);
    c->len += 6;
}

static inline void cr_copy_int4(struct cr_copy *c, int32_t v)
{
    unsigned char *p = c->buf + c->len;
    cr_be32(p, 4);
    cr_be32(p + 4, (uint32_t)v);
    c->len += 8;
}

static inline void cr_copy_int8(struct cr_copy *c, int64_t v)
{
    unsigned char *p = c->buf + c->len;
    cr_be32(p, 8);
    cr_be64(p + 4, (uint64_t)v);
    c->len += 12;
}

static inline void cr_copy_float4(struct cr_copy *c, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    unsigned char *p = c->buf + c->len;
    cr_be32(p, 4);
    cr_be32(p + 4, bits);
    c->len += 8;
}

static inline void cr_copy_float8(struct cr_copy *c, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    unsigned char *p = c->buf + c->len;
    cr_be32(p, 8);
    cr_be64(p + 4, bits);
    c->len += 12;
}

static inline void cr_copy_bool(struct cr_copy *c, int v)
{
    unsigned char *p = c->buf + c->len;
    cr_be32(p, 1);
    p[4] = v ? 1 : 0;
    c->len += 5;
}

static inline void cr_copy_null(struct cr_copy *c)
{
    cr_be32(c->buf + c->len, 0xFFFFFFFFu);
    c->len += 4;
}

/* Variable-width fields reserve their own room. text: UTF-8 bytes, no
 * terminator (a NULL pointer writes SQL NULL). */
int cr_copy_text(struct cr_copy *c, const char *s);
/* Raw bytes (bytea, or a geometry's EWKB). */
int cr_copy_bytes(struct cr_copy *c, const void *data, size_t n);

/* Room for the next fixed-width fields past those reserved by
 * cr_copy_tuple; call before writing them. */
static inline int cr_copy_room(struct cr_copy *c, size_t n)
{
    return c->len + n > c->cap ? cr_copy_reserve(c, n) : 0;
}

/* Flush when the buffer passed the threshold; call between tuples. */
static inline int cr_copy_maybe_flush(struct cr_copy *c, struct cr_err *err)
{
    return c->len >= CR_COPY_FLUSH_BYTES ? cr_copy_flush(c, err) : CR_OK;
}

/* --- EWKB (little-endian, SRID flag) --- */

/* Size of the EWKB of a one-ring polygon of npoints (closed) points. */
#define CR_EWKB_POLYGON_SIZE(npoints) (1 + 4 + 4 + 4 + 4 + (size_t)(npoints)*16)
#define CR_EWKB_POINT_SIZE            (1 + 4 + 4 + 16)

/* An axis-aligned rectangle [x0,x1] x [y0,y1] as a closed 5-point polygon
 * (counter-clockwise from (x0,y0)); out holds CR_EWKB_POLYGON_SIZE(5). */
size_t cr_ewkb_rect(unsigned char *out, int srid, double x0, double y0, double x1, double y1);
size_t cr_ewkb_point(unsigned char *out, int srid, double x, double y);

/* Add the SRID to an ISO/OGC WKB (2-D) produced by another library: the
 * result (malloc'ed, *out_len bytes) is EWKB with the SRID on the outer
 * geometry. Fails on a malformed header or 3-D/measured types. */
int cr_ewkb_from_wkb(const unsigned char *wkb, size_t len, int srid, unsigned char **out,
                     size_t *out_len, struct cr_err *err);

#endif
