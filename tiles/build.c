/* build.c — the tiles stage (see tiles.h): inputs, legends, tasks. */
#include "tiles.h"

#include <dirent.h>
#include <gdal.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "../indicators/catalog.h"
#include "../scenarios/scenarios.h"
#include "../sql/load_nc.h"
#include "../sql/pgutil.h"
#include "admin.h"
#include "lattice.h"
#include "mbtiles.h"
#include "palette.h"
#include "pmtiles.h"
#include "raster.h"
#include "tilejson.h"
#include "vector.h"

#define MAX_IND   64
#define MAX_STATS 8
#define MAX_HOR   32

static const char *const quantities[2] = {"mean", "anom"};

/* snprintf for paths (vsnprintf: the result is checked, not warned about). */
static int pathf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

void cr_tiles_opts_init(struct cr_tiles_opts *o)
{
    memset(o, 0, sizeof *o);
    o->vector = o->raster = 1;
    o->pmtiles = 1;
    o->vector_maxzoom = 10;
    o->raster_maxzoom = 9;
    o->max_tile_bytes = 500000;
    o->commune_minzoom = 9;
    o->datamart = 1;
    cr_strlcpy(o->schema, "datamart", sizeof o->schema);
    o->jobs = 1;
}

void cr_tiles_opts_free(struct cr_tiles_opts *o)
{
    cr_strlist_free(&o->inputs);
    cr_strlist_free(&o->scenarios);
    cr_strlist_free(&o->horizons);
    cr_strlist_free(&o->indicators);
    cr_strlist_free(&o->statistics);
    cr_strlist_free(&o->quantities);
}

/* ------------------------------------------------------------ inputs */

struct input {
    char path[CR_PATH_MAX];
    char scenario[32];
    int nh;
    char hor[MAX_HOR][16];
    char hor_type[MAX_HOR][16];
    int nmodels[MAX_HOR];
    int tile[MAX_HOR]; /* horizon asked for (--scenarios, --horizons) */
    /* [indicator][quantity] -> [stat][horizon][land point], NULL = absent;
     * every horizon with models is read: legends span them all */
    float *slab[MAX_IND][2];
};

struct task {
    int raster;
    size_t file;
    int h, s, ind, q;
    json_object *entry;
    size_t tiles;
    unsigned long long bytes;
};

struct run {
    const struct cr_tiles_opts *o;
    struct cr_scenarios scn;
    struct input *in;
    size_t nin;
    const struct cr_indicator_def *ind[MAX_IND];
    size_t nind;
    char stats[MAX_STATS][16];
    int nstats;
    struct cr_legend legend[MAX_IND][2];
    struct cr_lattice lat;
    int have_lat;
    struct cr_admin_layer dep, com;
    int have_admin;
    struct cr_rast_grid *grid;
    struct task *tasks;
    size_t ntasks;
    /* pool */
    pthread_mutex_t lock;
    size_t next;
    int failed;
    struct cr_err first_err;
    struct cr_progress progress;
};

static int is_indicator(const char *code)
{
    return cr_indicator_find(code) != NULL;
}

