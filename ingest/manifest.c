/* manifest.c — manifest parsing, directory expansion, derived metadata and
 * duplicate checks; see manifest.h and docs/fetch.md for the format. */
#include "manifest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/strutil.h"
#include "dsname.h"
#include "url.h"

#define MAX_FIELDS 16

/* What the lines above a line have set with @base and @default. */
struct defaults {
    char base[2048]; /* "" = the manifest's directory; a URL ends with '/' */
    int base_is_url;
    char model[192];
    char scenario[16];
    char variable[64];
};

/* The fields written on one line (empty = not written). */
struct fields {
    char sha256[CR_SHA256_HEX];
    long long size;
    char model[192];
    char scenario[16];
    char variable[64];
    char name[256];
    char kind[16];
};

struct ctx {
    struct cr_manifest *m;
    const char *file; /* owned by m->files */
    const char *base_dir;
    int line;
    struct cr_err *err;
};

static int fail(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct ctx *c, const char *fmt, ...)
{
    char msg[CR_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->line > 0)
        return cr_err_set(c->err, CR_EDATA, "%s:%d: %s", c->file, c->line, msg);
    return cr_err_set(c->err, CR_EDATA, "%s: %s", c->file, msg);
}

void cr_manifest_init(struct cr_manifest *m)
{
    memset(m, 0, sizeof *m);
}

void cr_manifest_free(struct cr_manifest *m)
{
    free(m->e);
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i]);
    free(m->files);
    memset(m, 0, sizeof *m);
}

static const char *keep_file_name(struct cr_manifest *m, const char *name)
{
    char **bigger = realloc(m->files, (m->nfiles + 1) * sizeof *bigger);
    if (!bigger)
        return NULL;
    m->files = bigger;
    char *copy = strdup(name);
    if (!copy)
        return NULL;
    m->files[m->nfiles++] = copy;
    return copy;
}

static struct cr_manifest_entry *new_entry(struct cr_manifest *m)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct cr_manifest_entry *bigger = realloc(m->e, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        m->e = bigger;
        m->cap = cap;
    }
    struct cr_manifest_entry *e = &m->e[m->n];
    memset(e, 0, sizeof *e);
    e->size = -1;
    return e;
}

void cr_manifest_where(const struct cr_manifest_entry *e, char *out, size_t size)
{
    if (e->line > 0)
        snprintf(out, size, "%s:%d", e->file, e->line);
    else
        snprintf(out, size, "%s", e->file);
}

/* ---- values ---- */

static int valid_variable(const char *v)
{
    if (!*v)
        return 0;
    for (; *v; v++)
        if (!(isalnum((unsigned char)*v) || *v == '_' || *v == '-'))
            return 0;
    return 1;
}

static int set_field(const struct ctx *c, struct fields *f, const char *key, const char *val,
                     int directive)
{
    size_t len = strlen(val);
    if (len == 0)
        return fail(c, "'%s=' has no value", key);
    if (strcmp(key, "model") == 0) {
        if (len >= sizeof f->model || !cr_model_valid(val))
            return fail(c,
                        "model '%s' is not GCM_RCM (e.g. "
                        "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63: one underscore)",
                        val);
        strcpy(f->model, val);
    } else if (strcmp(key, "scenario") == 0) {
        if (cr_scenario_normalize(val, f->scenario, sizeof f->scenario) != 0)
            return fail(c, "unknown scenario '%s' (use historical, rcp26, rcp45 or rcp85)", val);
    } else if (strcmp(key, "variable") == 0) {
        if (len >= sizeof f->variable || !valid_variable(val))
            return fail(c, "variable '%s' is not a NetCDF variable name like tasmaxAdjust", val);
        strcpy(f->variable, val);
    } else if (directive) {
        return fail(c, "@default sets only model=, scenario= and variable=, not '%s='", key);
    } else if (strcmp(key, "sha256") == 0) {
        if (len != 64)
            return fail(c, "sha256 '%s' has %zu characters, expected 64 hexadecimal digits", val,
                        len);
        for (size_t i = 0; i < 64; i++) {
            if (!isxdigit((unsigned char)val[i]))
                return fail(c, "sha256 '%s' is not hexadecimal", val);
            f->sha256[i] = (char)tolower((unsigned char)val[i]);
        }
        f->sha256[64] = '\0';
    } else if (strcmp(key, "size") == 0) {
        long v;
        if (cr_parse_long(val, &v) != 0 || v < 0)
            return fail(c, "size '%s' is not a number of bytes", val);
        f->size = v;
    } else if (strcmp(key, "name") == 0) {
        if (len >= sizeof f->name || strchr(val, '/') || strcmp(val, ".") == 0 ||
            strcmp(val, "..") == 0)
            return fail(c, "name '%s' must be a plain file name (no '/')", val);
        strcpy(f->name, val);
    } else if (strcmp(key, "kind") == 0) {
        if (strcmp(val, "http") != 0 && strcmp(val, "file") != 0 && strcmp(val, "opendap") != 0)
            return fail(c, "kind '%s' is not http, file or opendap", val);
        strcpy(f->kind, val);
    } else {
        return fail(c,
                    "unknown field '%s=' (known: sha256, size, model, scenario, variable, "
                    "name, kind)",
                    key);
    }
    return CR_OK;
}

