/* step_load.c — the run's annual and statistics files into the datamart.
 *
 * The datamart keeps its own record of what it holds (the sha256 of the
 * file behind each loaded unit, sql/load.h), so this step asks it rather
 * than the run state: a datamart restored from a backup, or loaded by hand,
 * is judged by what it really contains. The load is one transaction; the
 * load_run row it writes is the run's lineage in the datamart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../sql/load.h"
#include "../sql/pgcluster.h"
#include "steps.h"

static int load_opts(struct cr_step_ctx *ctx, struct cr_load_opts *o, char *dsn, size_t dsn_size,
                     struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    memset(o, 0, sizeof *o);
    char annual[CR_PATH_MAX], stats[CR_PATH_MAX];
    cr_path_join(annual, sizeof annual, ctx->workdir, "annual");
    cr_path_join(stats, sizeof stats, ctx->workdir, "stats");
    if (cr_strlist_push(&o->annual, annual) || cr_strlist_push(&o->stats, stats))
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    o->lock_wait = (int)cfg->lock_wait;
    o->run_name = cfg->run_name;
    o->config_path = cfg->path[0] ? cfg->path : NULL;
    o->scenarios_dir = cfg->scenarios_dir;
    return cr_db_resolve_dsn(cfg, dsn, dsn_size, err);
}

static int load_is_current(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_err *err)
{
    (void)t;
    struct cr_load_opts o;
    char dsn[1024];
    int current = 0;
    if (load_opts(ctx, &o, dsn, sizeof dsn, err) == CR_OK &&
        cr_load_is_current(dsn, &o, &current, err) != CR_OK)
        current = 0;
    cr_strlist_free(&o.annual);
    cr_strlist_free(&o.stats);
    return current;
}

static int load_run(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_task_report *rep,
                    struct cr_err *err)
{
    (void)t;
    struct cr_load_opts o;
    char dsn[1024], hash[CR_SHA256_HEX] = "";
    int rc = load_opts(ctx, &o, dsn, sizeof dsn, err);
    if (rc == CR_OK && o.config_path)
        rc = cr_sha256_file(o.config_path, hash, err);
    o.config_hash = hash[0] ? hash : NULL;
    int current = 0;
    if (rc == CR_OK && cr_load_is_current(dsn, &o, &current, err) == CR_OK && current) {
        /* nothing changed: no transaction, no load_run row */
        rep->items_current++;
        cr_strlist_free(&o.annual);
        cr_strlist_free(&o.stats);
        return CR_OK;
    }
    static struct cr_load_report lrep; /* large; one per worker process */
    memset(&lrep, 0, sizeof lrep);
    if (rc == CR_OK)
        rc = cr_load_run(dsn, &o, &lrep, err);
    if (rc == CR_OK) {
        rep->items_done += lrep.loaded;
        rep->items_current += lrep.skipped;
        json_object_object_add(rep->counts, "load_run_id", json_object_new_int64(lrep.run_id));
        json_object_object_add(rep->counts, "units_loaded", json_object_new_int(lrep.loaded));
        json_object_object_add(rep->counts, "units_unchanged", json_object_new_int(lrep.skipped));
        json_object_object_add(rep->counts, "annual_rows",
                               json_object_new_int64((int64_t)lrep.annual_rows));
        json_object_object_add(rep->counts, "stat_rows",
                               json_object_new_int64((int64_t)lrep.stat_rows));
    }
    cr_strlist_free(&o.annual);
    cr_strlist_free(&o.stats);
    return rc;
}

const struct cr_step cr_step_load = {CR_TASK_LOAD, load_is_current, load_run};
