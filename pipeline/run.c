/* run.c — the run executor; see run.h. */
#include "run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/stop.h"
#include "lock.h"
#include "state.h"
#include "steps.h"

/* The steps this build can run, by kind. */
static const struct cr_step *const step_table[CR_TASK_KINDS] = {
    [CR_TASK_INPUTS] = &cr_step_inputs,       [CR_TASK_COMPUTE] = &cr_step_compute,
    [CR_TASK_AGGREGATE] = &cr_step_aggregate, [CR_TASK_LOAD] = &cr_step_load,
    [CR_TASK_TILES] = &cr_step_tiles,
};

int cr_step_available(enum cr_task_kind kind)
{
    return (unsigned)kind < CR_TASK_KINDS && step_table[kind] != NULL;
}

void cr_task_report_init(struct cr_task_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->outputs = json_object_new_array();
    rep->warnings = json_object_new_array();
    rep->counts = json_object_new_object();
}

void cr_task_report_free(struct cr_task_report *rep)
{
    json_object_put(rep->outputs);
    json_object_put(rep->warnings);
    json_object_put(rep->counts);
    memset(rep, 0, sizeof *rep);
}

void cr_task_report_output(struct cr_task_report *rep, const char *path, const char *sha256)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string(path));
    json_object_object_add(o, "sha256", json_object_new_string(sha256));
    json_object_array_add(rep->outputs, o);
}

void cr_task_report_warning(struct cr_task_report *rep, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cr_warn("%s", text);
    json_object_array_add(rep->warnings, json_object_new_string(text));
}

static void iso_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- one task in a worker process -------------------------------------- */

struct worker {
    const struct cr_task *task;
    pid_t pid;
    int fd; /* the child's JSON result */
    double started;
};

/* Run one task (in the current process) and return its JSON account. */
static json_object *run_task(struct cr_step_ctx *proto, const char *state_path,
                             const struct cr_task *t, int *status)
{
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_task_report rep;
    cr_task_report_init(&rep);
    double t0 = cr_now();
    struct cr_step_ctx ctx = *proto;
    /* A connection per process: SQLite handles must not cross fork(). */
    *status = cr_state_open(&ctx.state, state_path, &err);
    if (*status == CR_OK)
        *status = step_table[t->kind]->run(&ctx, t, &rep, &err);
    cr_state_close(ctx.state);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int(t->id));
    json_object_object_add(o, "kind", json_object_new_string(cr_task_kind_name(t->kind)));
    json_object_object_add(o, "name", json_object_new_string(t->name));
    const char *st = *status != CR_OK ? (*status == CR_EINTERRUPT ? "interrupted" : "failed")
                     : rep.items_done ? "done"
                                      : "up to date";
    json_object_object_add(o, "status", json_object_new_string(st));
    json_object_object_add(o, "duration_s", json_object_new_double(cr_now() - t0));
    json_object_object_add(o, "items_done", json_object_new_int(rep.items_done));
    json_object_object_add(o, "items_up_to_date", json_object_new_int(rep.items_current));
    json_object_object_add(o, "counts", json_object_get(rep.counts));
    json_object_object_add(o, "outputs", json_object_get(rep.outputs));
    json_object_object_add(o, "warnings", json_object_get(rep.warnings));
    if (*status != CR_OK) {
        json_object_object_add(o, "error", json_object_new_string(err.msg));
        json_object_object_add(o, "error_class", json_object_new_string(cr_status_name(*status)));
    }
    cr_task_report_free(&rep);
    return o;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static char *read_all_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

static pid_t spawn(struct cr_step_ctx *ctx, const char *state_path, struct worker *w)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        int status;
        json_object *o = run_task(ctx, state_path, w->task, &status);
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        int bad = write_all(fds[1], text, strlen(text));
        json_object_put(o);
        _exit(bad ? CR_EINTERNAL : status);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->started = cr_now();
    return pid;
}

/* ---- the run ------------------------------------------------------------ */

struct run {
    const struct cr_config *cfg;
    const struct cr_run_opts *opts;
    struct cr_plan plan;
    struct cr_step_ctx ctx;
    char run_dir[CR_PATH_MAX];
    char state_path[CR_PATH_MAX];
    json_object *report;
    json_object *tasks; /* array */
    int first_failure;  /* exit code */
    char failure_msg[CR_ERR_MSG_MAX];
    const char *failed_step;
};

static int selected(const struct run *r, const struct cr_task *t)
{
    if (r->opts->task_id)
        return t->id == r->opts->task_id;
    if (r->opts->sim)
        return t->sim == r->opts->sim - 1;
    return 1;
}

