/* plan.c — derive the tasks of a run from its configuration; see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "../ingest/manifest.h"
#include "run.h"

static const char *kind_names[CR_TASK_KINDS] = {"inputs", "compute", "aggregate", "load", "tiles"};

const char *cr_task_kind_name(enum cr_task_kind k)
{
    return (unsigned)k < CR_TASK_KINDS ? kind_names[k] : "?";
}

int cr_task_kind_exit_code(enum cr_task_kind k)
{
    return 11 + (int)k; /* 11 inputs, 12 compute, 13 aggregate, 14 load, 15 tiles */
}

void cr_sim_task_name(enum cr_task_kind kind, const struct cr_sim *sim, char *out, size_t size)
{
    snprintf(out, size, "%s %s %s", cr_task_kind_name(kind), sim->model, sim->experiment);
}

static int add_dep(struct cr_task *t, int id)
{
    int *bigger = realloc(t->deps, (t->ndeps + 1) * sizeof *bigger);
    if (!bigger)
        return -1;
    t->deps = bigger;
    t->deps[t->ndeps++] = id;
    return 0;
}

static struct cr_task *add_task(struct cr_plan *p, enum cr_task_kind kind, int sim,
                                const char *experiment)
{
    struct cr_task *bigger = realloc(p->tasks, (p->ntasks + 1) * sizeof *bigger);
    if (!bigger)
        return NULL;
    p->tasks = bigger;
    struct cr_task *t = &p->tasks[p->ntasks];
    memset(t, 0, sizeof *t);
    t->id = (int)++p->ntasks;
    t->kind = kind;
    t->sim = sim;
    if (experiment)
        cr_strlcpy(t->experiment, experiment, sizeof t->experiment);
    if (sim >= 0)
        cr_sim_task_name(kind, &p->sims[sim], t->name, sizeof t->name);
    else if (experiment)
        snprintf(t->name, sizeof t->name, "%s %s", kind_names[kind], experiment);
    else
        snprintf(t->name, sizeof t->name, "%s", kind_names[kind]);
    return t;
}

static int add_sim(struct cr_plan *p, size_t *cap, const char *model, const char *experiment,
                   struct cr_err *err)
{
    for (size_t i = 0; i < p->nsims; i++)
        if (strcmp(p->sims[i].model, model) == 0 && strcmp(p->sims[i].experiment, experiment) == 0)
            return CR_OK;
    if (p->nsims == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct cr_sim *bigger = realloc(p->sims, ncap * sizeof *bigger);
        if (!bigger)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        p->sims = bigger;
        *cap = ncap;
    }
    struct cr_sim *sim = &p->sims[p->nsims];
    memset(sim, 0, sizeof *sim);
    if (cr_strlcpy(sim->model, model, sizeof sim->model) >= sizeof sim->model ||
        cr_strlcpy(sim->experiment, experiment, sizeof sim->experiment) >= sizeof sim->experiment)
        return cr_err_set(err, CR_EUSAGE, "model or scenario name too long: %s %s", model,
                          experiment);
    p->nsims++;
    return CR_OK;
}

/* The simulations: [synth] models x scenarios, or every (model, scenario)
 * named by the manifest or the input directory's files. */
static int simulations_from_config(const struct cr_config *cfg, struct cr_plan *p,
                                   struct cr_err *err)
{
    size_t cap = 0;
    int rc = CR_OK;
    if (strcmp(cfg->source, "synth") == 0) {
        for (size_t m = 0; m < cfg->synth_models.n && rc == CR_OK; m++)
            for (size_t s = 0; s < cfg->synth_scenarios.n && rc == CR_OK; s++)
                rc = add_sim(p, &cap, cfg->synth_models.items[m], cfg->synth_scenarios.items[s],
                             err);
        return rc;
    }
    p->inputs = calloc(1, sizeof *p->inputs);
    if (!p->inputs)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    cr_manifest_init(p->inputs);
    if (strcmp(cfg->source, "manifest") == 0) {
        if (!cfg->manifest[0])
            return cr_err_set(err, CR_EUSAGE,
                              "%s: [inputs] source = manifest needs [inputs] manifest", cfg->path);
        rc = cr_manifest_load(p->inputs, cfg->manifest, err);
    } else {
        if (!cfg->input_dir[0])
            return cr_err_set(err, CR_EUSAGE,
                              "%s: [inputs] source = directory needs [inputs] directory",
                              cfg->path);
        rc = cr_manifest_add_dir(p->inputs, cfg->input_dir, err);
    }
    for (size_t i = 0; i < p->inputs->n && rc == CR_OK; i++) {
        const struct cr_manifest_entry *e = &p->inputs->e[i];
        if (!e->model[0] || !e->scenario[0]) {
            char where[512];
            cr_manifest_where(e, where, sizeof where);
            return cr_err_set(err, CR_EDATA,
                              "%s: cannot tell the model and scenario of '%s'; name it like "
                              "DRIAS or CORDEX files, or write model= and scenario= in a manifest",
                              where, e->name);
        }
        rc = add_sim(p, &cap, e->model, e->scenario, err);
    }
    if (rc == CR_OK && p->nsims == 0)
        rc = cr_err_set(err, CR_EDATA, "%s: no input file found",
                        cfg->manifest[0] && strcmp(cfg->source, "manifest") == 0 ? cfg->manifest
                                                                                 : cfg->input_dir);
    return rc;
}

