/* tilejson.c — TileJSON documents and catalog.json. */
#include "tilejson.h"

#include <stdio.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "bytes.h"
#include "git_rev.h" /* generated: CR_GIT_REV */
#include "tiles.h"

int cr_tilejson_center_zoom(int minzoom, int maxzoom)
{
    int z = 5;
    if (z < minzoom)
        z = minzoom;
    if (z > maxzoom)
        z = maxzoom;
    return z;
}

static json_object *num_array(const double *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_double(v[i]));
    return a;
}

json_object *cr_tilejson_new(const char *id, const char *name, const char *description,
                             const char *ext, int minzoom, int maxzoom,
                             const struct cr_lattice *lat, json_object *vector_layers,
                             json_object *climrisk)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "tilejson", json_object_new_string("3.0.0"));
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "description", json_object_new_string(description));
    json_object_object_add(o, "attribution", json_object_new_string(CR_TILES_ATTRIBUTION));
    json_object_object_add(o, "version", json_object_new_string("1.0.0"));
    json_object_object_add(o, "scheme", json_object_new_string("xyz"));
    json_object_object_add(o, "type", json_object_new_string("overlay"));
    char url[256];
    snprintf(url, sizeof url, "/tiles/%s/{z}/{x}/{y}.%s", id, ext);
    json_object *tiles = json_object_new_array();
    json_object_array_add(tiles, json_object_new_string(url));
    json_object_object_add(o, "tiles", tiles);
    json_object_object_add(o, "minzoom", json_object_new_int(minzoom));
    json_object_object_add(o, "maxzoom", json_object_new_int(maxzoom));
    double b[4] = {lat->lon_min, lat->lat_min, lat->lon_max, lat->lat_max};
    json_object_object_add(o, "bounds", num_array(b, 4));
    json_object *c = json_object_new_array();
    json_object_array_add(c, json_object_new_double(lat->lon_c));
    json_object_array_add(c, json_object_new_double(lat->lat_c));
    json_object_array_add(c, json_object_new_int(cr_tilejson_center_zoom(minzoom, maxzoom)));
    json_object_object_add(o, "center", c);
    if (vector_layers)
        json_object_object_add(o, "vector_layers", vector_layers);
    if (climrisk)
        json_object_object_add(o, "climrisk", climrisk);
    return o;
}

