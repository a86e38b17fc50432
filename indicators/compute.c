/* compute.c — one simulation from daily files to its annual file, and
 * simulations in parallel threads; see compute.h.
 *
 * Threads of one simulation: the caller's thread runs the engine; a reader
 * thread fills the other of two block buffers meanwhile (double buffering,
 * so reading and computing overlap); a hashing thread computes the inputs'
 * sha256 for the provenance attributes. netCDF calls (series open/read/
 * close, the annual writer) hold the process-wide lock of nclock.h; the
 * indicator arithmetic and the hashing never do. */
#include "compute.h"

#include <math.h>
#include <netcdf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/stop.h"
#include "../ingest/reader.h"
#include "../ingest/validate.h"
#include "annual_out.h"
#include "nclock.h"
#include "simset.h"

#define DEFAULT_BLOCK 32

struct sim {
    const struct cr_compute_job *job;
    struct cr_series *series[CR_IN_COUNT];
    struct cr_series_info info[CR_IN_COUNT];
    int have[CR_IN_COUNT];
    int first; /* an input that is present */
    enum cr_calendar cal;
    int y0, y1, nyears;
    size_t ncells, block;
    struct cr_annual_out *out;
    float *tas_france;
    double *weight;
    unsigned long computes, selected;
};

/* ---- input hashing thread ----------------------------------------------- */

struct hash_job {
    pthread_t th;
    char **paths;
    const char **vars;
    size_t n;
    char (*hex)[CR_SHA256_HEX];
    unsigned char *known; /* hex[i] came from the caller */
    int rc;
    struct cr_err err;
    double seconds;
};

static void *hash_main(void *arg)
{
    struct hash_job *h = arg;
    double t0 = cr_now();
    for (size_t i = 0; i < h->n && h->rc == CR_OK; i++)
        if (!h->known[i])
            h->rc = cr_sha256_file_uncached(h->paths[i], h->hex[i], &h->err);
    h->seconds = cr_now() - t0;
    return NULL;
}

/* ---- block reader thread ------------------------------------------------ */

struct prefetch {
    struct sim *s;
    pthread_t th;
    pthread_mutex_t m;
    pthread_cond_t cv;
    float *buf[2][CR_IN_COUNT];
    size_t nd[2];
    struct cr_date start[2];
    int full[2];
    int eof, quit, rc;
    struct cr_err err;
    double read_seconds;
    /* Checked by the engine's thread as each block arrives, not by the
     * reader: inflating the five variables keeps the reader busier than the
     * engine, so this is where a second core has time to spare. */
    struct cr_validation val;    /* impossible values, masked as NaN */
    uint64_t valid[CR_IN_COUNT]; /* values with data, per input */
};

/* Count the values with data and mask impossible ones as NaN, in a block
 * the reader has filled and before the engine sees it. */
static void check_block(struct prefetch *p, int slot)
{
    struct sim *s = p->s;
    size_t nd = p->nd[slot];
    struct cr_date d = p->start[slot];
    for (int k = 0; k < CR_IN_COUNT; k++) {
        if (!s->have[k])
            continue;
        p->valid[k] += cr_validate_block(&p->val, s->series[k], d, p->buf[slot][k], nd);
    }
    if (s->have[CR_IN_TN] && s->have[CR_IN_TX])
        cr_validate_pair(&p->val, s->series[CR_IN_TN], s->series[CR_IN_TX], d,
                         p->buf[slot][CR_IN_TN], p->buf[slot][CR_IN_TX], nd);
}

static void *prefetch_main(void *arg)
{
    struct prefetch *p = arg;
    struct sim *s = p->s;
    cr_netcdf_thread_init();
    struct cr_date d = {s->y0, 1, 1}, end = {s->y1 + 1, 1, 1};
    int64_t end_n = cr_cal_day_number(s->cal, end);
    int slot = 0, rc = CR_OK;
    struct cr_err err;
    cr_err_clear(&err);
    while (rc == CR_OK) {
        int64_t left = end_n - cr_cal_day_number(s->cal, d);
        if (left <= 0)
            break;
        pthread_mutex_lock(&p->m);
        while (p->full[slot] && !p->quit)
            pthread_cond_wait(&p->cv, &p->m);
        int quit = p->quit;
        pthread_mutex_unlock(&p->m);
        if (quit)
            break;
        size_t nd = (size_t)left < s->block ? (size_t)left : s->block;
        double t0 = cr_now();
        for (int k = 0; k < CR_IN_COUNT && rc == CR_OK; k++) {
            if (!s->have[k])
                continue;
            cr_netcdf_lock();
            rc = cr_series_read(s->series[k], d, nd, p->buf[slot][k], &err);
            cr_netcdf_unlock();
        }
        p->read_seconds += cr_now() - t0;
        pthread_mutex_lock(&p->m);
        if (rc == CR_OK) {
            p->start[slot] = d;
            p->nd[slot] = nd;
            p->full[slot] = 1;
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->m);
        d = cr_cal_add_days(s->cal, d, (int64_t)nd);
        slot ^= 1;
    }
    pthread_mutex_lock(&p->m);
    p->eof = 1;
    if (rc) {
        p->rc = rc;
        p->err = err;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->m);
    return NULL;
}

