/* config.c — INI configuration through libinih, validated against a schema.
 *
 * The schema table below is the single place a key exists: its type, default,
 * bounds and one-line documentation. Defaults are written as text and go
 * through the same parser as file values, so a default can never be a value
 * the file could not hold. */
#include "config.h"

#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { K_STRING, K_PATH, K_INT, K_DOUBLE, K_LIST, K_RANGE, K_ENUM };

struct key_def {
    const char *section;
    const char *key;
    enum key_type type;
    size_t off;          /* field in struct cr_config */
    size_t off2;         /* K_RANGE: field of the last year */
    size_t size;         /* K_STRING/K_PATH/K_ENUM: buffer size */
    const char *def;     /* default, as it would be written in the file */
    double min, max;     /* K_INT, K_DOUBLE */
    const char *choices; /* K_ENUM: "a|b|c" */
    const char *doc;
};

#define F(field)  offsetof(struct cr_config, field)
#define SZ(field) sizeof(((struct cr_config *)0)->field)
#define STR(sec, key, field, def, doc)                                                             \
    {                                                                                              \
        sec, key, K_STRING, F(field), 0, SZ(field), def, 0, 0, NULL, doc                           \
    }
#define PATH(sec, key, field, def, doc)                                                            \
    {                                                                                              \
        sec, key, K_PATH, F(field), 0, SZ(field), def, 0, 0, NULL, doc                             \
    }
#define INT(sec, key, field, def, lo, hi, doc)                                                     \
    {                                                                                              \
        sec, key, K_INT, F(field), 0, 0, def, lo, hi, NULL, doc                                    \
    }
#define DBL(sec, key, field, def, lo, hi, doc)                                                     \
    {                                                                                              \
        sec, key, K_DOUBLE, F(field), 0, 0, def, lo, hi, NULL, doc                                 \
    }
#define LIST(sec, key, field, def, doc)                                                            \
    {                                                                                              \
        sec, key, K_LIST, F(field), 0, 0, def, 0, 0, NULL, doc                                     \
    }
#define RANGE(sec, key, f1, f2, def, doc)                                                          \
    {                                                                                              \
        sec, key, K_RANGE, F(f1), F(f2), 0, def, 0, 0, NULL, doc                                   \
    }
#define ENUM(sec, key, field, def, choices, doc)                                                   \
    {                                                                                              \
        sec, key, K_ENUM, F(field), 0, SZ(field), def, 0, 0, choices, doc                          \
    }

