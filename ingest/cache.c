/* cache.c — the fetch cache's index, object names, link tree and lookup;
 * see cache.h. The index is a tab-separated text file so that operators can
 * read it with cut/awk and so that a half-broken cache can be repaired by
 * hand. */
#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/strutil.h"
#include "dsname.h"

#define INDEX_NAME  "index.tsv"
#define INDEX_MAGIC "# climrisk fetch index v1"
#define NCOLS       11

static const char *const columns[NCOLS] = {"model", "scenario", "variable", "period",
                                           "kind",  "size",     "sha256",   "name",
                                           "path",  "source",   "stamp"};

void cr_cache_free(struct cr_cache *c)
{
    free(c->e);
    c->e = NULL;
    c->n = c->cap = 0;
}

static int set_path(const struct cr_cache *c, struct cr_cache_entry *e)
{
    if (strcmp(e->kind, "opendap") == 0)
        return cr_strlcpy(e->path, e->rel, sizeof e->path) < sizeof e->path ? 0 : -1;
    return cr_path_join(e->path, sizeof e->path, c->dir, e->rel);
}

static int same_key(const struct cr_cache_entry *a, const struct cr_cache_entry *b)
{
    return strcmp(a->model, b->model) == 0 && strcmp(a->scenario, b->scenario) == 0 &&
           strcmp(a->variable, b->variable) == 0 && strcmp(a->name, b->name) == 0;
}

static int same_entry(const struct cr_cache_entry *a, const struct cr_cache_entry *b)
{
    return same_key(a, b) && strcmp(a->period, b->period) == 0 && strcmp(a->kind, b->kind) == 0 &&
           a->size == b->size && strcmp(a->sha256, b->sha256) == 0 &&
           strcmp(a->source, b->source) == 0 && strcmp(a->stamp, b->stamp) == 0 &&
           strcmp(a->rel, b->rel) == 0;
}

int cr_cache_put(struct cr_cache *c, const struct cr_cache_entry *e, int *changed,
                 struct cr_err *err)
{
    if (changed)
        *changed = 1;
    struct cr_cache_entry copy = *e;
    if (set_path(c, &copy) != 0)
        return cr_err_set(err, CR_EUSAGE, "cache path too long in %s", c->dir);
    const char *fields[] = {copy.model, copy.scenario, copy.variable, copy.period,
                            copy.name,  copy.source,   copy.rel};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strpbrk(fields[i], "\t\n\r"))
            return cr_err_set(err, CR_EDATA,
                              "'%s' holds a tab or newline, which the cache index cannot store",
                              fields[i]);
    for (size_t i = 0; i < c->n; i++) {
        if (same_key(&c->e[i], &copy)) {
            if (changed)
                *changed = !same_entry(&c->e[i], &copy);
            c->e[i] = copy;
            return CR_OK;
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct cr_cache_entry *bigger = realloc(c->e, cap * sizeof *bigger);
        if (!bigger)
            return cr_err_set(err, CR_EINTERNAL, "out of memory (cache index)");
        c->e = bigger;
        c->cap = cap;
    }
    c->e[c->n++] = copy;
    return CR_OK;
}

static int copy_field(char *dst, size_t size, const char *src)
{
    if (strcmp(src, "-") == 0)
        src = "";
    return cr_strlcpy(dst, src, size) < size ? 0 : -1;
}

