/* step_aggregate.c — horizon and ensemble statistics of one experiment.
 *
 * The unit of work is one indicator of one experiment. Its recipe is the
 * aggregation's algorithm version, the config values it reads ([scenarios]
 * ensemble, warming window and horizon, [compute] max_missing_fraction),
 * the content of the scenarios/ declarations, and a digest of the values it
 * reads in each annual file that feeds the experiment (the experiment's
 * simulations and their models' historical runs, for the reference
 * period): the indicator's variable, the years, the grid and tas_france
 * (warming levels). So a parameter that changed one indicator's annual
 * values redoes that indicator's statistics only: they are written to a
 * file under run/tmp and merged into stats/<experiment>.nc (ncmerge.h).
 *
 * Digesting every indicator's values takes seconds, so a whole-files
 * recipe (the same texts with the annual files' byte hashes) is checked
 * first: when it matches the last run nothing is read. Outputs:
 * stats/<experiment>.nc and the GeoTIFFs of stats/cog/. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../indicators/aggregate.h"
#include "../indicators/catalog.h"
#include "../scenarios/scenarios.h"
#include "ncdigest.h"
#include "ncmerge.h"
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

/* What an aggregate task has to do. */
struct aggregate_plan {
    struct cr_strlist annual;         /* the annual files that feed the experiment */
    char base[CR_SHA256_HEX];         /* settings + scenarios/ declarations */
    char files_recipe[CR_SHA256_HEX]; /* base + the annual files' byte hashes */
    int files_current;                /* same files as the last run: nothing to do */
    size_t n;                         /* indicators the annual files hold */
    const char *codes[64];            /* their catalogue codes */
    char recipes[64][CR_SHA256_HEX];
    int stale[64], nstale;
    int vanished; /* an indicator recorded before that no annual file holds now */
    char out[CR_PATH_MAX];
};

static void plan_free(struct aggregate_plan *ap)
{
    cr_strlist_free(&ap->annual);
}

static void stats_path(const struct cr_step_ctx *ctx, const char *exp, char *out, size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "stats/%s.nc", exp);
    cr_path_join(out, size, ctx->workdir, name);
}

/* The settings and scenarios/ declarations every indicator's statistics
 * depend on. */
