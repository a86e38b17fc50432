/* bytes.c — growable buffers, varints, gzip through zlib. */
#include "bytes.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../core/fsutil.h"

void cr_bytes_init(struct cr_bytes *b)
{
    memset(b, 0, sizeof *b);
}

void cr_bytes_free(struct cr_bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void cr_bytes_reset(struct cr_bytes *b)
{
    b->len = 0;
}

int cr_bytes_reserve(struct cr_bytes *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void cr_bytes_add(struct cr_bytes *b, const void *data, size_t len)
{
    if (len == 0 || cr_bytes_reserve(b, len) != 0)
        return;
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void cr_bytes_byte(struct cr_bytes *b, unsigned char c)
{
    if (cr_bytes_reserve(b, 1) != 0)
        return;
    b->p[b->len++] = c;
}

void cr_bytes_varint(struct cr_bytes *b, uint64_t v)
{
    if (cr_bytes_reserve(b, 10) != 0)
        return;
    while (v >= 0x80) {
        b->p[b->len++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (unsigned char)v;
}

void cr_bytes_le32(struct cr_bytes *b, uint32_t v)
{
    unsigned char t[4];
    for (int i = 0; i < 4; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    cr_bytes_add(b, t, 4);
}

void cr_bytes_le64(struct cr_bytes *b, uint64_t v)
{
    unsigned char t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    cr_bytes_add(b, t, 8);
}

int cr_bytes_failed(const struct cr_bytes *b)
{
    return b->failed;
}

size_t cr_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

int cr_bytes_gzip(const void *data, size_t len, int level, struct cr_bytes *out, struct cr_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return cr_err_set(err, CR_EINTERNAL, "zlib: deflateInit2 failed");
    uLong bound = deflateBound(&zs, (uLong)len) + 32;
    if (cr_bytes_reserve(out, bound) != 0) {
        deflateEnd(&zs);
        return cr_err_set(err, CR_EINTERNAL, "out of memory compressing %zu bytes", len);
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out->p + out->len;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        deflateEnd(&zs);
        return cr_err_set(err, CR_EINTERNAL, "zlib: deflate failed (%d)", rc);
    }
    out->len += zs.total_out;
    deflateEnd(&zs);
    return CR_OK;
}

int cr_bytes_gunzip(const void *data, size_t len, struct cr_bytes *out, struct cr_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 15 + 32: detect gzip or zlib headers */
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return cr_err_set(err, CR_EINTERNAL, "zlib: inflateInit2 failed");
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    int rc;
    do {
        if (cr_bytes_reserve(out, len * 2 + 1024) != 0) {
            inflateEnd(&zs);
            return cr_err_set(err, CR_EINTERNAL, "out of memory inflating");
        }
        zs.next_out = out->p + out->len;
        zs.avail_out = (uInt)(out->cap - out->len);
        size_t before = zs.total_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        out->len += zs.total_out - before;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            return cr_err_set(err, CR_EDATA, "zlib: corrupt compressed data (%d)", rc);
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return cr_err_set(err, CR_EDATA, "zlib: truncated compressed data");
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&zs);
    return CR_OK;
}

int cr_write_file_atomic(const char *path, const void *data, size_t len, struct cr_err *err)
{
    struct cr_atomic_file af;
    int rc = cr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        cr_atomic_abort(&af);
        return cr_err_set(err, CR_EINTERNAL, "cannot write %s (disk full?)", path);
    }
    return cr_atomic_commit(&af, err);
}
