/* cmd_load.c — `climrisk load`: a run's annual series and horizon
 * statistics into the PostGIS OpenDataMart (sql/load.h, sql/README.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../core/log.h"
#include "../core/sha256.h"
#include "../sql/datamart.h"
#include "../sql/load.h"
#include "../sql/pgcluster.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk load [--config FILE] [--annual DIR|FILE]... [--stats DIR|FILE]...\n"
            "                     [--force] [--wait SECONDS]\n"
            "\n"
            "Load the annual indicator files (annual/<model>_<experiment>.nc) and the horizon\n"
            "statistics files (stats/<experiment>.nc) of a run into the OpenDataMart (schema\n"
            "'datamart' of the [datamart] dsn, CLIMRISK_DSN, or the private server), migrating\n"
            "the schema first when needed. Everything is one transaction: each file replaces\n"
            "the series of its (scenario, model) or the statistics of its scenario whole, or,\n"
            "on any error, nothing changes. Files unchanged since the last load (same sha256)\n"
            "are kept as they are; a changed file whose maps differ for some indicators only\n"
            "is patched (those indicators' maps are replaced, the others kept; --force\n"
            "replaces it whole). Rows are streamed with binary COPY. sql/README.md shows how\n"
            "to query the result.\n"
            "\n"
            "options:\n"
            "  -c, --config FILE    run configuration (workdir, [datamart] dsn, lock_wait)\n"
            "  -a, --annual PATH    annual file, or directory of them (repeatable; default\n"
            "                       <workdir>/annual when it exists)\n"
            "  -s, --stats PATH     statistics file, or directory of them (repeatable; default\n"
            "                       <workdir>/stats when it exists)\n"
            "      --no-annual      do not load annual series\n"
            "      --no-stats       do not load statistics\n"
            "  -f, --force          reload files even when unchanged\n"
            "      --check          print 'current' when every input is loaded as it is, else\n"
            "                       'stale'; change nothing\n"
            "  -w, --wait SECONDS   wait that long for another load to finish (default\n"
            "                       [datamart] lock_wait; 0 = exit with code 5 at once)\n"
            "      --no-admin       do not (re)load admin areas while migrating\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 usage, 2 bad input file, 3 database error, 5 another load\n"
            "holds the datamart lock, 130 interrupted (nothing changed).\n");
}

static int default_input(const struct cr_config *cfg, const char *sub, struct cr_strlist *l)
{
    char path[CR_PATH_MAX];
    if (cr_path_join(path, sizeof path, cfg->workdir, sub) != 0 || !cr_is_dir(path))
        return 0;
    cr_strlist_push(l, path);
    return 1;
}

static void print_report(const struct cr_load_report *rep)
{
    printf("%-7s %-10s %-44s %11s %6s %8s  %s\n", "kind", "scenario", "model", "rows", "maps",
           "seconds", "status");
    for (int k = 0; k < rep->nunits; k++) {
        const struct cr_load_unit_report *u = &rep->units[k];
        char status[64];
        if (u->patched)
            snprintf(status, sizeof status, "patched (%d of %d indicators)", u->indicators_replaced,
                     u->indicators);
        else
            cr_strlcpy(status, u->skipped ? "unchanged" : "loaded", sizeof status);
        printf("%-7s %-10s %-44s %11llu %6u %8.1f  %s\n", u->kind, u->scenario,
               u->model[0] ? u->model : "-", (unsigned long long)u->rows, u->slices, u->seconds,
               status);
    }
    uint64_t rows = rep->stat_rows + rep->annual_rows;
    printf("run %lld: %llu rows (%llu cell_stat, %llu annual_value) in %.1f s, %.0f rows/s\n",
           rep->run_id, (unsigned long long)rows, (unsigned long long)rep->stat_rows,
           (unsigned long long)rep->annual_rows, rep->seconds,
           rep->seconds > 0 ? (double)rows / rep->seconds : 0.0);
}

int cmd_load(int argc, char **argv)
{
    enum { O_NO_ANNUAL = 256, O_NO_STATS, O_NO_ADMIN, O_CHECK };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},
        {"annual", required_argument, 0, 'a'},
        {"stats", required_argument, 0, 's'},
        {"no-annual", no_argument, 0, O_NO_ANNUAL},
        {"no-stats", no_argument, 0, O_NO_STATS},
        {"no-admin", no_argument, 0, O_NO_ADMIN},
        {"force", no_argument, 0, 'f'},
        {"check", no_argument, 0, O_CHECK},
        {"wait", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct cr_load_opts o;
    memset(&o, 0, sizeof o);
    const char *config_path = NULL;
    int no_annual = 0, no_stats = 0, status = CR_OK, wait = -1, check = 0;
    int c;
    while (status == CR_OK && (c = getopt_long(argc, argv, "c:a:s:fw:h", opts, NULL)) != -1) {
        long v;
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'a':
            cr_strlist_push(&o.annual, optarg);
            break;
        case 's':
            cr_strlist_push(&o.stats, optarg);
            break;
        case O_NO_ANNUAL:
            no_annual = 1;
            break;
        case O_NO_STATS:
            no_stats = 1;
            break;
        case O_NO_ADMIN:
            o.skip_admin = 1;
            break;
        case 'f':
            o.force = 1;
            break;
        case O_CHECK:
            check = 1;
            break;
        case 'w':
            if (cr_parse_long(optarg, &v) != 0 || v < 0 || v > 86400)
                status = cli_usage_error("load", "--wait: '%s' is not 0..86400 seconds", optarg);
            wait = (int)v;
            break;
        case 'h':
            usage(stdout);
            cr_strlist_free(&o.annual);
            cr_strlist_free(&o.stats);
            return CR_OK;
        default:
            status = cli_usage_error("load", "invalid option");
        }
    }
    if (status == CR_OK && optind < argc)
        status = cli_usage_error("load",
                                 "unexpected argument '%s' (inputs go after --annual or "
                                 "--stats)",
                                 argv[optind]);
    if (status == CR_OK && ((no_annual && o.annual.n) || (no_stats && o.stats.n)))
        status = cli_usage_error("load", "--no-annual/--no-stats contradict --annual/--stats");
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int have_cfg = 0;
    if (status == CR_OK) {
        if (cli_load_config(config_path, &cfg, &err) != CR_OK)
            status = cli_fail("load", &err);
        have_cfg = 1;
    }
    if (status == CR_OK && strcmp(cfg.db_schema, CR_DM_SCHEMA) != 0)
        status = cli_usage_error("load", "[datamart] schema = '%s': only 'datamart' is supported",
                                 cfg.db_schema);
    if (status == CR_OK) {
        if (!no_annual && o.annual.n == 0)
            default_input(&cfg, "annual", &o.annual);
        if (!no_stats && o.stats.n == 0)
            default_input(&cfg, "stats", &o.stats);
        if (o.annual.n + o.stats.n == 0)
            status = cli_usage_error("load",
                                     "no inputs: give --annual/--stats, or run climrisk compute "
                                     "and aggregate so that %s/annual and %s/stats exist",
                                     cfg.workdir, cfg.workdir);
    }
    char dsn[1024], hash[CR_SHA256_HEX] = "";
    if (status == CR_OK && cr_db_resolve_dsn(&cfg, dsn, sizeof dsn, &err) != CR_OK)
        status = cli_fail("load", &err);
    if (status == CR_OK && config_path && cr_sha256_file(config_path, hash, &err) != CR_OK)
        status = cli_fail("load", &err);
    if (status == CR_OK) {
        o.lock_wait = wait >= 0 ? wait : (int)cfg.lock_wait;
        o.run_name = cfg.run_name;
        o.config_path = config_path;
        o.config_hash = hash[0] ? hash : NULL;
        o.scenarios_dir = cfg.scenarios_dir;
        static struct cr_load_report rep; /* large: keep it off the stack */
        int current;
        if (check) {
            if (cr_load_is_current(dsn, &o, &current, &err) != CR_OK)
                status = cli_fail("load", &err);
            else
                printf("%s\n", current ? "current" : "stale");
        } else if (cr_load_run(dsn, &o, &rep, &err) != CR_OK) {
            /* A database failure mid-load (server gone, disk full): say
             * that nothing was changed and what to do. */
            size_t n = strlen(err.msg);
            if (err.code == CR_EEXTERNAL && strncmp(err.msg, "loading ", 8) == 0 &&
                n + 120 < sizeof err.msg) {
                while (n > 0 && (err.msg[n - 1] == '\n' || err.msg[n - 1] == ' '))
                    err.msg[--n] = '\0';
                snprintf(err.msg + n, sizeof err.msg - n,
                         "\nThe load was rolled back: the datamart is unchanged. Fix the cause "
                         "and run the same load again.");
            }
            status = cli_fail("load", &err);
        } else
            print_report(&rep);
    }
    if (have_cfg)
        cr_config_free(&cfg);
    cr_strlist_free(&o.annual);
    cr_strlist_free(&o.stats);
    return status;
}
