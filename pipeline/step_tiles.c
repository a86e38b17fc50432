/* step_tiles.c — vector and raster tiles of the run's statistics.
 *
 * The unit of work is one indicator: its recipe is the tiles' algorithm
 * version, the [tiles] settings, whether the datamart's commune and
 * département layers are available, and the values of that indicator's
 * variables in every statistics file (ncdigest.h), not the files' bytes.
 * So a rerun after a change to one indicator renders only that indicator's
 * tilesets; tiles/ keeps the others and catalog.json lists them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../indicators/catalog.h"
#include "../sql/pgcluster.h"
#include "../tiles/tiles.h"
#include "ncdigest.h"
#include "steps.h"

/* Bump when the tiles change for the same statistics. */
#define TILES_ALGORITHM "tiles-1"

struct tiles_plan {
    struct cr_tiles_opts o;
    size_t n;                        /* indicators with statistics */
    const char *codes[64];           /* catalogue codes */
    char recipes[64][CR_SHA256_HEX]; /* per indicator */
    int stale[64];
    char catalog[CR_PATH_MAX];        /* <tiles>/catalog.json */
    char files_recipe[CR_SHA256_HEX]; /* settings + the statistics files' hashes */
    int files_current;                /* same files as the last run: no digest needed */
};

static int wanted(const struct cr_config *cfg, const char *code)
{
    return cr_strlist_contains(&cfg->indicators, "all") ||
           cr_strlist_contains(&cfg->indicators, code);
}

static int plan_tiles(struct cr_step_ctx *ctx, const struct cr_task *t, struct tiles_plan *tp,
                      struct cr_err *err)
{
    const struct cr_config *cfg = ctx->cfg;
    memset(tp, 0, sizeof *tp);
    cr_tiles_opts_init(&tp->o);
    tp->o.vector_maxzoom = (int)cfg->vector_maxzoom;
    tp->o.raster_maxzoom = (int)cfg->raster_maxzoom;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN); /* the only task running at this point */
    tp->o.jobs = cfg->jobs > 0 ? (int)cfg->jobs : (int)(ncpu > 0 ? ncpu : 1);
    cr_strlcpy(tp->o.schema, cfg->db_schema, sizeof tp->o.schema);
    cr_strlcpy(tp->o.scenarios_dir, cfg->scenarios_dir, sizeof tp->o.scenarios_dir);
    if (cfg->tiles_dir[0])
        cr_strlcpy(tp->o.out_dir, cfg->tiles_dir, sizeof tp->o.out_dir);
    else
        cr_path_join(tp->o.out_dir, sizeof tp->o.out_dir, ctx->workdir, "tiles");
    cr_path_join(tp->catalog, sizeof tp->catalog, tp->o.out_dir, "catalog.json");
    struct cr_err dsn_err;
    if (cr_db_resolve_dsn(cfg, tp->o.dsn, sizeof tp->o.dsn, &dsn_err) != CR_OK)
        tp->o.dsn[0] = '\0';
    for (size_t i = 0; i < ctx->plan->ntasks; i++) {
        const struct cr_task *a = &ctx->plan->tasks[i];
        char name[64], path[CR_PATH_MAX];
        if (a->kind != CR_TASK_AGGREGATE)
            continue;
        snprintf(name, sizeof name, "stats/%s.nc", a->experiment);
        if (cr_path_join(path, sizeof path, ctx->workdir, name) ||
            cr_strlist_push(&tp->o.inputs, path))
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    /* Digesting every indicator's values takes seconds; when the statistics
     * files are byte for byte those of the last run (hashes cached by size,
     * mtime and inode) the per-indicator recipes cannot have changed. */
    struct cr_sha256 fh;
    int rc0 = cr_sha256_init(&fh, err);
    if (rc0)
        return rc0;
    char line[CR_PATH_MAX + 200];
    int len =
        snprintf(line, sizeof line,
                 "%s\nvector_maxzoom=%ld\nraster_maxzoom=%ld\nout=%s\nadmin=%d\n", TILES_ALGORITHM,
                 cfg->vector_maxzoom, cfg->raster_maxzoom, tp->o.out_dir, tp->o.dsn[0] != 0);
    cr_sha256_update(&fh, line, (size_t)len);
    for (size_t i = 0; i < cfg->indicators.n; i++)
        cr_sha256_update(&fh, cfg->indicators.items[i], strlen(cfg->indicators.items[i]) + 1);
    for (size_t f = 0; f < tp->o.inputs.n; f++) {
        char sha[CR_SHA256_HEX];
        struct cr_err ignored;
        if (cr_state_file_hash(ctx->state, tp->o.inputs.items[f], sha, &ignored) != CR_OK)
            cr_strlcpy(sha, "absent", sizeof sha);
        len = snprintf(line, sizeof line, "%s\t%s\n", tp->o.inputs.items[f], sha);
        cr_sha256_update(&fh, line, len > 0 ? (size_t)len : 0);
    }
    cr_sha256_final(&fh, tp->files_recipe);
    tp->files_current = cr_state_is_current(ctx->state, t->name, "files", tp->files_recipe, err);
    if (tp->files_current)
        return CR_OK;
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    for (size_t k = 0; k < ncat && tp->n < 64; k++) {
        if (!wanted(cfg, cat[k].code))
            continue;
        struct cr_sha256 h;
        int rc = cr_sha256_init(&h, err);
        if (rc)
            return rc;
        char text[512], prefix[64];
        int n = snprintf(text, sizeof text,
                         "%s\n%s\nvector_maxzoom=%ld\nraster_maxzoom=%ld\nout=%s\nadmin=%d\n",
                         TILES_ALGORITHM, cat[k].code, cfg->vector_maxzoom, cfg->raster_maxzoom,
                         tp->o.out_dir, tp->o.dsn[0] != 0);
        cr_sha256_update(&h, text, (size_t)n);
        snprintf(prefix, sizeof prefix, "%s_", cat[k].code);
        int total = 0;
        for (size_t f = 0; f < tp->o.inputs.n && rc == CR_OK; f++) {
            char sha[CR_SHA256_HEX];
            int matched = 0;
            rc = cr_nc_digest_vars(tp->o.inputs.items[f], prefix, sha, &matched, err);
            total += matched;
            n = snprintf(text, sizeof text, "%s\t%s\n", tp->o.inputs.items[f], sha);
            cr_sha256_update(&h, text, n > 0 ? (size_t)n : 0);
        }
        if (rc) {
            cr_sha256_free(&h);
            return rc;
        }
        if (total == 0) { /* not computed (inputs absent): nothing to draw */
            cr_sha256_free(&h);
            continue;
        }
        tp->codes[tp->n] = cat[k].code;
        cr_sha256_final(&h, tp->recipes[tp->n]);
        tp->stale[tp->n] =
            !cr_state_is_current(ctx->state, t->name, cat[k].code, tp->recipes[tp->n], err);
        tp->n++;
    }
    return CR_OK;
}

