/* fuzz_manifest.c — the download manifest parser (ingest/manifest.h): the
 * text a user or a data portal's order page gives `climrisk fetch`. Any
 * input either parses into entries that satisfy the documented invariants,
 * or fails with a message naming the manifest; printing the entries (fetch
 * --dry-run) must not leak credentials the URLs held. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_hex64(const char *s)
{
    if (!*s)
        return 1; /* not given */
    if (strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct cr_manifest m;
    cr_manifest_init(&m);
    struct cr_err err;
    cr_err_clear(&err);
    int rc = cr_manifest_parse(&m, text, "fuzz.tsv", "/base", &err);
    if (rc != CR_OK && rc != CR_EINTERNAL && strstr(err.msg, "fuzz.tsv") == NULL)
        abort(); /* an error must say where */
    if (rc == CR_OK) {
        for (size_t i = 0; i < m.n; i++) {
            const struct cr_manifest_entry *e = &m.e[i];
            if (!e->src[0] || !e->name[0] || strchr(e->name, '/') || !is_hex64(e->sha256) ||
                e->size < -1 || e->line < 1)
                abort();
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        if (out) {
            cr_manifest_print(&m, out);
            fclose(out);
            /* the "user:password@" of a URL is never printed back: the
             * authority of each line's URL (after its first "://", up to
             * '/', '?', '#' or a blank) has no userinfo (before its last
             * '@') holding the password */
            for (const char *line = buf; line && *line;) {
                size_t llen = strcspn(line, "\n");
                size_t ulen = strcspn(line, " \t\r\n");
                const char *sep = strstr(line, "://");
                if (sep && (size_t)(sep - line) < ulen) {
                    const char *a = sep + 3;
                    size_t alen = strcspn(a, "/?# \t\r\n");
                    const char *at = NULL;
                    for (size_t k = 0; k < alen; k++)
                        if (a[k] == '@')
                            at = a + k;
                    const char *hit = strstr(a, "fuzzsecret");
                    if (at && hit && hit < at)
                        abort();
                }
                line += llen + (line[llen] == '\n');
            }
            free(buf);
        }
    }
    cr_manifest_free(&m);
    free(text);
    return 0;
}