static int wanted(const struct cr_strlist *l, const char *v)
{
    return l->n == 0 || cr_strlist_contains(l, v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Statistics files of o->inputs: files as given, *.nc of directories. */
static int list_inputs(const struct cr_tiles_opts *o, struct cr_strlist *files, struct cr_err *err)
{
    for (size_t i = 0; i < o->inputs.n; i++) {
        const char *p = o->inputs.items[i];
        if (!cr_is_dir(p)) {
            if (!cr_file_exists(p))
                return cr_err_set(err, CR_EDATA, "%s: no such statistics file or directory", p);
            cr_strlist_push(files, p);
            continue;
        }
        DIR *d = opendir(p);
        if (!d)
            return cr_err_set(err, CR_EDATA, "%s: cannot read the directory", p);
        struct cr_strlist found = {0};
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t n = strlen(de->d_name);
            if (n > 3 && strcmp(de->d_name + n - 3, ".nc") == 0 && de->d_name[0] != '.') {
                char full[CR_PATH_MAX];
                if (cr_path_join(full, sizeof full, p, de->d_name) == 0)
                    cr_strlist_push(&found, full);
            }
        }
        closedir(d);
        if (found.n > 1)
            qsort(found.items, found.n, sizeof *found.items, cmp_str);
        for (size_t k = 0; k < found.n; k++)
            cr_strlist_push(files, found.items[k]);
        cr_strlist_free(&found);
    }
    return CR_OK;
}

static int ind_slot(struct run *R, const struct cr_indicator_def *d)
{
    for (size_t i = 0; i < R->nind; i++)
        if (R->ind[i] == d)
            return (int)i;
    return -1;
}

static int read_input(struct run *R, const char *path, struct cr_err *err)
{
    const struct cr_tiles_opts *o = R->o;
    struct cr_nc_file f;
    int rc = cr_nc_open(&f, path, is_indicator, err);
    if (rc)
        return rc;
    if (f.kind != CR_NC_STATS) {
        cr_nc_close(&f);
        return cr_err_set(err, CR_EDATA,
                          "%s is not a statistics file (climrisk_kind = \"stats\", "
                          "docs/formats.md); give stats/<experiment>.nc files",
                          path);
    }
    const struct cr_experiment *e = cr_scenarios_experiment(&R->scn, f.experiment);
    if (!e) {
        rc = cr_err_set(err, CR_EDATA,
                        "%s: experiment '%s' is not declared in scenarios/experiments.ini", path,
                        f.experiment);
        cr_nc_close(&f);
        return rc;
    }
    for (size_t i = 0; i < R->nin; i++)
        if (strcmp(R->in[i].scenario, e->id) == 0) {
            cr_nc_close(&f);
            return cr_err_set(err, CR_EDATA, "%s and %s are both statistics of '%s'; give one",
                              R->in[i].path, path, e->id);
        }
    int sidx[MAX_STATS];
    for (int s = 0; s < R->nstats; s++) {
        sidx[s] = -1;
        for (int k = 0; k < f.nstats; k++)
            if (strcmp(f.stats[k], R->stats[s]) == 0)
                sidx[s] = k;
        if (sidx[s] < 0) {
            rc = cr_err_set(err, CR_EDATA, "%s: no ensemble statistic '%s' in variable 'stat'",
                            path, R->stats[s]);
            cr_nc_close(&f);
            return rc;
        }
    }
    struct input *in = &R->in[R->nin];
    memset(in, 0, sizeof *in);
    cr_strlcpy(in->path, path, sizeof in->path);
    cr_strlcpy(in->scenario, e->id, sizeof in->scenario);
    int hidx[MAX_HOR];
    for (int h = 0; h < f.nhorizons && in->nh < MAX_HOR; h++) {
        if (f.ens_nmodels[h] <= 0)
            continue;
        hidx[in->nh] = h;
        in->tile[in->nh] = wanted(&o->scenarios, e->id) && wanted(&o->horizons, f.horizons[h]);
        cr_strlcpy(in->hor[in->nh], f.horizons[h], sizeof in->hor[0]);
        cr_strlcpy(in->hor_type[in->nh], f.horizon_types[h], sizeof in->hor_type[0]);
        in->nmodels[in->nh] = f.ens_nmodels[h];
        in->nh++;
    }
    float *buf = NULL;
    for (int v = 0; v < f.nvars && !rc; v++) {
        const struct cr_nc_var *var = &f.vars[v];
        int q = strcmp(var->quantity, "mean") == 0   ? 0
                : strcmp(var->quantity, "anom") == 0 ? 1
                                                     : -1;
        const struct cr_indicator_def *d = cr_indicator_find(var->indicator);
        if (!var->ensemble || q < 0 || !d || !wanted(&o->indicators, d->code) || in->nh == 0 ||
            !wanted(&o->quantities, quantities[q]))
            continue;
        int slot = ind_slot(R, d);
        if (slot < 0) {
            if (R->nind == MAX_IND)
                continue;
            slot = (int)R->nind;
            R->ind[R->nind++] = d;
        }
        free(buf);
        buf = malloc(cr_nc_var_size(&f, var) * sizeof *buf);
        size_t maps = (size_t)R->nstats * in->nh;
        in->slab[slot][q] = malloc(maps * CR_SAFRAN_NLAND * sizeof(float));
        if (!buf || !in->slab[slot][q]) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory reading %s", path);
            break;
        }
        size_t outer, inner;
        if ((rc = cr_nc_read_var(&f, var, buf, &outer, &inner, err)))
            break;
        for (int s = 0; s < R->nstats; s++)
            for (int h = 0; h < in->nh; h++)
                memcpy(in->slab[slot][q] + ((size_t)s * in->nh + h) * CR_SAFRAN_NLAND,
                       buf + ((size_t)sidx[s] * inner + (size_t)hidx[h]) * CR_SAFRAN_NLAND,
                       CR_SAFRAN_NLAND * sizeof(float));
    }
    free(buf);
    cr_nc_close(&f);
    R->nin++;
    if (!rc)
        cr_info("tiles: %s: scenario %s, %d horizons with models", path, in->scenario, in->nh);
    return rc;
}

static const float *slice(const struct input *in, int ind, int q, int s, int h)
{
    if (!in->slab[ind][q])
        return NULL;
    return in->slab[ind][q] + ((size_t)s * in->nh + h) * CR_SAFRAN_NLAND;
}

/* ------------------------------------------------------------ legends */

static int make_legends(struct run *R, const char *dir, size_t *nwritten, struct cr_err *err)
{
    *nwritten = 0;
    for (size_t i = 0; i < R->nind; i++)
        for (int q = 0; q < 2; q++) {
            double lo = INFINITY, hi = -INFINITY;
            int present = 0;
            for (size_t f = 0; f < R->nin; f++)
                for (int s = 0; s < R->nstats; s++)
                    for (int h = 0; h < R->in[f].nh; h++) {
                        const float *v = slice(&R->in[f], (int)i, q, s, h);
                        if (!v)
                            continue;
                        present = 1;
                        for (int p = 0; p < CR_SAFRAN_NLAND; p++)
                            if (!isnan(v[p])) {
                                lo = fmin(lo, v[p]);
                                hi = fmax(hi, v[p]);
                            }
                    }
            if (!present)
                continue;
            if (lo > hi)
                lo = hi = NAN;
            struct cr_legend *lg = &R->legend[i][q];
            cr_legend_make(lg, R->ind[i], quantities[q], lo, hi);
            char path[CR_PATH_MAX];
            if (pathf(path, sizeof path, "%s/%s-%s.json", dir, R->ind[i]->code, quantities[q]))
                return cr_err_set(err, CR_EUSAGE, "path too long: %s", dir);
            int rc = cr_legend_write_json(lg, R->ind[i], path, err);
            pathf(path, sizeof path, "%s/%s-%s.png", dir, R->ind[i]->code, quantities[q]);
            if (!rc)
                rc = cr_legend_write_png(lg, path, err);
            if (rc)
                return rc;
            (*nwritten)++;
        }
    return CR_OK;
}

