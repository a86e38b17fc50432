/* cmd_scenarios.c — `climrisk scenarios`: what scenarios/ declares, and the
 * warming-level pivot years of computed simulations. */
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../indicators/aggregate.h"
#include "../indicators/levels.h"
#include "../scenarios/scenarios.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk scenarios [options]\n"
            "\n"
            "List the ensembles, experiments, periods, warming levels and ensemble\n"
            "statistics declared in the scenarios/ files (scenarios/README.md). With\n"
            "--annual, print each model's warming-level pivot years and horizons, computed\n"
            "from the France-mean temperature stored in its annual files.\n"
            "\n"
            "options:\n"
            "  -c, --config FILE    run configuration ([scenarios] dir, warming_window,\n"
            "                       warming_horizon)\n"
            "  -s, --scenarios DIR  scenario declarations (default [scenarios] dir)\n"
            "  -a, --annual DIR     annual files: print pivot years\n"
            "  -m, --members        list every model of each ensemble\n"
            "  -h, --help           this help\n");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int print_pivots(const struct cr_scenarios *scn, const struct cr_config *cfg,
                        const char *dir, struct cr_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return cr_err_set(err, CR_EUSAGE, "cannot read %s", dir);
    struct cr_strlist models = {0};
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char model[192], exp[16];
        if (cr_annual_name_parse(de->d_name, scn, model, sizeof model, exp, sizeof exp) == 0 &&
            !cr_strlist_contains(&models, model))
            cr_strlist_push(&models, model);
    }
    closedir(d);
    qsort(models.items, models.n, sizeof *models.items, cmp_str);
    const struct cr_period *ref = cr_scenarios_reference(scn);
    printf("\nwarming-level pivot years (window %ld years, horizon %ld years, REF %d-%d):\n",
           cfg->warming_window, cfg->warming_horizon, ref->first_year, ref->last_year);
    printf("%-48s %-7s %-8s %9s  %s\n", "model", "level", "exp", "REF degC", "pivot (horizon)");
    int rc = CR_OK;
    for (size_t i = 0; i < models.n && rc == CR_OK; i++) {
        for (size_t l = 0; l < scn->nlevels && rc == CR_OK; l++) {
            const struct cr_warming_level *lv = &scn->levels[l];
            char hist[4096], expp[4096], name[300];
            snprintf(name, sizeof name, "%s_historical.nc", models.items[i]);
            cr_path_join(hist, sizeof hist, dir, name);
            snprintf(name, sizeof name, "%s_%s.nc", models.items[i], lv->experiment);
            cr_path_join(expp, sizeof expp, dir, name);
            int has_h = cr_file_exists(hist), has_e = cr_file_exists(expp);
            if (!has_e)
                continue;
            int y0, n;
            double *v = NULL;
            rc = cr_level_series(has_h ? hist : NULL, expp, &y0, &n, &v, err);
            if (rc)
                break;
            struct cr_level_result r;
            cr_level_find(v, y0, n, ref, lv, (int)cfg->warming_window, (int)cfg->warming_horizon,
                          &r);
            free(v);
            char what[128];
            if (r.status == CR_LEVEL_REACHED)
                snprintf(what, sizeof what, "%d (%d-%d)", r.pivot, r.first_year, r.last_year);
            else if (r.status == CR_LEVEL_NOT_REACHED)
                snprintf(what, sizeof what, "never (smoothed max %+.2f, level %+.2f)",
                         r.max_smoothed, lv->above_reference);
            else if (r.status == CR_LEVEL_BEYOND_RUN)
                snprintf(what, sizeof what, "%d (horizon beyond the run)", r.pivot);
            else
                snprintf(what, sizeof what, "%s", cr_level_status_name(r.status));
            printf("%-48s %-7s %-8s %9.2f  %s\n", models.items[i], lv->code, lv->experiment,
                   r.ref_mean, what);
        }
    }
    cr_strlist_free(&models);
    return rc;
}

int cmd_scenarios(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"scenarios", required_argument, 0, 's'},
        {"annual", required_argument, 0, 'a'}, {"members", no_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    const char *config_path = NULL, *dir = NULL, *annual = NULL;
    int members = 0, c;
    while ((c = getopt_long(argc, argv, "c:s:a:mh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 's':
            dir = optarg;
            break;
        case 'a':
            annual = optarg;
            break;
        case 'm':
            members = 1;
            break;
        case 'h':
            usage(stdout);
            return CR_OK;
        default:
            return cli_usage_error("scenarios", "invalid option");
        }
    }
    if (optind < argc)
        return cli_usage_error("scenarios", "unexpected argument '%s'", argv[optind]);
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("scenarios", &err);
    }
    struct cr_scenarios s;
    if (cr_scenarios_load(&s, dir ? dir : cfg.scenarios_dir, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("scenarios", &err);
    }
    printf("scenarios: %s\n\nensembles:\n", s.dir);
    for (size_t i = 0; i < s.nensembles; i++) {
        const struct cr_ensemble *e = &s.ensembles[i];
        printf("  %-16s %2zu pairs  %s\n", e->name, e->nmembers, e->label.en);
        for (size_t m = 0; members && m < e->nmembers; m++) {
            const struct cr_ensemble_member *mm = &e->members[m];
            printf("    %-48s %-8s", mm->model, mm->member);
            for (int k = 0; k < mm->nexperiments; k++)
                printf("%s%s", k ? "," : " ", mm->experiments[k]);
            printf("\n");
        }
    }
    printf("\nexperiments:\n");
    for (size_t i = 0; i < s.nexperiments; i++)
        printf("  %-11s %-10s %-32s %s\n", s.experiments[i].id,
               s.experiments[i].is_historical ? "historical" : "scenario", s.experiments[i].label.en,
               s.experiments[i].label.fr);
    printf("\nperiods:\n");
    for (size_t i = 0; i < s.nperiods; i++) {
        const struct cr_period *p = &s.periods[i];
        printf("  %-6s %d-%d  from", p->code, p->first_year, p->last_year);
        for (int k = 0; k < p->nexperiments; k++)
            printf("%s%s", k ? "," : " ", p->experiments[k]);
        printf("%s  %s\n", p->is_reference ? "  (reference)" : "", p->label.en);
    }
    printf("\nwarming levels (France above pre-industrial; France warmed %.1f degC from "
           "pre-industrial to %s):\n",
           s.preindustrial_to_reference, s.reference_period);
    for (size_t i = 0; i < s.nlevels; i++) {
        const struct cr_warming_level *l = &s.levels[i];
        printf("  %-6s +%.1f degC France = REF %+.1f degC, on %s runs (TRACC %d)  %s\n", l->code,
               l->france_warming, l->above_reference, l->experiment, l->tracc_year, l->label.en);
    }
    printf("\nensemble statistics:\n");
    for (size_t i = 0; i < s.nstats; i++) {
        const struct cr_statistic *st = &s.stats[i];
        if (st->type == CR_STAT_QUANTILE)
            printf("  %-10s quantile %.2f (type 7)  %s\n", st->code, st->q, st->label.en);
        else
            printf("  %-10s %-19s %s\n", st->code,
                   st->type == CR_STAT_MIN ? "min" : st->type == CR_STAT_MAX ? "max" : "agreement",
                   st->label.en);
    }
    int status = CR_OK;
    if (annual && print_pivots(&s, &cfg, annual, &err) != CR_OK)
        status = cli_fail("scenarios", &err);
    cr_scenarios_free(&s);
    cr_config_free(&cfg);
    return status;
}
