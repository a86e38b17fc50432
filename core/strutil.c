/* strutil.c — strict value parsing and string lists; see strutil.h. */
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cr_parse_long(const char *s, long *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cr_parse_double(const char *s, double *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int cr_parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"};
    static const char *no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (cr_strieq(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (cr_strieq(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int cr_parse_year_range(const char *s, int *first, int *last)
{
    char buf[64];
    if (cr_strlcpy(buf, s, sizeof buf) >= sizeof buf)
        return -1;
    char *dash = strchr(buf + 1, '-'); /* +1: never take a sign for the dash */
    long a, b;
    if (dash) {
        *dash = '\0';
        if (cr_parse_long(cr_trim(buf), &a) || cr_parse_long(cr_trim(dash + 1), &b))
            return -1;
    } else {
        if (cr_parse_long(cr_trim(buf), &a))
            return -1;
        b = a;
    }
    if (a < 1 || b < a || b > 9999)
        return -1;
    *first = (int)a;
    *last = (int)b;
    return 0;
}

int cr_strlist_push(struct cr_strlist *l, const char *item)
{
    char **bigger = realloc(l->items, (l->n + 1) * sizeof *bigger);
    if (!bigger)
        return -1;
    l->items = bigger;
    l->items[l->n] = strdup(item);
    if (!l->items[l->n])
        return -1;
    l->n++;
    return 0;
}

int cr_strlist_split(struct cr_strlist *l, const char *csv)
{
    l->items = NULL;
    l->n = 0;
    char *copy = strdup(csv ? csv : "");
    if (!copy)
        return -1;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *t = cr_trim(tok);
        if (*t && cr_strlist_push(l, t) != 0) {
            free(copy);
            cr_strlist_free(l);
            return -1;
        }
    }
    free(copy);
    return 0;
}

int cr_strlist_contains(const struct cr_strlist *l, const char *item)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], item) == 0)
            return 1;
    return 0;
}

void cr_strlist_free(struct cr_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

char *cr_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

size_t cr_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size > 0) {
        size_t m = n < size - 1 ? n : size - 1;
        memcpy(dst, src, m);
        dst[m] = '\0';
    }
    return n;
}

int cr_strieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}