int cr_json_write_file(json_object *o, const char *path, int pretty, struct cr_err *err)
{
    int flags =
        JSON_C_TO_STRING_NOSLASHESCAPE |
        (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
    const char *s = json_object_to_json_string_ext(o, flags);
    if (!s)
        return cr_err_set(err, CR_EINTERNAL, "out of memory writing %s", path);
    return cr_write_file_atomic(path, s, strlen(s), err);
}

static const char *str_of(json_object *o, const char *key)
{
    json_object *v;
    if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

/* One "maps" entry per (indicator, scenario, horizon, quantity, statistic). */
static json_object *map_entry(json_object *maps, const char *ind, const char *scn, const char *hor,
                              const char *q, const char *stat)
{
    size_t n = json_object_array_length(maps);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(maps, i);
        const char *a = str_of(m, "indicator"), *b = str_of(m, "scenario"),
                   *c = str_of(m, "horizon"), *d = str_of(m, "quantity"),
                   *e = str_of(m, "statistic");
        if (a && b && c && d && e && !strcmp(a, ind) && !strcmp(b, scn) && !strcmp(c, hor) &&
            !strcmp(d, q) && !strcmp(e, stat))
            return m;
    }
    json_object *m = json_object_new_object();
    json_object_object_add(m, "indicator", json_object_new_string(ind));
    json_object_object_add(m, "scenario", json_object_new_string(scn));
    json_object_object_add(m, "horizon", json_object_new_string(hor));
    json_object_object_add(m, "quantity", json_object_new_string(q));
    json_object_object_add(m, "statistic", json_object_new_string(stat));
    char legend[160];
    snprintf(legend, sizeof legend, "legends/%s-%s.json", ind, q);
    json_object_object_add(m, "legend", json_object_new_string(legend));
    json_object_array_add(maps, m);
    return m;
}

static void add_maps(json_object *maps, json_object *e)
{
    const char *type = str_of(e, "type"), *id = str_of(e, "id");
    const char *scn = str_of(e, "scenario"), *hor = str_of(e, "horizon"),
               *stat = str_of(e, "statistic");
    if (!type || !id || !scn || !hor || !stat)
        return;
    if (strcmp(type, "raster") == 0) {
        const char *ind = str_of(e, "indicator"), *q = str_of(e, "quantity");
        if (!ind || !q)
            return;
        json_object *m = map_entry(maps, ind, scn, hor, q, stat);
        json_object_object_add(m, "raster", json_object_new_string(id));
        const char *unit = str_of(e, "unit");
        if (unit)
            json_object_object_add(m, "unit", json_object_new_string(unit));
        return;
    }
    json_object *inds, *qs;
    if (!json_object_object_get_ex(e, "indicators", &inds) ||
        !json_object_object_get_ex(e, "quantities", &qs))
        return;
    json_object *units = NULL;
    json_object_object_get_ex(e, "units", &units);
    for (size_t i = 0; i < json_object_array_length(inds); i++) {
        const char *ind = json_object_get_string(json_object_array_get_idx(inds, i));
        for (size_t k = 0; k < json_object_array_length(qs); k++) {
            const char *q = json_object_get_string(json_object_array_get_idx(qs, k));
            char prop[128];
            snprintf(prop, sizeof prop, "%s_%s", ind, q);
            /* only properties the tileset has */
            json_object *legends, *lp;
            if (json_object_object_get_ex(e, "legends", &legends) &&
                !json_object_object_get_ex(legends, prop, &lp))
                continue;
            json_object *m = map_entry(maps, ind, scn, hor, q, stat);
            json_object_object_add(m, "vector", json_object_new_string(id));
            json_object_object_add(m, "layer", json_object_new_string("cells"));
            json_object_object_add(m, "property", json_object_new_string(prop));
            const char *unit = str_of(units, ind);
            if (unit)
                json_object_object_add(m, "unit", json_object_new_string(unit));
        }
    }
}

int cr_catalog_write(const char *out_dir, json_object **entries, size_t n, struct cr_err *err)
{
    char path[CR_PATH_MAX];
    if (cr_path_join(path, sizeof path, out_dir, "catalog.json") != 0)
        return cr_err_set(err, CR_EUSAGE, "path too long: %s", out_dir);
    json_object *tilesets = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(tilesets, entries[i]);
    /* earlier runs' tilesets that this run did not redo */
    size_t kept = 0;
    if (cr_file_exists(path)) {
        json_object *old = json_object_from_file(path), *arr;
        if (!old || !json_object_object_get_ex(old, "tilesets", &arr) ||
            !json_object_is_type(arr, json_type_array)) {
            cr_warn("tiles: %s is not a climrisk catalogue; rewriting it", path);
        } else {
            for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *e = json_object_array_get_idx(arr, i);
                const char *id = str_of(e, "id"), *archive = str_of(e, "archive");
                if (!id || !archive)
                    continue;
                int dup = 0;
                for (size_t k = 0; k < n && !dup; k++)
                    dup = strcmp(str_of(entries[k], "id"), id) == 0;
                char ap[CR_PATH_MAX];
                if (dup || cr_path_join(ap, sizeof ap, out_dir, archive) != 0 ||
                    !cr_file_exists(ap))
                    continue;
                json_object_array_add(tilesets, json_object_get(e));
                kept++;
            }
        }
        json_object_put(old);
    }
    json_object *maps = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(tilesets); i++)
        add_maps(maps, json_object_array_get_idx(tilesets, i));
    json_object *root = json_object_new_object();
    json_object_object_add(root, "climrisk_catalog", json_object_new_int(1));
    char gen[128];
    snprintf(gen, sizeof gen, "climrisk %s (%s)", CR_VERSION, CR_GIT_REV);
    json_object_object_add(root, "generator", json_object_new_string(gen));
    json_object_object_add(root, "attribution", json_object_new_string(CR_TILES_ATTRIBUTION));
    json_object_object_add(root, "tilesets", tilesets);
    json_object_object_add(root, "maps", maps);
    int rc = cr_json_write_file(root, path, 1, err);
    if (!rc && kept)
        cr_info("tiles: catalog.json keeps %zu tilesets of earlier runs", kept);
    json_object_put(root);
    return rc;
}