static const struct key_def schema[] = {
    STR("run", "name", run_name, "climrisk",
        "name of the run, shown in logs, reports and the datamart lineage"),
    PATH("run", "workdir", workdir, "work", "directory where every stage writes its outputs"),
    INT("run", "jobs", jobs, "0", 0, 256,
        "parallel workers (processes or threads); 0 = one per CPU"),
    LIST("run", "steps", steps, "inputs,compute,aggregate,load,tiles",
         "steps of the pipeline to run: inputs, compute, aggregate, load, tiles (each needs the "
         "one before it; tiles needs aggregate, not load)"),
    STR("run", "on_failure", on_failure, "",
        "shell command run when a run fails (notification hook); empty = none"),

    ENUM("inputs", "source", source, "synth", "synth|manifest|directory",
         "where daily projections come from: generated, downloaded from a manifest, or a local "
         "directory"),
    PATH("inputs", "manifest", manifest, "", "manifest of files to download (source = manifest)"),
    PATH("inputs", "directory", input_dir, "",
         "directory of DRIAS-named NetCDF files (source = directory)"),
    PATH("inputs", "cache", cache_dir, "", "download cache; empty = <workdir>/cache"),
    DBL("inputs", "max_invalid_fraction", max_invalid_fraction, "0.001", 0, 1,
        "share of values out of physical range (e.g. tasmax < tasmin, negative precipitation) "
        "above which an input is refused; below it they are counted warnings"),

    LIST("synth", "models", synth_models,
         "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009,IPSL-IPSL-CM5A-MR_"
         "IPSL-WRF381P",
         "GCM_RCM pairs to generate"),
    LIST("synth", "scenarios", synth_scenarios, "historical,rcp45,rcp85",
         "experiments to generate: historical, rcp26, rcp45, rcp85"),
    LIST("synth", "variables", synth_variables,
         "tasminAdjust,tasmaxAdjust,tasAdjust,prtotAdjust,prsnAdjust",
         "DRIAS variables to generate"),
    RANGE("synth", "historical_years", synth_hist_first, synth_hist_last, "1976-2005",
          "years of the historical runs"),
    RANGE("synth", "scenario_years", synth_scen_first, synth_scen_last, "2006-2100",
          "years of the scenario (RCP) runs (DRIAS runs start in 2006)"),
    INT("synth", "seed", synth_seed, "42", 0, 2147483647,
        "random seed; the same seed gives the same files"),
    ENUM("synth", "calendar", synth_calendar, "standard", "standard|noleap|360_day",
         "calendar of the generated time axis"),
    INT("synth", "deflate", synth_deflate, "1", 0, 9,
        "deflate level of generated files (DRIAS uses 5; 1 is much faster)"),

    INT("fetch", "jobs", fetch_jobs, "4", 1, 32, "parallel downloads"),
    INT("fetch", "timeout", fetch_timeout, "600", 1, 86400,
        "seconds without progress before a transfer is retried"),
    INT("fetch", "retries", fetch_retries, "5", 0, 50,
        "retries after a timeout or a 5xx answer (exponential backoff)"),
    PATH("fetch", "netrc", fetch_netrc, "",
         "netrc file with credentials; empty = ~/.netrc when it exists"),
    INT("fetch", "connect_timeout", fetch_connect_timeout, "30", 1, 3600,
        "seconds to establish a connection before the attempt counts as failed"),
    DBL("fetch", "retry_delay", fetch_retry_delay, "2", 0, 3600,
        "seconds before the first retry; the delay doubles with each retry (+-20% jitter)"),

    LIST("compute", "indicators", indicators, "all", "indicator codes to compute, or all"),
    DBL("compute", "max_missing_fraction", max_missing_fraction, "0.10", 0, 1,
        "a period value is NaN when more than this share of its days is missing"),

    DBL("indicators", "snow_melt_factor", snow_melt_factor, "3.0", 0, 20,
        "degree-day melt factor of the snow model, mm per degC per day"),
    DBL("indicators", "snow_cover_threshold", snow_cover_threshold, "10", 0, 1000,
        "SWE (mm) at or above which a day counts as snow-covered"),
    DBL("indicators", "snow_rain_temperature", snow_rain_temperature, "1.0", -10, 10,
        "TG (degC) at or below which precipitation is snow when prsn is absent"),

    PATH("scenarios", "dir", scenarios_dir, "",
         "directory of scenario declaration files; empty = the installed scenarios/"),
    STR("scenarios", "ensemble", ensemble, "DRIAS-2020", "ensemble whose models are expected"),
    INT("scenarios", "warming_window", warming_window, "21", 1, 51,
        "years of the centred running mean used to find warming-level pivot years"),
    INT("scenarios", "warming_horizon", warming_horizon, "20", 1, 51,
        "years of a warming-level horizon around its pivot year"),

    STR("datamart", "dsn", dsn, "",
        "PostgreSQL connection string; empty = CLIMRISK_DSN, else the private cluster"),
    STR("datamart", "schema", db_schema, "datamart", "schema of the OpenDataMart"),
    INT("datamart", "lock_wait", lock_wait, "0", 0, 86400,
        "seconds climrisk load and db migrate wait for another datamart writer before exiting with "
        "code 5; 0 = fail at once"),

    PATH("tiles", "dir", tiles_dir, "", "where tile archives go; empty = <workdir>/tiles"),
    INT("tiles", "vector_maxzoom", vector_maxzoom, "10", 0, 14, "highest zoom of vector tiles"),
    INT("tiles", "raster_maxzoom", raster_maxzoom, "9", 0, 12, "highest zoom of raster tiles"),

    STR("serve", "listen", listen, "127.0.0.1", "address the tile server listens on"),
    INT("serve", "port", port, "8080", 0, 65535, "TCP port of the tile server (0 = any free port)"),
    INT("serve", "max_connections", max_connections, "256", 1, 100000,
        "connections served at once"),
    INT("serve", "timeout", request_timeout, "30", 1, 3600,
        "seconds before an idle or slow connection is closed"),
    INT("serve", "threads", serve_threads, "2", 1, 64,
        "HTTP threads (each serves many connections)"),
    INT("serve", "max_connections_per_ip", max_per_ip, "0", 0, 100000,
        "connections one client address may hold; 0 = no limit"),
    INT("serve", "db_connections", db_connections, "4", 1, 64,
        "datamart connections, i.e. popup and live-tile queries run at once"),
    INT("serve", "statement_timeout", statement_timeout, "5000", 100, 600000,
        "milliseconds a datamart query may run before the request gets 504"),
    PATH("serve", "web", web_dir, "",
         "folder of the built viewer (index.html); empty = the shipped web/dist"),
    STR("serve", "cors_origin", cors_origin, "*",
        "Access-Control-Allow-Origin sent with every answer; empty = no CORS headers"),
};

