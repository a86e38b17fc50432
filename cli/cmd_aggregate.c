/* cmd_aggregate.c — `climrisk aggregate`: horizon and ensemble statistics. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../indicators/aggregate.h"
#include "../scenarios/scenarios.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk aggregate [options]\n"
            "\n"
            "Read the annual files (<workdir>/annual/<model>_<experiment>.nc, from `climrisk\n"
            "compute`) and write, per experiment, the horizon and ensemble statistics\n"
            "(<workdir>/stats/<experiment>.nc, docs/formats.md) and the same maps as\n"
            "Cloud-Optimized GeoTIFFs (<workdir>/stats/cog/). Horizons, warming levels and\n"
            "statistics come from the scenarios/ files ([scenarios] dir).\n"
            "\n"
            "options:\n"
            "  -c, --config FILE        run configuration (defaults: built-in)\n"
            "  -a, --annual DIR         annual files (default <workdir>/annual)\n"
            "  -o, --out DIR            output directory (default <workdir>/stats)\n"
            "  -e, --experiments LIST   only these experiments (default: every one found)\n"
            "  -s, --scenarios DIR      scenario declarations (default [scenarios] dir)\n"
            "      --no-cog             NetCDF only, no GeoTIFFs\n"
            "  -h, --help               this help\n");
}

int cmd_aggregate(int argc, char **argv)
{
    enum { O_NOCOG = 256 };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},      {"annual", required_argument, 0, 'a'},
        {"out", required_argument, 0, 'o'},         {"experiments", required_argument, 0, 'e'},
        {"scenarios", required_argument, 0, 's'},   {"no-cog", no_argument, 0, O_NOCOG},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0},
    };
    const char *config_path = NULL, *annual = NULL, *out = NULL, *exps = NULL, *scn_dir = NULL;
    int cog = 1, c;
    while ((c = getopt_long(argc, argv, "c:a:o:e:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'a':
            annual = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'e':
            exps = optarg;
            break;
        case 's':
            scn_dir = optarg;
            break;
        case O_NOCOG:
            cog = 0;
            break;
        case 'h':
            usage(stdout);
            return CR_OK;
        default:
            return cli_usage_error("aggregate", "invalid option");
        }
    }
    if (optind < argc)
        return cli_usage_error("aggregate", "unexpected argument '%s'", argv[optind]);
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("aggregate", &err);
    }
    struct cr_scenarios scn;
    if (cr_scenarios_load(&scn, scn_dir ? scn_dir : cfg.scenarios_dir, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("aggregate", &err);
    }
    struct cr_aggregate_opts o;
    memset(&o, 0, sizeof o);
    if (annual)
        cr_strlcpy(o.annual_dir, annual, sizeof o.annual_dir);
    else
        cr_path_join(o.annual_dir, sizeof o.annual_dir, cfg.workdir, "annual");
    if (out)
        cr_strlcpy(o.out_dir, out, sizeof o.out_dir);
    else
        cr_path_join(o.out_dir, sizeof o.out_dir, cfg.workdir, "stats");
    o.scn = &scn;
    o.ensemble = cfg.ensemble[0] ? cfg.ensemble : NULL;
    o.warming_window = (int)cfg.warming_window;
    o.warming_horizon = (int)cfg.warming_horizon;
    o.max_missing_fraction = cfg.max_missing_fraction;
    o.cog = cog;
    struct cr_strlist el = {0};
    int status = CR_OK;
    if (exps) {
        cr_strlist_split(&el, exps);
        for (size_t i = 0; i < el.n && status == CR_OK; i++) {
            const struct cr_experiment *e = cr_scenarios_experiment(&scn, el.items[i]);
            if (!e)
                status = cli_usage_error("aggregate", "unknown experiment '%s' (see `climrisk "
                                         "scenarios`)", el.items[i]);
            else if (strcmp(e->id, el.items[i]) != 0) {
                free(el.items[i]);
                el.items[i] = strdup(e->id);
            }
        }
        o.experiments = &el;
    }
    if (status == CR_OK) {
        double t0 = cr_now();
        struct cr_aggregate_report rep;
        status = cr_aggregate(&o, &rep, &err);
        if (status != CR_OK)
            cli_fail("aggregate", &err);
        else
            cr_info("aggregate: %d statistics files from %d annual series, %d GeoTIFFs, %d "
                    "(model, level) pairs not reached, in %.1f s",
                    rep.experiments, rep.models, rep.cogs, rep.levels_not_reached, cr_now() - t0);
    }
    cr_strlist_free(&el);
    cr_scenarios_free(&scn);
    cr_config_free(&cfg);
    return status;
}
