/* url.c — source classification, file URLs and redaction; see url.h. */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Length of "scheme" when url starts with "scheme://", else 0. */
static size_t scheme_len(const char *url)
{
    size_t i = 0;
    if (!isalpha((unsigned char)url[0]))
        return 0;
    while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.')
        i++;
    return strncmp(url + i, "://", 3) == 0 ? i : 0;
}

enum cr_url_kind cr_url_kind(const char *url)
{
    size_t n = scheme_len(url);
    if (n == 0)
        return CR_URL_PATH;
    if ((n == 4 && strncasecmp(url, "http", 4) == 0) ||
        (n == 5 && strncasecmp(url, "https", 5) == 0))
        return CR_URL_HTTP;
    if (n == 4 && strncasecmp(url, "file", 4) == 0)
        return CR_URL_FILE;
    return CR_URL_OTHER;
}

/* The authority of a URL: [start, end) after "scheme://" up to '/', '?' or '#'. */
static void authority(const char *url, const char **start, const char **end)
{
    size_t n = scheme_len(url);
    *start = *end = url;
    if (n == 0)
        return;
    *start = url + n + 3;
    *end = *start + strcspn(*start, "/?#");
}

int cr_url_has_userinfo(const char *url)
{
    const char *a, *b;
    authority(url, &a, &b);
    for (const char *p = a; p < b; p++)
        if (*p == '@')
            return 1;
    return 0;
}

static int secret_name(const char *name, size_t len)
{
    static const char *const words[] = {"token",  "key",  "sig",        "pass",
                                        "secret", "auth", "credential", "session"};
    char low[64];
    if (len >= sizeof low)
        len = sizeof low - 1;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[len] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(low, words[i]))
            return 1;
    return 0;
}

struct sink {
    char *out;
    size_t size, n;
};

static void put(struct sink *s, const char *p, size_t len)
{
    for (size_t i = 0; i < len && s->n + 1 < s->size; i++)
        s->out[s->n++] = p[i];
    s->out[s->n] = '\0';
}

void cr_url_redact(const char *url, char *out, size_t size)
{
    if (size == 0)
        return;
    struct sink s = {out, size, 0};
    out[0] = '\0';
    const char *a, *b;
    authority(url, &a, &b);
    const char *rest = url;
    if (a != b || a != url) {
        const char *at = NULL;
        for (const char *p = a; p < b; p++)
            if (*p == '@')
                at = p;
        put(&s, url, (size_t)(a - url));
        rest = at ? at + 1 : a;
    }
    const char *q = strchr(rest, '?');
    if (!q) {
        put(&s, rest, strlen(rest));
        return;
    }
    put(&s, rest, (size_t)(q - rest) + 1);
    const char *frag = strchr(q, '#');
    const char *qend = frag ? frag : q + strlen(q);
    for (const char *p = q + 1; p < qend;) {
        const char *amp = memchr(p, '&', (size_t)(qend - p));
        const char *end = amp ? amp : qend;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq && secret_name(p, (size_t)(eq - p))) {
            put(&s, p, (size_t)(eq - p) + 1);
            put(&s, "REDACTED", 8);
        } else {
            put(&s, p, (size_t)(end - p));
        }
        if (amp)
            put(&s, "&", 1);
        p = amp ? amp + 1 : qend;
    }
    if (frag)
        put(&s, frag, strlen(frag));
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Percent-decode [p, end) into out. */
static int decode(const char *p, const char *end, char *out, size_t size)
{
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '%' && end - p >= 2 && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
            c = hexval(p[0]) * 16 + hexval(p[1]);
            p += 2;
        }
        if (c == '\0' || n + 1 >= size)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

int cr_file_url_path(const char *url, char *out, size_t size)
{
    if (cr_url_kind(url) != CR_URL_FILE)
        return -1;
    const char *a, *b;
    authority(url, &a, &b);
    if (b != a && !((size_t)(b - a) == 9 && strncasecmp(a, "localhost", 9) == 0))
        return -1; /* file://otherhost/... is not a local file */
    if (*b != '/')
        return -1;
    const char *end = b + strcspn(b, "?#");
    return decode(b, end, out, size);
}

int cr_url_basename(const char *url, char *out, size_t size)
{
    if (cr_url_kind(url) == CR_URL_PATH) {
        const char *slash = strrchr(url, '/');
        const char *seg = slash ? slash + 1 : url;
        if (*seg == '\0' || strlen(seg) >= size)
            return -1;
        strcpy(out, seg);
        return 0;
    }
    const char *path, *a;
    authority(url, &a, &path);
    const char *end = path + strcspn(path, "?#");
    const char *seg = end;
    while (seg > path && seg[-1] != '/')
        seg--;
    if (seg == end)
        return -1;
    return decode(seg, end, out, size);
}