/* ---- engine output ------------------------------------------------------- */

static int on_year(void *user, enum cr_ind id, int year, const float *values, struct cr_err *err)
{
    struct sim *s = user;
    if (id == CR_IND_TG_MEAN) {
        double sum = 0, wsum = 0;
        for (size_t c = 0; c < s->ncells; c++)
            if (!isnan(values[c])) {
                sum += s->weight[c] * values[c];
                wsum += s->weight[c];
            }
        int yi = year - s->y0;
        if (yi >= 0 && yi < s->nyears)
            s->tas_france[yi] = wsum > 0 ? (float)(sum / wsum) : NAN;
    }
    if (!(s->selected & (1UL << id)))
        return CR_OK; /* computed for tas_france only */
    return cr_annual_out_put(s->out, id, year, values, err);
}

/* ---- one simulation ------------------------------------------------------ */

static void close_series(struct sim *s)
{
    cr_netcdf_lock();
    for (int k = 0; k < CR_IN_COUNT; k++)
        if (s->series[k])
            cr_series_close(s->series[k]);
    cr_netcdf_unlock();
}

/* netCDF-C gives every variable it opens a 64 MB chunk cache by default;
 * the series reader walks the days in order through one-day chunks, so a
 * cache of a few chunks does as well, and five variables x --jobs
 * simulations then fit in the memory budget (bench/indicators.sh). A
 * process-wide setting, applied (under the lock) before the files open. */
#define CHUNK_CACHE_BYTES (4u << 20)

static int open_series(struct sim *s, struct cr_err *err)
{
    const struct cr_compute_job *job = s->job;
    int rc = CR_OK;
    s->first = -1;
    cr_netcdf_lock();
    nc_set_chunk_cache(CHUNK_CACHE_BYTES, 1009, 0.75f);
    cr_netcdf_unlock();
    for (int k = 0; k < CR_IN_COUNT && rc == CR_OK; k++) {
        const struct cr_strlist *l = &job->files[k];
        if (l->n == 0)
            continue;
        cr_netcdf_lock();
        rc = cr_series_open(&s->series[k], (const char *const *)l->items, l->n,
                            cr_simset_input_name((enum cr_input)k), err);
        if (rc == CR_OK)
            cr_series_set_decode_threads(s->series[k], job->decode_threads);
        if (rc == CR_OK)
            cr_series_info(s->series[k], &s->info[k]);
        if (rc == CR_OK && s->first >= 0)
            rc = cr_series_same_grid(s->series[s->first], s->series[k], err);
        cr_netcdf_unlock();
        if (rc)
            break;
        s->have[k] = 1;
        if (s->first < 0) {
            s->first = k;
            s->cal = s->info[k].calendar;
            s->y0 = s->info[k].first.year;
            s->y1 = s->info[k].last.year;
        } else {
            if (s->info[k].calendar != s->cal)
                rc = cr_err_set(err, CR_EDATA,
                                "%s uses the %s calendar but %s uses %s: the variables of one "
                                "simulation must share a calendar",
                                cr_series_file(s->series[k], 0),
                                cr_calendar_name(s->info[k].calendar),
                                cr_series_file(s->series[s->first], 0), cr_calendar_name(s->cal));
            if (s->info[k].first.year != s->y0 || s->info[k].last.year != s->y1)
                cr_warn("compute %s %s: %s covers %d-%d, %s covers %d-%d; years not covered by "
                        "every input come out NaN for the indicators that need it",
                        job->model, job->experiment, cr_simset_input_name((enum cr_input)k),
                        s->info[k].first.year, s->info[k].last.year,
                        cr_simset_input_name((enum cr_input)s->first), s->y0, s->y1);
            if (s->info[k].first.year < s->y0)
                s->y0 = s->info[k].first.year;
            if (s->info[k].last.year > s->y1)
                s->y1 = s->info[k].last.year;
        }
    }
    if (rc == CR_OK && s->first < 0)
        rc = cr_err_set(err, CR_EUSAGE, "no input files for %s %s", job->model, job->experiment);
    return rc;
}

