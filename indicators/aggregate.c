/* aggregate.c — horizon and ensemble statistics; see aggregate.h. */
#include "aggregate.h"

#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/stop.h"
#include "catalog.h"
#include "cog.h"
#include "engine.h"
#include "ensemble.h"
#include "gev.h"
#include "levels.h"
#include "ncgrid.h"

#define RETURN_PERIOD 20.0

int cr_annual_name_parse(const char *name, const struct cr_scenarios *scn, char *model,
                         size_t msize, char *experiment, size_t esize)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t len = strlen(base);
    if (len < 4 || strcmp(base + len - 3, ".nc") != 0)
        return -1;
    const char *us = NULL;
    for (const char *p = base; p < base + len - 3; p++)
        if (*p == '_')
            us = p;
    if (!us || us == base)
        return -1;
    size_t ml = (size_t)(us - base), el = (size_t)(base + len - 3 - us - 1);
    if (ml >= msize || el >= esize || el == 0)
        return -1;
    memcpy(model, base, ml);
    model[ml] = '\0';
    memcpy(experiment, us + 1, el);
    experiment[el] = '\0';
    for (size_t i = 0; i < scn->nexperiments; i++)
        if (strcmp(scn->experiments[i].id, experiment) == 0)
            return 0;
    return -1;
}

/* ---- inputs ---------------------------------------------------------------- */

struct annual {
    char path[CR_PATH_MAX];
    int ncid; /* -1 when absent */
    int y0, ny;
    char sha[CR_SHA256_HEX];
};

struct model {
    char name[192];
    struct annual exp, hist; /* hist is exp's twin for E = historical */
    double *tas;             /* France-mean series (levels) */
    int tas_y0, tas_n;
};

enum hz_kind { HZ_PERIOD, HZ_LEVEL };

struct horizon {
    enum hz_kind kind;
    const struct cr_period *per;
    const struct cr_warming_level *lvl;
    const char *code;
};

struct agg {
    const struct cr_aggregate_opts *o;
    const char *exp;
    int is_hist;
    struct model *m;
    size_t nm;
    struct horizon h[CR_SCN_MAX_ITEMS * 2];
    size_t nh;
    size_t ref_h; /* index of REF */
    /* per model x horizon */
    int *first, *last, *pivot; /* -1 unavailable; pivot 0 = level not reached */
    int *avail;
    int *nmodels; /* per horizon */
    /* grid */
    size_t ny, nx, ncells;
    int nsp;
    char dim_names[2][64];
    char source_var[64];
    int source_ncid;
    /* output */
    int ncid;
    int dims[8];
    char out_path[CR_PATH_MAX], tmp_path[CR_PATH_MAX];
    unsigned long present; /* indicators found in the inputs */
};

static int open_annual(struct annual *a, const char *path, struct cr_err *err)
{
    cr_strlcpy(a->path, path, sizeof a->path);
    int st = nc_open(path, NC_NOWRITE, &a->ncid);
    if (st != NC_NOERR) {
        a->ncid = -1;
        return cr_err_set(err, CR_EDATA, "cannot open annual file %s: %s", path, nc_strerror(st));
    }
    int dim, yv;
    size_t n;
    if (nc_inq_dimid(a->ncid, "year", &dim) != NC_NOERR || nc_inq_dimlen(a->ncid, dim, &n) ||
        nc_inq_varid(a->ncid, "year", &yv) != NC_NOERR || n == 0)
        return cr_err_set(err, CR_EDATA, "%s is not a climrisk annual file (no year axis)", path);
    int *years = malloc(sizeof *years * n);
    if (!years)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    st = nc_get_var_int(a->ncid, yv, years);
    int ok = st == NC_NOERR;
    for (size_t i = 1; ok && i < n; i++)
        ok = years[i] == years[0] + (int)i;
    a->y0 = years[0];
    a->ny = (int)n;
    free(years);
    if (!ok)
        return cr_err_set(err, CR_EDATA, "%s: the year axis is not consecutive years", path);
    return cr_sha256_file(path, a->sha, err);
}

static void close_annual(struct annual *a)
{
    if (a->ncid >= 0)
        nc_close(a->ncid);
    a->ncid = -1;
}

static int covers(const struct annual *a, int y)
{
    return a->ncid >= 0 && y >= a->y0 && y < a->y0 + a->ny;
}

/* The file that holds year y for horizon h: the experiment's run, or the
 * historical run when the horizon may draw on it. NULL when none. */
static const struct annual *source_of(const struct agg *g, const struct model *m,
                                      const struct horizon *h, int y)
{
    int use_exp, use_hist;
    if (h->kind == HZ_LEVEL) {
        use_exp = use_hist = 1;
    } else {
        use_exp = cr_period_uses(h->per, g->exp);
        use_hist = cr_period_uses(h->per, "historical");
    }
    if (use_exp && covers(&m->exp, y))
        return &m->exp;
    if (use_hist && covers(&m->hist, y))
        return &m->hist;
    return NULL;
}

/* ---- horizons per model --------------------------------------------------- */

