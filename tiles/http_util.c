/* http_util.c — request parsing and gzip for the tile server; see
 * http_util.h. */
#include "http_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t cr_http_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        unsigned char c = (unsigned char)*r;
        if (c == '%') {
            int hi = r[1] ? hexval((unsigned char)r[1]) : -1;
            int lo = (hi >= 0 && r[2]) ? hexval((unsigned char)r[2]) : -1;
            if (hi < 0 || lo < 0) {
                *w++ = 0x7f;
                r++;
                continue;
            }
            c = (unsigned char)(hi * 16 + lo);
            r += 3;
        } else {
            r++;
        }
        *w++ = (char)((c < 0x20 || c == 0x7f) ? 0x7f : c);
    }
    *w = '\0';
    return (size_t)(w - s);
}

int cr_http_safe_relpath(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n > 1024)
        return 0;
    const char *seg = rel;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)rel[i];
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(rel + i - seg);
            if (len == 0 || seg[0] == '.')
                return 0; /* "", ".", "..", hidden files */
            seg = rel + i + 1;
            continue;
        }
        if (c < 0x20 || c == 0x7f || c == '\\')
            return 0;
    }
    return 1;
}

/* Strict unsigned decimal: digits only, at most 19 of them. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

enum cr_range_kind cr_http_parse_range(const char *hdr, uint64_t size, uint64_t *start,
                                       uint64_t *len)
{
    if (!hdr)
        return CR_RANGE_NONE;
    while (*hdr == ' ')
        hdr++;
    if (strncasecmp(hdr, "bytes=", 6) != 0)
        return CR_RANGE_UNSATISFIABLE;
    const char *spec = hdr + 6;
    while (*spec == ' ')
        spec++;
    size_t n = strlen(spec);
    while (n > 0 && spec[n - 1] == ' ')
        n--;
    if (memchr(spec, ',', n))
        return CR_RANGE_NONE; /* several ranges: RFC 9110 lets us send the whole */
    const char *dash = memchr(spec, '-', n);
    if (!dash)
        return CR_RANGE_UNSATISFIABLE;
    size_t na = (size_t)(dash - spec), nb = n - na - 1;
    uint64_t a, b;
    if (na == 0) { /* suffix: the last b bytes */
        if (parse_u64(dash + 1, nb, &b) != 0 || b == 0 || size == 0)
            return CR_RANGE_UNSATISFIABLE;
        if (b > size)
            b = size;
        *start = size - b;
        *len = b;
        return CR_RANGE_OK;
    }
    if (parse_u64(spec, na, &a) != 0 || a >= size)
        return CR_RANGE_UNSATISFIABLE;
    if (nb == 0) {
        b = size - 1;
    } else {
        if (parse_u64(dash + 1, nb, &b) != 0 || b < a)
            return CR_RANGE_UNSATISFIABLE;
        if (b >= size)
            b = size - 1;
    }
    *start = a;
    *len = b - a + 1;
    return CR_RANGE_OK;
}

int cr_http_parse_tile(const char *s, int *z, uint32_t *x, uint32_t *y, char *ext, size_t ext_size)
{
    uint64_t v[3];
    const char *p = s;
    for (int k = 0; k < 3; k++) {
        const char *e = p;
        while (*e >= '0' && *e <= '9')
            e++;
        size_t n = (size_t)(e - p);
        if (n == 0 || n > 10 || (n > 1 && p[0] == '0'))
            return -1;
        if (parse_u64(p, n, &v[k]) != 0)
            return -1;
        if (*e != (k < 2 ? '/' : '.'))
            return -1;
        p = e + 1;
    }
    size_t ne = strlen(p);
    if (ne == 0 || ne > 8 || ne >= ext_size)
        return -1;
    for (size_t i = 0; i < ne; i++)
        if (p[i] < 'a' || p[i] > 'z')
            return -1;
    if (v[0] > 24 || v[1] >= (1ull << v[0]) || v[2] >= (1ull << v[0]))
        return -2;
    *z = (int)v[0];
    *x = (uint32_t)v[1];
    *y = (uint32_t)v[2];
    memcpy(ext, p, ne + 1);
    return 0;
}

int cr_http_token_ok(const char *s, size_t max_len)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
        if (n >= max_len)
            return 0;
    }
    return n > 0;
}

/* q-value of one Accept-Encoding item ("gzip;q=0.5"): 1000 * q. */
static int qvalue(const char *params, size_t n)
{
    const char *q = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
            q = params + i + 2;
            break;
        }
    if (!q)
        return 1000;
    if (q[0] == '1')
        return 1000;
    if (q[0] != '0')
        return 0;
    int v = 0, scale = 100;
    for (const char *c = q + 1; c < params + n && *c != ';' && *c != ' '; c++) {
        if (*c == '.')
            continue;
        if (*c < '0' || *c > '9')
            break;
        v += (*c - '0') * scale;
        scale /= 10;
    }
    return v;
}

int cr_http_accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    int star = -1, gzip = -1;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        size_t tok = 0;
        while (tok < n && p[tok] != ';' && p[tok] != ' ')
            tok++;
        int q = qvalue(p + tok, n - tok);
        if ((tok == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (tok == 6 && strncasecmp(p, "x-gzip", 6) == 0))
            gzip = q;
        else if (tok == 1 && p[0] == '*')
            star = q;
        p += n;
    }
    if (gzip >= 0)
        return gzip > 0;
    return star > 0;
}

int cr_http_etag_matches(const char *inm, const char *etag)
{
    if (!inm || !etag)
        return 0;
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n == elen && memcmp(p, etag, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static const char *wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void cr_http_date(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

long long cr_http_parse_date(const char *s)
{
    if (!s)
        return -1;
    char wd[4], mon[4];
    int d, y, hh, mm, ss;
    if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d GMT", wd, &d, mon, &y, &hh, &mm, &ss) != 7)
        return -1;
    int m = -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            m = i;
    if (m < 0 || d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 || mm > 59 || ss > 60)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return (long long)timegm(&tm);
}

int cr_gzip(const void *in, size_t n, int level, unsigned char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong cap = deflateBound(&zs, (uLong)n);
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&zs);
        return -1;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    size_t len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int cr_gunzip(const void *in, size_t n, size_t max_out, unsigned char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) /* +32: gzip or zlib header */
        return -1;
    size_t cap = n * 4 + 1024;
    if (cap > max_out)
        cap = max_out;
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf) {
        inflateEnd(&zs);
        return -1;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    int rc;
    for (;;) {
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            break;
        if (zs.avail_out == 0) {
            if (cap >= max_out) {
                rc = Z_MEM_ERROR;
                break;
            }
            size_t ncap = cap * 2 > max_out ? max_out : cap * 2;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = Z_MEM_ERROR;
                break;
            }
            buf = nb;
            cap = ncap;
        } else if (rc == Z_BUF_ERROR) {
            break; /* truncated input */
        }
    }
    size_t len = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int cr_is_gzip(const void *buf, size_t n)
{
    const unsigned char *b = buf;
    return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}