/* Which requested indicators the inputs allow. */
static int select_indicators(struct sim *s, unsigned long *selected, struct cr_err *err)
{
    const struct cr_compute_job *job = s->job;
    unsigned long sel = 0;
    for (int id = 0; id < CR_IND_COUNT; id++) {
        if (!(job->indicators & (1UL << id)))
            continue;
        int missing[CR_IN_COUNT];
        if (cr_engine_missing_inputs(1UL << id, s->have, missing) == 0) {
            sel |= 1UL << id;
            continue;
        }
        char names[64] = "";
        for (int k = 0; k < CR_IN_COUNT; k++)
            if (missing[k]) {
                size_t l = strlen(names);
                snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "",
                         cr_simset_input_name((enum cr_input)k));
            }
        if (!job->skip_unavailable)
            return cr_err_set(err, CR_EUSAGE, "%s needs %s, which %s %s does not have",
                              cr_engine_indicator_code((enum cr_ind)id), names, job->model,
                              job->experiment);
        cr_warn("compute %s %s: %s left out (needs %s)", job->model, job->experiment,
                cr_engine_indicator_code((enum cr_ind)id), names);
    }
    if (!sel)
        return cr_err_set(err, CR_EUSAGE,
                          "%s %s: none of the requested indicators can be "
                          "computed from its inputs",
                          job->model, job->experiment);
    *selected = sel;
    return CR_OK;
}

static int write_provenance(struct sim *s, struct hash_job *h, struct cr_err *err)
{
    const struct cr_compute_job *job = s->job;
    const struct cr_engine_opts *p = &job->params;
    int rc = CR_OK;
    char gcm[192] = "", rcm[192] = "";
    const char *us = strchr(job->model, '_');
    if (us) {
        snprintf(gcm, sizeof gcm, "%.*s", (int)(us - job->model), job->model);
        cr_strlcpy(rcm, us + 1, sizeof rcm);
    }
    size_t cap = 256;
    for (size_t i = 0; i < h->n; i++)
        cap += strlen(h->paths[i]) + 96;
    char *lines = malloc(cap);
    if (!lines)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    size_t len = 0;
    lines[0] = '\0';
    for (size_t i = 0; i < h->n; i++)
        len += (size_t)snprintf(lines + len, cap - len, "%s%s %s %s", i ? "\n" : "", h->vars[i],
                                h->hex[i], cr_basename(h->paths[i]));
    /* No timestamp: the same inputs and parameters give the same bytes, so a
     * rerun, a resumed run and the datamart loader (which skips files whose
     * sha256 it has) recognise an unchanged result. When it was made is in
     * the run report and datamart.load_run. */
    const char *history = "climrisk compute " CR_VERSION;
    struct {
        const char *name, *value;
    } texts[] = {
        {"title", "Annual climate-risk indicators (climrisk)"},
        {"model", job->model},
        {"gcm", gcm},
        {"rcm", rcm},
        {"member", job->member ? job->member : ""},
        {"experiment", job->experiment},
        {"climrisk_version", CR_VERSION},
        {"input_files", lines},
        {"input_calendar", cr_calendar_name(s->cal)},
        {"tg_source", s->have[CR_IN_TG] ? "tas" : "(tasmin+tasmax)/2"},
        {"prsn_source", s->have[CR_IN_PS] ? "prsn" : "pr where TG <= snow_rain_temperature"},
        {"history", history},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0] && rc == CR_OK; i++)
        rc = cr_annual_out_attr_text(s->out, texts[i].name, texts[i].value, err);
    struct {
        const char *name;
        double value;
    } nums[] = {
        {"max_missing_fraction", p->max_missing_fraction},
        {"snow_melt_factor", p->snow_melt_factor},
        {"snow_cover_threshold", p->snow_cover_threshold},
        {"snow_rain_temperature", p->snow_rain_temperature},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0] && rc == CR_OK; i++)
        rc = cr_annual_out_attr_double(s->out, nums[i].name, nums[i].value, err);
    free(lines);
    return rc;
}

