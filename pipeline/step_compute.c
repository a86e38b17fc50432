/* step_compute.c — the annual indicators of one simulation.
 *
 * The unit of work is one indicator of one simulation. Its recipe is the
 * engine's algorithm version, the indicator's code, the parameters it reads
 * (the missing-day rule for all; cr_engine_indicator_params() for the rest)
 * and the content hashes of the daily files of the inputs it needs (with
 * the fallbacks: TG from TN and TX, snowfall from PR and TG). So changing
 * the snow melt factor redoes the snow indicators and nothing else, and a
 * new tasmax file redoes the indicators that read tasmax.
 *
 * When every requested indicator is stale (or the annual file is absent)
 * the simulation is computed in one pass straight into its annual file;
 * otherwise only the stale ones are computed, into a file under run/tmp,
 * and merged into the annual file (ncmerge.h), which is then published
 * atomically. Either way the file holds the same values as a full pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../indicators/catalog.h"
#include "../indicators/compute.h"
#include "../indicators/simset.h"
#include "../ingest/manifest.h"
#include "ncmerge.h"
#include "steps.h"

/* Bump when the engine's results change for the same inputs. */
#define ENGINE_ALGORITHM "engine-1"

int cr_annual_path(const struct cr_step_ctx *ctx, const struct cr_sim *sim, char *out, size_t size)
{
    char name[320];
    snprintf(name, sizeof name, "annual/%s_%s.nc", sim->model, sim->experiment);
    return cr_path_join(out, size, ctx->workdir, name);
}

/* The daily files of a simulation, grouped by engine input: what its inputs
 * task published (synth, fetch) or the manifest/directory entries. */
static int sim_files(struct cr_step_ctx *ctx, const struct cr_sim *sim, struct cr_simset *set,
                     struct cr_err *err)
{
    char inputs_task[192];
    cr_sim_task_name(CR_TASK_INPUTS, sim, inputs_task, sizeof inputs_task);
    struct cr_strlist recorded = {0};
    int rc = cr_state_outputs(ctx->state, inputs_task, "files", &recorded, err);
    if (rc == CR_OK && !ctx->plan->inputs) {
        /* synth: the files are DRIAS-named; the names say the variable */
        for (size_t i = 0; i < recorded.n && rc == CR_OK; i++)
            rc = cr_simset_add_file(set, recorded.items[i], NULL, sim->model, sim->experiment, err);
    } else if (rc == CR_OK) {
        /* cached objects are named by their hash: the entries say the
         * variable; OPeNDAP entries are read at their URL */
        struct cr_manifest sub;
        rc = cr_sim_entries(ctx, sim, &sub, err);
        size_t k = 0;
        for (size_t i = 0; rc == CR_OK && i < sub.n; i++) {
            const struct cr_manifest_entry *e = &sub.e[i];
            const char *path = e->kind == CR_SRC_OPENDAP ? e->src
                               : k < recorded.n          ? recorded.items[k++]
                                                         : NULL;
            if (!path)
                rc = cr_err_set(err, CR_EINTERNAL,
                                "%s: the inputs task recorded %zu files for %zu entries; rerun",
                                inputs_task, recorded.n, sub.n);
            else
                rc = cr_simset_add_file(set, path, e->variable, sim->model, sim->experiment, err);
        }
        free(sub.e);
    }
    cr_strlist_free(&recorded);
    if (rc == CR_OK && set->n != 1)
        rc = cr_err_set(err, CR_EDATA, "%s %s: no input file recorded; rerun its inputs task",
                        sim->model, sim->experiment);
    return rc;
}

/* compute's provenance needs every input's sha256; the state has them
 * (the recipes above hashed them), so compute does not read the files a
 * second time to hash them. */
static int state_sha256(void *user, const char *path, char hex[CR_SHA256_HEX])
{
    struct cr_err ignored;
    if (strstr(path, "://"))
        return 0;
    return cr_state_file_hash(user, path, hex, &ignored) == CR_OK;
}

/* The engine inputs an indicator's value depends on, fallbacks included. */
static unsigned inputs_of(const struct cr_indicator_def *d)
{
    unsigned in = 0;
    if (d->needs & CR_NEED_TASMIN)
        in |= 1u << CR_IN_TN;
    if (d->needs & CR_NEED_TASMAX)
        in |= 1u << CR_IN_TX;
    if (d->needs & (CR_NEED_TAS | CR_NEED_PRSN))
        in |= 1u << CR_IN_TG | 1u << CR_IN_TN | 1u << CR_IN_TX;
    if (d->needs & (CR_NEED_PR | CR_NEED_PRSN))
        in |= 1u << CR_IN_PR;
    if (d->needs & CR_NEED_PRSN)
        in |= 1u << CR_IN_PS;
    return in;
}

