/* steps.h — what run.c needs from each step kind, and what a step reports.
 *
 * A step implementation lives in pipeline/step_<kind>.c and calls the stage
 * module that does the work (ingest/synth, indicators, sql, tiles). It must
 * publish outputs atomically and record them in the state only once they
 * are published. */
#ifndef CR_STEPS_H
#define CR_STEPS_H

#include <json-c/json.h>

#include "../config/config.h"
#include "../core/error.h"
#include "plan.h"
#include "state.h"

/* What a run's steps share. */
struct cr_step_ctx {
    const struct cr_config *cfg;
    const struct cr_plan *plan;
    struct cr_state *state;
    char workdir[CR_PATH_MAX];
    char data_dir[CR_PATH_MAX]; /* inputs of the simulations */
    int jobs;                   /* tasks that may run at once (>= 1) */
};

/* A step's account of one task, for the run report. */
struct cr_task_report {
    int items_done;
    int items_current;     /* already up to date */
    json_object *outputs;  /* array of {path, sha256} */
    json_object *warnings; /* array of strings */
    json_object *counts;   /* object of named counts */
};

struct cr_step {
    enum cr_task_kind kind;
    /* 1 when every item of the task is up to date, 0 otherwise. */
    int (*is_current)(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_err *err);
    int (*run)(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_task_report *rep,
               struct cr_err *err);
};

extern const struct cr_step cr_step_inputs;
extern const struct cr_step cr_step_compute;
extern const struct cr_step cr_step_aggregate;
extern const struct cr_step cr_step_load;
extern const struct cr_step cr_step_tiles;

/* Helpers for steps. */

struct cr_manifest;
/* The manifest entries of one simulation (source = manifest or directory):
 * sub gets copies; free sub->e. */
int cr_sim_entries(const struct cr_step_ctx *ctx, const struct cr_sim *sim, struct cr_manifest *sub,
                   struct cr_err *err);
/* <workdir>/annual/<model>_<experiment>.nc */
int cr_annual_path(const struct cr_step_ctx *ctx, const struct cr_sim *sim, char *out, size_t size);

void cr_task_report_init(struct cr_task_report *rep);
void cr_task_report_free(struct cr_task_report *rep);
void cr_task_report_output(struct cr_task_report *rep, const char *path, const char *sha256);
void cr_task_report_warning(struct cr_task_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
