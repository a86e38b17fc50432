/* strutil.h — strict parsing of the small values users type.
 *
 * Command-line options, config values and manifest fields all go through
 * these, so "12abc", "" or "1e999" are refused the same way everywhere
 * instead of silently becoming 12, 0 or inf (as atoi/atof would). */
#ifndef CR_STRUTIL_H
#define CR_STRUTIL_H

#include <stddef.h>

/* Each returns 0 on success and -1 when s is not entirely a valid value. */
int cr_parse_long(const char *s, long *out);
int cr_parse_double(const char *s, double *out);
int cr_parse_bool(const char *s, int *out); /* true/false, yes/no, on/off, 1/0 */
/* "1976-2005" or "1976" (a single year gives first == last). */
int cr_parse_year_range(const char *s, int *first, int *last);

/* A comma-separated list split into trimmed, non-empty items. */
struct cr_strlist {
    char **items;
    size_t n;
};
int cr_strlist_split(struct cr_strlist *l, const char *csv);
int cr_strlist_push(struct cr_strlist *l, const char *item);
int cr_strlist_contains(const struct cr_strlist *l, const char *item);
void cr_strlist_free(struct cr_strlist *l);

/* Trim leading and trailing blanks in place; returns s. */
char *cr_trim(char *s);
/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t cr_strlcpy(char *dst, const char *src, size_t size);
/* Case-insensitive ASCII equality. */
int cr_strieq(const char *a, const char *b);

#endif