static int tiles_is_current(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_err *err)
{
    struct tiles_plan tp;
    int rc = plan_tiles(ctx, t, &tp, err), current = rc == CR_OK;
    if (tp.files_current) {
        cr_tiles_opts_free(&tp.o);
        return current;
    }
    for (size_t i = 0; i < tp.n; i++)
        current &= !tp.stale[i];
    cr_tiles_opts_free(&tp.o);
    return current;
}

static int tiles_run(struct cr_step_ctx *ctx, const struct cr_task *t, struct cr_task_report *rep,
                     struct cr_err *err)
{
    struct tiles_plan tp;
    int rc = plan_tiles(ctx, t, &tp, err);
    if (rc == CR_OK && tp.files_current) {
        rep->items_current++;
        cr_tiles_opts_free(&tp.o);
        return CR_OK;
    }
    size_t nstale = 0;
    for (size_t i = 0; rc == CR_OK && i < tp.n; i++)
        if (tp.stale[i]) {
            nstale++;
            if (cr_strlist_push(&tp.o.indicators, tp.codes[i]))
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        }
    if (rc == CR_OK && nstale > 0) {
        if (!tp.o.dsn[0])
            cr_task_report_warning(rep,
                                   "tiles: no datamart ([datamart] dsn, or `climrisk db start`): "
                                   "vector tiles without commune/département layers");
        cr_info("%s: %zu of %zu indicators to render", t->name, nstale, tp.n);
        struct cr_tiles_report trep;
        rc = cr_tiles_run(&tp.o, &trep, err);
        if (rc == CR_OK) {
            json_object_object_add(rep->counts, "indicators_rendered",
                                   json_object_new_int((int)nstale));
            json_object_object_add(rep->counts, "vector_tilesets",
                                   json_object_new_int((int)trep.vector_tilesets));
            json_object_object_add(rep->counts, "raster_tilesets",
                                   json_object_new_int((int)trep.raster_tilesets));
            json_object_object_add(rep->counts, "tiles",
                                   json_object_new_int64((int64_t)trep.tiles));
            json_object_object_add(rep->counts, "bytes",
                                   json_object_new_int64((int64_t)trep.bytes));
        }
        /* catalog.json changed: every indicator is recorded against it */
        const char *outs[1] = {tp.catalog};
        for (size_t i = 0; rc == CR_OK && i < tp.n; i++)
            rc = cr_state_record(ctx->state, t->name, tp.codes[i], tp.recipes[i], outs, 1, err);
    }
    if (rc == CR_OK && access(tp.catalog, F_OK) == 0) {
        const char *outs[1] = {tp.catalog};
        rc = cr_state_record(ctx->state, t->name, "files", tp.files_recipe, outs, 1, err);
    }
    if (rc == CR_OK) {
        rep->items_done += (int)nstale;
        rep->items_current += (int)(tp.n - nstale);
        char sha[CR_SHA256_HEX];
        if (access(tp.catalog, F_OK) == 0 &&
            (rc = cr_state_file_hash(ctx->state, tp.catalog, sha, err)) == CR_OK)
            cr_task_report_output(rep, tp.catalog, sha);
    }
    cr_tiles_opts_free(&tp.o);
    return rc;
}

const struct cr_step cr_step_tiles = {CR_TASK_TILES, tiles_is_current, tiles_run};