/* ------------------------------------------------------------ entries */

static json_object *jstrs(const char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static json_object *bounds_center(const struct cr_lattice *lat, int minzoom, int maxzoom,
                                  json_object **center)
{
    json_object *b = json_object_new_array();
    json_object_array_add(b, json_object_new_double(lat->lon_min));
    json_object_array_add(b, json_object_new_double(lat->lat_min));
    json_object_array_add(b, json_object_new_double(lat->lon_max));
    json_object_array_add(b, json_object_new_double(lat->lat_max));
    *center = json_object_new_array();
    json_object_array_add(*center, json_object_new_double(lat->lon_c));
    json_object_array_add(*center, json_object_new_double(lat->lat_c));
    json_object_array_add(*center, json_object_new_int(cr_tilejson_center_zoom(minzoom, maxzoom)));
    return b;
}

/* Keys common to the catalogue entry and the metadata's climrisk object. */
static void common_keys(json_object *o, const struct run *R, const struct task *t, const char *id,
                        const char *type)
{
    const struct input *in = &R->in[t->file];
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "kind", json_object_new_string(type));
    json_object_object_add(o, "format", json_object_new_string(t->raster ? "png" : "pbf"));
    json_object_object_add(o, "scenario", json_object_new_string(in->scenario));
    json_object_object_add(o, "horizon", json_object_new_string(in->hor[t->h]));
    json_object_object_add(o, "horizon_type", json_object_new_string(in->hor_type[t->h]));
    json_object_object_add(o, "statistic", json_object_new_string(R->stats[t->s]));
    json_object_object_add(o, "nmodels", json_object_new_int(in->nmodels[t->h]));
}

static void pmtw_info(struct cr_pmtw_info *pi, const struct cr_lattice *lat, int raster,
                      int minzoom, int maxzoom)
{
    memset(pi, 0, sizeof *pi);
    pi->tile_type = raster ? CR_PMTW_TYPE_PNG : CR_PMTW_TYPE_MVT;
    pi->tile_compression = raster ? CR_PMTW_COMP_NONE : CR_PMTW_COMP_GZIP;
    pi->min_zoom = minzoom;
    pi->max_zoom = maxzoom;
    pi->min_lon = lat->lon_min;
    pi->min_lat = lat->lat_min;
    pi->max_lon = lat->lon_max;
    pi->max_lat = lat->lat_max;
    pi->center_zoom = cr_tilejson_center_zoom(minzoom, maxzoom);
    pi->center_lon = lat->lon_c;
    pi->center_lat = lat->lat_c;
}

/* MBTiles metadata rows from a TileJSON object. */
static int mbt_metadata(struct cr_mbt *mb, json_object *tj, const char *format, struct cr_err *err)
{
    static const char *const keys[] = {"name", "description", "attribution", "version", "type"};
    int rc = CR_OK;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !rc; i++) {
        json_object *v;
        if (json_object_object_get_ex(tj, keys[i], &v))
            rc = cr_mbt_meta(mb, keys[i], json_object_get_string(v), err);
    }
    json_object *b, *c, *v;
    char text[256];
    if (!rc && json_object_object_get_ex(tj, "bounds", &b)) {
        snprintf(text, sizeof text, "%.6f,%.6f,%.6f,%.6f",
                 json_object_get_double(json_object_array_get_idx(b, 0)),
                 json_object_get_double(json_object_array_get_idx(b, 1)),
                 json_object_get_double(json_object_array_get_idx(b, 2)),
                 json_object_get_double(json_object_array_get_idx(b, 3)));
        rc = cr_mbt_meta(mb, "bounds", text, err);
    }
    if (!rc && json_object_object_get_ex(tj, "center", &c)) {
        snprintf(text, sizeof text, "%.6f,%.6f,%d",
                 json_object_get_double(json_object_array_get_idx(c, 0)),
                 json_object_get_double(json_object_array_get_idx(c, 1)),
                 json_object_get_int(json_object_array_get_idx(c, 2)));
        rc = cr_mbt_meta(mb, "center", text, err);
    }
    if (!rc && json_object_object_get_ex(tj, "minzoom", &v))
        rc = cr_mbt_meta(mb, "minzoom", json_object_get_string(v), err);
    if (!rc && json_object_object_get_ex(tj, "maxzoom", &v))
        rc = cr_mbt_meta(mb, "maxzoom", json_object_get_string(v), err);
    if (!rc)
        rc = cr_mbt_meta(mb, "format", format, err);
    if (!rc && json_object_object_get_ex(tj, "vector_layers", &v)) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "vector_layers", json_object_get(v));
        rc = cr_mbt_meta(mb, "json",
                         json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE),
                         err);
        json_object_put(j);
    }
    return rc;
}