static int base_recipe(struct cr_step_ctx *ctx, const struct cr_task *t, char hex[CR_SHA256_HEX],
                       struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    struct cr_strlist files = {0};
    char sub[CR_PATH_MAX];
    int rc = ini_files(cfg->scenarios_dir, &files);
    if (rc == 0 && cr_path_join(sub, sizeof sub, cfg->scenarios_dir, "ensembles") == 0)
        rc = ini_files(sub, &files);
    if (rc) {
        cr_strlist_free(&files);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    struct cr_sha256 h;
    if ((rc = cr_sha256_init(&h, err))) {
        cr_strlist_free(&files);
        return rc;
    }
    char text[CR_PATH_MAX + 200];
    int n = snprintf(text, sizeof text,
                     "%s\n%s\nensemble=%s\nwarming_window=%ld\nwarming_horizon=%ld\n"
                     "max_missing_fraction=%.17g\n",
                     AGGREGATE_ALGORITHM, t->experiment, cfg->ensemble, cfg->warming_window,
                     cfg->warming_horizon, cfg->max_missing_fraction);
    cr_sha256_update(&h, text, (size_t)n);
    for (size_t i = 0; i < files.n && rc == CR_OK; i++) {
        char sha[CR_SHA256_HEX];
        if ((rc = cr_state_file_hash(ctx->state, files.items[i], sha, err)) != CR_OK)
            break;
        n = snprintf(text, sizeof text, "%s\t%s\n", files.items[i], sha);
        cr_sha256_update(&h, text, n > 0 ? (size_t)n : 0);
    }
    cr_strlist_free(&files);
    if (rc) {
        cr_sha256_free(&h);
        return rc;
    }
    cr_sha256_final(&h, hex);
    return CR_OK;
}

/* What the aggregation reads in an annual file besides the indicators
 * (annual_out.c): the years, the grid, tas_france for the warming levels. */
static const char *const shared_vars[] = {"year", "tas_france", "x",   "y",       "rlat",
                                          "rlon", "lat",        "lon", "location"};

/* Recipe of one indicator: base + its values in each annual file; *held:
 * some annual file has the indicator. shared[i]: digest of annual file i's
 * shared variables. */
static int indicator_recipe(const struct aggregate_plan *ap, char (*shared)[CR_SHA256_HEX],
                            const char *code, char hex[CR_SHA256_HEX], int *held,
                            struct cr_err *err)
{
    struct cr_sha256 h;
    int rc = cr_sha256_init(&h, err);
    if (rc)
        return rc;
    char text[CR_PATH_MAX + 200];
    int n = snprintf(text, sizeof text, "%s\n%s\n", ap->base, code);
    cr_sha256_update(&h, text, (size_t)n);
    *held = 0;
    for (size_t i = 0; i < ap->annual.n && rc == CR_OK; i++) {
        char sha[CR_SHA256_HEX] = "absent";
        int matched = 0;
        if (shared[i][0])
            rc = cr_nc_digest_named(ap->annual.items[i], &code, 1, sha, &matched, err);
        *held |= matched > 0;
        n = snprintf(text, sizeof text, "%s\t%s\t%s\n", ap->annual.items[i],
                     shared[i][0] ? shared[i] : "absent", sha);
        cr_sha256_update(&h, text, n > 0 ? (size_t)n : 0);
    }
    if (rc) {
        cr_sha256_free(&h);
        return rc;
    }
    cr_sha256_final(&h, hex);
    return CR_OK;
}

static int plan_aggregate(struct cr_step_ctx *ctx, const struct cr_task *t,
                          struct aggregate_plan *ap, struct cr_err *err)
{
    memset(ap, 0, sizeof *ap);
    stats_path(ctx, t->experiment, ap->out, sizeof ap->out);
    int rc = base_recipe(ctx, t, ap->base, err);
    for (size_t q = 0; rc == CR_OK && q < ctx->plan->nsims; q++) {
        char path[CR_PATH_MAX];
        if (feeds(ctx->plan, q, t->experiment) &&
            cr_annual_path(ctx, &ctx->plan->sims[q], path, sizeof path) == 0 &&
            cr_strlist_push(&ap->annual, path))
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    if (rc)
        return rc;
    struct cr_sha256 fh;
    if ((rc = cr_sha256_init(&fh, err)))
        return rc;
    char text[CR_PATH_MAX + 200];
    int n = snprintf(text, sizeof text, "%s\nfiles\n", ap->base);
    cr_sha256_update(&fh, text, (size_t)n);
    for (size_t i = 0; i < ap->annual.n; i++) {
        char sha[CR_SHA256_HEX];
        struct cr_err ignored;
        /* a missing annual file is a recipe of its own: "absent" */
        if (cr_state_file_hash(ctx->state, ap->annual.items[i], sha, &ignored) != CR_OK)
            cr_strlcpy(sha, "absent", sizeof sha);
        n = snprintf(text, sizeof text, "%s\t%s\n", ap->annual.items[i], sha);
        cr_sha256_update(&fh, text, n > 0 ? (size_t)n : 0);
    }
    cr_sha256_final(&fh, ap->files_recipe);
    ap->files_current = cr_state_is_current(ctx->state, t->name, "files", ap->files_recipe, err);
    if (ap->files_current)
        return CR_OK;
    char(*shared)[CR_SHA256_HEX] = calloc(ap->annual.n + 1, sizeof *shared);
    if (!shared)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t i = 0; i < ap->annual.n && rc == CR_OK; i++) {
        int matched;
        if (cr_file_exists(ap->annual.items[i]))
            rc = cr_nc_digest_named(ap->annual.items[i], shared_vars,
                                    sizeof shared_vars / sizeof *shared_vars, shared[i], &matched,
                                    err);
    }
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    for (size_t k = 0; k < ncat && ap->n < 64 && rc == CR_OK; k++) {
        int held = 0;
        rc = indicator_recipe(ap, shared, cat[k].code, ap->recipes[ap->n], &held, err);
        if (rc)
            break;
        if (!held) {
            /* recorded before, gone now: its statistics must leave the file,
             * which a merge would keep */
            char before[CR_SHA256_HEX] = "";
            rc = cr_state_recipe(ctx->state, t->name, cat[k].code, before, err);
            ap->vanished |= before[0] != '\0';
            continue;
        }
        int stale = !cr_state_is_current(ctx->state, t->name, cat[k].code, ap->recipes[ap->n], err);
        ap->codes[ap->n] = cat[k].code;
        ap->stale[ap->n] = stale;
        ap->nstale += stale;
        ap->n++;
    }
    free(shared);
    return rc;
}

static int aggregate_is_current(struct cr_step_ctx *ctx, const struct cr_task *t,
                                struct cr_err *err)
{
    struct aggregate_plan ap;
    int rc = plan_aggregate(ctx, t, &ap, err);
    int current = rc == CR_OK &&
                  (ap.files_current || (ap.nstale == 0 && !ap.vanished && cr_file_exists(ap.out)));
    plan_free(&ap);
    return current;
}

static int aggregate_run(struct cr_step_ctx *ctx, const struct cr_task *t,
                         struct cr_task_report *rep, struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    struct aggregate_plan ap;
    int rc = plan_aggregate(ctx, t, &ap, err);
    if (rc)
        goto out;
    if (ap.files_current || (ap.nstale == 0 && !ap.vanished && cr_file_exists(ap.out))) {
        rep->items_current += ap.files_current ? 1 : (int)ap.n;
        goto record;
    }
    /* Only some indicators stale, and the previous file there to merge
     * into: aggregate those into run/tmp and merge. */
    int partial = (size_t)ap.nstale < ap.n && !ap.vanished && cr_file_exists(ap.out);
    struct cr_scenarios scn;
    if ((rc = cr_scenarios_load(&scn, cfg->scenarios_dir, err)))
        goto out;
    struct cr_aggregate_opts o;
    memset(&o, 0, sizeof o);
    cr_path_join(o.annual_dir, sizeof o.annual_dir, ctx->workdir, "annual");
    cr_path_join(o.out_dir, sizeof o.out_dir, ctx->workdir, "stats");
    cr_path_join(o.cog_dir, sizeof o.cog_dir, ctx->workdir, "stats/cog");
    char update[CR_PATH_MAX] = "";
    struct cr_strlist exps = {0}, only = {0};
    if (partial) {
        char name[128];
        snprintf(name, sizeof name, "run/tmp/aggregate-%s", t->experiment);
        cr_path_join(o.out_dir, sizeof o.out_dir, ctx->workdir, name);
        snprintf(name, sizeof name, "%s.nc", t->experiment);
        cr_path_join(update, sizeof update, o.out_dir, name);
        for (size_t i = 0; i < ap.n && rc == CR_OK; i++)
            if (ap.stale[i] && cr_strlist_push(&only, ap.codes[i]))
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        o.indicators = &only;
    }
    o.scn = &scn;
    o.ensemble = cfg->ensemble[0] ? cfg->ensemble : NULL;
    o.warming_window = (int)cfg->warming_window;
    o.warming_horizon = (int)cfg->warming_horizon;
    o.max_missing_fraction = cfg->max_missing_fraction;
    o.cog = 1;
    if (rc == CR_OK && cr_strlist_push(&exps, t->experiment))
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    o.experiments = &exps;
    cr_info("%s: %d of %zu indicators to aggregate%s", t->name, partial ? ap.nstale : (int)ap.n,
            ap.n, partial ? " (the others are up to date)" : "");
    struct cr_aggregate_report arep;
    if (rc == CR_OK)
        rc = cr_aggregate(&o, &arep, err);
    cr_strlist_free(&exps);
    cr_strlist_free(&only);
    cr_scenarios_free(&scn);
    if (rc == CR_OK && partial) {
        rc = cr_nc_merge(ap.out, update, ap.out, err);
        unlink(update);
        rmdir(o.out_dir);
    }
    if (rc)
        goto out;
    json_object_object_add(rep->counts, "models", json_object_new_int(arep.models));
    json_object_object_add(rep->counts, "indicators_aggregated",
                           json_object_new_int(partial ? ap.nstale : (int)ap.n));
    json_object_object_add(rep->counts, "geotiffs", json_object_new_int(arep.cogs));
    json_object_object_add(rep->counts, "levels_not_reached",
                           json_object_new_int(arep.levels_not_reached));
    if (arep.levels_not_reached)
        cr_task_report_warning(rep,
                               "%s: %d (model, warming level) pairs not reached within the "
                               "runs; those models are left out of those levels",
                               t->name, arep.levels_not_reached);
    rep->items_done += partial ? ap.nstale : (int)ap.n;
    rep->items_current += partial ? (int)ap.n - ap.nstale : 0;
    /* a whole file was written: forget the indicators it no longer has */
    if (!partial)
        rc = cr_state_forget(ctx->state, t->name, err);
record:
    if (rc == CR_OK && !ap.files_current) {
        const char *outs[1] = {ap.out};
        for (size_t i = 0; i < ap.n && rc == CR_OK; i++)
            rc = cr_state_record(ctx->state, t->name, ap.codes[i], ap.recipes[i], outs, 1, err);
        if (rc == CR_OK)
            rc = cr_state_record(ctx->state, t->name, "files", ap.files_recipe, outs, 1, err);
    }
out:
    if (rc == CR_OK) {
        char sha[CR_SHA256_HEX];
        if ((rc = cr_state_file_hash(ctx->state, ap.out, sha, err)) == CR_OK)
            cr_task_report_output(rep, ap.out, sha);
    }
    plan_free(&ap);
    return rc;
}

const struct cr_step cr_step_aggregate = {CR_TASK_AGGREGATE, aggregate_is_current, aggregate_run};