int cr_compute(const struct cr_compute_job *job, struct cr_compute_report *rep, struct cr_err *err)
{
    double t0 = cr_now();
    memset(rep, 0, sizeof *rep);
    struct sim s;
    memset(&s, 0, sizeof s);
    s.job = job;
    s.block = job->block_days ? job->block_days : DEFAULT_BLOCK;
    struct prefetch pf;
    memset(&pf, 0, sizeof pf);
    struct hash_job h;
    memset(&h, 0, sizeof h);
    int hash_started = 0, pf_started = 0;
    struct cr_engine *e = NULL;
    unsigned long selected = 0;

    int rc = open_series(&s, err);
    if (rc == CR_OK)
        rc = select_indicators(&s, &selected, err);
    if (rc) {
        close_series(&s);
        return rc;
    }
    const struct cr_series_info *fi = &s.info[s.first];
    s.ncells = fi->ncells;
    s.nyears = s.y1 - s.y0 + 1;
    const double *lat = cr_series_lat(s.series[s.first]);
    s.tas_france = malloc(sizeof *s.tas_france * (size_t)s.nyears);
    s.weight = malloc(sizeof *s.weight * (s.ncells ? s.ncells : 1));
    if (!s.tas_france || !s.weight) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int i = 0; i < s.nyears; i++)
        s.tas_france[i] = NAN;
    /* SAFRAN cells (and any projected grid's) are equal-area squares; on a
     * latitude-longitude grid a cell's area goes with cos(latitude). */
    int geographic = strcmp(fi->crs_name, "latitude_longitude") == 0;
    for (size_t c = 0; c < s.ncells; c++)
        s.weight[c] = geographic && !isnan(lat[c]) ? cos(lat[c] * 3.14159265358979323846 / 180) : 1;

    s.selected = selected;
    struct cr_engine_opts eo = job->params;
    eo.indicators = selected;
    for (int k = 0; k < CR_IN_COUNT; k++)
        eo.have[k] = s.have[k];
    rc = cr_engine_new(&e, &eo, s.cal, s.y0, s.y1, s.ncells, lat, err);
    if (rc)
        goto done;
    s.computes = cr_engine_computes(e);
    int with_tas = (s.computes & (1UL << CR_IND_TG_MEAN)) != 0;
    struct cr_annual_grid grid = {
        .ny = fi->nspatial == 2 ? fi->ny : 1,
        .nx = fi->nx,
        .nspatial = fi->nspatial,
        .source_path = cr_series_file(s.series[s.first], 0),
        .source_var = fi->file_var,
    };
    memcpy(grid.dim_names, fi->dim_names, sizeof grid.dim_names);
    if (fi->nspatial == 1) {
        /* a station set: the reader names its dimension in dim_names[1] */
        if (!grid.dim_names[1][0]) {
            cr_strlcpy(grid.dim_names[1], grid.dim_names[0], sizeof grid.dim_names[1]);
        }
        grid.dim_names[0][0] = '\0';
    }
    rc = cr_annual_out_open(&s.out, job->out_path, &grid, s.y0, s.nyears, selected, with_tas, err);
    if (rc)
        goto done;

    /* Hash the inputs while computing. */
    for (int k = 0; k < CR_IN_COUNT; k++)
        if (s.have[k])
            h.n += s.info[k].nfiles;
    h.paths = calloc(h.n ? h.n : 1, sizeof *h.paths);
    h.vars = calloc(h.n ? h.n : 1, sizeof *h.vars);
    h.hex = calloc(h.n ? h.n : 1, sizeof *h.hex);
    h.known = calloc(h.n ? h.n : 1, 1);
    if (!h.paths || !h.vars || !h.hex || !h.known) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    size_t i = 0;
    for (int k = 0; k < CR_IN_COUNT; k++)
        for (size_t f = 0; s.have[k] && f < s.info[k].nfiles; f++, i++) {
            h.paths[i] = (char *)cr_series_file(s.series[k], f);
            h.vars[i] = cr_simset_input_name((enum cr_input)k);
            if (job->known_sha256)
                h.known[i] = job->known_sha256(job->known_sha256_user, h.paths[i], h.hex[i]) == 1;
        }
    if (pthread_create(&h.th, NULL, hash_main, &h) != 0) {
        rc = cr_err_set(err, CR_EINTERNAL, "cannot start a thread");
        goto done;
    }
    hash_started = 1;

    /* Read ahead while the engine works. */
    pf.s = &s;
    cr_validation_init(
        &pf.val, job->max_invalid_set ? job->max_invalid_fraction : CR_MAX_INVALID_FRACTION_DEFAULT,
        1);
    pthread_mutex_init(&pf.m, NULL);
    pthread_cond_init(&pf.cv, NULL);
    for (int b = 0; b < 2; b++)
        for (int k = 0; k < CR_IN_COUNT; k++)
            if (s.have[k] && !(pf.buf[b][k] = malloc(sizeof(float) * s.block * s.ncells))) {
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory for the read blocks");
                goto done;
            }
    if (pthread_create(&pf.th, NULL, prefetch_main, &pf) != 0) {
        rc = cr_err_set(err, CR_EINTERNAL, "cannot start a thread");
        goto done;
    }
    pf_started = 1;
    double compute_s = 0;
    for (int slot = 0;; slot ^= 1) {
        pthread_mutex_lock(&pf.m);
        while (!pf.full[slot] && !pf.eof)
            pthread_cond_wait(&pf.cv, &pf.m);
        int ready = pf.full[slot];
        pthread_mutex_unlock(&pf.m);
        if (!ready)
            break;
        if (cr_stop_requested()) {
            rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
            break;
        }
        check_block(&pf, slot);
        const float *in[CR_IN_COUNT];
        for (int k = 0; k < CR_IN_COUNT; k++)
            in[k] = s.have[k] ? pf.buf[slot][k] : NULL;
        double tc = cr_now();
        rc = cr_engine_feed(e, pf.start[slot], pf.nd[slot], in, on_year, &s, err);
        compute_s += cr_now() - tc;
        rep->cell_days += (long long)(pf.nd[slot] * s.ncells);
        if (job->progress)
            job->progress(job->progress_user, pf.nd[slot]);
        pthread_mutex_lock(&pf.m);
        pf.full[slot] = 0;
        pthread_cond_broadcast(&pf.cv);
        pthread_mutex_unlock(&pf.m);
        if (rc)
            break;
    }
    pthread_mutex_lock(&pf.m);
    pf.quit = 1;
    pthread_cond_broadcast(&pf.cv);
    pthread_mutex_unlock(&pf.m);
    pthread_join(pf.th, NULL);
    pf_started = 0;
    if (rc == CR_OK && pf.rc) {
        *err = pf.err;
        rc = pf.rc;
    }
    /* An input without a single value would give indicators that are
     * missing everywhere: a damaged or empty file, not a result. */
    for (int k = 0; k < CR_IN_COUNT && rc == CR_OK; k++)
        if (s.have[k] && pf.valid[k] == 0)
            rc = cr_err_set(err, CR_EDATA,
                            "'%s': %s has no value at all in %d-%d (every value is missing or "
                            "NaN): the file is empty or damaged; check it with `climrisk inspect` "
                            "and download it again",
                            cr_series_file(s.series[k], 0), s.info[k].file_var, s.y0, s.y1);
    if (rc == CR_OK)
        rc = cr_validation_finish(&pf.val, err);
    if (rc == CR_OK) {
        double tc = cr_now();
        rc = cr_engine_finish(e, on_year, &s, err);
        compute_s += cr_now() - tc;
    }
    pthread_join(h.th, NULL);
    hash_started = 0;
    if (rc == CR_OK && h.rc) {
        *err = h.err;
        rc = h.rc;
    }
    if (rc == CR_OK && with_tas)
        rc = cr_annual_out_put_series(s.out, s.tas_france, err);
    if (rc == CR_OK)
        rc = write_provenance(&s, &h, err);
    if (rc == CR_OK) {
        rc = cr_annual_out_commit(s.out, err);
        s.out = NULL;
    }
    rep->first_year = s.y0;
    rep->last_year = s.y1;
    rep->ncells = s.ncells;
    rep->computed = selected;
    rep->tg_fallback = !s.have[CR_IN_TG];
    rep->ps_fallback = !s.have[CR_IN_PS];
    rep->read_seconds = pf.read_seconds;
    rep->compute_seconds = compute_s;
    rep->hash_seconds = h.seconds;
    cr_strlcpy(rep->calendar, cr_calendar_name(s.cal), sizeof rep->calendar);
