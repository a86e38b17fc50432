/* http_util.h — the parsing and checking the tile server does on what a
 * client sends: URL paths, Range headers, tile coordinates, parameters,
 * content negotiation; plus gzip through zlib.
 *
 * Everything here is a pure function of its inputs (no I/O, no globals) so
 * that unit tests and the libFuzzer target (fuzz/fuzz_http.c) can hammer it
 * with hostile input: the server trusts nothing a client sends until one of
 * these has accepted it. */
#ifndef CR_HTTP_UTIL_H
#define CR_HTTP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Percent-decode s in place (MHD's unescape callback; used for the path
 * and the query arguments). Bytes that decode to a control character
 * (NUL included) or a malformed escape become 0x7f, which every checker
 * below refuses, so "%00" can never truncate a path. Returns the new
 * length. */
size_t cr_http_unescape(char *s);

/* Is rel (a decoded path relative to a served folder, no leading '/') safe
 * to join to that folder: non-empty, at most 1024 bytes, segments separated
 * by single '/', no segment "", "." or "..", none starting with '.' (hidden
 * files), no backslash, no control byte or 0x7f. 1 = safe. The caller still
 * checks with realpath() that the file lies inside the folder (symlinks). */
int cr_http_safe_relpath(const char *rel);

/* Range request against a resource of `size` bytes. */
enum cr_range_kind {
    CR_RANGE_NONE = 0,          /* no header or ignorable (several ranges): send all */
    CR_RANGE_OK = 1,            /* one satisfiable range: 206 */
    CR_RANGE_UNSATISFIABLE = 2, /* malformed or outside the resource: 416 */
};
/* Parse a Range header value ("bytes=a-b", "bytes=a-", "bytes=-n"). */
enum cr_range_kind cr_http_parse_range(const char *hdr, uint64_t size, uint64_t *start,
                                       uint64_t *len);

/* "z/x/y.ext" (the part of a tile URL after the layer): strict decimal
 * integers without sign or leading zeros, 0 <= z <= 24, 0 <= x, y < 2^z, ext
 * of 1..8 lowercase letters. Returns 0 and fills the outputs, -1 when
 * malformed, -2 when the numbers are out of range. */
int cr_http_parse_tile(const char *s, int *z, uint32_t *x, uint32_t *y, char *ext, size_t ext_size);

/* A code parameter (indicator, scenario, ...): 1..max_len bytes of
 * [A-Za-z0-9_.-]. 1 = valid. */
int cr_http_token_ok(const char *s, size_t max_len);

/* Does an Accept-Encoding header accept gzip (gzip, x-gzip or '*' with a
 * q-value above 0)? */
int cr_http_accepts_gzip(const char *accept_encoding);

/* Does an If-None-Match header match etag (a quoted strong tag; weak
 * comparison as RFC 9110 asks for GET; '*' matches)? */
int cr_http_etag_matches(const char *if_none_match, const char *etag);

/* RFC 7231 IMF-fixdate of t ("Sun, 06 Nov 1994 08:49:37 GMT"), and its
 * parse (-1 when malformed). */
void cr_http_date(long long t, char out[32]);
long long cr_http_parse_date(const char *s);

/* gzip (RFC 1952) of in[0..n) into a malloc'ed buffer. 0 on success. */
int cr_gzip(const void *in, size_t n, int level, unsigned char **out, size_t *out_len);
/* Inflate a gzip or zlib stream; refuses output above max_out bytes (a
 * decompression bomb guard). 0 on success. */
int cr_gunzip(const void *in, size_t n, size_t max_out, unsigned char **out, size_t *out_len);
/* Does the buffer start with the gzip magic? */
int cr_is_gzip(const void *buf, size_t n);

#endif