static void plan_horizons(struct agg *g)
{
    const struct cr_scenarios *scn = g->o->scn;
    const struct cr_period *ref = cr_scenarios_reference(scn);
    g->nh = 0;
    g->h[g->nh++] = (struct horizon){HZ_PERIOD, ref, NULL, ref->code};
    g->ref_h = 0;
    for (size_t i = 0; i < scn->nperiods; i++) {
        const struct cr_period *p = &scn->periods[i];
        if (p == ref || !cr_period_uses(p, g->exp))
            continue;
        g->h[g->nh++] = (struct horizon){HZ_PERIOD, p, NULL, p->code};
    }
    for (size_t i = 0; i < scn->nlevels; i++) {
        const struct cr_warming_level *l = &scn->levels[i];
        if (strcmp(l->experiment, g->exp) == 0)
            g->h[g->nh++] = (struct horizon){HZ_LEVEL, NULL, l, l->code};
    }
}

static int place_horizons(struct agg *g, char **not_reached, struct cr_aggregate_report *rep,
                          struct cr_err *err)
{
    size_t nmh = g->nm * g->nh;
    g->first = malloc(sizeof *g->first * nmh);
    g->last = malloc(sizeof *g->last * nmh);
    g->pivot = malloc(sizeof *g->pivot * nmh);
    g->avail = calloc(nmh, sizeof *g->avail);
    g->nmodels = calloc(g->nh, sizeof *g->nmodels);
    if (!g->first || !g->last || !g->pivot || !g->avail || !g->nmodels)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    const struct cr_period *ref = cr_scenarios_reference(g->o->scn);
    size_t cap = 4096, len = 0;
    char *nr = malloc(cap);
    if (!nr)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    nr[0] = '\0';
    for (size_t mi = 0; mi < g->nm; mi++) {
        struct model *m = &g->m[mi];
        for (size_t hi = 0; hi < g->nh; hi++) {
            size_t k = mi * g->nh + hi;
            const struct horizon *h = &g->h[hi];
            g->first[k] = g->last[k] = g->pivot[k] = -1;
            int a, b;
            if (h->kind == HZ_PERIOD) {
                a = h->per->first_year;
                b = h->per->last_year;
            } else {
                struct cr_level_result r;
                cr_level_find(m->tas, m->tas_y0, m->tas_n, ref, h->lvl, g->o->warming_window,
                              g->o->warming_horizon, &r);
                g->pivot[k] = r.status == CR_LEVEL_NOT_REACHED ? 0 : r.pivot ? r.pivot : -1;
                if (r.status != CR_LEVEL_REACHED) {
                    char line[512];
                    if (r.status == CR_LEVEL_NOT_REACHED)
                        snprintf(line, sizeof line,
                                 "%s %s: not reached (smoothed maximum %+.2f degC above REF, level "
                                 "+%.2f)",
                                 h->code, m->name, r.max_smoothed, h->lvl->above_reference);
                    else
                        snprintf(line, sizeof line, "%s %s: %s%s", h->code, m->name,
                                 cr_level_status_name(r.status),
                                 r.status == CR_LEVEL_BEYOND_RUN
                                     ? " (pivot known, horizon not covered)"
                                     : "");
                    cr_warn("aggregate %s: %s; left out of the %s ensemble", g->exp, line, h->code);
                    if (len + strlen(line) + 2 > cap) {
                        cap = 2 * cap + strlen(line);
                        char *bigger = realloc(nr, cap);
                        if (!bigger) {
                            free(nr);
                            return cr_err_set(err, CR_EINTERNAL, "out of memory");
                        }
                        nr = bigger;
                    }
                    len += (size_t)snprintf(nr + len, cap - len, "%s%s", len ? "\n" : "", line);
                    rep->levels_not_reached++;
                    continue;
                }
                cr_info("aggregate %s: %s %s: pivot %d (REF mean %.2f degC), horizon %d-%d", g->exp,
                        h->code, m->name, r.pivot, r.ref_mean, r.first_year, r.last_year);
                a = r.first_year;
                b = r.last_year;
            }
            int ok = 1;
            for (int y = a; y <= b && ok; y++)
                ok = source_of(g, m, h, y) != NULL;
            if (!ok)
                continue;
            g->first[k] = a;
            g->last[k] = b;
            g->avail[k] = 1;
            g->nmodels[hi]++;
        }
    }
    *not_reached = nr;
    return CR_OK;
}

/* ---- output definition ---------------------------------------------------- */

#define NCX(call, msg)                                                                             \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR) {                                                                     \
            return cr_err_set(err, CR_EINTERNAL, "writing %s: %s: %s", g->out_path, msg,           \
                              nc_strerror(st_));                                                   \
        }                                                                                          \
    } while (0)

static void text_att(int ncid, int varid, const char *name, const char *value)
{
    nc_put_att_text(ncid, varid, name, strlen(value), value);
}

static int put_strings(struct agg *g, int varid, const char **values, size_t n, struct cr_err *err)
{
    size_t start = 0, count = n;
    NCX(nc_put_vara_string(g->ncid, varid, &start, &count, values), "a string variable");
    return CR_OK;
}

enum q { Q_MEAN, Q_ANOM, Q_RATIO, Q_RL, Q_RL_ANOM, Q_COUNT };
static const char *q_suffix[Q_COUNT] = {"_mean", "_anom", "_ratio", "_rl20", "_rl20_anom"};
static const char *q_ens_suffix[Q_COUNT] = {"_ens_mean", "_ens_anom", "_ens_ratio", "_rl20_ens",
                                            "_rl20_ens_anom"};
