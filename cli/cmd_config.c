/* cmd_config.c — `climrisk config`: check a config file, show it, list keys. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: climrisk config [--check|--print] FILE\n"
                 "       climrisk config --keys\n"
                 "\n"
                 "  --check FILE  validate FILE (exit 0 when good, 1 with file:line: reason)\n"
                 "  --print FILE  print the effective configuration (defaults filled in)\n"
                 "  --keys        list every key: section.key, type, default, meaning\n"
                 "  -h, --help    this help\n");
}

int cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {
        {"check", no_argument, 0, 'C'},
        {"print", no_argument, 0, 'p'},
        {"keys", no_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int mode = 'C', c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CR_OK;
        }
        if (c == '?')
            return cli_usage_error("config", "invalid option");
        mode = c;
    }
    if (mode == 'k') {
        cr_config_print_schema(stdout);
        return CR_OK;
    }
    if (optind != argc - 1)
        return cli_usage_error("config", "give exactly one config FILE");
    struct cr_config cfg;
    struct cr_err err;
    cr_err_clear(&err);
    int status = cr_config_load(&cfg, argv[optind], &err);
    if (status == CR_OK) {
        if (mode == 'p')
            cr_config_print(&cfg, stdout);
        else
            printf("%s: ok\n", argv[optind]);
    }
    cr_config_free(&cfg);
    return status == CR_OK ? CR_OK : cli_fail("config", &err);
}