static int parse_line(struct cr_cache_entry *e, char *line)
{
    char *f[NCOLS];
    size_t n = 0;
    for (char *p = line; n < NCOLS; n++) {
        f[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            n++;
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    if (n != NCOLS || strchr(f[NCOLS - 1], '\t'))
        return -1;
    memset(e, 0, sizeof *e);
    long size;
    if (copy_field(e->model, sizeof e->model, f[0]) ||
        copy_field(e->scenario, sizeof e->scenario, f[1]) ||
        copy_field(e->variable, sizeof e->variable, f[2]) ||
        copy_field(e->period, sizeof e->period, f[3]) ||
        copy_field(e->kind, sizeof e->kind, f[4]) ||
        copy_field(e->sha256, sizeof e->sha256, f[6]) ||
        copy_field(e->name, sizeof e->name, f[7]) || copy_field(e->rel, sizeof e->rel, f[8]) ||
        copy_field(e->source, sizeof e->source, f[9]) ||
        copy_field(e->stamp, sizeof e->stamp, f[10]))
        return -1;
    if (strcmp(f[5], "-") == 0)
        e->size = -1;
    else if (cr_parse_long(f[5], &size) == 0 && size >= 0)
        e->size = size;
    else
        return -1;
    if (strcmp(e->kind, "file") != 0 && strcmp(e->kind, "opendap") != 0)
        return -1;
    if (strchr(e->name, '/') || strcmp(e->name, "..") == 0 || strchr(e->model, '/') ||
        strchr(e->variable, '/'))
        return -1; /* would place links outside by-sim/ */
    if (strcmp(e->kind, "file") == 0 && (strlen(e->sha256) != 64 || e->size < 0))
        return -1;
    return e->model[0] && e->scenario[0] && e->variable[0] && e->name[0] && e->rel[0] ? 0 : -1;
}

int cr_cache_load(struct cr_cache *c, const char *dir, struct cr_err *err)
{
    memset(c, 0, sizeof *c);
    if (cr_strlcpy(c->dir, dir, sizeof c->dir) >= sizeof c->dir)
        return cr_err_set(err, CR_EUSAGE, "cache directory path too long: %s", dir);
    char path[CR_PATH_MAX];
    if (cr_path_join(path, sizeof path, dir, INDEX_NAME) != 0)
        return cr_err_set(err, CR_EUSAGE, "cache directory path too long: %s", dir);
    if (!cr_file_exists(path))
        return CR_OK;
    char *text;
    int rc = cr_read_file(path, &text, NULL, err);
    if (rc)
        return rc;
    int lineno = 0;
    for (char *p = text; *p && rc == CR_OK;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (lineno == 1 && strcmp(p, INDEX_MAGIC) != 0)
            rc = cr_err_set(err, CR_EDATA,
                            "%s is not a climrisk fetch index (first line should be '%s')", path,
                            INDEX_MAGIC);
        else if (*p && *p != '#') {
            struct cr_cache_entry e;
            if (parse_line(&e, p) != 0)
                rc = cr_err_set(err, CR_EDATA,
                                "%s:%d: malformed index line (expected %d tab-separated fields); "
                                "fix or delete the line and rerun climrisk fetch",
                                path, lineno, NCOLS);
            else
                rc = cr_cache_put(c, &e, NULL, err);
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(text);
    if (rc)
        cr_cache_free(c);
    return rc;
}

static int by_key(const void *a, const void *b)
{
    const struct cr_cache_entry *x = a, *y = b;
    int r;
    if ((r = strcmp(x->model, y->model)) || (r = strcmp(x->scenario, y->scenario)) ||
        (r = strcmp(x->variable, y->variable)) || (r = strcmp(x->period, y->period)))
        return r;
    return strcmp(x->name, y->name);
}

static const char *dash(const char *s)
{
    return *s ? s : "-";
}

int cr_cache_save(const struct cr_cache *c, struct cr_err *err)
{
    char path[CR_PATH_MAX];
    if (cr_path_join(path, sizeof path, c->dir, INDEX_NAME) != 0)
        return cr_err_set(err, CR_EUSAGE, "cache directory path too long: %s", c->dir);
    struct cr_cache_entry *sorted = malloc((c->n ? c->n : 1) * sizeof *sorted);
    if (!sorted)
        return cr_err_set(err, CR_EINTERNAL, "out of memory (cache index)");
    memcpy(sorted, c->e, c->n * sizeof *sorted);
    qsort(sorted, c->n, sizeof *sorted, by_key);
    struct cr_atomic_file af;
    int rc = cr_atomic_open(&af, path, err);
    if (rc) {
        free(sorted);
        return rc;
    }
    fprintf(af.fp, "%s\n# written by climrisk fetch; one line per file, tab-separated:\n#",
            INDEX_MAGIC);
    for (int i = 0; i < NCOLS; i++)
        fprintf(af.fp, "%s%s", columns[i], i + 1 < NCOLS ? "\t" : "\n");
    for (size_t i = 0; i < c->n; i++) {
        const struct cr_cache_entry *e = &sorted[i];
        char size[32] = "-";
        if (e->size >= 0)
            snprintf(size, sizeof size, "%lld", e->size);
        fprintf(af.fp, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e->model, e->scenario,
                e->variable, dash(e->period), e->kind, size, dash(e->sha256), e->name, e->rel,
                dash(e->source), dash(e->stamp));
    }
    free(sorted);
    return cr_atomic_commit(&af, err);
}

const struct cr_cache_entry *cr_cache_find_source(const struct cr_cache *c, const char *source,
                                                  const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].source, source) == 0 && strcmp(c->e[i].name, name) == 0)
            return &c->e[i];
    return NULL;
}

int cr_cache_object_rel(const char *sha256, const char *name, char *out, size_t size)
{
    const char *ext = strrchr(name, '.');
    if (!ext || strlen(ext) > 8 || ext == name)
        ext = "";
    for (const char *p = ext; *p; p++)
        if (p > ext &&
            !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            ext = "";
    int n = snprintf(out, size, "sha256/%.2s/%s%s", sha256, sha256, ext);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int cr_cache_link(const struct cr_cache *c, const struct cr_cache_entry *e, struct cr_err *err)
{
    if (strcmp(e->kind, "file") != 0)
        return CR_OK;
    char rel_dir[1024], dir[CR_PATH_MAX], link[CR_PATH_MAX], tmp[CR_PATH_MAX], target[2400];
    int n =
        snprintf(rel_dir, sizeof rel_dir, "by-sim/%s/%s/%s", e->model, e->scenario, e->variable);
    if (n < 0 || (size_t)n >= sizeof rel_dir || cr_path_join(dir, sizeof dir, c->dir, rel_dir) ||
        cr_path_join(link, sizeof link, dir, e->name))
        return cr_err_set(err, CR_EUSAGE, "link path too long in %s", c->dir);
    /* by-sim/m/s/v/name -> ../../../../sha256/ab/hex.nc */
    snprintf(target, sizeof target, "../../../../%s", e->rel);
    int rc = cr_mkdir_p(dir, err);
    if (rc)
        return rc;
    if ((rc = cr_part_path(link, tmp, sizeof tmp, err)))
        return rc;
    unlink(tmp);
    if (symlink(target, tmp) != 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot create link %s: %s", tmp, strerror(errno));
    if (rename(tmp, link) != 0) {
        int e2 = errno;
        unlink(tmp);
        return cr_err_set(err, CR_EINTERNAL, "cannot rename %s to %s: %s", tmp, link, strerror(e2));
    }
    return CR_OK;
}

static int by_period(const void *a, const void *b)
{
    const struct cr_cache_entry *x = *(const struct cr_cache_entry *const *)a;
    const struct cr_cache_entry *y = *(const struct cr_cache_entry *const *)b;
    int r = strcmp(x->period, y->period);
    return r ? r : strcmp(x->name, y->name);
}

size_t cr_fetch_lookup(const struct cr_cache *c, const char *model, const char *scenario,
                       const char *variable, const struct cr_cache_entry **out, size_t max)
{
    char scen[16];
    if (cr_scenario_normalize(scenario, scen, sizeof scen) != 0)
        cr_strlcpy(scen, scenario, sizeof scen);
    size_t found = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct cr_cache_entry *e = &c->e[i];
        if (strcmp(e->model, model) != 0 || strcmp(e->scenario, scen) != 0 ||
            (variable && strcmp(e->variable, variable) != 0))
            continue;
        if (found < max)
            out[found] = e;
        found++;
    }
    if (found && max)
        qsort(out, found < max ? found : max, sizeof *out, by_period);
    return found;
}