/* Split a line into tokens in place: blanks separate, "double quotes" group,
 * a token starting with '#' ends the line. */
static int tokenize(const struct ctx *c, char *line, char **tok, size_t *ntok)
{
    *ntok = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            return CR_OK;
        if (*ntok == MAX_FIELDS)
            return fail(c, "more than %d fields on one line", MAX_FIELDS);
        if (*p == '"') {
            char *close = strchr(p + 1, '"');
            if (!close)
                return fail(c, "unclosed double quote");
            tok[(*ntok)++] = p + 1;
            *close = '\0';
            p = close + 1;
            if (*p != '\0' && *p != ' ' && *p != '\t')
                return fail(c, "expected a blank after the closing quote");
            continue;
        }
        tok[(*ntok)++] = p;
        p += strcspn(p, " \t");
        if (*p)
            *p++ = '\0';
    }
}

static int parse_fields(const struct ctx *c, char **tok, size_t ntok, struct fields *f,
                        int directive)
{
    memset(f, 0, sizeof *f);
    f->size = -1;
    unsigned seen = 0;
    static const char *const order[] = {"sha256",   "size", "model", "scenario",
                                        "variable", "name", "kind"};
    for (size_t i = 0; i < ntok; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq || eq == tok[i])
            return fail(c,
                        "'%s' is not key=value (one source per line, then fields like "
                        "sha256=... size=... model=...)",
                        tok[i]);
        *eq = '\0';
        for (unsigned k = 0; k < sizeof order / sizeof order[0]; k++) {
            if (strcmp(order[k], tok[i]) == 0) {
                if (seen & (1u << k))
                    return fail(c, "field '%s=' is given twice", tok[i]);
                seen |= 1u << k;
            }
        }
        int rc = set_field(c, f, tok[i], eq + 1, directive);
        if (rc)
            return rc;
    }
    return CR_OK;
}

/* ---- entries ---- */

/* Fill model/scenario/variable/period of e from the line's fields, the file
 * name and the defaults, in that order; a field contradicting the name is an
 * error (a copy-paste slip in a hand-written manifest). */
static int complete_entry(const struct ctx *c, struct cr_manifest_entry *e, const struct fields *f,
                          const struct defaults *d)
{
    struct cr_dsname dn;
    cr_dsname_parse(e->name, &dn);
    struct {
        const char *what, *line, *derived, *def;
        char *out;
        size_t size;
        const char *hint;
    } items[] = {
        {"model", f->model, dn.model, d->model, e->model, sizeof e->model,
         "model=GCM_RCM (e.g. CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63)"},
        {"scenario", f->scenario, dn.scenario, d->scenario, e->scenario, sizeof e->scenario,
         "scenario=historical|rcp26|rcp45|rcp85"},
        {"variable", f->variable, dn.variable, d->variable, e->variable, sizeof e->variable,
         "variable=<NetCDF variable, e.g. tasmaxAdjust>"},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        const char *v = items[i].line;
        if (*v && *items[i].derived && strcmp(v, items[i].derived) != 0)
            return fail(c, "%s=%s but the file name '%s' says %s; remove the field or fix it",
                        items[i].what, v, e->name, items[i].derived);
        if (!*v)
            v = *items[i].derived ? items[i].derived : items[i].def;
        if (!*v)
            return fail(c, "cannot tell the %s of '%s' from its name; add %s", items[i].what,
                        e->name, items[i].hint);
        cr_strlcpy(items[i].out, v, items[i].size);
    }
    cr_strlcpy(e->period, dn.period, sizeof e->period);
    return CR_OK;
}

