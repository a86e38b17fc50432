/* fuzz_http.c — what the tile server parses from a client before trusting
 * it (tiles/http_util.h): percent-decoding, relative paths, Range headers,
 * z/x/y tile coordinates, code parameters, Accept-Encoding, If-None-Match,
 * HTTP dates. Input: a selector byte, then the text. Each parser's
 * documented contract is checked on what it accepts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/http_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tile(const char *s)
{
    int z = -1;
    uint32_t x = 0, y = 0;
    char ext[9];
    int rc = cr_http_parse_tile(s, &z, &x, &y, ext, sizeof ext);
    if (rc == 0) {
        if (z < 0 || z > 24 || x >= (1u << z) || y >= (1u << z))
            abort();
        size_t n = strlen(ext);
        if (n < 1 || n > 8)
            abort();
        for (size_t i = 0; i < n; i++)
            if (ext[i] < 'a' || ext[i] > 'z')
                abort();
        /* strict decimal, no leading zeros: printing gives the input back */
        char back[64];
        snprintf(back, sizeof back, "%d/%u/%u.%s", z, x, y, ext);
        if (strcmp(back, s) != 0)
            abort();
    } else if (rc != -1 && rc != -2) {
        abort();
    }
}

static void check_range(const char *s, uint64_t size)
{
    uint64_t start = 0, len = 0;
    enum cr_range_kind k = cr_http_parse_range(s, size, &start, &len);
    if (k == CR_RANGE_OK && (len == 0 || start >= size || len > size - start))
        abort();
    if (k != CR_RANGE_OK && k != CR_RANGE_NONE && k != CR_RANGE_UNSATISFIABLE)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 8) {
    case 0: { /* decoding never grows, never leaves a control byte */
        size_t before = strlen(s);
        size_t n = cr_http_unescape(s);
        if (n > before || strlen(s) != n)
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20)
                abort();
        if (cr_http_safe_relpath(s) && (s[0] == '/' || strstr(s, "..") == s || strstr(s, "/../") ||
                                        strstr(s, "//") || strchr(s, '\\') || strlen(s) > 1024))
            abort();
        break;
    }
    case 1:
        if (cr_http_safe_relpath(s) &&
            (s[0] == '/' || s[0] == '.' || strstr(s, "/.") || strstr(s, "//") || strchr(s, '\\') ||
             strchr(s, 0x7f) || strlen(s) > 1024 || s[strlen(s) - 1] == '/'))
            abort();
        break;
    case 2:
        check_range(s, 0);
        check_range(s, 1);
        check_range(s, 1000);
        check_range(s, UINT64_MAX);
        break;
    case 3:
        check_tile(s);
        break;
    case 4:
        if (cr_http_token_ok(s, 64)) {
            size_t n = strlen(s);
            if (n < 1 || n > 64 ||
                strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789_.-") != n)
                abort();
        }
        break;
    case 5:
        (void)cr_http_accepts_gzip(s);
        break;
    case 6:
        (void)cr_http_etag_matches(s, "\"abc123\"");
        if (cr_http_etag_matches("*", "\"x\"") != 1)
            abort();
        break;
    case 7: { /* a date that parses prints back to itself */
        long long t = cr_http_parse_date(s);
        if (t >= 0 && t < 253402300800LL) { /* before year 10000 */
            char out[32];
            cr_http_date(t, out);
            if (cr_http_parse_date(out) != t)
                abort();
        }
        break;
    }
    }
    free(s);
    return 0;
}