static const char *q_what[Q_COUNT] = {
    "mean over the horizon's years", "anomaly: horizon mean minus the same model's REF mean",
    "ratio: horizon mean over the same model's REF mean",
    "20-year return level (GEV fitted by L-moments to the horizon's annual maxima)",
    "20-year return level minus the same model's REF return level"};

static int q_applies(const struct cr_indicator_def *d, enum q q)
{
    if (q == Q_RATIO)
        return d->ratio;
    if (q == Q_RL || q == Q_RL_ANOM)
        return strcmp(d->code, "rx1day") == 0;
    return 1;
}

static int define_var(struct agg *g, const struct cr_indicator_def *d, const char *name,
                      const int *dims, const char *what, const char *units,
                      const struct cr_ncgrid_copy *grid, struct cr_err *err)
{
    int v;
    float nanv = NAN;
    NCX(nc_def_var(g->ncid, name, NC_FLOAT, 2 + g->nsp, dims, &v), name);
    size_t chunk[4] = {1, 1, g->nsp == 2 ? g->ny : g->nx, g->nx};
    NCX(nc_def_var_chunking(g->ncid, v, NC_CHUNKED, chunk), "chunking");
    NCX(nc_def_var_deflate(g->ncid, v, 1, 1, 1), "deflate");
    NCX(nc_def_var_fill(g->ncid, v, 0, &nanv), "fill value");
    /* Maps are written once; a small cache keeps memory to one
     * indicator's arrays (the default 64 MB per variable would hold every
     * variable's chunks until the file closes). */
    NCX(nc_set_var_chunk_cache(g->ncid, v, sizeof(float) * 2 * chunk[2] * chunk[3] + 1024, 7, 1.0f),
        "chunk cache");
    char text[512];
    snprintf(text, sizeof text, "%s: %s", d->name_en, what);
    text_att(g->ncid, v, "long_name", text);
    text_att(g->ncid, v, "long_name_fr", d->name_fr);
    text_att(g->ncid, v, "units", units);
    text_att(g->ncid, v, "indicator", d->code);
    text_att(g->ncid, v, "definition", d->definition);
    text_att(g->ncid, v, "references", d->reference);
    text_att(g->ncid, v, "category", cr_category_name(d->category));
    if (grid->grid_mapping[0])
        text_att(g->ncid, v, "grid_mapping", grid->grid_mapping);
    if (grid->coordinates[0])
        text_att(g->ncid, v, "coordinates", grid->coordinates);
    return CR_OK;
}