/* Publish archives and TileJSON of a built tileset. */
static int publish(const struct run *R, const char *base, json_object *tj, int raster, int minzoom,
                   int maxzoom, struct cr_pmtw *pm, struct cr_mbt **mb, struct cr_err *err)
{
    char path[CR_PATH_MAX];
    if (pathf(path, sizeof path, "%s.pmtiles", base))
        return cr_err_set(err, CR_EUSAGE, "path too long: %s", base);
    const char *meta =
        json_object_to_json_string_ext(tj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = CR_OK;
    if (pm) {
        struct cr_pmtw_info pi;
        pmtw_info(&pi, &R->lat, raster, minzoom, maxzoom);
        pathf(path, sizeof path, "%s.pmtiles", base);
        rc = cr_pmtw_write(pm, path, &pi, meta, err);
    }
    if (!rc && *mb) {
        rc = mbt_metadata(*mb, tj, raster ? "png" : "pbf", err);
        if (!rc) {
            rc = cr_mbt_finish(*mb, err);
            *mb = NULL;
        }
    }
    if (!rc) {
        pathf(path, sizeof path, "%s.json", base);
        rc = cr_json_write_file(tj, path, 1, err);
    }
    return rc;
}

static int open_writers(const struct run *R, const char *base, struct cr_pmtw **pm,
                        struct cr_mbt **mb, struct cr_err *err)
{
    *pm = NULL;
    *mb = NULL;
    int rc = CR_OK;
    if (R->o->pmtiles)
        rc = cr_pmtw_new(pm, err);
    if (!rc && R->o->mbtiles) {
        char path[CR_PATH_MAX];
        if (pathf(path, sizeof path, "%s.mbtiles", base))
            return cr_err_set(err, CR_EUSAGE, "path too long: %s", base);
        rc = cr_mbt_open(mb, path, err);
    }
    return rc;
}

static void field(json_object *fields, const char *k, const char *type)
{
    json_object_object_add(fields, k, json_object_new_string(type));
}

static json_object *vlayer(const char *id, const char *desc, int minzoom, int maxzoom,
                           const char *const *props, size_t nprops)
{
    json_object *l = json_object_new_object(), *fields = json_object_new_object();
    json_object_object_add(l, "id", json_object_new_string(id));
    json_object_object_add(l, "description", json_object_new_string(desc));
    json_object_object_add(l, "minzoom", json_object_new_int(minzoom));
    json_object_object_add(l, "maxzoom", json_object_new_int(maxzoom));
    if (strcmp(id, "cells") == 0) {
        field(fields, "cell_id", "Number");
        field(fields, "k", "Number");
        field(fields, "ncells", "Number");
    } else {
        field(fields, "code", "String");
        field(fields, "name", "String");
    }
    for (size_t i = 0; i < nprops; i++)
        field(fields, props[i], "Number");
    json_object_object_add(l, "fields", fields);
    return l;
}

/* ------------------------------------------------------------ tasks */

static int run_vector(struct run *R, struct task *t, PGconn **conn, int *db_down,
                      struct cr_err *err)
{
    const struct cr_tiles_opts *o = R->o;
    const struct input *in = &R->in[t->file];
    const char *stat = R->stats[t->s], *hor = in->hor[t->h];
    char id[160], base[CR_PATH_MAX];
    snprintf(id, sizeof id, "vector-%s-%s-%s", in->scenario, hor, stat);
    if (pathf(base, sizeof base, "%s/vector/%s-%s-%s", o->out_dir, in->scenario, hor, stat))
        return cr_err_set(err, CR_EUSAGE, "path too long: %s", o->out_dir);

    const char *names[2 * MAX_IND];
    char name_buf[2 * MAX_IND][64];
    size_t np = 0;
    float *cells = malloc(2 * MAX_IND * (size_t)CR_SAFRAN_NLAND * sizeof *cells);
    float *dv = NULL, *cv = NULL;
    struct cr_pmtw *pm = NULL;
    struct cr_mbt *mb = NULL;
    json_object *tj = NULL;
    int rc = CR_OK;
    if (!cells)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (size_t i = 0; i < R->nind; i++)
        for (int q = 0; q < 2; q++) {
            const float *v = slice(in, (int)i, q, t->s, t->h);
            if (!v)
                continue;
            snprintf(name_buf[np], sizeof name_buf[np], "%s_%s", R->ind[i]->code, quantities[q]);
            names[np] = name_buf[np];
            memcpy(cells + np * CR_SAFRAN_NLAND, v, CR_SAFRAN_NLAND * sizeof *cells);
            np++;
        }
    struct cr_vec_input vi = {&R->lat, np, names, cells, NULL, NULL, NULL, NULL};
    /* commune/département aggregates of this map */
    if (R->have_admin && !*db_down) {
        if (!*conn && cr_pg_connect(o->dsn, "tiles", conn, err) != CR_OK) {
            cr_warn("tiles: datamart not reachable (%s): %s without commune/département layers",
                    err->msg, id);
            cr_err_clear(err);
            *db_down = 1;
        }
        size_t nd = 0, nc = 0;
        dv = malloc((np * R->dep.n + 1) * sizeof *dv);
        cv = malloc((np * R->com.n + 1) * sizeof *cv);
        if (!dv || !cv) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            goto done;
        }
        if (*conn && ((rc = cr_admin_values(*conn, o->schema, &R->dep, in->scenario, hor, stat,
                                            names, np, dv, &nd, err)) ||
                      (rc = cr_admin_values(*conn, o->schema, &R->com, in->scenario, hor, stat,
                                            names, np, cv, &nc, err)))) {
            cr_warn("tiles: %s: %s; tileset without commune/département layers", id, err->msg);
            cr_err_clear(err);
            rc = CR_OK;
            nd = nc = 0;
        }
        if (*conn && nd + nc == 0)
            cr_warn("tiles: the datamart has no area_stat rows for %s %s %s (run `climrisk "
                    "load`); %s without commune/département layers",
                    in->scenario, hor, stat, id);
        if (nd + nc > 0) {
            vi.dep = R->dep.n ? &R->dep : NULL;
            vi.dep_vals = dv;
            vi.com = R->com.n ? &R->com : NULL;
            vi.com_vals = cv;
        }
    }
    struct cr_vec_opts vo;
    cr_vec_default_opts(&vo, o->vector_maxzoom);
    vo.max_tile_bytes = o->max_tile_bytes;
    vo.commune_minzoom = o->commune_minzoom;
    struct cr_vec_report vr;
    if ((rc = open_writers(R, base, &pm, &mb, err)) ||
        (rc = cr_vec_build(&vi, &vo, pm, mb, &vr, err)))
        goto done;

    json_object *layers = json_object_new_array(), *cat_layers = json_object_new_array();
    static const char *const desc[CR_VEC_NLAYERS] = {
        "SAFRAN 8 km cells (merged k x k at low zooms)", "départements (area_stat)",
        "communes (area_stat)"};
    for (int l = 0; l < CR_VEC_NLAYERS; l++) {
        if (vr.layer_min[l] < 0)
            continue;
        json_object_array_add(layers, vlayer(cr_vec_layer_names[l], desc[l], vr.layer_min[l],
                                             vr.layer_max[l], names, np));
        json_object *cl = json_object_new_object();
        json_object_object_add(cl, "id", json_object_new_string(cr_vec_layer_names[l]));
        json_object_object_add(cl, "minzoom", json_object_new_int(vr.layer_min[l]));
        json_object_object_add(cl, "maxzoom", json_object_new_int(vr.layer_max[l]));
        json_object_array_add(cat_layers, cl);
    }
    /* catalogue entry */
    json_object *e = json_object_new_object();
    common_keys(e, R, t, id, "vector");
    const char *qs[2];
    size_t nq = 0;
    for (int q = 0; q < 2; q++)
        for (size_t i = 0; i < R->nind; i++)
            if (slice(in, (int)i, q, t->s, t->h)) {
                qs[nq++] = quantities[q];
                break;
            }
    json_object_object_add(e, "quantities", jstrs(qs, nq));
    const char *codes[MAX_IND];
    json_object *units = json_object_new_object(), *legends = json_object_new_object();
    size_t nc = 0;
    for (size_t i = 0; i < R->nind; i++) {
        int has = 0;
        for (int q = 0; q < 2; q++) {
            if (!slice(in, (int)i, q, t->s, t->h))
                continue;
            has = 1;
            char prop[96], pj[160], pi[160];
            snprintf(prop, sizeof prop, "%s_%s", R->ind[i]->code, quantities[q]);
            snprintf(pj, sizeof pj, "legends/%s-%s.json", R->ind[i]->code, quantities[q]);
            snprintf(pi, sizeof pi, "legends/%s-%s.png", R->ind[i]->code, quantities[q]);
            json_object *lo = json_object_new_object();
            json_object_object_add(lo, "json", json_object_new_string(pj));
            json_object_object_add(lo, "image", json_object_new_string(pi));
            json_object_object_add(legends, prop, lo);
        }
        if (has) {
            codes[nc++] = R->ind[i]->code;
            json_object_object_add(units, R->ind[i]->code,
                                   json_object_new_string(R->ind[i]->units));
        }
    }
    json_object_object_add(e, "indicators", jstrs(codes, nc));
    json_object_object_add(e, "units", units);
    char rel[300];
    snprintf(rel, sizeof rel, "vector/%s-%s-%s", in->scenario, hor, stat);
    char p1[320];
    if (o->pmtiles) {
        snprintf(p1, sizeof p1, "%s.pmtiles", rel);
        json_object_object_add(e, "archive", json_object_new_string(p1));
    }
    if (o->mbtiles) {
        snprintf(p1, sizeof p1, "%s.mbtiles", rel);
        json_object_object_add(e, "mbtiles", json_object_new_string(p1));
        if (!o->pmtiles)
            json_object_object_add(e, "archive", json_object_new_string(p1));
    }
    snprintf(p1, sizeof p1, "%s.json", rel);
    json_object_object_add(e, "tilejson", json_object_new_string(p1));
    json_object_object_add(e, "minzoom", json_object_new_int(vo.minzoom));
    json_object_object_add(e, "maxzoom", json_object_new_int(vo.maxzoom));
    json_object *center;
    json_object_object_add(e, "bounds", bounds_center(&R->lat, vo.minzoom, vo.maxzoom, &center));
    json_object_object_add(e, "center", center);
    json_object_object_add(e, "layers", cat_layers);
    json_object_object_add(e, "legends", legends);

    /* metadata: TileJSON + climrisk (the entry without paths) */
    json_object *cm = json_object_new_object();
    json_object_object_foreach(e, k, v)
    {
        if (strcmp(k, "archive") && strcmp(k, "mbtiles") && strcmp(k, "tilejson") &&
            strcmp(k, "legends") && strcmp(k, "bounds") && strcmp(k, "center"))
            json_object_object_add(cm, k, json_object_get(v));
    }
    char title[256], description[512];
    snprintf(title, sizeof title, "climrisk %s %s %s", in->scenario, hor, stat);
    snprintf(description, sizeof description,
             "Ensemble %s of %d models, scenario %s, horizon %s: horizon mean (<indicator>_mean) "
             "and anomaly vs REF (<indicator>_anom) of every indicator per SAFRAN cell, "
             "commune and département",
             stat, in->nmodels[t->h], in->scenario, hor);
    tj =
        cr_tilejson_new(id, title, description, "mvt", vo.minzoom, vo.maxzoom, &R->lat, layers, cm);
    if ((rc = publish(R, base, tj, 0, vo.minzoom, vo.maxzoom, pm, &mb, err))) {
        json_object_put(e);
        goto done;
    }
    t->entry = e;
    t->tiles = vr.tiles_total;
    t->bytes = vr.stored_bytes;
    cr_info("tiles: %s: %zu tiles z%d-%d, %.1f MB, largest %zu bytes (%s)%s", id, vr.tiles_total,
            vo.minzoom, vo.maxzoom, vr.stored_bytes / 1e6, vr.largest, vr.largest_at,
            vi.com || vi.dep ? ", with communes/départements" : "");
    if (vr.repaired)
        cr_debug("tiles: %s: %zu admin polygons made valid after quantisation", id, vr.repaired);
done:
    json_object_put(tj);
    cr_pmtw_free(pm);
    cr_mbt_abort(mb);
    free(cells);
    free(dv);
    free(cv);
    return rc;
}