#define NKEYS (sizeof schema / sizeof schema[0])

static const char *type_name(enum key_type t)
{
    switch (t) {
    case K_STRING:
        return "string";
    case K_PATH:
        return "path";
    case K_INT:
        return "integer";
    case K_DOUBLE:
        return "number";
    case K_LIST:
        return "list";
    case K_RANGE:
        return "years";
    case K_ENUM:
        return "choice";
    }
    return "?";
}

static int resolve_path(const struct cr_config *cfg, const char *value, char *out, size_t size)
{
    if (value[0] == '\0') {
        out[0] = '\0';
        return 0;
    }
    if (value[0] == '~' && (value[1] == '/' || value[1] == '\0')) {
        const char *home = getenv("HOME");
        int n = snprintf(out, size, "%s%s", home ? home : "", value + 1);
        return (n < 0 || (size_t)n >= size) ? -1 : 0;
    }
    return cr_path_join(out, size, cfg->base_dir, value);
}

static int enum_allows(const char *choices, const char *value)
{
    size_t len = strlen(value);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, value, n) == 0)
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* Parse value into cfg; on failure write the reason into why. */
static int set_value(struct cr_config *cfg, const struct key_def *k, const char *value, char *why,
                     size_t why_size)
{
    char *base = (char *)cfg;
    switch (k->type) {
    case K_STRING:
        if (strlen(value) >= k->size) {
            snprintf(why, why_size, "value longer than %zu characters", k->size - 1);
            return -1;
        }
        strcpy(base + k->off, value);
        return 0;
    case K_PATH:
        if (resolve_path(cfg, value, base + k->off, k->size) != 0) {
            snprintf(why, why_size, "path too long");
            return -1;
        }
        return 0;
    case K_ENUM:
        if (!enum_allows(k->choices, value)) {
            snprintf(why, why_size, "'%s' is not one of %s", value, k->choices);
            return -1;
        }
        strcpy(base + k->off, value);
        return 0;
    case K_INT: {
        long v;
        if (cr_parse_long(value, &v) != 0) {
            snprintf(why, why_size, "'%s' is not an integer", value);
            return -1;
        }
        if (v < k->min || v > k->max) {
            snprintf(why, why_size, "%ld is out of range [%.0f, %.0f]", v, k->min, k->max);
            return -1;
        }
        *(long *)(base + k->off) = v;
        return 0;
    }
    case K_DOUBLE: {
        double v;
        if (cr_parse_double(value, &v) != 0) {
            snprintf(why, why_size, "'%s' is not a number", value);
            return -1;
        }
        if (v < k->min || v > k->max) {
            snprintf(why, why_size, "%g is out of range [%g, %g]", v, k->min, k->max);
            return -1;
        }
        *(double *)(base + k->off) = v;
        return 0;
    }
    case K_LIST: {
        struct cr_strlist *l = (struct cr_strlist *)(base + k->off);
        struct cr_strlist fresh;
        if (cr_strlist_split(&fresh, value) != 0) {
            snprintf(why, why_size, "out of memory");
            return -1;
        }
        if (fresh.n == 0) {
            cr_strlist_free(&fresh);
            snprintf(why, why_size, "empty list (give at least one item, comma-separated)");
            return -1;
        }
        cr_strlist_free(l);
        *l = fresh;
        return 0;
    }
    case K_RANGE: {
        int a, b;
        if (cr_parse_year_range(value, &a, &b) != 0) {
            snprintf(why, why_size, "'%s' is not a year range like 1976-2005", value);
            return -1;
        }
        *(int *)(base + k->off) = a;
        *(int *)(base + k->off2) = b;
        return 0;
    }
    }
    return -1;
}

