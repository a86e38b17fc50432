/* http_catalog.c — what the viewer needs to build its menus (/api/catalog:
 * indicators from the catalogue, scenarios, horizons and statistics from
 * scenarios/, tilesets and legends from the tiles folder, live layers), and
 * the tilesets themselves: TileJSON per tileset and z/x/y tiles read out of
 * the PMTiles archives.
 *
 * Tilesets are listed by <tiles>/catalog.json (written by `climrisk
 * tiles`, docs/tiles.md); without it every *.pmtiles of the folder is a
 * tileset named after its file. The list is re-read when catalog.json or
 * the folder changes (checked at most once a second), so a new tiles run
 * shows up without a restart. */
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/log.h"
#include "../core/strutil.h"
#include "../indicators/catalog.h"
#include "http_pmtiles.h"
#include "http_util.h"
#include "server_int.h"

#define MAX_TILESETS 4096

struct tileset {
    char id[128];
    char rel[512]; /* archive path relative to the tiles folder */
    struct cr_pmt_archive *pmt;
    json_object *entry; /* the catalog.json entry (or built from metadata) */
};

struct cr_catalog_state {
    pthread_rwlock_t lock;
    struct tileset *ts;
    size_t nts;
    unsigned long long stamp; /* catalog.json mtime + folder mtime, to notice changes */
    double next_check;        /* cr_now() of the next stamp check */
    pthread_mutex_t check_lock;
    char *static_json; /* indicators, scenarios, horizons, statistics, quantities */
    /* The tilesets array as JSON, made once per reload: json-c objects are
     * not thread-safe (reference counts, serialisation buffers), so request
     * threads never touch the entries themselves. */
    char *tilesets_json;
};

static const struct {
    const char *code, *en, *fr;
} quantities[] = {
    {"mean", "Horizon mean", "Moyenne sur l'horizon"},
    {"anom", "Change vs reference 1976-2005", "Écart à la référence 1976-2005"},
    {"ratio", "Ratio to reference 1976-2005", "Rapport à la référence 1976-2005"},
    {"rl20", "20-year return level", "Niveau de retour 20 ans"},
    {"rl20_anom", "Change of the 20-year return level", "Écart du niveau de retour 20 ans"},
};

const char *const cr_quantities[] = {"mean", "anom", "ratio", "rl20", "rl20_anom", NULL};

static const struct {
    const char *code, *en, *fr;
} categories[] = {
    {"base", "Climate", "Climat"},
    {"vine", "Vineyards", "Vigne"},
    {"grass", "Grassland", "Prairies"},
    {"flood", "Heavy rain and floods", "Fortes pluies et inondations"},
    {"snow", "Snow", "Neige"},
};

static json_object *labels(const struct cr_labels *l)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "en", json_object_new_string(l->en));
    json_object_object_add(o, "fr", json_object_new_string(l->fr));
    return o;
}

static json_object *labels2(const char *en, const char *fr)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "en", json_object_new_string(en));
    json_object_object_add(o, "fr", json_object_new_string(fr));
    return o;
}

static const char *kind_name(enum cr_ind_kind k)
{
    return k == CR_KIND_LEVEL ? "level" : k == CR_KIND_COUNT ? "count" : "sum";
}

