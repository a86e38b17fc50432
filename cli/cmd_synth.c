/* cmd_synth.c — `climrisk synth`: write realistic DRIAS-format NetCDF. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../ingest/synth.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: climrisk synth --out DIR [options]\n"
        "\n"
        "Generate synthetic daily projections on the real DRIAS/SAFRAN 8 km grid, one\n"
        "NetCDF file per variable x model x scenario, named and formatted like DRIAS-2020\n"
        "files. Defaults come from the [synth] section of the config (built-in defaults\n"
        "without --config). The same options and seed give the same files.\n"
        "\n"
        "options:\n"
        "  -o, --out DIR              output directory (created if needed)\n"
        "  -c, --config FILE          read defaults from FILE's [synth] section\n"
        "  -m, --models LIST          GCM_RCM pairs, comma-separated\n"
        "  -s, --scenarios LIST       historical,rcp26,rcp45,rcp85\n"
        "  -y, --years A-B            years of every run (overrides the two below)\n"
        "      --historical-years A-B years of historical runs (default 1976-2005)\n"
        "      --scenario-years A-B   years of RCP runs (default 2006-2100)\n"
        "  -V, --variables LIST       tasminAdjust,tasmaxAdjust,tasAdjust,prtotAdjust,prsnAdjust\n"
        "      --seed N               random seed (default 42)\n"
        "      --calendar NAME        standard (default), noleap or 360_day\n"
        "      --deflate N            deflate level 0-9 (default 1; DRIAS uses 5)\n"
        "      --years-per-file N     split each run into files of N years\n"
        "  -j, --jobs N               worker processes (default: one per CPU)\n"
        "  -h, --help                 this help\n");
}

static int set_list(struct cr_strlist *l, const char *csv)
{
    cr_strlist_free(l);
    return cr_strlist_split(l, csv);
}

int cmd_synth(int argc, char **argv)
{
    enum { O_HIST = 256, O_SCEN, O_SEED, O_CAL, O_DEFLATE, O_YPF };
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},
        {"config", required_argument, 0, 'c'},
        {"models", required_argument, 0, 'm'},
        {"scenarios", required_argument, 0, 's'},
        {"years", required_argument, 0, 'y'},
        {"historical-years", required_argument, 0, O_HIST},
        {"scenario-years", required_argument, 0, O_SCEN},
        {"variables", required_argument, 0, 'V'},
        {"seed", required_argument, 0, O_SEED},
        {"calendar", required_argument, 0, O_CAL},
        {"deflate", required_argument, 0, O_DEFLATE},
        {"years-per-file", required_argument, 0, O_YPF},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    /* First pass: only --config and --help, so that the file's values are
     * the defaults the other options override. */
    const char *config_path = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:c:m:s:y:V:j:h", opts, NULL)) != -1) {
        if (c == 'c')
            config_path = optarg;
        if (c == 'h') {
            usage(stdout);
            return CR_OK;
        }
    }
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("synth", &err);
    }
    struct cr_synth_opts o;
    memset(&o, 0, sizeof o);
    o.models = cfg.synth_models;
    o.scenarios = cfg.synth_scenarios;
    o.variables = cfg.synth_variables;
    memset(&cfg.synth_models, 0, sizeof cfg.synth_models); /* ownership moves to o */
    memset(&cfg.synth_scenarios, 0, sizeof cfg.synth_scenarios);
    memset(&cfg.synth_variables, 0, sizeof cfg.synth_variables);
    o.hist_first = cfg.synth_hist_first;
    o.hist_last = cfg.synth_hist_last;
    o.scen_first = cfg.synth_scen_first;
    o.scen_last = cfg.synth_scen_last;
    o.seed = (unsigned long)cfg.synth_seed;
    cr_calendar_parse(cfg.synth_calendar, &o.calendar);
    o.deflate = (int)cfg.synth_deflate;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cfg.jobs > 0 ? (int)cfg.jobs : (int)(ncpu > 0 ? ncpu : 1);
    cr_config_free(&cfg);

    int status = CR_OK;
    const char *out = NULL;
    optind = 1;
    opterr = 1;
    while (status == CR_OK && (c = getopt_long(argc, argv, "o:c:m:s:y:V:j:h", opts, NULL)) != -1) {
        long v;
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'c':
            break;
        case 'm':
            set_list(&o.models, optarg);
            break;
        case 's':
            set_list(&o.scenarios, optarg);
            break;
        case 'V':
            set_list(&o.variables, optarg);
            break;
        case 'y':
            if (cr_parse_year_range(optarg, &o.hist_first, &o.hist_last) != 0)
                status =
                    cli_usage_error("synth", "--years: '%s' is not a range like 1976-2005", optarg);
            o.scen_first = o.hist_first;
            o.scen_last = o.hist_last;
            break;
        case O_HIST:
            if (cr_parse_year_range(optarg, &o.hist_first, &o.hist_last) != 0)
                status = cli_usage_error(
                    "synth", "--historical-years: '%s' is not a range like 1976-2005", optarg);
            break;
        case O_SCEN:
            if (cr_parse_year_range(optarg, &o.scen_first, &o.scen_last) != 0)
                status = cli_usage_error(
                    "synth", "--scenario-years: '%s' is not a range like 2021-2100", optarg);
            break;
        case O_SEED:
            if (cr_parse_long(optarg, &v) != 0 || v < 0)
                status =
                    cli_usage_error("synth", "--seed: '%s' is not a non-negative integer", optarg);
            o.seed = (unsigned long)v;
            break;
        case O_CAL:
            if (cr_calendar_parse(optarg, &o.calendar) != 0 ||
                !(o.calendar == CR_CAL_STANDARD || o.calendar == CR_CAL_PROLEPTIC ||
                  o.calendar == CR_CAL_NOLEAP || o.calendar == CR_CAL_360 ||
                  o.calendar == CR_CAL_ALL_LEAP))
                status = cli_usage_error("synth", "--calendar: unknown calendar '%s'", optarg);
            break;
        case O_DEFLATE:
            if (cr_parse_long(optarg, &v) != 0 || v < 0 || v > 9)
                status = cli_usage_error("synth", "--deflate: '%s' is not 0..9", optarg);
            o.deflate = (int)v;
            break;
        case O_YPF:
            if (cr_parse_long(optarg, &v) != 0 || v < 0 || v > 1000)
                status = cli_usage_error("synth", "--years-per-file: '%s' is not 0..1000", optarg);
            o.years_per_file = (int)v;
            break;
        case 'j':
            if (cr_parse_long(optarg, &v) != 0 || v < 1 || v > 256)
                status = cli_usage_error("synth", "--jobs: '%s' is not 1..256", optarg);
            o.jobs = (int)v;
            break;
        default:
            status = cli_usage_error("synth", "invalid option");
        }
    }
    if (status == CR_OK && optind < argc)
        status = cli_usage_error("synth", "unexpected argument '%s'", argv[optind]);
    if (status == CR_OK && !out)
        status = cli_usage_error("synth", "--out DIR is required");
    if (status == CR_OK) {
        cr_strlcpy(o.out_dir, out, sizeof o.out_dir);
        if (cr_synth_validate(&o, &err) != CR_OK)
            status = cli_usage_error("synth", "%s", err.msg);
    }
    if (status == CR_OK) {
        cr_info("synth: %zu models x %zu scenarios x %zu variables, historical %d-%d, scenarios "
                "%d-%d, %s calendar, seed %lu, %d jobs -> %s",
                o.models.n, o.scenarios.n, o.variables.n, o.hist_first, o.hist_last, o.scen_first,
                o.scen_last, cr_calendar_name(o.calendar), o.seed, o.jobs, o.out_dir);
        double t0 = cr_now();
        struct cr_synth_report rep;
        status = cr_synth_run(&o, &rep, &err);
        if (status != CR_OK)
            cli_fail("synth", &err);
        else
            cr_info("synth: wrote %d files, %.1f MB, %lld land cell-days in %.1f s", rep.files,
                    rep.bytes / 1e6, rep.values, cr_now() - t0);
    }
    cr_strlist_free(&o.models);
    cr_strlist_free(&o.scenarios);
    cr_strlist_free(&o.variables);
    return status;
}