static int define_output(struct agg *g, char *not_reached, struct cr_ncgrid_copy *grid,
                         struct cr_err *err)
{
    const struct cr_aggregate_opts *o = g->o;
    const struct cr_scenarios *scn = o->scn;
    char name[64];
    snprintf(name, sizeof name, "%s.nc", g->exp);
    if (cr_path_join(g->out_path, sizeof g->out_path, o->out_dir, name) ||
        cr_part_path(g->out_path, g->tmp_path, sizeof g->tmp_path, err))
        return cr_err_set(err, CR_EUSAGE, "output path too long in %s", o->out_dir);
    NCX(nc_create(g->tmp_path, NC_NETCDF4 | NC_CLOBBER, &g->ncid), "creating the file");
    int dm, dh, ds, dsp[2];
    NCX(nc_def_dim(g->ncid, "model", g->nm, &dm), "model dimension");
    NCX(nc_def_dim(g->ncid, "horizon", g->nh, &dh), "horizon dimension");
    NCX(nc_def_dim(g->ncid, "stat", scn->nstats, &ds), "stat dimension");
    int nsp = 0;
    for (int s = 0; s < 2; s++) {
        if (!g->dim_names[s][0])
            continue;
        NCX(nc_def_dim(g->ncid, g->dim_names[s], s == 0 && g->nsp == 2 ? g->ny : g->nx, &dsp[nsp]),
            "spatial dimension");
        nsp++;
    }
    int v, mh[2] = {dm, dh};
    NCX(nc_def_var(g->ncid, "model", NC_STRING, 1, &dm, &v), "model");
    text_att(g->ncid, v, "long_name", "GCM_RCM pair");
    NCX(nc_def_var(g->ncid, "horizon", NC_STRING, 1, &dh, &v), "horizon");
    text_att(g->ncid, v, "long_name", "horizon code (scenarios/periods.ini, warming_levels.ini)");
    NCX(nc_def_var(g->ncid, "horizon_type", NC_STRING, 1, &dh, &v), "horizon_type");
    text_att(g->ncid, v, "long_name", "period or warming_level");
    NCX(nc_def_var(g->ncid, "horizon_label_en", NC_STRING, 1, &dh, &v), "horizon_label_en");
    NCX(nc_def_var(g->ncid, "horizon_label_fr", NC_STRING, 1, &dh, &v), "horizon_label_fr");
    NCX(nc_def_var(g->ncid, "stat", NC_STRING, 1, &ds, &v), "stat");
    text_att(g->ncid, v, "long_name", "ensemble statistic (scenarios/statistics.ini)");
    int fill = -1;
    const char *yv[3] = {"horizon_first_year", "horizon_last_year", "warming_pivot_year"};
    const char *ylong[3] = {
        "first year averaged (-1: no such horizon for the model)",
        "last year averaged (-1: no such horizon for the model)",
        ("year the model's smoothed France-mean temperature first exceeds its REF mean by the "
         "level (0: never within the run; -1: not a warming level, or no reference)")};
    for (int k = 0; k < 3; k++) {
        NCX(nc_def_var(g->ncid, yv[k], NC_INT, 2, mh, &v), yv[k]);
        NCX(nc_def_var_fill(g->ncid, v, 0, &fill), "fill");
        text_att(g->ncid, v, "long_name", ylong[k]);
    }
    NCX(nc_def_var(g->ncid, "ensemble_nmodels", NC_INT, 1, &dh, &v), "ensemble_nmodels");
    text_att(g->ncid, v, "long_name", "models that contributed to the ensemble statistics");
    g->dims[0] = dm;
    g->dims[1] = dh;
    g->dims[2] = ds;
    g->dims[3] = dsp[0];
    g->dims[4] = dsp[1];
    if (g->source_ncid >= 0) {
        int rc = cr_ncgrid_define(g->source_ncid, g->source_var, g->dim_names, 2, g->ncid, dsp,
                                  grid, g->out_path, err);
        if (rc)
            return rc;
    }
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    for (size_t id = 0; id < ncat; id++) {
        if (!(g->present & (1UL << id)))
            continue;
        const struct cr_indicator_def *d = &cat[id];
        for (int q = 0; q < Q_COUNT; q++) {
            if (!q_applies(d, (enum q)q))
                continue;
            const char *units = q == Q_RATIO ? "1" : d->units;
            int md[4] = {dm, dh, dsp[0], dsp[1]}, sd[4] = {ds, dh, dsp[0], dsp[1]};
            char vname[128];
            snprintf(vname, sizeof vname, "%s%s", d->code, q_suffix[q]);
            int rc = define_var(g, d, vname, md, q_what[q], units, grid, err);
            if (rc)
                return rc;
            snprintf(vname, sizeof vname, "%s%s", d->code, q_ens_suffix[q]);
            char what[300];
            snprintf(what, sizeof what, "ensemble statistic of the %s", q_what[q]);
            if ((rc = define_var(g, d, vname, sd, what, units, grid, err)))
                return rc;
        }
    }
    text_att(g->ncid, NC_GLOBAL, "Conventions", "CF-1.8");
    text_att(g->ncid, NC_GLOBAL, "title",
             "Horizon and ensemble statistics of climate-risk indicators (climrisk)");
    text_att(g->ncid, NC_GLOBAL, "climrisk_kind", "stats");
    text_att(g->ncid, NC_GLOBAL, "experiment", g->exp);
    text_att(g->ncid, NC_GLOBAL, "climrisk_version", CR_VERSION);
    text_att(g->ncid, NC_GLOBAL, "reference_period", cr_scenarios_reference(scn)->code);
    text_att(g->ncid, NC_GLOBAL, "scenarios_dir", scn->dir);
    if (o->ensemble)
        text_att(g->ncid, NC_GLOBAL, "ensemble", o->ensemble);
    double num[4] = {o->warming_window, o->warming_horizon, scn->preindustrial_to_reference,
                     o->max_missing_fraction};
    const char *numn[4] = {"warming_window", "warming_horizon", "preindustrial_to_reference",
                           "max_missing_fraction"};
    for (int k = 0; k < 4; k++)
        nc_put_att_double(g->ncid, NC_GLOBAL, numn[k], NC_DOUBLE, 1, &num[k]);
    text_att(g->ncid, NC_GLOBAL, "warming_levels_not_reached", not_reached);
    size_t cap = 64;
    for (size_t mi = 0; mi < g->nm; mi++)
        cap += strlen(g->m[mi].exp.path) + strlen(g->m[mi].hist.path) + 160;
    char *files = malloc(cap);
    if (!files)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    size_t len = 0;
    files[0] = '\0';
    for (size_t mi = 0; mi < g->nm; mi++) {
        const struct annual *a[2] = {&g->m[mi].exp, &g->m[mi].hist};
        for (int k = 0; k < 2; k++)
            if (a[k]->ncid >= 0 && (k == 0 || a[1] != a[0]) && !(k == 1 && g->is_hist))
                len += (size_t)snprintf(files + len, cap - len, "%s%s %s", len ? "\n" : "",
                                        a[k]->sha, cr_basename(a[k]->path));
    }
    text_att(g->ncid, NC_GLOBAL, "annual_files", files);
    free(files);
    NCX(nc_enddef(g->ncid), "end of definitions");

    /* the axes */
    const char **sv = malloc(sizeof *sv * (g->nm + g->nh + scn->nstats + 1));
    if (!sv)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    int rc = CR_OK;
    for (size_t i = 0; i < g->nm; i++)
        sv[i] = g->m[i].name;
    if (nc_inq_varid(g->ncid, "model", &v) == NC_NOERR)
        rc = put_strings(g, v, sv, g->nm, err);
    const char *cols[4] = {"horizon", "horizon_type", "horizon_label_en", "horizon_label_fr"};
    for (int c = 0; c < 4 && rc == CR_OK; c++) {
        for (size_t i = 0; i < g->nh; i++) {
            const struct horizon *h = &g->h[i];
            const struct cr_labels *l = h->kind == HZ_LEVEL ? &h->lvl->label : &h->per->label;
            sv[i] = c == 0   ? h->code
                    : c == 1 ? (h->kind == HZ_LEVEL ? "warming_level" : "period")
                    : c == 2 ? l->en
                             : l->fr;
        }
        nc_inq_varid(g->ncid, cols[c], &v);
        rc = put_strings(g, v, sv, g->nh, err);
    }
    for (size_t i = 0; i < scn->nstats; i++)
        sv[i] = scn->stats[i].code;
    if (rc == CR_OK && nc_inq_varid(g->ncid, "stat", &v) == NC_NOERR)
        rc = put_strings(g, v, sv, scn->nstats, err);
    free(sv);
    if (rc)
        return rc;
    int *ys[3] = {g->first, g->last, g->pivot};
    for (int k = 0; k < 3; k++) {
        nc_inq_varid(g->ncid, yv[k], &v);
        NCX(nc_put_var_int(g->ncid, v, ys[k]), yv[k]);
    }
    nc_inq_varid(g->ncid, "ensemble_nmodels", &v);
    NCX(nc_put_var_int(g->ncid, v, g->nmodels), "ensemble_nmodels");
    if (g->source_ncid >= 0)
        return cr_ncgrid_copy_data(g->source_ncid, g->ncid, grid, g->out_path, err);
    return CR_OK;
}