static int run_raster(struct run *R, struct task *t, struct cr_err *err)
{
    const struct cr_tiles_opts *o = R->o;
    const struct input *in = &R->in[t->file];
    const struct cr_indicator_def *d = R->ind[t->ind];
    const char *stat = R->stats[t->s], *hor = in->hor[t->h], *q = quantities[t->q];
    char id[200], rel[300], base[CR_PATH_MAX];
    snprintf(id, sizeof id, "raster-%s-%s-%s-%s-%s", d->code, in->scenario, hor, q, stat);
    snprintf(rel, sizeof rel, "raster/%s-%s-%s-%s-%s", d->code, in->scenario, hor, q, stat);
    if (pathf(base, sizeof base, "%s/%s", o->out_dir, rel))
        return cr_err_set(err, CR_EUSAGE, "path too long: %s", o->out_dir);
    const float *v = slice(in, t->ind, t->q, t->s, t->h);
    float *grid = malloc(CR_SAFRAN_NCELL * sizeof *grid);
    struct cr_pmtw *pm = NULL;
    struct cr_mbt *mb = NULL;
    json_object *tj = NULL;
    int rc = CR_OK;
    if (!grid)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    for (int c = 0; c < CR_SAFRAN_NCELL; c++)
        grid[c] = NAN;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++)
        grid[cr_safran_grid_points[p].id] = v[p];
    struct cr_rast_report rr;
    if ((rc = open_writers(R, base, &pm, &mb, err)) ||
        (rc = cr_rast_render(R->grid, grid, &R->legend[t->ind][t->q], pm, mb, &rr, err)))
        goto done;
    if (rr.tiles == 0) {
        cr_warn("tiles: %s: no value anywhere; not written", id);
        goto done;
    }
    json_object *e = json_object_new_object();
    common_keys(e, R, t, id, "raster");
    json_object_object_add(e, "indicator", json_object_new_string(d->code));
    const char *one[1] = {d->code};
    json_object_object_add(e, "indicators", jstrs(one, 1));
    json_object_object_add(e, "quantity", json_object_new_string(q));
    json_object_object_add(e, "unit", json_object_new_string(d->units));
    char p1[340];
    if (o->pmtiles) {
        snprintf(p1, sizeof p1, "%s.pmtiles", rel);
        json_object_object_add(e, "archive", json_object_new_string(p1));
    }
    if (o->mbtiles) {
        snprintf(p1, sizeof p1, "%s.mbtiles", rel);
        json_object_object_add(e, "mbtiles", json_object_new_string(p1));
        if (!o->pmtiles)
            json_object_object_add(e, "archive", json_object_new_string(p1));
    }
    snprintf(p1, sizeof p1, "%s.json", rel);
    json_object_object_add(e, "tilejson", json_object_new_string(p1));
    snprintf(p1, sizeof p1, "legends/%s-%s.json", d->code, q);
    json_object_object_add(e, "legend", json_object_new_string(p1));
    snprintf(p1, sizeof p1, "legends/%s-%s.png", d->code, q);
    json_object_object_add(e, "legend_image", json_object_new_string(p1));
    json_object_object_add(e, "minzoom", json_object_new_int(0));
    json_object_object_add(e, "maxzoom", json_object_new_int(o->raster_maxzoom));
    json_object *center;
    json_object_object_add(e, "bounds", bounds_center(&R->lat, 0, o->raster_maxzoom, &center));
    json_object_object_add(e, "center", center);
    json_object *cm = json_object_new_object();
    json_object_object_foreach(e, k, val)
    {
        if (strcmp(k, "archive") && strcmp(k, "mbtiles") && strcmp(k, "tilejson") &&
            strcmp(k, "bounds") && strcmp(k, "center"))
            json_object_object_add(cm, k, json_object_get(val));
    }
    char title[256], description[512];
    snprintf(title, sizeof title, "climrisk %s %s %s %s %s", d->code, in->scenario, hor, q, stat);
    snprintf(description, sizeof description, "%s (%s), %s, ensemble %s of %d models, %s %s",
             d->name_en, d->units, strcmp(q, "anom") == 0 ? "change vs REF" : "horizon mean", stat,
             in->nmodels[t->h], in->scenario, hor);
    tj = cr_tilejson_new(id, title, description, "png", 0, o->raster_maxzoom, &R->lat, NULL, cm);
    if ((rc = publish(R, base, tj, 1, 0, o->raster_maxzoom, pm, &mb, err))) {
        json_object_put(e);
        goto done;
    }
    t->entry = e;
    t->tiles = rr.tiles;
    t->bytes = rr.bytes;
    cr_debug("tiles: %s: %zu tiles, %.2f MB", id, rr.tiles, rr.bytes / 1e6);