static int indicator_recipe(struct cr_step_ctx *ctx, const struct cr_sim *sim,
                            const struct cr_simfiles *sf, const struct cr_indicator_def *d,
                            char hex[CR_SHA256_HEX], struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    struct cr_sha256 h;
    int rc = cr_sha256_init(&h, err);
    if (rc)
        return rc;
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "%s\n%s\n%s %s %s\nmax_missing_fraction=%.17g\nmax_invalid_fraction=%.17g\n",
                     ENGINE_ALGORITHM, d->code, sim->model, sim->experiment, sf->member,
                     cfg->max_missing_fraction, cfg->max_invalid_fraction);
    unsigned params = cr_engine_indicator_params(cr_engine_indicator_id(d->code));
    if (params & CR_PARAM_SNOW_MELT)
        n += snprintf(text + n, sizeof text - (size_t)n, "snow_melt_factor=%.17g\n",
                      cfg->snow_melt_factor);
    if (params & CR_PARAM_SNOW_COVER)
        n += snprintf(text + n, sizeof text - (size_t)n, "snow_cover_threshold=%.17g\n",
                      cfg->snow_cover_threshold);
    if (params & CR_PARAM_SNOW_RAIN_TEMP)
        n += snprintf(text + n, sizeof text - (size_t)n, "snow_rain_temperature=%.17g\n",
                      cfg->snow_rain_temperature);
    cr_sha256_update(&h, text, (size_t)n);
    unsigned in = inputs_of(d);
    for (int k = 0; k < CR_IN_COUNT && rc == CR_OK; k++) {
        if (!(in & (1u << k)))
            continue;
        for (size_t f = 0; f < sf->files[k].n && rc == CR_OK; f++) {
            const char *path = sf->files[k].items[f];
            char sha[CR_SHA256_HEX] = "";
            if (strstr(path, "://") == NULL) /* OPeNDAP: the URL stands for the data */
                rc = cr_state_file_hash(ctx->state, path, sha, err);
            n = snprintf(text, sizeof text, "%d\t%s\t%s\n", k, path, sha);
            cr_sha256_update(&h, text, n > 0 ? (size_t)n : 0);
        }
    }
    if (rc) {
        cr_sha256_free(&h);
        return rc;
    }
    cr_sha256_final(&h, hex);
    return CR_OK;
}

/* Indicators the config asks for, as engine bits; all = "all" was given. */
static int requested(const struct cr_config *cfg, unsigned long *mask, int *all, struct cr_err *err)
{
    *mask = 0;
    *all = 0;
    for (size_t i = 0; i < cfg->indicators.n; i++) {
        if (strcmp(cfg->indicators.items[i], "all") == 0) {
            *mask = (1UL << CR_IND_COUNT) - 1;
            *all = 1;
            continue;
        }
        int id = cr_engine_indicator_id(cfg->indicators.items[i]);
        if (id < 0)
            return cr_err_set(err, CR_EUSAGE,
                              "%s: [compute] indicators: unknown indicator '%s' (see "
                              "docs/indicators.md)",
                              cfg->path, cfg->indicators.items[i]);
        *mask |= 1UL << id;
    }
    return CR_OK;
}

/* What a compute task has to do: the recipe of each requested indicator and
 * which are stale. */
struct compute_plan {
    struct cr_simset set;
    unsigned long mask, stale;
    int all;
    char recipes[CR_IND_COUNT][CR_SHA256_HEX];
    char out[CR_PATH_MAX];
};

static int plan_compute(struct cr_step_ctx *ctx, const struct cr_task *t, struct compute_plan *cp,
                        struct cr_err *err)
{
    memset(cp, 0, sizeof *cp);
    const struct cr_sim *sim = &ctx->plan->sims[t->sim];
    int rc = requested(ctx->cfg, &cp->mask, &cp->all, err);
    if (rc == CR_OK)
        rc = sim_files(ctx, sim, &cp->set, err);
    if (rc == CR_OK)
        rc = cr_annual_path(ctx, sim, cp->out, sizeof cp->out)
                 ? cr_err_set(err, CR_EUSAGE, "work directory path too long")
                 : CR_OK;
    for (int i = 0; i < CR_IND_COUNT && rc == CR_OK; i++) {
        if (!(cp->mask & (1UL << i)))
            continue;
        const struct cr_indicator_def *d = cr_indicator_find(cr_engine_indicator_code(i));
        if (!d)
            return cr_err_set(err, CR_EINTERNAL, "indicator %d is not in the catalogue", i);
        rc = indicator_recipe(ctx, sim, &cp->set.s[0], d, cp->recipes[i], err);
        if (rc == CR_OK && !cr_state_is_current(ctx->state, t->name, d->code, cp->recipes[i], err))
            cp->stale |= 1UL << i;
    }
    return rc;
}