static char *build_static(const struct cr_scenarios *scn)
{
    json_object *root = json_object_new_object();
    json_object *cats = json_object_new_array();
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "code", json_object_new_string(categories[i].code));
        json_object_object_add(c, "label", labels2(categories[i].en, categories[i].fr));
        json_object_array_add(cats, c);
    }
    json_object_object_add(root, "categories", cats);
    size_t n;
    const struct cr_indicator_def *defs = cr_indicator_catalog(&n);
    json_object *inds = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(defs[i].code));
        json_object_object_add(o, "name", labels2(defs[i].name_en, defs[i].name_fr));
        json_object_object_add(o, "unit", json_object_new_string(defs[i].units));
        json_object_object_add(o, "category",
                               json_object_new_string(cr_category_name(defs[i].category)));
        json_object_object_add(o, "kind", json_object_new_string(kind_name(defs[i].kind)));
        json_object_object_add(o, "ratio", json_object_new_boolean(defs[i].ratio));
        json_object_object_add(o, "definition", json_object_new_string(defs[i].definition));
        json_object_object_add(o, "reference", json_object_new_string(defs[i].reference));
        json_object_array_add(inds, o);
    }
    json_object_object_add(root, "indicators", inds);
    json_object *sc = json_object_new_array();
    for (size_t i = 0; i < scn->nexperiments; i++) {
        const struct cr_experiment *e = &scn->experiments[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(e->id));
        json_object_object_add(o, "label", labels(&e->label));
        json_object_object_add(o, "historical", json_object_new_boolean(e->is_historical));
        json_object_array_add(sc, o);
    }
    json_object_object_add(root, "scenarios", sc);
    json_object *hz = json_object_new_array();
    for (size_t i = 0; i < scn->nperiods; i++) {
        const struct cr_period *p = &scn->periods[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(p->code));
        json_object_object_add(o, "type", json_object_new_string("period"));
        json_object_object_add(o, "first_year", json_object_new_int(p->first_year));
        json_object_object_add(o, "last_year", json_object_new_int(p->last_year));
        json_object_object_add(o, "reference", json_object_new_boolean(p->is_reference));
        json_object *ex = json_object_new_array();
        for (int k = 0; k < p->nexperiments; k++)
            json_object_array_add(ex, json_object_new_string(p->experiments[k]));
        json_object_object_add(o, "experiments", ex);
        json_object_object_add(o, "label", labels(&p->label));
        json_object_array_add(hz, o);
    }
    for (size_t i = 0; i < scn->nlevels; i++) {
        const struct cr_warming_level *w = &scn->levels[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(w->code));
        json_object_object_add(o, "type", json_object_new_string("warming_level"));
        json_object_object_add(o, "france_warming", json_object_new_double(w->france_warming));
        json_object_object_add(o, "tracc_year", json_object_new_int(w->tracc_year));
        json_object *ex = json_object_new_array();
        json_object_array_add(ex, json_object_new_string(w->experiment));
        json_object_object_add(o, "experiments", ex);
        json_object_object_add(o, "label", labels(&w->label));
        json_object_array_add(hz, o);
    }
    json_object_object_add(root, "horizons", hz);
    json_object *st = json_object_new_array();
    for (size_t i = 0; i < scn->nstats; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(scn->stats[i].code));
        json_object_object_add(o, "label", labels(&scn->stats[i].label));
        json_object_array_add(st, o);
    }
    json_object_object_add(root, "statistics", st);
    json_object *q = json_object_new_array();
    for (size_t i = 0; i < sizeof quantities / sizeof quantities[0]; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(quantities[i].code));
        json_object_object_add(o, "label", labels2(quantities[i].en, quantities[i].fr));
        json_object_array_add(q, o);
    }
    json_object_object_add(root, "quantities", q);
    char *out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

/* ------------------------------------------------------------ tilesets */

static void free_tilesets(struct tileset *ts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_pmt_close(ts[i].pmt);
        json_object_put(ts[i].entry);
    }
    free(ts);
}

static const char *jstr(json_object *o, const char *const *keys)
{
    for (; *keys; keys++) {
        json_object *v;
        if (json_object_object_get_ex(o, *keys, &v) && json_object_is_type(v, json_type_string))
            return json_object_get_string(v);
    }
    return NULL;
}