done:
    if (pf_started) {
        pthread_mutex_lock(&pf.m);
        pf.quit = 1;
        pthread_cond_broadcast(&pf.cv);
        pthread_mutex_unlock(&pf.m);
        pthread_join(pf.th, NULL);
    }
    if (hash_started)
        pthread_join(h.th, NULL);
    if (pf.s) {
        pthread_mutex_destroy(&pf.m);
        pthread_cond_destroy(&pf.cv);
    }
    for (int b = 0; b < 2; b++)
        for (int k = 0; k < CR_IN_COUNT; k++)
            free(pf.buf[b][k]);
    if (s.out)
        cr_annual_out_abort(s.out);
    cr_engine_free(e);
    free(h.paths);
    free(h.vars);
    free(h.hex);
    free(h.known);
    free(s.tas_france);
    free(s.weight);
    close_series(&s);
    rep->seconds = cr_now() - t0;
    return rc;
}

/* ---- several simulations ------------------------------------------------- */

struct pool {
    const struct cr_compute_job *jobs;
    size_t n, next;
    struct cr_compute_report *reps;
    int *status;
    struct cr_err *errs;
    size_t failed;
    int interrupted;
    int decode_threads; /* for jobs that leave theirs 0 */
    pthread_mutex_t m;
};

static void *pool_main(void *arg)
{
    struct pool *p = arg;
    cr_netcdf_thread_init();
    for (;;) {
        pthread_mutex_lock(&p->m);
        size_t i = p->next;
        int stop = p->interrupted || cr_stop_requested();
        if (!stop && i < p->n)
            p->next++;
        pthread_mutex_unlock(&p->m);
        if (stop || i >= p->n)
            break;
        struct cr_compute_job job = p->jobs[i];
        const struct cr_compute_job *j = &job;
        if (job.decode_threads == 0)
            job.decode_threads = p->decode_threads;
        cr_err_clear(&p->errs[i]);
        int rc = cr_compute(j, &p->reps[i], &p->errs[i]);
        p->status[i] = rc;
        const struct cr_compute_report *r = &p->reps[i];
        if (rc == CR_OK)
            cr_info("compute %s %s: %d-%d, %zu cells, %d indicators, %.2e cell-days in %.1f s "
                    "(reading %.1f s, indicators %.1f s, hashing %.1f s) -> %s",
                    j->model, j->experiment, r->first_year, r->last_year, r->ncells,
                    __builtin_popcountl(r->computed), (double)r->cell_days, r->seconds,
                    r->read_seconds, r->compute_seconds, r->hash_seconds, j->out_path);
        pthread_mutex_lock(&p->m);
        if (rc) {
            p->failed++;
            if (rc == CR_EINTERRUPT)
                p->interrupted = 1;
        }
        pthread_mutex_unlock(&p->m);
    }
    return NULL;
}