static int compute_is_current(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_err *err)
{
    struct compute_plan cp;
    int rc = plan_compute(ctx, t, &cp, err);
    cr_simset_free(&cp.set);
    return rc == CR_OK && cp.stale == 0;
}

static int compute_run(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_task_report *rep,
                       struct cr_err *err)
{
    const struct cr_sim *sim = &ctx->plan->sims[t->sim];
    struct compute_plan cp;
    int rc = plan_compute(ctx, t, &cp, err);
    int nreq = __builtin_popcountl(cp.mask), nstale = __builtin_popcountl(cp.stale);
    if (rc != CR_OK || nstale == 0) {
        rep->items_current += rc == CR_OK ? nreq : 0;
        goto out;
    }
    int partial = cp.stale != cp.mask && access(cp.out, F_OK) == 0;
    char update[CR_PATH_MAX] = "";
    if (partial) {
        char name[320];
        snprintf(name, sizeof name, "run/tmp/%s_%s.update.nc", sim->model, sim->experiment);
        if (cr_path_join(update, sizeof update, ctx->workdir, name) != 0) {
            rc = cr_err_set(err, CR_EUSAGE, "work directory path too long");
            goto out;
        }
        char dir[CR_PATH_MAX];
        cr_path_join(dir, sizeof dir, ctx->workdir, "run/tmp");
        if ((rc = cr_mkdir_p(dir, err)))
            goto out;
    } else {
        char dir[CR_PATH_MAX];
        cr_path_join(dir, sizeof dir, ctx->workdir, "annual");
        if ((rc = cr_mkdir_p(dir, err)))
            goto out;
    }
    struct cr_compute_job job;
    memset(&job, 0, sizeof job);
    job.model = sim->model;
    job.experiment = sim->experiment;
    job.member = cp.set.s[0].member;
    job.files = cp.set.s[0].files;
    cr_strlcpy(job.out_path, partial ? update : cp.out, sizeof job.out_path);
    job.indicators = partial ? cp.stale : cp.mask;
    cr_engine_opts_defaults(&job.params);
    job.params.max_missing_fraction = ctx->cfg->max_missing_fraction;
    job.params.snow_melt_factor = ctx->cfg->snow_melt_factor;
    job.params.snow_cover_threshold = ctx->cfg->snow_cover_threshold;
    job.params.snow_rain_temperature = ctx->cfg->snow_rain_temperature;
    job.skip_unavailable = cp.all;
    job.max_invalid_fraction = ctx->cfg->max_invalid_fraction;
    job.max_invalid_set = 1;
    job.decode_threads = cr_compute_decode_threads(ctx->jobs);
    job.known_sha256 = state_sha256;
    job.known_sha256_user = ctx->state;
    struct cr_compute_report crep;
    cr_info("%s: %d of %d indicators to compute%s", t->name, partial ? nstale : nreq, nreq,
            partial ? " (the others are up to date)" : "");
    if ((rc = cr_compute(&job, &crep, err)))
        goto out;
    if (partial) {
        rc = cr_nc_merge(cp.out, update, cp.out, err);
        unlink(update);
        if (rc)
            goto out;
    }
    /* Every requested indicator now lives in the new file: record them all
     * (the others' outputs changed bytes, not values). */
    const char *outs[1] = {cp.out};
    for (int i = 0; i < CR_IND_COUNT && rc == CR_OK; i++)
        if (cp.mask & (1UL << i))
            rc = cr_state_record(ctx->state, t->name, cr_engine_indicator_code(i), cp.recipes[i],
                                 outs, 1, err);
    if (rc)
        goto out;
    rep->items_done += partial ? nstale : nreq;
    rep->items_current += partial ? nreq - nstale : 0;
    json_object_object_add(rep->counts, "indicators_computed",
                           json_object_new_int(partial ? nstale : nreq));
    json_object_object_add(rep->counts, "years",
                           json_object_new_int(crep.last_year - crep.first_year + 1));
    json_object_object_add(rep->counts, "cells", json_object_new_int((int)crep.ncells));
    json_object_object_add(rep->counts, "cell_days", json_object_new_int64(crep.cell_days));
    if (crep.tg_fallback)
        cr_task_report_warning(rep, "%s: no tas file; TG = (TN + TX) / 2", t->name);
    if (crep.ps_fallback)
        cr_task_report_warning(rep, "%s: no prsn file; snowfall = PR on days with TG <= %g degC",
                               t->name, ctx->cfg->snow_rain_temperature);
out:
    if (rc == CR_OK && access(cp.out, F_OK) == 0) {
        char sha[CR_SHA256_HEX];
        if ((rc = cr_state_file_hash(ctx->state, cp.out, sha, err)) == CR_OK)
            cr_task_report_output(rep, cp.out, sha);
    }
    cr_simset_free(&cp.set);
    return rc;
}

const struct cr_step cr_step_compute = {CR_TASK_COMPUTE, compute_is_current, compute_run};