/* ---- one indicator -------------------------------------------------------- */

/* Annual values of `code` over the years of model m's horizon h:
 * buf[(y - first) * ncells + c]; NaN where the file has no such variable. */
static int read_years(struct agg *g, const struct model *m, const struct horizon *h,
                      const char *code, int first, int last, float *buf, struct cr_err *err)
{
    size_t nc = g->ncells;
    for (int y = first; y <= last; y++) {
        float *dst = buf + (size_t)(y - first) * nc;
        const struct annual *a = source_of(g, m, h, y);
        int v;
        if (!a || nc_inq_varid(a->ncid, code, &v) != NC_NOERR) {
            for (size_t c = 0; c < nc; c++)
                dst[c] = NAN;
            continue;
        }
        size_t start[3] = {(size_t)(y - a->y0), 0, 0};
        size_t count[3] = {1, g->nsp == 2 ? g->ny : g->nx, g->nx};
        int st = nc_get_vara_float(a->ncid, v, start, count, dst);
        if (st != NC_NOERR)
            return cr_err_set(err, CR_EDATA, "reading %s %d from %s: %s", code, y, a->path,
                              nc_strerror(st));
    }
    return CR_OK;
}

struct maps {
    float *q[Q_COUNT];   /* [model][horizon][cell] */
    float *ens[Q_COUNT]; /* [stat][horizon][cell] */
};

static int write_maps(struct agg *g, const char *code, enum q q, const float *model_maps,
                      const float *ens_maps, struct cr_err *err)
{
    char vname[128];
    int v;
    snprintf(vname, sizeof vname, "%s%s", code, q_suffix[q]);
    NCX(nc_inq_varid(g->ncid, vname, &v), vname);
    NCX(nc_put_var_float(g->ncid, v, model_maps), vname);
    snprintf(vname, sizeof vname, "%s%s", code, q_ens_suffix[q]);
    NCX(nc_inq_varid(g->ncid, vname, &v), vname);
    NCX(nc_put_var_float(g->ncid, v, ens_maps), vname);
    return CR_OK;
}

static int write_cogs(struct agg *g, const struct cr_indicator_def *d, enum q q, const float *ens,
                      const struct cr_cog_grid *cg, int *count, struct cr_err *err)
{
    const struct cr_scenarios *scn = g->o->scn;
    char dir[CR_PATH_MAX];
    if (g->o->cog_dir[0])
        cr_strlcpy(dir, g->o->cog_dir, sizeof dir);
    else
        cr_path_join(dir, sizeof dir, g->o->out_dir, "cog");
    int rc = cr_mkdir_p(dir, err);
    const char *ind = (q == Q_RL || q == Q_RL_ANOM) ? "rx1day_rl20" : d->code;
    const char *quantity = q == Q_MEAN || q == Q_RL ? "mean" : q == Q_RATIO ? "ratio" : "anom";
    for (size_t s = 0; rc == CR_OK && s < scn->nstats; s++) {
        if (scn->stats[s].type == CR_STAT_AGREEMENT && !(q == Q_ANOM || q == Q_RL_ANOM))
            continue; /* agreement is on the sign of the change only */
        for (size_t h = 0; rc == CR_OK && h < g->nh; h++) {
            if (!g->nmodels[h])
                continue;
            char name[256], path[CR_PATH_MAX], desc[512];
            snprintf(name, sizeof name, "%s_%s_%s_%s_%s.tif", ind, g->exp, g->h[h].code, quantity,
                     scn->stats[s].code);
            cr_path_join(path, sizeof path, dir, name);
            snprintf(desc, sizeof desc, "%s %s, %s %s, ensemble %s of %d models", d->name_en,
                     q_what[q], g->exp, g->h[h].code, scn->stats[s].code, g->nmodels[h]);
            const float *map = ens + (s * g->nh + h) * g->ncells;
            rc = cr_cog_write(path, map, cg, desc,
                              scn->stats[s].type == CR_STAT_AGREEMENT ? "1"
                              : q == Q_RATIO                          ? "1"
                                                                      : d->units,
                              err);
            if (rc == CR_OK)
                (*count)++;
        }
    }
    return rc;
}