int cr_config_defaults(struct cr_config *cfg, const char *base_dir, struct cr_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    cr_strlcpy(cfg->base_dir, base_dir && *base_dir ? base_dir : ".", sizeof cfg->base_dir);
    char why[256];
    for (size_t i = 0; i < NKEYS; i++) {
        if (set_value(cfg, &schema[i], schema[i].def, why, sizeof why) != 0)
            return cr_err_set(err, CR_EINTERNAL, "built-in default of [%s] %s: %s",
                              schema[i].section, schema[i].key, why);
    }
    return CR_OK;
}

struct parse_state {
    struct cr_config *cfg;
    const char *name;
    unsigned char seen[NKEYS];
    int failed;
    char msg[CR_ERR_MSG_MAX];
};

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse_state *st = user;
    if (st->failed)
        return 1; /* keep only the first error; inih reports its line */
    int section_known = 0;
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(schema[i].section, section) != 0)
            continue;
        section_known = 1;
        if (strcmp(schema[i].key, key) != 0)
            continue;
        if (st->seen[i]) {
            snprintf(st->msg, sizeof st->msg, "key '%s' in [%s] is given twice", key, section);
            st->failed = 1;
            return 0;
        }
        st->seen[i] = 1;
        char why[256];
        if (set_value(st->cfg, &schema[i], value, why, sizeof why) != 0) {
            snprintf(st->msg, sizeof st->msg, "key '%s' in [%s]: %s", key, section, why);
            st->failed = 1;
            return 0;
        }
        return 1;
    }
    st->failed = 1;
    if (!section_known) {
        snprintf(st->msg, sizeof st->msg,
                 "unknown section [%s] (key '%s'); known sections: run, inputs, synth, fetch, "
                 "compute, indicators, scenarios, datamart, tiles, serve",
                 section, key);
        return 0;
    }
    char known[512] = "";
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(schema[i].section, section) != 0)
            continue;
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", schema[i].key);
    }
    snprintf(st->msg, sizeof st->msg, "unknown key '%s' in [%s]; known keys: %s", key, section,
             known);
    return 0;
}

static int finish_parse(struct parse_state *st, int rc, struct cr_err *err)
{
    if (rc == 0)
        return CR_OK;
    if (rc == -1)
        return cr_err_set(err, CR_EUSAGE, "cannot open config file '%s'", st->name);
    if (rc == -2)
        return cr_err_set(err, CR_EINTERNAL, "out of memory reading config file '%s'", st->name);
    if (st->failed)
        return cr_err_set(err, CR_EUSAGE, "%s:%d: %s", st->name, rc, st->msg);
    return cr_err_set(err, CR_EUSAGE,
                      "%s:%d: syntax error (expected '[section]', 'key = value' or a ; comment)",
                      st->name, rc);
}

/* libinih reads lines of at most INI_MAX_LINE - 1 characters and silently
 * parses the rest as a new line; refuse such lines instead of misreading
 * them, naming the key they set. */