static void note_failure(struct run *r, const struct cr_task *t, int status, const char *msg)
{
    if (r->first_failure != CR_OK)
        return;
    r->first_failure = status == CR_EINTERRUPT ? CR_EINTERRUPT : cr_task_kind_exit_code(t->kind);
    r->failed_step = cr_task_kind_name(t->kind);
    snprintf(r->failure_msg, sizeof r->failure_msg, "%s: %s", t->name, msg);
}

/* Collect one finished worker. */
static void reap(struct run *r, struct worker *ws, size_t nw, struct cr_progress *prog)
{
    int wstatus;
    pid_t pid;
    while ((pid = waitpid(-1, &wstatus, 0)) < 0 && errno == EINTR)
        ;
    for (size_t i = 0; i < nw; i++) {
        struct worker *w = &ws[i];
        if (w->pid != pid || pid <= 0)
            continue;
        char *text = read_all_fd(w->fd);
        close(w->fd);
        w->pid = 0;
        json_object *o = text ? json_tokener_parse(text) : NULL;
        free(text);
        if (!o) {
            o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_int(w->task->id));
            json_object_object_add(o, "name", json_object_new_string(w->task->name));
            json_object_object_add(o, "status", json_object_new_string("failed"));
            char msg[128];
            snprintf(msg, sizeof msg, "worker died (%s %d)",
                     WIFSIGNALED(wstatus) ? "signal" : "exit",
                     WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
            json_object_object_add(o, "error", json_object_new_string(msg));
        }
        const char *status = json_object_get_string(json_object_object_get(o, "status"));
        const char *error = json_object_get_string(json_object_object_get(o, "error"));
        double dt = cr_now() - w->started;
        if (strcmp(status, "failed") == 0 || strcmp(status, "interrupted") == 0) {
            int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : CR_EINTERNAL;
            cr_error("%s: %s after %.1f s: %s", w->task->name, status, dt, error ? error : "?");
            note_failure(r, w->task, code, error ? error : status);
        } else {
            cr_info("%s: %s in %.1f s", w->task->name, status, dt);
        }
        json_object_array_add(r->tasks, o);
        cr_progress_add(prog, 1);
        return;
    }
}

static int run_kind(struct run *r, enum cr_task_kind kind, struct cr_progress *prog)
{
    size_t n = 0;
    for (size_t i = 0; i < r->plan.ntasks; i++)
        n += r->plan.tasks[i].kind == kind && selected(r, &r->plan.tasks[i]);
    if (n == 0)
        return CR_OK;
    struct worker *ws = calloc(n, sizeof *ws);
    if (!ws)
        return CR_EINTERNAL;
    size_t k = 0, running = 0;
    for (size_t i = 0; i < r->plan.ntasks; i++)
        if (r->plan.tasks[i].kind == kind && selected(r, &r->plan.tasks[i]))
            ws[k++].task = &r->plan.tasks[i];
    int jobs = r->opts->jobs > 0 ? r->opts->jobs : 1;
    for (k = 0; k < n; k++) {
        while (running >= (size_t)jobs) {
            reap(r, ws, n, prog);
            running--;
        }
        if (r->first_failure != CR_OK || cr_stop_requested())
            break;
        cr_info("%s: started", ws[k].task->name);
        if (spawn(&r->ctx, r->state_path, &ws[k]) < 0) {
            note_failure(r, ws[k].task, CR_EINTERNAL, strerror(errno));
            break;
        }
        running++;
    }
    while (running > 0) {
        reap(r, ws, n, prog);
        running--;
    }
    free(ws);
    if (r->first_failure == CR_OK && cr_stop_requested())
        r->first_failure = CR_EINTERRUPT;
    return r->first_failure;
}

static void run_hook(const struct run *r, const char *report_path, int code)
{
    const char *cmd = r->cfg->on_failure;
    if (!cmd[0])
        return;
    char buf[32];
    snprintf(buf, sizeof buf, "%d", code);
    setenv("CLIMRISK_EXIT_CODE", buf, 1);
    setenv("CLIMRISK_FAILED_STEP", r->failed_step ? r->failed_step : "", 1);
    setenv("CLIMRISK_ERROR", r->failure_msg, 1);
    setenv("CLIMRISK_REPORT", report_path, 1);
    setenv("CLIMRISK_RUN_NAME", r->cfg->run_name, 1);
    cr_info("run: calling the on_failure hook");
    int rc = system(cmd);
    if (rc != 0)
        cr_warn("run: the on_failure hook '%s' exited with status %d", cmd, rc);
}

static int write_report(struct run *r, const char *path, struct cr_err *err)
{
    struct cr_atomic_file af;
    int rc = cr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    fputs(json_object_to_json_string_ext(r->report, JSON_C_TO_STRING_PRETTY), af.fp);
    fputc('\n', af.fp);
    return cr_atomic_commit(&af, err);
}