/* The step kinds [run] steps asks for; each needs the one it reads from. */
static int steps_from_config(const struct cr_config *cfg, int want[CR_TASK_KINDS],
                             struct cr_err *err)
{
    memset(want, 0, CR_TASK_KINDS * sizeof *want);
    for (size_t i = 0; i < cfg->steps.n; i++) {
        int k = 0;
        while (k < CR_TASK_KINDS && strcmp(kind_names[k], cfg->steps.items[i]) != 0)
            k++;
        if (k == CR_TASK_KINDS)
            return cr_err_set(err, CR_EUSAGE,
                              "%s: [run] steps: unknown step '%s' (inputs, compute, aggregate, "
                              "load, tiles)",
                              cfg->path[0] ? cfg->path : "config", cfg->steps.items[i]);
        want[k] = cr_step_available((enum cr_task_kind)k);
    }
    static const enum cr_task_kind needs[CR_TASK_KINDS] = {
        [CR_TASK_INPUTS] = CR_TASK_INPUTS,     [CR_TASK_COMPUTE] = CR_TASK_INPUTS,
        [CR_TASK_AGGREGATE] = CR_TASK_COMPUTE, [CR_TASK_LOAD] = CR_TASK_AGGREGATE,
        [CR_TASK_TILES] = CR_TASK_AGGREGATE,
    };
    for (int k = 0; k < CR_TASK_KINDS; k++)
        if (want[k] && !want[needs[k]])
            return cr_err_set(err, CR_EUSAGE, "%s: [run] steps: '%s' needs '%s'",
                              cfg->path[0] ? cfg->path : "config", kind_names[k],
                              kind_names[needs[k]]);
    if (!want[CR_TASK_INPUTS])
        return cr_err_set(err, CR_EUSAGE, "%s: [run] steps: at least 'inputs'",
                          cfg->path[0] ? cfg->path : "config");
    return CR_OK;
}