done:
    json_object_put(tj);
    cr_pmtw_free(pm);
    cr_mbt_abort(mb);
    free(grid);
    return rc;
}

static void *worker(void *arg)
{
    struct run *R = arg;
    PGconn *conn = NULL;
    int db_down = 0;
    for (;;) {
        pthread_mutex_lock(&R->lock);
        if (R->failed || R->next >= R->ntasks || cr_stop_requested()) {
            pthread_mutex_unlock(&R->lock);
            break;
        }
        struct task *t = &R->tasks[R->next++];
        pthread_mutex_unlock(&R->lock);
        struct cr_err err;
        cr_err_clear(&err);
        int rc = t->raster ? run_raster(R, t, &err) : run_vector(R, t, &conn, &db_down, &err);
        pthread_mutex_lock(&R->lock);
        if (rc && !R->failed) {
            R->failed = rc;
            R->first_err = err;
        }
        cr_progress_add(&R->progress, 1);
        pthread_mutex_unlock(&R->lock);
    }
    if (conn)
        PQfinish(conn);
    return NULL;
}

/* ------------------------------------------------------------ the run */

static int load_admin(struct run *R, struct cr_err *err)
{
    const struct cr_tiles_opts *o = R->o;
    if (!o->vector || !o->datamart)
        return CR_OK;
    if (!o->dsn[0])
        return CR_OK; /* the command said why */
    PGconn *conn = NULL;
    struct cr_err e2;
    cr_err_clear(&e2);
    if (cr_pg_connect(o->dsn, "tiles", &conn, &e2) != CR_OK) {
        cr_warn("tiles: datamart not reachable (%s): vector tiles without commune/département "
                "layers",
                e2.msg);
        return CR_OK;
    }
    double t0 = cr_now();
    int rc = cr_admin_load(conn, o->schema, "departement", &R->dep, &e2);
    if (!rc)
        rc = cr_admin_load(conn, o->schema, "commune", &R->com, &e2);
    PQfinish(conn);
    if (rc) {
        cr_warn("tiles: cannot read the datamart's admin areas (%s): vector tiles without "
                "commune/département layers",
                e2.msg);
        cr_admin_free(&R->dep);
        cr_admin_free(&R->com);
        return CR_OK;
    }
    if (R->dep.n + R->com.n == 0) {
        cr_warn("tiles: the datamart has no admin areas (run `climrisk db migrate`): vector "
                "tiles without commune/département layers");
        return CR_OK;
    }
    R->have_admin = 1;
    cr_info("tiles: %zu départements and %zu communes from the datamart (%zu points) in %.1f s",
            R->dep.n, R->com.n, R->dep.npts + R->com.npts, cr_now() - t0);
    (void)err;
    return CR_OK;
}