static int add_tileset(struct cr_server *s, struct tileset *ts, size_t *n, const char *id,
                       const char *rel, json_object *entry)
{
    if (*n >= MAX_TILESETS || !cr_http_token_ok(id, sizeof ts->id - 1) ||
        !cr_http_safe_relpath(rel) || strlen(rel) >= sizeof ts->rel) {
        cr_warn("serve: tileset '%s' (%s) skipped: bad id or path", id, rel);
        return -1;
    }
    for (size_t i = 0; i < *n; i++)
        if (strcmp(ts[i].id, id) == 0) {
            cr_warn("serve: tileset '%s' listed twice; keeping the first", id);
            return -1;
        }
    char path[CR_PATH_MAX + 600];
    snprintf(path, sizeof path, "%s/%s", s->tiles_real, rel);
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_pmt_archive *a = NULL;
    size_t l = strlen(rel);
    if (l > 8 && strcmp(rel + l - 8, ".pmtiles") == 0 && cr_pmt_open(path, &a, &err) != CR_OK) {
        cr_warn("serve: tileset '%s' skipped: %s", id, err.msg);
        return -1;
    }
    struct tileset *t = &ts[(*n)++];
    memset(t, 0, sizeof *t);
    cr_strlcpy(t->id, id, sizeof t->id);
    cr_strlcpy(t->rel, rel, sizeof t->rel);
    t->pmt = a;
    t->entry = entry ? json_object_get(entry) : json_object_new_object();
    json_object_object_add(t->entry, "id", json_object_new_string(id));
    json_object_object_add(t->entry, "archive", json_object_new_string(rel));
    if (a) {
        const struct cr_pmt_header *h = cr_pmt_header(a);
        const char *type = h->tile_type == CR_PMT_TYPE_MVT ? "vector" : "raster";
        if (!json_object_object_get_ex(t->entry, "type", NULL))
            json_object_object_add(t->entry, "type", json_object_new_string(type));
        json_object_object_add(t->entry, "minzoom", json_object_new_int(h->min_zoom));
        json_object_object_add(t->entry, "maxzoom", json_object_new_int(h->max_zoom));
        /* climrisk keys of the metadata (indicator, scenario, ...) when the
         * catalog does not give them */
        json_object *meta = json_tokener_parse(cr_pmt_metadata(a));
        json_object *cm;
        if (meta && json_object_object_get_ex(meta, "climrisk", &cm) &&
            json_object_is_type(cm, json_type_object)) {
            json_object_object_foreach(cm, k, v)
            {
                if (!json_object_object_get_ex(t->entry, k, NULL))
                    json_object_object_add(t->entry, k, json_object_get(v));
            }
        }
        json_object_put(meta);
    }
    return 0;
}

static unsigned long long tiles_stamp(const struct cr_server *s)
{
    /* unsigned: the hash wraps around instead of overflowing */
    struct stat st;
    unsigned long long stamp = 0;
    char p[CR_PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/catalog.json", s->tiles_real);
    if (stat(p, &st) == 0)
        stamp += (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
                 (unsigned long long)st.st_mtim.tv_nsec + (unsigned long long)st.st_size;
    if (stat(s->tiles_real, &st) == 0)
        stamp = stamp * 31 + (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
                (unsigned long long)st.st_mtim.tv_nsec;
    return stamp;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct tileset *)a)->id, ((const struct tileset *)b)->id);
}