int cr_compute_decode_threads(int concurrent)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* One more than the cores per simulation: the reader thread spends part
     * of each block in HDF5 fetching chunks, and the engine thread part of
     * it waiting; measured 2-4 % faster than one per core on 2 cores. */
    long per = cpus > 0 && concurrent > 0 ? cpus / concurrent + 1 : 1;
    return per < 1 ? 1 : per > 4 ? 4 : (int)per;
}

size_t cr_compute_parallel(const struct cr_compute_job *jobs, size_t n, int threads,
                           struct cr_compute_report *reps, int *status, struct cr_err *errs)
{
    struct pool p = {.jobs = jobs, .n = n, .reps = reps, .status = status, .errs = errs};
    pthread_mutex_init(&p.m, NULL);
    for (size_t i = 0; i < n; i++) {
        status[i] = CR_EINTERRUPT; /* until run */
        cr_err_set(&errs[i], CR_EINTERRUPT, "not started (interrupted)");
        memset(&reps[i], 0, sizeof reps[i]);
    }
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > n)
        threads = (int)(n ? n : 1);
    p.decode_threads = cr_compute_decode_threads(threads);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    int started = 0;
    for (int t = 0; th && t < threads; t++)
        if (pthread_create(&th[t], NULL, pool_main, &p) == 0)
            started++;
    if (started == 0)
        pool_main(&p); /* no threads: run here */
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    free(th);
    pthread_mutex_destroy(&p.m);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += status[i] != CR_OK;
    return failed;
}