static void dry_run(struct run *r)
{
    int todo = 0;
    unsigned char *pending = calloc(r->plan.ntasks + 1, 1);
    for (size_t i = 0; i < r->plan.ntasks; i++) {
        const struct cr_task *t = &r->plan.tasks[i];
        if (!selected(r, t))
            continue;
        int after = 0;
        for (size_t d = 0; d < t->ndeps && pending; d++)
            after |= pending[t->deps[d]];
        struct cr_err err;
        int current = !after && step_table[t->kind]->is_current(&r->ctx, t, &err);
        if (!current && pending)
            pending[t->id] = 1;
        todo += !current;
        printf("%3d  %-9s %-60s %s\n", t->id, cr_task_kind_name(t->kind), t->name,
               current ? "up to date"
               : after ? "to do (inputs change)"
                       : "to do");
    }
    free(pending);
    printf("%d of %zu tasks to do\n", todo, r->plan.ntasks);
}

/* A task run alone (--task N) needs its dependencies done: a reduction
 * started before its simulations would publish statistics of half of
 * them. */
static int check_dependencies(struct run *r, struct cr_err *err)
{
    const struct cr_task *t = &r->plan.tasks[r->opts->task_id - 1];
    int rc = cr_state_open(&r->ctx.state, r->state_path, err);
    for (size_t d = 0; rc == CR_OK && d < t->ndeps; d++) {
        const struct cr_task *dep = &r->plan.tasks[t->deps[d] - 1];
        struct cr_err ignored;
        if (!step_table[dep->kind]->is_current(&r->ctx, dep, &ignored))
            rc = cr_err_set(err, CR_EUSAGE,
                            "task %d (%s) needs task %d (%s) done first: run it (climrisk run "
                            "--task %d), or the whole run",
                            t->id, t->name, dep->id, dep->name, dep->id);
    }
    cr_state_close(r->ctx.state);
    r->ctx.state = NULL;
    return rc;
}