int cr_plan_build(const struct cr_config *cfg, struct cr_plan *p, struct cr_err *err)
{
    memset(p, 0, sizeof *p);
    int want[CR_TASK_KINDS];
    int rc = steps_from_config(cfg, want, err);
    if (rc)
        return rc;
    rc = simulations_from_config(cfg, p, err);
    if (rc)
        return rc;
    int *inputs = calloc(p->nsims, sizeof *inputs);
    int *computes = calloc(p->nsims, sizeof *computes);
    if (!inputs || !computes) {
        free(inputs);
        free(computes);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    int oom = 0;
    for (size_t s = 0; s < p->nsims && !oom; s++) {
        struct cr_task *t = add_task(p, CR_TASK_INPUTS, (int)s, NULL);
        oom = !t;
        if (t)
            inputs[s] = t->id;
    }
    if (want[CR_TASK_COMPUTE])
        for (size_t s = 0; s < p->nsims && !oom; s++) {
            struct cr_task *t = add_task(p, CR_TASK_COMPUTE, (int)s, NULL);
            oom = !t || add_dep(t, inputs[s]);
            if (t)
                computes[s] = t->id;
        }
    int first_reduction = (int)p->ntasks + 1;
    if (want[CR_TASK_AGGREGATE]) {
        /* One aggregate per scenario experiment; it also needs the historical
         * runs of its models (the reference period). */
        for (size_t s = 0; s < p->nsims && !oom; s++) {
            const char *exp = p->sims[s].experiment;
            if (strcmp(exp, "historical") == 0)
                continue;
            int seen = 0;
            for (size_t k = (size_t)first_reduction - 1; k < p->ntasks; k++)
                seen |= strcmp(p->tasks[k].experiment, exp) == 0;
            if (seen)
                continue;
            struct cr_task *t = add_task(p, CR_TASK_AGGREGATE, -1, exp);
            oom = !t;
            for (size_t q = 0; t && q < p->nsims && !oom; q++) {
                int same_exp = strcmp(p->sims[q].experiment, exp) == 0;
                int hist_of_member = 0;
                if (strcmp(p->sims[q].experiment, "historical") == 0)
                    for (size_t r = 0; r < p->nsims; r++)
                        hist_of_member |= strcmp(p->sims[r].experiment, exp) == 0 &&
                                          strcmp(p->sims[r].model, p->sims[q].model) == 0;
                if (same_exp || hist_of_member)
                    oom = add_dep(t, computes[q]);
            }
        }
    }
    int last_aggregate = (int)p->ntasks;
    for (enum cr_task_kind k = CR_TASK_LOAD; k <= CR_TASK_TILES && !oom; k++) {
        if (!want[k])
            continue;
        struct cr_task *t = add_task(p, k, -1, NULL);
        oom = !t;
        for (int id = first_reduction; t && id <= last_aggregate && !oom; id++)
            oom = add_dep(t, id);
        if (t && k == CR_TASK_LOAD)
            for (size_t s = 0; s < p->nsims && !oom; s++)
                oom = add_dep(t, computes[s]);
        if (t && k == CR_TASK_TILES && want[CR_TASK_LOAD])
            oom = add_dep(t, (int)p->ntasks - 1);
    }
    free(inputs);
    free(computes);
    if (oom)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    return CR_OK;
}

void cr_plan_free(struct cr_plan *p)
{
    if (p->inputs) {
        cr_manifest_free(p->inputs);
        free(p->inputs);
    }
    for (size_t i = 0; i < p->ntasks; i++)
        free(p->tasks[i].deps);
    free(p->tasks);
    free(p->sims);
    memset(p, 0, sizeof *p);
}

void cr_plan_print(const struct cr_plan *p, FILE *out)
{
    for (size_t i = 0; i < p->ntasks; i++) {
        const struct cr_task *t = &p->tasks[i];
        fprintf(out, "%3d  %-9s %s", t->id, cr_task_kind_name(t->kind), t->name);
        if (t->ndeps) {
            fprintf(out, "  (after");
            for (size_t d = 0; d < t->ndeps; d++)
                fprintf(out, " %d", t->deps[d]);
            fprintf(out, ")");
        }
        fputc('\n', out);
    }
}

int cr_plan_write_slurm(const struct cr_plan *p, const char *config_path, FILE *out,
                        struct cr_err *err)
{
    if (p->nsims == 0)
        return cr_err_set(err, CR_EUSAGE, "the plan has no simulation");
    fprintf(out,
            "#!/bin/bash\n"
            "# Slurm submission for climrisk, generated by `climrisk plan --slurm`.\n"
            "# Submit with: bash <this file>  (it calls sbatch twice).\n"
            "# 1. a job array: one element per simulation (its inputs and annual\n"
            "#    indicators), independent of each other;\n"
            "# 2. a dependent job: the reductions (aggregate, load, tiles). It reruns\n"
            "#    `climrisk run`, which finds the simulations up to date and does the rest.\n"
            "# Adjust partition, time and memory to your cluster.\n"
            "set -euo pipefail\n"
            "CONFIG=%s\n"
            "CLIMRISK=${CLIMRISK:-climrisk}\n"
            "array_id=$(sbatch --parsable --job-name=climrisk-sims --array=1-%zu \\\n"
            "    --cpus-per-task=1 --mem=2G --time=04:00:00 \\\n"
            "    --wrap \"$CLIMRISK run --sim \\$SLURM_ARRAY_TASK_ID $CONFIG\")\n"
            "sbatch --parsable --job-name=climrisk-reduce --dependency=afterok:$array_id \\\n"
            "    --cpus-per-task=2 --mem=8G --time=04:00:00 \\\n"
            "    --wrap \"$CLIMRISK run $CONFIG\"\n",
            config_path, p->nsims);
    return CR_OK;
}
