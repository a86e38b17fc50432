/* step_aggregate.c — horizon and ensemble statistics of one experiment.
 *
 * Its recipe: the aggregation's algorithm version, the config values it
 * reads ([scenarios] ensemble, warming window and horizon, [compute]
 * max_missing_fraction), the content of the scenarios/ declarations and the
 * content hashes of the annual files it reads: the experiment's simulations
 * and their models' historical runs (the reference period). Its output is
 * stats/<experiment>.nc, plus the GeoTIFFs of stats/cog/. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../indicators/aggregate.h"
#include "../scenarios/scenarios.h"
#include "steps.h"

/* Bump when the statistics change for the same annual files. */
#define AGGREGATE_ALGORITHM "aggregate-1"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.ini files of dir, sorted (appended to out). */
static int ini_files(const char *dir, struct cr_strlist *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t first = out->n;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        char path[CR_PATH_MAX];
        if (n > 4 && strcmp(de->d_name + n - 4, ".ini") == 0 &&
            cr_path_join(path, sizeof path, dir, de->d_name) == 0)
            rc = cr_strlist_push(out, path);
    }
    closedir(d);
    qsort(out->items + first, out->n - first, sizeof *out->items, by_name);
    return rc;
}

/* Does the plan's simulation q feed experiment exp's statistics? */
static int feeds(const struct cr_plan *p, size_t q, const char *exp)
{
    if (strcmp(p->sims[q].experiment, exp) == 0)
        return 1;
    if (strcmp(p->sims[q].experiment, "historical") != 0)
        return 0;
    for (size_t r = 0; r < p->nsims; r++)
        if (strcmp(p->sims[r].experiment, exp) == 0 &&
            strcmp(p->sims[r].model, p->sims[q].model) == 0)
            return 1;
    return 0;
}

static int aggregate_recipe(struct cr_step_ctx *ctx, const struct cr_task *t,
                            char hex[CR_SHA256_HEX], struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    struct cr_strlist files = {0};
    char sub[CR_PATH_MAX];
    int rc = ini_files(cfg->scenarios_dir, &files);
    if (rc == 0 && cr_path_join(sub, sizeof sub, cfg->scenarios_dir, "ensembles") == 0)
        rc = ini_files(sub, &files);
    for (size_t q = 0; rc == 0 && q < ctx->plan->nsims; q++) {
        char path[CR_PATH_MAX];
        if (feeds(ctx->plan, q, t->experiment) &&
            cr_annual_path(ctx, &ctx->plan->sims[q], path, sizeof path) == 0)
            rc = cr_strlist_push(&files, path);
    }
    if (rc) {
        cr_strlist_free(&files);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    struct cr_sha256 h;
    if ((rc = cr_sha256_init(&h, err))) {
        cr_strlist_free(&files);
        return rc;
    }
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "%s\n%s\nensemble=%s\nwarming_window=%ld\nwarming_horizon=%ld\n"
                     "max_missing_fraction=%.17g\n",
                     AGGREGATE_ALGORITHM, t->experiment, cfg->ensemble, cfg->warming_window,
                     cfg->warming_horizon, cfg->max_missing_fraction);
    cr_sha256_update(&h, text, (size_t)n);
    for (size_t i = 0; i < files.n && rc == CR_OK; i++) {
        char sha[CR_SHA256_HEX];
        /* a missing annual file is a recipe of its own: "absent" */
        if (cr_state_file_hash(ctx->state, files.items[i], sha, err) != CR_OK)
            cr_strlcpy(sha, "absent", sizeof sha);
        n = snprintf(text, sizeof text, "%s\t%s\n", files.items[i], sha);
        cr_sha256_update(&h, text, n > 0 ? (size_t)n : 0);
    }
    cr_strlist_free(&files);
    cr_sha256_final(&h, hex);
    return CR_OK;
}

static void stats_path(const struct cr_step_ctx *ctx, const char *exp, char *out, size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "stats/%s.nc", exp);
    cr_path_join(out, size, ctx->workdir, name);
}

static int aggregate_is_current(struct cr_step_ctx *ctx, const struct cr_task *t,
                                struct cr_err *err)
{
    char hex[CR_SHA256_HEX];
    return aggregate_recipe(ctx, t, hex, err) == CR_OK &&
           cr_state_is_current(ctx->state, t->name, "stats", hex, err);
}

static int aggregate_run(struct cr_step_ctx *ctx, const struct cr_task *t,
                         struct cr_task_report *rep, struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    char hex[CR_SHA256_HEX], out[CR_PATH_MAX];
    int rc = aggregate_recipe(ctx, t, hex, err);
    if (rc)
        return rc;
    stats_path(ctx, t->experiment, out, sizeof out);
    if (cr_state_is_current(ctx->state, t->name, "stats", hex, err)) {
        rep->items_current++;
    } else {
        struct cr_scenarios scn;
        if ((rc = cr_scenarios_load(&scn, cfg->scenarios_dir, err)))
            return rc;
        struct cr_aggregate_opts o;
        memset(&o, 0, sizeof o);
        cr_path_join(o.annual_dir, sizeof o.annual_dir, ctx->workdir, "annual");
        cr_path_join(o.out_dir, sizeof o.out_dir, ctx->workdir, "stats");
        o.scn = &scn;
        o.ensemble = cfg->ensemble[0] ? cfg->ensemble : NULL;
        o.warming_window = (int)cfg->warming_window;
        o.warming_horizon = (int)cfg->warming_horizon;
        o.max_missing_fraction = cfg->max_missing_fraction;
        o.cog = 1;
        struct cr_strlist exps = {0};
        if (cr_strlist_push(&exps, t->experiment)) {
            cr_scenarios_free(&scn);
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        }
        o.experiments = &exps;
        struct cr_aggregate_report arep;
        rc = cr_aggregate(&o, &arep, err);
        cr_strlist_free(&exps);
        cr_scenarios_free(&scn);
        if (rc)
            return rc;
        json_object_object_add(rep->counts, "models", json_object_new_int(arep.models));
        json_object_object_add(rep->counts, "geotiffs", json_object_new_int(arep.cogs));
        json_object_object_add(rep->counts, "levels_not_reached",
                               json_object_new_int(arep.levels_not_reached));
        if (arep.levels_not_reached)
            cr_task_report_warning(rep,
                                   "%s: %d (model, warming level) pairs not reached within the "
                                   "runs; those models are left out of those levels",
                                   t->name, arep.levels_not_reached);
        const char *outs[1] = {out};
        if ((rc = cr_state_record(ctx->state, t->name, "stats", hex, outs, 1, err)))
            return rc;
        rep->items_done++;
    }
    char sha[CR_SHA256_HEX];
    if ((rc = cr_state_file_hash(ctx->state, out, sha, err)) == CR_OK)
        cr_task_report_output(rep, out, sha);
    return rc;
}

const struct cr_step cr_step_aggregate = {CR_TASK_AGGREGATE, aggregate_is_current, aggregate_run};