static int is_nc_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.' || strstr(name, ".part"))
        return 0;
    return (n > 3 && strcmp(name + n - 3, ".nc") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".nc4") == 0);
}

static int add_file(const struct ctx *c, const char *path, const struct fields *f,
                    const struct defaults *d)
{
    struct cr_manifest_entry *e = new_entry(c->m);
    if (!e)
        return cr_err_set(c->err, CR_EINTERNAL, "out of memory reading %s", c->file);
    e->kind = CR_SRC_FILE;
    e->file = c->file;
    e->line = c->line;
    /* absolute, so that the cache recognises the file from any directory */
    char *real = realpath(path, NULL);
    if (!real)
        return fail(c, "%s: %s", path, strerror(errno));
    size_t len = cr_strlcpy(e->src, real, sizeof e->src);
    free(real);
    if (len >= sizeof e->src)
        return fail(c, "path too long: %s", path);
    cr_strlcpy(e->name, f->name[0] ? f->name : cr_basename(path), sizeof e->name);
    strcpy(e->sha256, f->sha256);
    e->size = f->size;
    int rc = complete_entry(c, e, f, d);
    if (rc)
        return rc;
    c->m->n++;
    return CR_OK;
}

static int walk_dir(const struct ctx *c, const char *dir, const struct fields *f,
                    const struct defaults *d, int depth)
{
    if (depth > 16)
        return fail(c, "directories nested more than 16 deep under %s", dir);
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return fail(c, "cannot list directory %s: %s", dir, strerror(errno));
    int rc = CR_OK;
    for (int i = 0; i < n; i++) {
        const char *nm = list[i]->d_name;
        char path[CR_PATH_MAX];
        struct stat st, lst;
        if (rc == CR_OK && nm[0] != '.' && cr_path_join(path, sizeof path, dir, nm) == 0 &&
            stat(path, &st) == 0 && lstat(path, &lst) == 0) {
            if (S_ISDIR(st.st_mode) && !S_ISLNK(lst.st_mode))
                rc = walk_dir(c, path, f, d, depth + 1);
            else if (S_ISREG(st.st_mode) && is_nc_name(nm))
                rc = add_file(c, path, f, d);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

static int add_source(const struct ctx *c, const char *src, const struct fields *f,
                      const struct defaults *d)
{
    enum cr_url_kind uk = cr_url_kind(src);
    char path[CR_PATH_MAX];
    char url[2048];
    if (uk == CR_URL_PATH && d->base_is_url) {
        if (src[0] == '/')
            return fail(c, "'%s' is an absolute path but @base is a URL", src);
        if (snprintf(url, sizeof url, "%s%s", d->base, src) >= (int)sizeof url)
            return fail(c, "URL too long");
        src = url;
        uk = CR_URL_HTTP;
    }
    if (uk == CR_URL_OTHER)
        return fail(c, "unsupported source '%.*s...': use http://, https://, file:// or a path",
                    (int)strcspn(src, ":"), src);
    if (uk == CR_URL_HTTP) {
        if (strcmp(f->kind, "file") == 0)
            return fail(c, "kind=file on a URL; use file:// or a path for local files");
        struct cr_manifest_entry *e = new_entry(c->m);
        if (!e)
            return cr_err_set(c->err, CR_EINTERNAL, "out of memory reading %s", c->file);
        e->kind = CR_SRC_HTTP;
        if (strcmp(f->kind, "opendap") == 0 || (!f->kind[0] && strstr(src, "/dodsC/")))
            e->kind = CR_SRC_OPENDAP;
        e->file = c->file;
        e->line = c->line;
        if (cr_strlcpy(e->src, src, sizeof e->src) >= sizeof e->src)
            return fail(c, "URL longer than %zu characters", sizeof e->src - 1);
        if (e->kind == CR_SRC_OPENDAP && cr_url_has_userinfo(src))
            return fail(c, "an OPeNDAP URL cannot carry credentials (they would be written to "
                           "the index); put them in ~/.netrc, which netCDF-C reads");
        if (f->name[0]) {
            strcpy(e->name, f->name);
        } else if (cr_url_basename(src, e->name, sizeof e->name) != 0) {
            char shown[2048];
            cr_url_redact(src, shown, sizeof shown);
            return fail(c,
                        "no file name at the end of %s: remote directories are not listed; "
                        "write one line per file (or add name=)",
                        shown);
        }
        if (strchr(e->name, '/') || strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
            return fail(c,
                        "the file name at the end of the URL decodes to '%s', which is not a "
                        "plain file name; add name=",
                        e->name);
        if (e->kind == CR_SRC_OPENDAP && (f->sha256[0] || f->size >= 0))
            return fail(c, "sha256= and size= do not apply to an OPeNDAP source (nothing is "
                           "downloaded); use kind=http to download the file instead");
        strcpy(e->sha256, f->sha256);
        e->size = f->size;
        int rc = complete_entry(c, e, f, d);
        if (rc)
            return rc;
        c->m->n++;
        return CR_OK;
    }
    if (strcmp(f->kind, "opendap") == 0 || strcmp(f->kind, "http") == 0)
        return fail(c, "kind=%s needs an http(s) URL", f->kind);
    if (uk == CR_URL_FILE) {
        if (cr_file_url_path(src, path, sizeof path) != 0)
            return fail(c, "'%s' is not a local file URL (write file:///absolute/path)", src);
    } else {
        const char *base = d->base[0] ? d->base : c->base_dir;
        if (cr_path_join(path, sizeof path, base, src) != 0)
            return fail(c, "path too long: %s", src);
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(c, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (f->sha256[0] || f->size >= 0 || f->name[0])
            return fail(c,
                        "sha256=, size= and name= do not apply to a directory (%s); list its "
                        "files one per line to give them",
                        path);
        size_t before = c->m->n;
        int rc = walk_dir(c, path, f, d, 0);
        if (rc == CR_OK && c->m->n == before)
            return fail(c, "directory %s holds no .nc file", path);
        return rc;
    }
    if (!S_ISREG(st.st_mode))
        return fail(c, "%s is not a regular file", path);
    return add_file(c, path, f, d);
}

static int directive(const struct ctx *c, char **tok, size_t ntok, struct defaults *d)
{
    if (strcmp(tok[0], "@base") == 0) {
        if (ntok != 2)
            return fail(c, "@base takes one URL or directory");
        const char *v = tok[1];
        enum cr_url_kind uk = cr_url_kind(v);
        if (uk == CR_URL_HTTP) {
            size_t len = strlen(v);
            if (len + 2 > sizeof d->base)
                return fail(c, "@base URL too long");
            snprintf(d->base, sizeof d->base, "%s%s", v, v[len - 1] == '/' ? "" : "/");
            d->base_is_url = 1;
            return CR_OK;
        }
        char path[CR_PATH_MAX];
        if (uk == CR_URL_FILE) {
            if (cr_file_url_path(v, path, sizeof path) != 0)
                return fail(c, "'%s' is not a local file URL", v);
        } else if (uk == CR_URL_OTHER || cr_path_join(path, sizeof path, c->base_dir, v) != 0) {
            return fail(c, "@base '%s' is not an http(s) URL or a directory", v);
        }
        if (!cr_is_dir(path))
            return fail(c, "@base %s is not a directory", path);
        cr_strlcpy(d->base, path, sizeof d->base);
        d->base_is_url = 0;
        return CR_OK;
    }
    if (strcmp(tok[0], "@default") == 0) {
        struct fields f;
        int rc = parse_fields(c, tok + 1, ntok - 1, &f, 1);
        if (rc)
            return rc;
        if (ntok == 1) { /* a bare @default clears the defaults */
            d->model[0] = d->scenario[0] = d->variable[0] = '\0';
            return CR_OK;
        }
        if (f.model[0])
            strcpy(d->model, f.model);
        if (f.scenario[0])
            strcpy(d->scenario, f.scenario);
        if (f.variable[0])
            strcpy(d->variable, f.variable);
        return CR_OK;
    }
    return fail(c, "unknown directive '%s' (known: @base, @default)", tok[0]);
}

/* ---- duplicates ---- */

static int by_key(const void *a, const void *b, void *arg)
{
    const struct cr_manifest_entry *base = arg;
    const struct cr_manifest_entry *x = &base[*(const size_t *)a];
    const struct cr_manifest_entry *y = &base[*(const size_t *)b];
    int r;
    if ((r = strcmp(x->model, y->model)) || (r = strcmp(x->scenario, y->scenario)) ||
        (r = strcmp(x->variable, y->variable)) || (r = strcmp(x->name, y->name)))
        return r;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int by_src(const void *a, const void *b, void *arg)
{
    const struct cr_manifest_entry *base = arg;
    int r = strcmp(base[*(const size_t *)a].src, base[*(const size_t *)b].src);
    if (r)
        return r;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int same_key(const struct cr_manifest_entry *x, const struct cr_manifest_entry *y)
{
    return strcmp(x->model, y->model) == 0 && strcmp(x->scenario, y->scenario) == 0 &&
           strcmp(x->variable, y->variable) == 0 && strcmp(x->name, y->name) == 0;
}

/* The same file listed twice (a directory and one of its files, two pasted
 * lists) is kept once; two different sources for one file, or one source
 * described two ways, is an error naming both lines. */
static int dedupe(struct cr_manifest *m, size_t from, struct cr_err *err)
{
    size_t n = m->n;
    if (n < 2)
        return CR_OK;
    size_t *ix = malloc(n * sizeof *ix);
    unsigned char *drop = calloc(n, 1);
    if (!ix || !drop) {
        free(ix);
        free(drop);
        return cr_err_set(err, CR_EINTERNAL, "out of memory checking the manifest");
    }
    int rc = CR_OK;
    for (int pass = 0; pass < 2 && rc == CR_OK; pass++) {
        for (size_t i = 0; i < n; i++)
            ix[i] = i;
        qsort_r(ix, n, sizeof *ix, pass == 0 ? by_key : by_src, m->e);
        for (size_t k = 1; k < n && rc == CR_OK; k++) {
            const struct cr_manifest_entry *a = &m->e[ix[k - 1]], *b = &m->e[ix[k]];
            int dup = pass == 0 ? same_key(a, b) : strcmp(a->src, b->src) == 0;
            if (!dup || ix[k] < from)
                continue;
            int identical = strcmp(a->src, b->src) == 0 && same_key(a, b) &&
                            strcmp(a->sha256, b->sha256) == 0 && a->size == b->size;
            if (identical) {
                drop[ix[k]] = 1;
                continue;
            }
            char wa[CR_PATH_MAX + 16], wb[CR_PATH_MAX + 16], shown[2048];
            cr_manifest_where(a, wa, sizeof wa);
            cr_manifest_where(b, wb, sizeof wb);
            cr_url_redact(b->src, shown, sizeof shown);
            if (pass == 0)
                rc = cr_err_set(err, CR_EDATA,
                                "%s and %s both give %s %s %s file '%s' (from different sources "
                                "or with different checksums); keep one",
                                wa, wb, a->model, a->scenario, a->variable, a->name);
            else
                rc = cr_err_set(err, CR_EDATA,
                                "%s and %s list the same source %s with different fields; keep "
                                "one",
                                wa, wb, shown);
        }
        if (rc == CR_OK) {
            /* compact now so that the next pass does not see the dropped copies */
            size_t w = 0;
            for (size_t i = 0; i < n; i++)
                if (!drop[i])
                    m->e[w++] = m->e[i];
            m->n = n = w;
            memset(drop, 0, m->n);
        }
    }
    free(ix);
    free(drop);
    return rc;
}

/* ---- entry points ---- */

int cr_manifest_parse(struct cr_manifest *m, const char *text, const char *name,
                      const char *base_dir, struct cr_err *err)
{
    const char *file = keep_file_name(m, name);
    if (!file)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    struct ctx c = {m, file, base_dir && *base_dir ? base_dir : ".", 0, err};
    struct defaults d;
    memset(&d, 0, sizeof d);
    size_t first = m->n;
    int rc = CR_OK;
    for (const char *p = text; *p && rc == CR_OK;) {
        size_t len = strcspn(p, "\n");
        c.line++;
        char *line = strndup(p, len);
        if (!line)
            return cr_err_set(err, CR_EINTERNAL, "out of memory reading %s", name);
        size_t l = strlen(line);
        if (l != len) {
            rc = fail(&c, "NUL byte in the line (is this a text file?)");
        } else {
            if (l && line[l - 1] == '\r')
                line[l - 1] = '\0';
            char *tok[MAX_FIELDS];
            size_t ntok;
            rc = tokenize(&c, line, tok, &ntok);
            if (rc == CR_OK && ntok > 0) {
                if (tok[0][0] == '@') {
                    rc = directive(&c, tok, ntok, &d);
                } else {
                    struct fields f;
                    rc = parse_fields(&c, tok + 1, ntok - 1, &f, 0);
                    if (rc == CR_OK)
                        rc = add_source(&c, tok[0], &f, &d);
                }
            }
        }
        free(line);
        p += len;
        if (*p == '\n')
            p++;
    }
    if (rc == CR_OK && m->n == first)
        rc = cr_err_set(err, CR_EDATA, "%s: no source listed (one URL or path per line)", name);
    if (rc == CR_OK)
        rc = dedupe(m, first, err);
    return rc;
}

int cr_manifest_load(struct cr_manifest *m, const char *path, struct cr_err *err)
{
    char *text;
    int rc = cr_read_file(path, &text, NULL, err);
    if (rc)
        return rc;
    char dir[CR_PATH_MAX];
    cr_dirname(path, dir, sizeof dir);
    rc = cr_manifest_parse(m, text, path, dir, err);
    free(text);
    return rc;
}

int cr_manifest_add_dir(struct cr_manifest *m, const char *dir, struct cr_err *err)
{
    char label[CR_PATH_MAX + 16];
    snprintf(label, sizeof label, "--from-dir %s", dir);
    const char *file = keep_file_name(m, label);
    if (!file)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    struct ctx c = {m, file, ".", 0, err};
    struct defaults d;
    struct fields f;
    memset(&d, 0, sizeof d);
    memset(&f, 0, sizeof f);
    f.size = -1;
    if (!cr_is_dir(dir))
        return cr_err_set(err, CR_EUSAGE, "--from-dir %s: not a directory", dir);
    size_t first = m->n;
    int rc = walk_dir(&c, dir, &f, &d, 0);
    if (rc == CR_OK && m->n == first)
        rc = cr_err_set(err, CR_EDATA, "--from-dir %s: no .nc file found", dir);
    if (rc == CR_OK)
        rc = dedupe(m, first, err);
    return rc;
}

static void print_src(FILE *out, const char *s)
{
    if (strpbrk(s, " \t#"))
        fprintf(out, "\"%s\"", s);
    else
        fputs(s, out);
}

void cr_manifest_print(const struct cr_manifest *m, FILE *out)
{
    fprintf(out, "# climrisk fetch manifest (resolved: every field written out)\n");
    for (size_t i = 0; i < m->n; i++) {
        const struct cr_manifest_entry *e = &m->e[i];
        char shown[2048];
        if (e->kind == CR_SRC_FILE)
            cr_strlcpy(shown, e->src, sizeof shown);
        else
            cr_url_redact(e->src, shown, sizeof shown);
        print_src(out, shown);
        if (e->sha256[0])
            fprintf(out, "\tsha256=%s", e->sha256);
        if (e->size >= 0)
            fprintf(out, "\tsize=%lld", e->size);
        fprintf(out, "\tmodel=%s\tscenario=%s\tvariable=%s", e->model, e->scenario, e->variable);
        char derived[256];
        if (cr_url_basename(e->src, derived, sizeof derived) != 0 || strcmp(derived, e->name) != 0)
            fprintf(out, "\tname=%s", e->name);
        if (e->kind == CR_SRC_OPENDAP)
            fprintf(out, "\tkind=opendap");
        fputc('\n', out);
    }
}