static int do_indicator(struct agg *g, const struct cr_indicator_def *d, struct maps *mp,
                        float *buf, double *vals, const struct cr_cog_grid *cg,
                        struct cr_aggregate_report *rep, struct cr_err *err)
{
    const struct cr_scenarios *scn = g->o->scn;
    size_t nc = g->ncells, nmh = g->nm * g->nh;
    int rl = q_applies(d, Q_RL);
    for (int q = 0; q < Q_COUNT; q++) {
        if (!mp->q[q])
            continue;
        for (size_t i = 0; i < nmh * nc; i++)
            mp->q[q][i] = NAN;
    }
    double frac = g->o->max_missing_fraction;
    for (size_t mi = 0; mi < g->nm; mi++)
        for (size_t hi = 0; hi < g->nh; hi++) {
            size_t k = mi * g->nh + hi;
            if (!g->avail[k])
                continue;
            int a = g->first[k], b = g->last[k], ny = b - a + 1;
            int rc = read_years(g, &g->m[mi], &g->h[hi], d->code, a, b, buf, err);
            if (rc)
                return rc;
            float *mean = mp->q[Q_MEAN] + k * nc;
            float *rlv = rl ? mp->q[Q_RL] + k * nc : NULL;
            for (size_t c = 0; c < nc; c++) {
                double s = 0;
                int n = 0;
                for (int y = 0; y < ny; y++) {
                    float v = buf[(size_t)y * nc + c];
                    if (!isnan(v)) {
                        s += v;
                        vals[n++] = v;
                    }
                }
                int missing = ny - n;
                if (n == 0 || missing > frac * ny)
                    continue;
                mean[c] = (float)(s / n);
                if (rlv)
                    rlv[c] = (float)cr_return_level(vals, (size_t)n, RETURN_PERIOD, 3);
            }
        }
    /* anomalies and ratios against the same model's REF */
    for (size_t mi = 0; mi < g->nm; mi++) {
        const float *ref = mp->q[Q_MEAN] + (mi * g->nh + g->ref_h) * nc;
        const float *rref = rl ? mp->q[Q_RL] + (mi * g->nh + g->ref_h) * nc : NULL;
        for (size_t hi = 0; hi < g->nh; hi++) {
            size_t k = mi * g->nh + hi;
            const float *mean = mp->q[Q_MEAN] + k * nc;
            for (size_t c = 0; c < nc; c++) {
                mp->q[Q_ANOM][k * nc + c] = mean[c] - ref[c];
                if (mp->q[Q_RATIO])
                    mp->q[Q_RATIO][k * nc + c] = ref[c] != 0 ? mean[c] / ref[c] : NAN;
                if (rl)
                    mp->q[Q_RL_ANOM][k * nc + c] = mp->q[Q_RL][k * nc + c] - rref[c];
            }
        }
    }
    /* ensemble statistics across the models that have the horizon */
    for (int q = 0; q < Q_COUNT; q++) {
        if (!mp->q[q])
            continue;
        int anomaly = q == Q_ANOM || q == Q_RL_ANOM;
        for (size_t s = 0; s < scn->nstats; s++)
            for (size_t hi = 0; hi < g->nh; hi++) {
                float *out = mp->ens[q] + (s * g->nh + hi) * nc;
                for (size_t c = 0; c < nc; c++) {
                    size_t n = 0;
                    for (size_t mi = 0; mi < g->nm; mi++)
                        if (g->avail[mi * g->nh + hi])
                            vals[n++] = mp->q[q][(mi * g->nh + hi) * nc + c];
                    out[c] = (float)cr_ensemble_stat(&scn->stats[s], vals, n, anomaly);
                }
            }
        int rc = write_maps(g, d->code, (enum q)q, mp->q[q], mp->ens[q], err);
        if (rc == CR_OK && cg)
            rc = write_cogs(g, d, (enum q)q, mp->ens[q], cg, &rep->cogs, err);
        if (rc)
            return rc;
    }
    return CR_OK;
}

/* ---- one experiment -------------------------------------------------------- */

static int find_grid(struct agg *g, struct cr_err *err)
{
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    g->source_ncid = -1;
    for (size_t mi = 0; mi < g->nm; mi++) {
        const struct annual *files[2] = {&g->m[mi].exp, &g->m[mi].hist};
        for (int f = 0; f < 2; f++) {
            const struct annual *a = files[f];
            if (a->ncid < 0)
                continue;
            for (size_t id = 0; id < ncat; id++) {
                int v, nd, dims[NC_MAX_VAR_DIMS];
                if (nc_inq_varid(a->ncid, cat[id].code, &v) != NC_NOERR)
                    continue;
                if (f == 0 || g->is_hist)
                    g->present |= 1UL << id;
                nc_inq_varndims(a->ncid, v, &nd);
                nc_inq_vardimid(a->ncid, v, dims);
                if (nd < 2 || nd > 3)
                    return cr_err_set(err, CR_EDATA,
                                      "%s: %s has %d dimensions (want year and 1 "
                                      "or 2 spatial)",
                                      a->path, cat[id].code, nd);
                size_t len[2] = {1, 1};
                char names[2][64] = {"", ""};
                for (int k = 1; k < nd; k++) {
                    int slot = nd == 3 ? k - 1 : 1;
                    nc_inq_dimlen(a->ncid, dims[k], &len[slot]);
                    nc_inq_dimname(a->ncid, dims[k], names[slot]);
                }
                if (g->source_ncid < 0) {
                    g->source_ncid = a->ncid;
                    g->nsp = nd - 1;
                    g->ny = len[0];
                    g->nx = len[1];
                    g->ncells = len[0] * len[1];
                    memcpy(g->dim_names, names, sizeof names);
                    cr_strlcpy(g->source_var, cat[id].code, sizeof g->source_var);
                } else if (len[0] != g->ny || len[1] != g->nx) {
                    return cr_err_set(err, CR_EDATA,
                                      "%s is on a %zux%zu grid but the other annual files are "
                                      "%zux%zu: aggregate files of one grid together",
                                      a->path, len[0], len[1], g->ny, g->nx);
                }
            }
        }
    }
    if (g->source_ncid < 0)
        return cr_err_set(err, CR_EDATA, "no indicator variables in the annual files of %s",
                          g->exp);
    return CR_OK;
}

