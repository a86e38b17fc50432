/* bytes.h — a growable byte buffer with the little encodings the tile
 * writers share: protobuf/LEB128 varints, zigzag, little-endian integers,
 * and gzip (zlib) compression.
 *
 * Allocation failures are sticky (like struct cr_sb in sql/pgutil.h): the
 * writers append freely and check cr_bytes_failed() once at the end. */
#ifndef CR_BYTES_H
#define CR_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

struct cr_bytes {
    unsigned char *p;
    size_t len, cap;
    int failed;
};

void cr_bytes_init(struct cr_bytes *b);
void cr_bytes_free(struct cr_bytes *b);
void cr_bytes_reset(struct cr_bytes *b); /* len = 0, keeps the memory */
int cr_bytes_reserve(struct cr_bytes *b, size_t extra);
void cr_bytes_add(struct cr_bytes *b, const void *data, size_t len);
void cr_bytes_byte(struct cr_bytes *b, unsigned char c);
/* Unsigned LEB128 (protobuf varint, PMTiles directory numbers). */
void cr_bytes_varint(struct cr_bytes *b, uint64_t v);
void cr_bytes_le32(struct cr_bytes *b, uint32_t v);
void cr_bytes_le64(struct cr_bytes *b, uint64_t v);
int cr_bytes_failed(const struct cr_bytes *b);

/* Bytes a varint of v takes. */
size_t cr_varint_size(uint64_t v);
static inline uint32_t cr_zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

/* Append the gzip (RFC 1952) compression of data to out, zlib level. */
int cr_bytes_gzip(const void *data, size_t len, int level, struct cr_bytes *out,
                  struct cr_err *err);
/* Inflate a gzip or zlib stream into out (tests, readers). */
int cr_bytes_gunzip(const void *data, size_t len, struct cr_bytes *out, struct cr_err *err);

/* Write data to path through a temporary file and a rename (fsutil.h). */
int cr_write_file_atomic(const char *path, const void *data, size_t len, struct cr_err *err);

#endif