int cr_run(const struct cr_config *cfg, const struct cr_run_opts *opts, struct cr_err *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.opts = opts;
    r.first_failure = CR_OK;
    int rc;
    if ((rc = cr_path_join(r.run_dir, sizeof r.run_dir, cfg->workdir, "run")) ||
        (rc = cr_path_join(r.state_path, sizeof r.state_path, r.run_dir, "state.sqlite")))
        return cr_err_set(err, CR_EUSAGE, "work directory path too long: %s", cfg->workdir);
    if ((rc = cr_mkdir_p(r.run_dir, err)))
        return rc;
    char lock_path[CR_PATH_MAX], report_path[CR_PATH_MAX];
    cr_path_join(lock_path, sizeof lock_path, r.run_dir, "lock");
    cr_path_join(report_path, sizeof report_path, r.run_dir, "report.json");
    struct cr_lock lock = {-1};
    int partial = opts->task_id || opts->sim;
    /* A whole run excludes every other; --task runs exclude a whole run but
     * not each other (they work on different tasks). */
    if ((rc = cr_lock_acquire(&lock, lock_path, !partial, opts->wait, err)))
        return rc;
    if ((rc = cr_plan_build(cfg, &r.plan, err)))
        goto out;
    if (opts->task_id && (opts->task_id < 1 || (size_t)opts->task_id > r.plan.ntasks)) {
        rc = cr_err_set(err, CR_EUSAGE, "--task %d: the plan has tasks 1 to %zu (climrisk plan)",
                        opts->task_id, r.plan.ntasks);
        goto out;
    }
    if (opts->sim && (opts->sim < 1 || (size_t)opts->sim > r.plan.nsims)) {
        rc = cr_err_set(err, CR_EUSAGE, "--sim %d: the plan has simulations 1 to %zu", opts->sim,
                        r.plan.nsims);
        goto out;
    }
    r.ctx.cfg = cfg;
    r.ctx.plan = &r.plan;
    r.ctx.jobs = opts->jobs > 0 ? opts->jobs : 1;
    cr_strlcpy(r.ctx.workdir, cfg->workdir, sizeof r.ctx.workdir);
    cr_path_join(r.ctx.data_dir, sizeof r.ctx.data_dir, cfg->workdir, "data");
    if ((rc = cr_mkdir_p(r.ctx.data_dir, err)))
        goto out;
    /* A whole run holds the lock exclusively: every part file is a leftover
     * of a killed run. */
    int removed = 0;
    const char *outputs[] = {"data", "annual", "stats", "stats/cog", "run/tmp", "tiles"};
    for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
        char dir[CR_PATH_MAX];
        if (cr_path_join(dir, sizeof dir, cfg->workdir, outputs[i]) == 0 && cr_is_dir(dir))
            removed += cr_remove_parts(dir, !partial);
    }
    if (cfg->tiles_dir[0] && cr_is_dir(cfg->tiles_dir))
        removed += cr_remove_parts(cfg->tiles_dir, !partial);
    if (removed)
        cr_info("run: removed %d unfinished file(s) of an interrupted run", removed);

    if (opts->task_id && (rc = check_dependencies(&r, err)))
        goto out;

    if (opts->dry_run) {
        if ((rc = cr_state_open(&r.ctx.state, r.state_path, err)))
            goto out;
        dry_run(&r);
        cr_state_close(r.ctx.state);
        r.ctx.state = NULL;
        goto out;
    }

    char started[32], config_hash[CR_SHA256_HEX] = "";
    iso_now(started, sizeof started);
    if (cfg->path[0])
        cr_sha256_file(cfg->path, config_hash, err);
    r.report = json_object_new_object();
    r.tasks = json_object_new_array();
    json_object_object_add(r.report, "run", json_object_new_string(cfg->run_name));
    json_object_object_add(r.report, "config", json_object_new_string(cfg->path));
    json_object_object_add(r.report, "config_sha256", json_object_new_string(config_hash));
    json_object_object_add(r.report, "climrisk_version", json_object_new_string(CR_VERSION));
    json_object_object_add(r.report, "workdir", json_object_new_string(cfg->workdir));
    json_object_object_add(r.report, "started_at", json_object_new_string(started));
    json_object_object_add(r.report, "pid", json_object_new_int(getpid()));
    json_object_object_add(r.report, "tasks", r.tasks);

    size_t selected_n = 0;
    for (size_t i = 0; i < r.plan.ntasks; i++)
        selected_n += selected(&r, &r.plan.tasks[i]);
    cr_info("run %s: %zu simulations, %zu tasks%s, %d workers, work directory %s", cfg->run_name,
            r.plan.nsims, selected_n, partial ? " (partial)" : "", opts->jobs, cfg->workdir);
    double t0 = cr_now();
    struct cr_progress prog;
    cr_progress_begin(&prog, "run tasks", selected_n);
    for (enum cr_task_kind k = 0; k < CR_TASK_KINDS && r.first_failure == CR_OK; k++)
        run_kind(&r, k, &prog);
    cr_progress_end(&prog);

    int done = 0, current = 0, failed = 0;
    for (size_t i = 0; i < json_object_array_length(r.tasks); i++) {
        const char *st = json_object_get_string(
            json_object_object_get(json_object_array_get_idx(r.tasks, i), "status"));
        done += strcmp(st, "done") == 0;
        current += strcmp(st, "up to date") == 0;
        failed += strcmp(st, "failed") == 0 || strcmp(st, "interrupted") == 0;
    }
    char finished[32];
    iso_now(finished, sizeof finished);
    rc = r.first_failure;
    json_object_object_add(r.report, "finished_at", json_object_new_string(finished));
    json_object_object_add(r.report, "duration_s", json_object_new_double(cr_now() - t0));
    json_object_object_add(r.report, "status",
                           json_object_new_string(rc == CR_OK           ? "ok"
                                                  : rc == CR_EINTERRUPT ? "interrupted"
                                                                        : "failed"));
    json_object_object_add(r.report, "exit_code", json_object_new_int(rc));
    json_object_object_add(r.report, "tasks_done", json_object_new_int(done));
    json_object_object_add(r.report, "tasks_up_to_date", json_object_new_int(current));
    if (rc != CR_OK) {
        json_object_object_add(r.report, "failed_step",
                               json_object_new_string(r.failed_step ? r.failed_step : ""));
        json_object_object_add(r.report, "error", json_object_new_string(r.failure_msg));
    }
    struct cr_err rerr;
    if (write_report(&r, report_path, &rerr) != CR_OK)
        cr_warn("run: %s", rerr.msg);
    if (rc == CR_OK) {
        if (done == 0)
            cr_info("run %s: nothing to do, all %d tasks up to date (%.1f s)", cfg->run_name,
                    current, cr_now() - t0);
        else
            cr_info("run %s: %d tasks done, %d up to date, in %.1f s; report %s", cfg->run_name,
                    done, current, cr_now() - t0, report_path);
    } else {
        cr_err_set(err, rc, "%s (report: %s)",
                   rc == CR_EINTERRUPT && !r.failure_msg[0] ? "interrupted" : r.failure_msg,
                   report_path);
        run_hook(&r, report_path, rc);
    }
    (void)failed;
out:
    json_object_put(r.report);
    cr_plan_free(&r.plan);
    cr_lock_release(&lock);
    return rc;
}
