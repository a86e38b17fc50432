/* cmd_run.c — `climrisk run CONFIG`: the scheduled job. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../pipeline/run.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk run [options] CONFIG\n"
            "\n"
            "Run the pipeline described by CONFIG (inputs -> compute -> aggregate -> load\n"
            "-> tiles), doing only what changed since the last run in the same work\n"
            "directory. A run killed at any moment can simply be started again. Writes\n"
            "<workdir>/run/report.json.\n"
            "\n"
            "options:\n"
            "  -n, --dry-run     print the plan with what is up to date; do nothing\n"
            "  -t, --task N      run only task N of `climrisk plan CONFIG`\n"
            "  -s, --sim K       run only the tasks of simulation K (Slurm array element)\n"
            "  -w, --wait        wait for another run on the same work directory to finish\n"
            "  -j, --jobs N      parallel worker processes (default [run] jobs, or one per CPU)\n"
            "  -h, --help        this help\n"
            "\n"
            "exit codes: 0 ok; 1 usage or config error; 5 another run holds the work\n"
            "directory; 130 interrupted; when a step fails: 11 inputs, 12 compute,\n"
            "13 aggregate, 14 load, 15 tiles (the report says why).\n");
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, 0, 'n'},
        {"task", required_argument, 0, 't'},
        {"sim", required_argument, 0, 's'},
        {"wait", no_argument, 0, 'w'},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct cr_run_opts ro;
    memset(&ro, 0, sizeof ro);
    long v;
    int c, jobs = 0;
    while ((c = getopt_long(argc, argv, "nt:s:wj:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            ro.dry_run = 1;
            break;
        case 't':
            if (cr_parse_long(optarg, &v) != 0 || v < 1)
                return cli_usage_error("run", "--task: '%s' is not a task number", optarg);
            ro.task_id = (int)v;
            break;
        case 's':
            if (cr_parse_long(optarg, &v) != 0 || v < 1)
                return cli_usage_error("run", "--sim: '%s' is not a simulation number", optarg);
            ro.sim = (int)v;
            break;
        case 'w':
            ro.wait = 1;
            break;
        case 'j':
            if (cr_parse_long(optarg, &v) != 0 || v < 1 || v > 256)
                return cli_usage_error("run", "--jobs: '%s' is not 1..256", optarg);
            jobs = (int)v;
            break;
        case 'h':
            usage(stdout);
            return CR_OK;
        default:
            return cli_usage_error("run", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("run", "give exactly one CONFIG file");
    if (ro.task_id && ro.sim)
        return cli_usage_error("run", "--task and --sim exclude each other");
    struct cr_config cfg;
    struct cr_err err;
    cr_err_clear(&err);
    int rc = cr_config_load(&cfg, argv[optind], &err);
    if (rc == CR_OK) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        ro.jobs = jobs ? jobs : cfg.jobs ? (int)cfg.jobs : (int)(ncpu > 0 ? ncpu : 1);
        rc = cr_run(&cfg, &ro, &err);
    }
    cr_config_free(&cfg);
    return rc == CR_OK ? CR_OK : (cli_fail("run", &err), rc);
}
