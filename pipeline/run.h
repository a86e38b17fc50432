/* run.h — `climrisk run`: execute a plan incrementally, safely, observably.
 *
 * Each step kind (inputs, compute, aggregate, load, tiles) is a pair of
 * functions in the step table of run.c: one says whether a task is up to
 * date (its recipe, see state.h, matches what was recorded), the other does
 * the work and publishes outputs atomically, then records them. Tasks of one
 * kind run in parallel worker processes; kinds run in dependency order. A run
 * killed at any moment (SIGKILL included) leaves published outputs whole and
 * the state consistent, so the next run redoes only the interrupted tasks.
 * Every run writes <workdir>/run/report.json. */
#ifndef CR_RUN_H
#define CR_RUN_H

#include "../config/config.h"
#include "../core/error.h"
#include "plan.h"

struct cr_run_opts {
    int dry_run; /* print what would be done, do nothing */
    int task_id; /* run only this task (0 = all) */
    int sim;     /* run only the tasks of this simulation, 1-based (0 = all) */
    int wait;    /* wait for another run's lock instead of failing */
    int jobs;    /* worker processes (>= 1) */
};

/* Can this build run steps of this kind? (A step exists once its stage is
 * built; plans only contain available steps.) */
int cr_step_available(enum cr_task_kind kind);

/* Run the configuration. Returns CR_OK, a CR_E* class for errors outside the
 * steps (usage, lock, interrupted), or cr_task_kind_exit_code() of the first
 * step that failed; err says what failed and how to fix it. */
int cr_run(const struct cr_config *cfg, const struct cr_run_opts *opts, struct cr_err *err);

#endif
