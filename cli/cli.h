/* cli.h — what every `climrisk <command>` shares: the command table, usage
 * and error reporting, and loading the run configuration.
 *
 * A command is a function `int cmd_x(int argc, char **argv)` in cli/cmd_x.c
 * that parses its own long options with getopt_long, calls the modules, and
 * returns an exit code (enum cr_status). Commands print results on stdout and
 * everything else (logs, progress, errors) on stderr. */
#ifndef CR_CLI_H
#define CR_CLI_H

#include "../config/config.h"
#include "../core/error.h"

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Print "climrisk <cmd>: <message>" and a pointer to --help; returns
 * CR_EUSAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the error of a failed call and return its code. */
int cli_fail(const char *cmd, const struct cr_err *err);

/* Load --config FILE, or the built-in defaults when path is NULL. */
int cli_load_config(const char *path, struct cr_config *cfg, struct cr_err *err);

/* Commands (one file each). */
int cmd_aggregate(int argc, char **argv);
int cmd_compute(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_scenarios(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_tiles(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