static int check_line_lengths(const char *text, const char *name, struct cr_err *err)
{
    char section[64] = "";
    int line = 1;
    for (const char *p = text; *p; line++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        if (*q == '[') {
            const char *close = memchr(q, ']', len - (size_t)(q - p));
            size_t n = close ? (size_t)(close - q - 1) : 0;
            if (n >= sizeof section)
                n = sizeof section - 1;
            memcpy(section, q + 1, n);
            section[n] = '\0';
        }
        if (len >= CR_CONFIG_MAX_LINE) {
            const char *eq = memchr(q, '=', len - (size_t)(q - p));
            size_t klen = eq ? (size_t)(eq - q) : 0;
            while (klen > 0 && (q[klen - 1] == ' ' || q[klen - 1] == '\t'))
                klen--;
            if (klen > 0 && klen < 64)
                return cr_err_set(err, CR_EUSAGE,
                                  "%s:%d: key '%.*s' in [%s]: line longer than %d characters", name,
                                  line, (int)klen, q, section, CR_CONFIG_MAX_LINE - 1);
            return cr_err_set(err, CR_EUSAGE, "%s:%d: line longer than %d characters", name, line,
                              CR_CONFIG_MAX_LINE - 1);
        }
        p = end ? end + 1 : p + len;
    }
    return CR_OK;
}

int cr_config_load_string(struct cr_config *cfg, const char *text, const char *name,
                          const char *base_dir, struct cr_err *err)
{
    int rc = cr_config_defaults(cfg, base_dir, err);
    if (rc)
        return rc;
    cr_strlcpy(cfg->path, name, sizeof cfg->path);
    if ((rc = check_line_lengths(text, name, err)))
        return rc;
    struct parse_state st;
    memset(&st, 0, sizeof st);
    st.cfg = cfg;
    st.name = name;
    return finish_parse(&st, ini_parse_string(text, on_key, &st), err);
}

int cr_config_load(struct cr_config *cfg, const char *path, struct cr_err *err)
{
    char dir[CR_PATH_MAX];
    cr_dirname(path, dir, sizeof dir);
    char *text = NULL;
    int rc = CR_OK;
    if (cr_is_dir(path))
        rc = cr_err_set(err, CR_EUSAGE, "config file '%s' is a directory", path);
    else if (cr_read_file(path, &text, NULL, err) != CR_OK)
        rc = cr_err_prefix(err, "config file (see config/README.md for the format)");
    if (rc) {
        /* Leave cfg safe to free. */
        struct cr_err ignored;
        cr_config_defaults(cfg, dir, &ignored);
        return CR_EUSAGE;
    }
    rc = cr_config_load_string(cfg, text, path, dir, err);
    free(text);
    return rc;
}

void cr_config_free(struct cr_config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (schema[i].type == K_LIST)
            cr_strlist_free((struct cr_strlist *)((char *)cfg + schema[i].off));
}

void cr_config_print_schema(FILE *out)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const struct key_def *k = &schema[i];
        fprintf(out, "%s.%s\t%s", k->section, k->key, type_name(k->type));
        if (k->type == K_ENUM)
            fprintf(out, "(%s)", k->choices);
        if (k->type == K_INT || k->type == K_DOUBLE)
            fprintf(out, "[%g..%g]", k->min, k->max);
        fprintf(out, "\t%s\t%s\n", k->def, k->doc);
    }
}

void cr_config_print(const struct cr_config *cfg, FILE *out)
{
    const char *section = "";
    const char *base = (const char *)cfg;
    for (size_t i = 0; i < NKEYS; i++) {
        const struct key_def *k = &schema[i];
        if (strcmp(section, k->section) != 0) {
            fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
            section = k->section;
        }
        fprintf(out, "%s = ", k->key);
        switch (k->type) {
        case K_STRING:
        case K_PATH:
        case K_ENUM:
            fprintf(out, "%s", base + k->off);
            break;
        case K_INT:
            fprintf(out, "%ld", *(const long *)(base + k->off));
            break;
        case K_DOUBLE:
            fprintf(out, "%g", *(const double *)(base + k->off));
            break;
        case K_LIST: {
            const struct cr_strlist *l = (const struct cr_strlist *)(base + k->off);
            for (size_t j = 0; j < l->n; j++)
                fprintf(out, "%s%s", j ? "," : "", l->items[j]);
            break;
        }
        case K_RANGE:
            fprintf(out, "%d-%d", *(const int *)(base + k->off), *(const int *)(base + k->off2));
            break;
        }
        fputc('\n', out);
    }
}
