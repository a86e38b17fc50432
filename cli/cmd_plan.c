/* cmd_plan.c — `climrisk plan CONFIG`: the tasks of a run, for scale-out. */
#include <getopt.h>
#include <stdio.h>

#include "../pipeline/plan.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: climrisk plan [--slurm] CONFIG\n"
                 "\n"
                 "List the independent tasks of a run (id, kind, name, the tasks it waits\n"
                 "for). Run one with `climrisk run --task ID CONFIG`. With --slurm, print a\n"
                 "Slurm submission script instead: a job array over the simulations and a\n"
                 "dependent job for the reductions.\n"
                 "  --slurm     print the Slurm script\n"
                 "  -h, --help  this help\n");
}

int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"slurm", no_argument, 0, 'S'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int slurm = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'S')
            slurm = 1;
        else if (c == 'h') {
            usage(stdout);
            return CR_OK;
        } else
            return cli_usage_error("plan", "invalid option");
    }
    if (optind != argc - 1)
        return cli_usage_error("plan", "give exactly one CONFIG file");
    struct cr_config cfg;
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_plan plan = {0};
    int rc = cr_config_load(&cfg, argv[optind], &err);
    if (rc == CR_OK)
        rc = cr_plan_build(&cfg, &plan, &err);
    if (rc == CR_OK) {
        if (slurm)
            rc = cr_plan_write_slurm(&plan, argv[optind], stdout, &err);
        else
            cr_plan_print(&plan, stdout);
    }
    cr_plan_free(&plan);
    cr_config_free(&cfg);
    return rc == CR_OK ? CR_OK : cli_fail("plan", &err);
}
