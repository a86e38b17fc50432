/* config.h — the pipeline's run configuration, read from one INI file.
 *
 * A run is described by a human-edited INI file (parsed by libinih), one
 * [section] per stage. Every key is declared once in the schema table of
 * config.c with its type, default, allowed range and documentation; unknown
 * sections or keys, values of the wrong type or out of range, and keys given
 * twice are errors that name the file, the line and the key. Relative paths
 * resolve against the directory of the config file, so a scheduled job gives
 * the same result whatever its working directory. config/README.md documents
 * every key (a test checks it against the schema). */
#ifndef CR_CONFIG_H
#define CR_CONFIG_H

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../core/strutil.h"

/* The longest line libinih reads whole (its INI_MAX_LINE). */
#define CR_CONFIG_MAX_LINE 200

struct cr_config {
    char path[CR_PATH_MAX];     /* the file that was read ("" for defaults) */
    char base_dir[CR_PATH_MAX]; /* relative paths resolve against it */

    /* [run] */
    char run_name[64];
    char workdir[CR_PATH_MAX];
    long jobs; /* 0 = one per CPU */
    char on_failure[1024];
    struct cr_strlist steps; /* inputs, compute, aggregate, load, tiles */

    /* [inputs] */
    char source[16]; /* synth | manifest | directory */
    char manifest[CR_PATH_MAX];
    char input_dir[CR_PATH_MAX];
    char cache_dir[CR_PATH_MAX];
    double max_invalid_fraction; /* values out of physical range: error above */

    /* [synth] */
    struct cr_strlist synth_models;
    struct cr_strlist synth_scenarios;
    struct cr_strlist synth_variables;
    int synth_hist_first, synth_hist_last;
    int synth_scen_first, synth_scen_last;
    long synth_seed;
    char synth_calendar[16];
    long synth_deflate;

    /* [fetch] */
    long fetch_jobs;
    long fetch_timeout;
    long fetch_retries;
    char fetch_netrc[CR_PATH_MAX];
    long fetch_connect_timeout;
    double fetch_retry_delay;

    /* [compute] */
    struct cr_strlist indicators; /* "all" or codes */
    double max_missing_fraction;

    /* [indicators] */
    double snow_melt_factor;
    double snow_cover_threshold;
    double snow_rain_temperature;

    /* [scenarios] */
    char scenarios_dir[CR_PATH_MAX];
    char ensemble[64];
    long warming_window;
    long warming_horizon;

    /* [datamart] */
    char dsn[1024];
    char db_schema[64];
    long lock_wait; /* seconds a load/migrate waits for another writer */

    /* [tiles] */
    char tiles_dir[CR_PATH_MAX];
    long vector_maxzoom;
    long raster_maxzoom;

    /* [serve] */
    char listen[64];
    long port;
    long max_connections;
    long request_timeout;
    long serve_threads;
    long max_per_ip;
    long db_connections;
    long statement_timeout;
    char web_dir[CR_PATH_MAX];
    char cors_origin[256];
};

/* Fill every key with its default; paths resolve against base_dir
 * (NULL = current directory). */
int cr_config_defaults(struct cr_config *cfg, const char *base_dir, struct cr_err *err);

/* Defaults, then the file's values. On error cfg is still safe to free. */
int cr_config_load(struct cr_config *cfg, const char *path, struct cr_err *err);

/* Same from a string (tests, fuzzing); name is used in messages. */
int cr_config_load_string(struct cr_config *cfg, const char *text, const char *name,
                          const char *base_dir, struct cr_err *err);

void cr_config_free(struct cr_config *cfg);

/* Print every key as "section.key<TAB>type<TAB>default<TAB>doc" (docs, tests). */
void cr_config_print_schema(FILE *out);
/* Print the effective configuration as INI. */
void cr_config_print(const struct cr_config *cfg, FILE *out);

#endif
