/* main.c — `climrisk <command> [options]`: dispatch to one command.
 *
 * Global options come before the command: --verbose/--quiet set the log
 * level, --version and --help answer at once. The command table is the one
 * list of what the binary can do; `climrisk --help` prints it. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "cli.h"
#include "git_rev.h" /* generated: CR_GIT_REV */

static const struct cli_command commands[] = {
    {"synth", cmd_synth, "generate realistic DRIAS-format NetCDF projections"},
    {"fetch", cmd_fetch, "download and verify the files of a manifest into the local cache"},
    {"inspect", cmd_inspect, "show what a NetCDF file holds and how climrisk reads it"},
    {"compute", cmd_compute, "annual indicators of each simulation, in one streaming pass"},
    {"aggregate", cmd_aggregate, "horizon and ensemble statistics (NetCDF and GeoTIFF)"},
    {"scenarios", cmd_scenarios, "list ensembles, periods, warming levels; models' pivot years"},
    {"db", cmd_db,
     "PostgreSQL/PostGIS: private server (start, stop, psql), datamart migrate, grant"},
    {"load", cmd_load, "load a run's indicators into the PostGIS datamart (binary COPY)"},
    {"tiles", cmd_tiles, "vector (MVT/PMTiles) and raster (PNG) tiles, legends, catalog.json"},
    {"serve", cmd_serve, "serve the web map, tiles, popups and live tiles over HTTP"},
    {"config", cmd_config, "check a config file, print it, or list every key"},
    {"run", cmd_run, "run the pipeline of a config file, incrementally (the scheduled job)"},
    {"plan", cmd_plan, "list a run's independent tasks, or write a Slurm script"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *out)
{
    fprintf(out, "usage: climrisk [--verbose|--quiet] <command> [options]\n"
                 "       climrisk <command> --help\n"
                 "\n"
                 "Climate-risk indicators for France from DRIAS / EURO-CORDEX projections.\n"
                 "\n"
                 "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "global options:\n"
                 "  -v, --verbose   debug log lines\n"
                 "  -q, --quiet     only warnings and errors\n"
                 "      --version   print the version\n"
                 "  -h, --help      this help\n"
                 "\n"
                 "exit codes: 0 ok, 1 usage or config error, 2 bad input data, 3 external\n"
                 "failure (network, database), 4 internal error, 5 busy (lock held),\n"
                 "130 interrupted.\n");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "climrisk %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'climrisk %s --help'.\n", cmd);
    return CR_EUSAGE;
}

int cli_fail(const char *cmd, const struct cr_err *err)
{
    int code = err->code ? err->code : CR_EINTERNAL;
    fprintf(stderr, "climrisk %s: error (%s): %s\n", cmd, cr_status_name(code),
            err->msg[0] ? err->msg : "unknown error");
    return code;
}

int cli_load_config(const char *path, struct cr_config *cfg, struct cr_err *err)
{
    if (!path)
        return cr_config_defaults(cfg, NULL, err);
    return cr_config_load(cfg, path, err);
}

int main(int argc, char **argv)
{
    enum cr_log_level level = CR_LOG_INFO;
    const char *env = getenv("CLIMRISK_LOG");
    if (env && strcmp(env, "debug") == 0)
        level = CR_LOG_DEBUG;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            level = CR_LOG_DEBUG;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            level = CR_LOG_WARN;
        } else if (strcmp(a, "--version") == 0) {
            printf("climrisk %s (%s)\n", CR_VERSION, CR_GIT_REV);
            return CR_OK;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help(stdout);
            return CR_OK;
        } else {
            fprintf(stderr, "climrisk: unknown option '%s'\nTry 'climrisk --help'.\n", a);
            return CR_EUSAGE;
        }
    }
    if (i >= argc) {
        print_help(stderr);
        return CR_EUSAGE;
    }
    cr_log_init(level);
    cr_stop_install();
    const char *name = argv[i];
    for (size_t c = 0; c < NCOMMANDS; c++) {
        if (strcmp(commands[c].name, name) == 0) {
            optind = 1; /* each command runs getopt_long on its own argv */
            return commands[c].run(argc - i, argv + i);
        }
    }
    fprintf(stderr, "climrisk: unknown command '%s'\nTry 'climrisk --help'.\n", name);
    return CR_EUSAGE;
}