static int make_dirs(const struct cr_tiles_opts *o, struct cr_err *err)
{
    static const char *const subs[] = {"", "vector", "raster", "legends"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char p[CR_PATH_MAX];
        if (cr_path_join(p, sizeof p, o->out_dir, subs[i]) != 0)
            return cr_err_set(err, CR_EUSAGE, "path too long: %s", o->out_dir);
        int rc = cr_mkdir_p(p, err);
        if (rc)
            return rc;
        cr_remove_stale_parts(p);
    }
    return CR_OK;
}

int cr_tiles_run(const struct cr_tiles_opts *o, struct cr_tiles_report *rep, struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = cr_now();
    struct run *R = calloc(1, sizeof *R);
    struct cr_strlist files = {0};
    if (!R)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    R->o = o;
    pthread_mutex_init(&R->lock, NULL);
    int rc = cr_scenarios_load(&R->scn, o->scenarios_dir, err);
    if (rc)
        goto done;
    if (o->statistics.n > MAX_STATS) {
        rc = cr_err_set(err, CR_EUSAGE, "at most %d statistics", MAX_STATS);
        goto done;
    }
    for (size_t s = 0; s < o->statistics.n; s++)
        cr_strlcpy(R->stats[R->nstats++], o->statistics.items[s], sizeof R->stats[0]);
    if (R->nstats == 0)
        cr_strlcpy(R->stats[R->nstats++], "median", sizeof R->stats[0]);
    if ((rc = list_inputs(o, &files, err)))
        goto done;
    if (files.n == 0) {
        rc = cr_err_set(err, CR_EDATA,
                        "no statistics files (stats/<experiment>.nc) in %s: run the indicators "
                        "stage first (`climrisk run`), or give files with --stats",
                        o->inputs.n ? o->inputs.items[0] : "(none given)");
        goto done;
    }
    R->in = calloc(files.n, sizeof *R->in);
    if (!R->in) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < files.n && !rc; i++)
        rc = read_input(R, files.items[i], err);
    if (rc)
        goto done;
    if (R->nin == 0 || R->nind == 0) {
        rc = cr_err_set(err, CR_EDATA,
                        "nothing to tile: no statistics file matches the scenarios, or no "
                        "<indicator>_ens_mean/_ens_anom variable matches the indicators asked");
        goto done;
    }
    int selected = 0;
    for (size_t f = 0; f < R->nin; f++)
        for (int h = 0; h < R->in[f].nh; h++)
            selected |= R->in[f].tile[h];
    if (!selected) {
        char have[512] = "";
        size_t l = 0;
        for (size_t f = 0; f < R->nin && l < sizeof have - 40; f++)
            for (int h = 0; h < R->in[f].nh && l < sizeof have - 40; h++)
                l += (size_t)snprintf(have + l, sizeof have - l, "%s%s/%s", l ? " " : "",
                                      R->in[f].scenario, R->in[f].hor[h]);
        rc = cr_err_set(err, CR_EUSAGE,
                        "nothing to tile: no scenario x horizon of the statistics files matches "
                        "--scenarios/--horizons (the files have: %s)",
                        have);
        goto done;
    }
    if (cr_stop_requested()) {
        rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
        goto done;
    }
    if ((rc = make_dirs(o, err)))
        goto done;
    char dir[CR_PATH_MAX];
    cr_path_join(dir, sizeof dir, o->out_dir, "legends");
    if ((rc = make_legends(R, dir, &rep->legends, err)))
        goto done;
    if ((rc = cr_lattice_build(&R->lat, err)))
        goto done;
    R->have_lat = 1;
    if ((rc = load_admin(R, err)))
        goto done;
    if (o->raster) {
        double tg = cr_now();
        GDALAllRegister();
        if ((rc = cr_rast_grid_build(&R->grid, &R->lat, 0, o->raster_maxzoom, err)))
            goto done;
        cr_info("tiles: SAFRAN cells of %zu raster tiles (z0-%d) mapped in %.2f s",
                cr_rast_grid_tiles(R->grid), o->raster_maxzoom, cr_now() - tg);
    }
    /* tasks: vector tilesets first (the long ones) */
    size_t cap = 0;
    for (size_t f = 0; f < R->nin; f++)
        cap += (size_t)R->in[f].nh * R->nstats * (1 + 2 * R->nind);
    R->tasks = calloc(cap ? cap : 1, sizeof *R->tasks);
    if (!R->tasks) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t f = 0; f < R->nin; f++)
            for (int h = 0; h < R->in[f].nh; h++)
                for (int s = 0; s < R->nstats && R->in[f].tile[h]; s++) {
                    if (pass == 0 && o->vector)
                        R->tasks[R->ntasks++] = (struct task){0, f, h, s, 0, 0, NULL, 0, 0};
                    for (size_t i = 0; pass == 1 && o->raster && i < R->nind; i++)
                        for (int q = 0; q < 2; q++) {
                            if (!slice(&R->in[f], (int)i, q, s, h) ||
                                (q == 1 && strcmp(R->in[f].hor[h], "REF") == 0))
                                continue;
                            R->tasks[R->ntasks++] =
                                (struct task){1, f, h, s, (int)i, q, NULL, 0, 0};
                        }
                }
    if (R->ntasks == 0) {
        rc = cr_err_set(err, CR_EUSAGE, "nothing to tile: --no-vector and no raster map");
        goto done;
    }
    int jobs = o->jobs > 0 ? o->jobs : 1;
    if ((size_t)jobs > R->ntasks)
        jobs = R->ntasks ? (int)R->ntasks : 1;
    cr_info("tiles: %zu tilesets (%s%s), %zu indicators, %d jobs -> %s", R->ntasks,
            o->vector ? "vector" : "", o->raster ? (o->vector ? " + raster" : "raster") : "",
            R->nind, jobs, o->out_dir);
    cr_progress_begin(&R->progress, "tiles", R->ntasks);
    pthread_t th[256];
    int started = 0;
    for (int j = 0; j < jobs && j < 256; j++)
        if (pthread_create(&th[j], NULL, worker, R) == 0)
            started++;
    if (started == 0)
        worker(R);
    for (int j = 0; j < started; j++)
        pthread_join(th[j], NULL);
    cr_progress_end(&R->progress);
    if (R->failed) {
        rc = R->failed;
        *err = R->first_err;
        goto done;
    }
    if (cr_stop_requested()) {
        rc = cr_err_set(err, CR_EINTERRUPT,
                        "interrupted; finished tilesets are kept, "
                        "catalog.json is unchanged");
        goto done;
    }
    json_object **entries = calloc(R->ntasks ? R->ntasks : 1, sizeof *entries);
    size_t ne = 0;
    if (!entries) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < R->ntasks; i++) {
        struct task *t = &R->tasks[i];
        if (!t->entry)
            continue;
        entries[ne++] = t->entry;
        t->entry = NULL;
        if (t->raster)
            rep->raster_tilesets++;
        else
            rep->vector_tilesets++;
        rep->tiles += t->tiles;
        rep->bytes += t->bytes;
    }
    rc = cr_catalog_write(o->out_dir, entries, ne, err);
    free(entries);
    rep->admin_layers = R->have_admin;
done:
    if (R->tasks)
        for (size_t i = 0; i < R->ntasks; i++)
            json_object_put(R->tasks[i].entry);
    free(R->tasks);
    cr_rast_grid_free(R->grid);
    cr_admin_free(&R->dep);
    cr_admin_free(&R->com);
    if (R->have_lat)
        cr_lattice_free(&R->lat);
    for (size_t f = 0; R->in && f < R->nin; f++)
        for (int i = 0; i < MAX_IND; i++)
            for (int q = 0; q < 2; q++)
                free(R->in[f].slab[i][q]);
    free(R->in);
    cr_scenarios_free(&R->scn);
    pthread_mutex_destroy(&R->lock);
    free(R);
    cr_strlist_free(&files);
    rep->seconds = cr_now() - t0;
    return rc;
}
