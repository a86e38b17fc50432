/* plan.h — the work of a run, split into independent tasks.
 *
 * A run is: get the inputs of each simulation (generate or download), compute
 * its annual indicators, aggregate each experiment's simulations into
 * horizon and ensemble statistics, load the datamart, render tiles. The
 * per-simulation tasks are independent (a Slurm job array, or parallel
 * `climrisk run --task N` processes); the reductions depend on them. Task
 * ids are stable for a given configuration: 1..n in dependency order. */
#ifndef CR_PLAN_H
#define CR_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "../config/config.h"
#include "../core/error.h"

enum cr_task_kind {
    CR_TASK_INPUTS,    /* one simulation: synthesise or fetch its files */
    CR_TASK_COMPUTE,   /* one simulation: annual indicators */
    CR_TASK_AGGREGATE, /* one experiment: horizon and ensemble statistics */
    CR_TASK_LOAD,      /* the run: the datamart */
    CR_TASK_TILES,     /* the run: vector and raster tiles */
    CR_TASK_KINDS
};

/* "inputs", "compute", ... */
const char *cr_task_kind_name(enum cr_task_kind k);
/* Exit code of a run whose first failure is in a step of this kind. */
int cr_task_kind_exit_code(enum cr_task_kind k);

struct cr_sim {
    char model[128];     /* GCM_RCM */
    char experiment[16]; /* historical, rcp26, rcp45, rcp85 */
};

struct cr_task {
    int id; /* 1-based */
    enum cr_task_kind kind;
    char name[192];
    int sim;             /* index into plan->sims, -1 for reductions */
    char experiment[16]; /* aggregate tasks */
    int *deps;           /* task ids this one needs */
    size_t ndeps;
};

struct cr_manifest;

struct cr_plan {
    struct cr_sim *sims;
    size_t nsims;
    /* source = manifest or directory: the input files (owned), which name
     * the simulations; NULL for source = synth. */
    struct cr_manifest *inputs;
    struct cr_task *tasks;
    size_t ntasks;
};

/* "<kind> <model> <experiment>": the name of a simulation's task. */
void cr_sim_task_name(enum cr_task_kind kind, const struct cr_sim *sim, char *out, size_t size);

/* Build the plan of a configuration. Only steps this build of climrisk can
 * run are planned (see cr_step_available in run.h). */
int cr_plan_build(const struct cr_config *cfg, struct cr_plan *plan, struct cr_err *err);
void cr_plan_free(struct cr_plan *plan);

/* Print the plan, one task a line: id, kind, name, dependencies. */
void cr_plan_print(const struct cr_plan *plan, FILE *out);

/* A Slurm batch script: a job array over the per-simulation tasks and a
 * dependent job for the reductions. */
int cr_plan_write_slurm(const struct cr_plan *plan, const char *config_path, FILE *out,
                        struct cr_err *err);

#endif