static int do_experiment(const struct cr_aggregate_opts *o, const char *exp, char **models,
                         size_t nm, struct cr_aggregate_report *rep, struct cr_err *err)
{
    struct agg g;
    memset(&g, 0, sizeof g);
    g.o = o;
    g.exp = exp;
    g.ncid = -1;
    g.source_ncid = -1;
    const struct cr_experiment *ex = cr_scenarios_experiment(o->scn, exp);
    g.is_hist = ex && ex->is_historical;
    g.m = calloc(nm, sizeof *g.m);
    g.nm = nm;
    char *not_reached = NULL;
    struct maps mp;
    memset(&mp, 0, sizeof mp);
    float *buf = NULL;
    double *vals = NULL;
    struct cr_ncgrid_copy grid;
    memset(&grid, 0, sizeof grid);
    int rc = g.m ? CR_OK : cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t i = 0; i < nm; i++)
        g.m[i].exp.ncid = g.m[i].hist.ncid = -1;
    for (size_t i = 0; rc == CR_OK && i < nm; i++) {
        struct model *m = &g.m[i];
        cr_strlcpy(m->name, models[i], sizeof m->name);
        char name[300], path[CR_PATH_MAX];
        snprintf(name, sizeof name, "%s_%s.nc", m->name, exp);
        cr_path_join(path, sizeof path, o->annual_dir, name);
        rc = open_annual(&m->exp, path, err);
        if (rc)
            break;
        if (g.is_hist) {
            m->hist = m->exp; /* the same open file (closed once, below) */
        } else {
            snprintf(name, sizeof name, "%s_historical.nc", m->name);
            cr_path_join(path, sizeof path, o->annual_dir, name);
            if (cr_file_exists(path))
                rc = open_annual(&m->hist, path, err);
            else
                cr_warn("aggregate %s: %s has no historical run (%s): no REF, anomalies or "
                        "warming levels for it",
                        exp, m->name, name);
        }
        if (rc == CR_OK) {
            rc = cr_level_series(m->hist.ncid >= 0 ? m->hist.path : NULL, m->exp.path, &m->tas_y0,
                                 &m->tas_n, &m->tas, err);
        }
        rep->models++;
    }
    if (rc == CR_OK)
        rc = find_grid(&g, err);
    if (rc == CR_OK && o->indicators && o->indicators->n) {
        size_t ncat;
        const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
        for (size_t id = 0; id < ncat; id++)
            if (!cr_strlist_contains(o->indicators, cat[id].code))
                g.present &= ~(1UL << id);
    }
    if (rc == CR_OK) {
        plan_horizons(&g);
        rc = place_horizons(&g, &not_reached, rep, err);
    }
    if (rc == CR_OK)
        rc = cr_mkdir_p(o->out_dir, err);
    if (rc == CR_OK)
        rc = define_output(&g, not_reached, &grid, err);
    /* COG georeferencing, from the first annual file's grid */
    struct cr_cog_grid cg, *cgp = NULL;
    char *wkt = NULL;
    if (rc == CR_OK && o->cog) {
        wkt = malloc(16384);
        memset(&cg, 0, sizeof cg);
        cg.ny = g.nsp == 2 ? g.ny : 1;
        cg.nx = g.nx;
        if (wkt && g.nsp == 2 &&
            cr_ncgrid_geo(g.source_ncid, g.dim_names[0], g.dim_names[1], grid.grid_mapping, cg.gt,
                          &cg.flip, wkt, 16384) == 0) {
            cg.wkt = wkt;
            cgp = &cg;
        } else {
            cr_warn("aggregate %s: the grid is not a regular x/y grid; no GeoTIFFs", exp);
        }
    }
    size_t nmh = g.nm * g.nh, nc = g.ncells, ns = o->scn->nstats;
    int maxy = 1;
    for (size_t k = 0; rc == CR_OK && k < nmh; k++)
        if (g.avail[k] && g.last[k] - g.first[k] + 1 > maxy)
            maxy = g.last[k] - g.first[k] + 1;
    if (rc == CR_OK) {
        for (int q = 0; q < Q_COUNT; q++) {
            mp.q[q] = malloc(sizeof(float) * (nmh ? nmh : 1) * nc);
            mp.ens[q] = malloc(sizeof(float) * (ns ? ns : 1) * g.nh * nc);
        }
        buf = malloc(sizeof *buf * (size_t)maxy * nc);
        vals = malloc(sizeof *vals * (size_t)(maxy > (int)g.nm ? maxy : (int)g.nm + 1));
        for (int q = 0; q < Q_COUNT; q++)
            if (!mp.q[q] || !mp.ens[q])
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        if (!buf || !vals)
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    size_t ncat;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&ncat);
    for (size_t id = 0; rc == CR_OK && id < ncat; id++) {
        if (!(g.present & (1UL << id)))
            continue;
        if (cr_stop_requested()) {
            rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
            break;
        }
        /* quantities that do not apply stay unallocated for this indicator */
        float *saved[Q_COUNT];
        for (int q = 0; q < Q_COUNT; q++) {
            saved[q] = mp.q[q];
            if (!q_applies(&cat[id], (enum q)q))
                mp.q[q] = NULL;
        }
        rc = do_indicator(&g, &cat[id], &mp, buf, vals, cgp, rep, err);
        for (int q = 0; q < Q_COUNT; q++)
            mp.q[q] = saved[q];
    }
    if (g.ncid >= 0) {
        int st = nc_close(g.ncid);
        if (rc == CR_OK && st != NC_NOERR)
            rc = cr_err_set(err, CR_EINTERNAL, "writing %s: %s", g.out_path, nc_strerror(st));
        if (rc == CR_OK)
            rc = cr_publish(g.tmp_path, g.out_path, err);
        else
            remove(g.tmp_path);
    }
    if (rc == CR_OK) {
        rep->experiments++;
        char counts[512] = "";
        for (size_t h = 0; h < g.nh; h++) {
            size_t l = strlen(counts);
            snprintf(counts + l, sizeof counts - l, "%s%s %d", l ? ", " : "", g.h[h].code,
                     g.nmodels[h]);
        }
        cr_info("aggregate %s: %zu models, models per horizon: %s -> %s", exp, nm, counts,
                g.out_path);
    }
    for (int q = 0; q < Q_COUNT; q++) {
        free(mp.q[q]);
        free(mp.ens[q]);
    }
    free(buf);
    free(vals);
    free(wkt);
    free(not_reached);
    for (size_t i = 0; g.m && i < nm; i++) {
        close_annual(&g.m[i].exp);
        if (!g.is_hist)
            close_annual(&g.m[i].hist);
        free(g.m[i].tas);
    }
    free(g.m);
    free(g.first);
    free(g.last);
    free(g.pivot);
    free(g.avail);
    free(g.nmodels);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cr_aggregate(const struct cr_aggregate_opts *o, struct cr_aggregate_report *rep,
                 struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    const struct cr_scenarios *scn = o->scn;
    if (!cr_scenarios_reference(scn))
        return cr_err_set(err, CR_EUSAGE, "the scenarios declare no reference period");
    DIR *d = opendir(o->annual_dir);
    if (!d)
        return cr_err_set(err, CR_EUSAGE,
                          "cannot read the annual files directory %s (run `climrisk compute` "
                          "first)",
                          o->annual_dir);
    /* (model, experiment) pairs by experiment */
    struct cr_strlist per_exp[CR_SCN_MAX_ITEMS];
    memset(per_exp, 0, sizeof per_exp);
    struct dirent *de;
    int rc = CR_OK;
    size_t found = 0;
    while ((de = readdir(d)) != NULL && rc == CR_OK) {
        char model[192], exp[16];
        if (cr_annual_name_parse(de->d_name, scn, model, sizeof model, exp, sizeof exp) != 0)
            continue;
        for (size_t i = 0; i < scn->nexperiments; i++)
            if (strcmp(scn->experiments[i].id, exp) == 0) {
                if (cr_strlist_push(&per_exp[i], model))
                    rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
                found++;
            }
    }
    closedir(d);
    if (rc == CR_OK && found == 0)
        rc = cr_err_set(err, CR_EUSAGE,
                        "no annual files (<model>_<experiment>.nc) in %s; run `climrisk compute`",
                        o->annual_dir);
    const struct cr_ensemble *ens = o->ensemble ? cr_scenarios_ensemble(scn, o->ensemble) : NULL;
    for (size_t i = 0; rc == CR_OK && i < scn->nexperiments; i++) {
        const char *exp = scn->experiments[i].id;
        if (o->experiments && o->experiments->n && !cr_strlist_contains(o->experiments, exp))
            continue;
        if (per_exp[i].n == 0) {
            if (o->experiments && cr_strlist_contains(o->experiments, exp))
                rc = cr_err_set(err, CR_EUSAGE, "no annual files of experiment %s in %s", exp,
                                o->annual_dir);
            continue;
        }
        qsort(per_exp[i].items, per_exp[i].n, sizeof *per_exp[i].items, cmp_str);
        char absent[2048] = "";
        int nabsent = 0;
        for (size_t k = 0; ens && k < ens->nmembers; k++) {
            const struct cr_ensemble_member *mem = &ens->members[k];
            int expected = 0;
            for (int e = 0; e < mem->nexperiments; e++)
                expected |= strcmp(mem->experiments[e], exp) == 0;
            if (expected && !cr_strlist_contains(&per_exp[i], mem->model)) {
                size_t l = strlen(absent);
                snprintf(absent + l, sizeof absent - l, "%s%s", l ? ", " : "", mem->model);
                nabsent++;
            }
        }
        if (nabsent)
            cr_warn("aggregate %s: %d model%s of ensemble %s without an annual file: %s", exp,
                    nabsent, nabsent > 1 ? "s" : "", ens->name, absent);
        rc = do_experiment(o, exp, per_exp[i].items, per_exp[i].n, rep, err);
    }
    for (size_t i = 0; i < CR_SCN_MAX_ITEMS; i++)
        cr_strlist_free(&per_exp[i]);
    return rc;
}