/* Read the tileset list (called without the lock; swaps under it). */
static void load_tilesets(struct cr_server *s)
{
    struct cr_catalog_state *cs = s->cat;
    struct tileset *ts = calloc(MAX_TILESETS, sizeof *ts);
    size_t n = 0;
    if (!ts)
        return;
    unsigned long long stamp = tiles_stamp(s);
    char p[CR_PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/catalog.json", s->tiles_real);
    if (cr_file_exists(p)) {
        json_object *root = json_object_from_file(p);
        json_object *arr = NULL;
        if (!root)
            cr_warn("serve: %s is not valid JSON (%s); no tilesets listed", p,
                    json_util_get_last_err() ? json_util_get_last_err() : "?");
        else if (!json_object_object_get_ex(root, "tilesets", &arr) ||
                 !json_object_is_type(arr, json_type_array))
            cr_warn("serve: %s has no \"tilesets\" array; no tilesets listed", p);
        else {
            static const char *const id_keys[] = {"id", "name", NULL};
            static const char *const file_keys[] = {"archive", "file", "path",
                                                    "pmtiles", "url",  NULL};
            for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *e = json_object_array_get_idx(arr, i);
                const char *id = jstr(e, id_keys), *rel = jstr(e, file_keys);
                if (!id || !rel) {
                    cr_warn("serve: %s: tileset %zu has no id or archive; skipped", p, i);
                    continue;
                }
                while (rel[0] == '.' && rel[1] == '/')
                    rel += 2;
                add_tileset(s, ts, &n, id, rel, e);
            }
        }
        json_object_put(root);
    } else {
        DIR *d = opendir(s->tiles_real);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l <= 8 || l > 120 || strcmp(de->d_name + l - 8, ".pmtiles") != 0 ||
                de->d_name[0] == '.')
                continue;
            char id[128];
            memcpy(id, de->d_name, l - 8);
            id[l - 8] = '\0';
            add_tileset(s, ts, &n, id, de->d_name, NULL);
        }
        if (d)
            closedir(d);
        qsort(ts, n, sizeof *ts, by_id);
    }
    json_object *tsa = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(tsa, json_object_get(ts[i].entry));
    char *tsj = strdup(json_object_to_json_string_ext(tsa, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(tsa);
    pthread_rwlock_wrlock(&cs->lock);
    struct tileset *old = cs->ts;
    size_t nold = cs->nts;
    char *old_json = cs->tilesets_json;
    cs->ts = ts;
    cs->nts = n;
    cs->tilesets_json = tsj;
    cs->stamp = stamp;
    pthread_rwlock_unlock(&cs->lock);
    free_tilesets(old, nold);
    free(old_json);
    cr_info("serve: %zu tileset(s) in %s", n, s->tiles_real);
}

static void maybe_reload(struct cr_server *s)
{
    struct cr_catalog_state *cs = s->cat;
    if (!s->tiles_real[0])
        return;
    double now = cr_now();
    pthread_mutex_lock(&cs->check_lock);
    int check = now >= cs->next_check;
    if (check)
        cs->next_check = now + 1.0;
    pthread_mutex_unlock(&cs->check_lock);
    if (!check)
        return;
    pthread_rwlock_rdlock(&cs->lock);
    unsigned long long old = cs->stamp;
    pthread_rwlock_unlock(&cs->lock);
    if (tiles_stamp(s) != old)
        load_tilesets(s);
}

int cr_catalog_init(struct cr_server *s, struct cr_err *err)
{
    struct cr_catalog_state *cs = calloc(1, sizeof *cs);
    if (!cs)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    pthread_rwlock_init(&cs->lock, NULL);
    pthread_mutex_init(&cs->check_lock, NULL);
    s->cat = cs;
    cs->static_json = build_static(&s->scn);
    if (!cs->static_json)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    if (s->tiles_real[0])
        load_tilesets(s);
    cs->next_check = cr_now() + 1.0;
    return CR_OK;
}

void cr_catalog_free(struct cr_server *s)
{
    struct cr_catalog_state *cs = s->cat;
    if (!cs)
        return;
    free_tilesets(cs->ts, cs->nts);
    free(cs->static_json);
    free(cs->tilesets_json);
    pthread_rwlock_destroy(&cs->lock);
    pthread_mutex_destroy(&cs->check_lock);
    free(cs);
    s->cat = NULL;
}

/* ------------------------------------------------------------ handlers */

void cr_base_url(struct cr_server *s, struct MHD_Connection *c, char *out, size_t size)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    int ok = host && *host && strlen(host) < 200;
    for (const char *p = host; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']';
    if (ok)
        snprintf(out, size, "http://%s", host);
    else
        snprintf(out, size, "http://%s:%d", s->o.listen, s->port);
}

enum MHD_Result cr_handle_catalog(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq)
{
    maybe_reload(s);
    struct cr_catalog_state *cs = s->cat;
    pthread_rwlock_rdlock(&cs->lock);
    char *tsj = strdup(cs->tilesets_json ? cs->tilesets_json : "[]");
    pthread_rwlock_unlock(&cs->lock);
    if (!tsj)
        return MHD_NO;
    json_object *live = json_object_new_object();
    json_object_object_add(live, "available", json_object_new_boolean(s->o.dsn[0] != 0));
    json_object *layers = json_object_new_array();
    for (int i = 0; cr_live_layers[i]; i++)
        json_object_array_add(layers, json_object_new_string(cr_live_layers[i]));
    json_object_object_add(live, "layers", layers);
    json_object_object_add(live, "tiles", json_object_new_string("/live/{layer}/{z}/{x}/{y}.mvt"));
    json_object_object_add(live, "tilejson", json_object_new_string("/live/{layer}.json"));
    const char *livej = json_object_to_json_string_ext(live, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    /* static part without its closing brace, then tilesets and live */
    size_t sl = strlen(cs->static_json);
    size_t cap = sl + strlen(tsj) + strlen(livej) + 128;
    char *body = malloc(cap);
    if (!body) {
        free(tsj);
        json_object_put(live);
        return MHD_NO;
    }
    int n = snprintf(body, cap, "%.*s,\"tilesets\":%s,\"live\":%s,\"version\":\"%s\"}\n",
                     (int)(sl - 1), cs->static_json, tsj, livej, CR_VERSION);
    free(tsj);
    json_object_put(live);
    struct cr_reply r = {.status = 200,
                         .content_type = "application/json; charset=utf-8",
                         .body = body,
                         .len = (size_t)n,
                         .free_body = 1,
                         .compressible = 1,
                         .cache_control = "public, max-age=60"};
    return cr_reply_buffer(s, c, rq, &r);
}

static const char *tile_ext(int type)
{
    switch (type) {
    case CR_PMT_TYPE_MVT:
        return "mvt";
    case CR_PMT_TYPE_PNG:
        return "png";
    case CR_PMT_TYPE_JPEG:
        return "jpg";
    case CR_PMT_TYPE_WEBP:
        return "webp";
    }
    return "bin";
}

static const char *tile_mime(int type)
{
    switch (type) {
    case CR_PMT_TYPE_MVT:
        return "application/vnd.mapbox-vector-tile";
    case CR_PMT_TYPE_PNG:
        return "image/png";
    case CR_PMT_TYPE_JPEG:
        return "image/jpeg";
    case CR_PMT_TYPE_WEBP:
        return "image/webp";
    }
    return "application/octet-stream";
}

static enum MHD_Result reply_tilejson(struct cr_server *s, struct MHD_Connection *c,
                                      struct cr_req *rq, const struct tileset *t)
{
    const struct cr_pmt_header *h = cr_pmt_header(t->pmt);
    json_object *tj = json_tokener_parse(cr_pmt_metadata(t->pmt));
    if (!tj || !json_object_is_type(tj, json_type_object)) {
        json_object_put(tj);
        tj = json_object_new_object();
    }
    char base[256], url[512];
    cr_base_url(s, c, base, sizeof base);
    snprintf(url, sizeof url, "%s/tiles/%s/{z}/{x}/{y}.%s", base, t->id, tile_ext(h->tile_type));
    json_object_object_add(tj, "tilejson", json_object_new_string("3.0.0"));
    json_object *tiles = json_object_new_array();
    json_object_array_add(tiles, json_object_new_string(url));
    json_object_object_add(tj, "tiles", tiles);
    if (!json_object_object_get_ex(tj, "name", NULL))
        json_object_object_add(tj, "name", json_object_new_string(t->id));
    json_object_object_add(tj, "minzoom", json_object_new_int(h->min_zoom));
    json_object_object_add(tj, "maxzoom", json_object_new_int(h->max_zoom));
    json_object *b = json_object_new_array();
    json_object_array_add(b, json_object_new_double(h->min_lon));
    json_object_array_add(b, json_object_new_double(h->min_lat));
    json_object_array_add(b, json_object_new_double(h->max_lon));
    json_object_array_add(b, json_object_new_double(h->max_lat));
    json_object_object_add(tj, "bounds", b);
    json_object *ce = json_object_new_array();
    json_object_array_add(ce, json_object_new_double(h->center_lon));
    json_object_array_add(ce, json_object_new_double(h->center_lat));
    json_object_array_add(ce, json_object_new_int(h->center_zoom));
    json_object_object_add(tj, "center", ce);
    if (h->tile_type == CR_PMT_TYPE_MVT && !json_object_object_get_ex(tj, "vector_layers", NULL))
        json_object_object_add(tj, "vector_layers", json_object_new_array());
    char *body = strdup(json_object_to_json_string_ext(tj, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(tj);
    if (!body)
        return MHD_NO;
    struct cr_reply r = {.status = 200,
                         .content_type = "application/json; charset=utf-8",
                         .body = body,
                         .len = strlen(body),
                         .free_body = 1,
                         .compressible = 1,
                         .cache_control = "public, max-age=300",
                         .last_modified = cr_pmt_mtime(t->pmt)};
    return cr_reply_buffer(s, c, rq, &r);
}

static enum MHD_Result reply_tile(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                  struct tileset *t, int z, uint32_t x, uint32_t y, const char *ext)
{
    const struct cr_pmt_header *h = cr_pmt_header(t->pmt);
    const char *want = tile_ext(h->tile_type);
    if (strcmp(ext, want) != 0 && !(h->tile_type == CR_PMT_TYPE_MVT && strcmp(ext, "pbf") == 0))
        return cr_reply_error(s, c, rq, 404, "tileset '%s' has .%s tiles, not .%s", t->id, want,
                              ext);
    unsigned char *data;
    size_t len;
    struct cr_err err;
    cr_err_clear(&err);
    int rc = cr_pmt_get(t->pmt, z, x, y, &data, &len, &err);
    if (rc < 0) {
        cr_warn("serve: %s", err.msg);
        return cr_reply_error(s, c, rq, 500, "cannot read the tile from its archive");
    }
    if (rc == 0) {
        /* No tile: outside the data. An empty 204 lets map clients move on
         * without logging an error for every tile at sea. */
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, "Cache-Control", "public, max-age=3600");
        cr_add_cors(s, resp);
        return cr_queue(c, rq, MHD_HTTP_NO_CONTENT, resp, 0);
    }
    const char *encoding = NULL;
    if (h->tile_compression == CR_PMT_COMP_GZIP || cr_is_gzip(data, len)) {
        if (rq->gzip_ok) {
            encoding = "gzip";
        } else {
            unsigned char *raw;
            size_t rawlen;
            if (cr_gunzip(data, len, 64u << 20, &raw, &rawlen) != 0) {
                free(data);
                return cr_reply_error(s, c, rq, 500, "corrupt tile in the archive");
            }
            free(data);
            data = raw;
            len = rawlen;
        }
    }
    char etag[80];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%d-%u-%u%s\"",
             (unsigned long long)cr_pmt_file_size(t->pmt), (unsigned long long)cr_pmt_mtime(t->pmt),
             z, x, y, encoding ? "-gz" : "");
    struct cr_reply r = {.status = 200,
                         .content_type = tile_mime(h->tile_type),
                         .body = data,
                         .len = len,
                         .free_body = 1,
                         .cache_control = "public, max-age=3600",
                         .etag = etag,
                         .last_modified = cr_pmt_mtime(t->pmt),
                         .content_encoding = encoding};
    enum MHD_Result ret = cr_reply_buffer(s, c, rq, &r);
    return ret;
}

enum MHD_Result cr_handle_tiles(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                const char *rest)
{
    if (!s->tiles_real[0])
        return cr_reply_error(s, c, rq, 404, "no tiles folder is served ([tiles] dir, --tiles)");
    maybe_reload(s);
    struct cr_catalog_state *cs = s->cat;
    const char *slash = strchr(rest, '/');
    size_t n = strlen(rest);
    char id[128] = "";
    int want_tilejson = 0;
    if (!slash && n > 5 && strcmp(rest + n - 5, ".json") == 0 && n - 5 < sizeof id) {
        memcpy(id, rest, n - 5);
        id[n - 5] = '\0';
        want_tilejson = 1;
    } else if (slash && (size_t)(slash - rest) < sizeof id) {
        memcpy(id, rest, (size_t)(slash - rest));
        id[slash - rest] = '\0';
    }
    enum MHD_Result ret = MHD_NO;
    int handled = 0;
    if (id[0]) {
        pthread_rwlock_rdlock(&cs->lock);
        struct tileset *t = NULL;
        for (size_t i = 0; i < cs->nts && !t; i++)
            if (strcmp(cs->ts[i].id, id) == 0)
                t = &cs->ts[i];
        if (t && t->pmt) {
            if (want_tilejson) {
                ret = reply_tilejson(s, c, rq, t);
                handled = 1;
            } else {
                int z;
                uint32_t x, y;
                char ext[16];
                int pr = cr_http_parse_tile(slash + 1, &z, &x, &y, ext, sizeof ext);
                if (pr == 0)
                    ret = reply_tile(s, c, rq, t, z, x, y, ext);
                else
                    ret = cr_reply_error(s, c, rq, pr == -2 ? 404 : 400,
                                         pr == -2 ? "tile %s is outside the tile grid"
                                                  : "bad tile path '%s' (want z/x/y.ext)",
                                         slash + 1);
                handled = 1;
            }
        }
        pthread_rwlock_unlock(&cs->lock);
    }
    if (handled)
        return ret;
    /* an archive itself (range requests of the PMTiles client): its open file */
    pthread_rwlock_rdlock(&cs->lock);
    for (size_t i = 0; i < cs->nts; i++)
        if (cs->ts[i].pmt && strcmp(cs->ts[i].rel, rest) == 0) {
            struct cr_pmt_archive *a = cs->ts[i].pmt;
            ret = cr_serve_open_file(s, c, rq, cr_pmt_fd(a), cr_pmt_file_size(a), cr_pmt_mtime(a),
                                     "application/vnd.pmtiles", "public, max-age=300");
            handled = 1;
            break;
        }
    pthread_rwlock_unlock(&cs->lock);
    if (handled)
        return ret;
    /* not a tileset: a file of the folder (legends, TileJSON files) or 404 */
    return cr_serve_file(s, c, rq, s->tiles_real, rest, "public, max-age=300");
}

enum MHD_Result cr_handle_live_tilejson(struct cr_server *s, struct MHD_Connection *c,
                                        struct cr_req *rq, const char *layer)
{
    if (!cr_live_layer_known(layer))
        return cr_reply_error(s, c, rq, 404, "unknown live layer '%s'", layer);
    /* carry the map selection over to the tile URLs, each value checked */
    static const char *const keys[] = {"indicator", "scenario",  "horizon",
                                       "quantity",  "statistic", NULL};
    char query[512] = "";
    size_t ql = 0;
    for (int i = 0; keys[i]; i++) {
        const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, keys[i]);
        if (!v)
            continue;
        if (!cr_http_token_ok(v, 48))
            return cr_reply_error(s, c, rq, 400, "bad value for '%s'", keys[i]);
        int w = snprintf(query + ql, sizeof query - ql, "%s%s=%s", ql ? "&" : "?", keys[i], v);
        if (w < 0 || (size_t)w >= sizeof query - ql)
            return cr_reply_error(s, c, rq, 414, "query too long");
        ql += (size_t)w;
    }
    char base[256];
    cr_base_url(s, c, base, sizeof base);
    const char *fields = strcmp(layer, "cells") == 0
                             ? "{\"cell_id\":\"Number\",\"value\":\"Number\"}"
                             : "{\"code\":\"String\",\"name\":\"String\",\"value\":\"Number\"}";
    char *body = malloc(2048);
    if (!body)
        return MHD_NO;
    int n = snprintf(body, 2048,
                     "{\"tilejson\":\"3.0.0\",\"name\":\"live %s\",\"tiles\":[\"%s/live/%s/{z}/{x}/"
                     "{y}.mvt%s\"],\"minzoom\":0,\"maxzoom\":14,\"bounds\":[-5.5,41.2,10,51.2],"
                     "\"center\":[2.5,46.5,5],\"vector_layers\":[{\"id\":\"%s\",\"fields\":%s}],"
                     "\"attribution\":\"climrisk datamart\"}\n",
                     layer, base, layer, query, layer, fields);
    struct cr_reply r = {.status = 200,
                         .content_type = "application/json; charset=utf-8",
                         .body = body,
                         .len = (size_t)n,
                         .free_body = 1,
                         .compressible = 1,
                         .cache_control = "public, max-age=60"};
    return cr_reply_buffer(s, c, rq, &r);
}
