/* seed_admin.c — régions, départements and communes into
 * datamart.admin_area, with their cell weights; see datamart.h.
 *
 * The GeoJSON files of sql/data/admin_fr/ are read with GDAL's OGR C API
 * (no hand-written JSON parsing), streamed as EWKB (SRID 4326) with binary
 * COPY, and PostGIS does the rest: reprojection to Lambert-93 and Web
 * Mercator, repair of the few self-intersections of the simplified commune
 * file (ST_MakeValid), the région of each département (largest overlap),
 * and the intersection area of every area with every grid cell it touches
 * (the weights of datamart.area_stat). Only metropolitan France is on the
 * SAFRAN grid: features lying outside it (the DROM communes 971-976) are
 * left out and counted. A file whose sha256 is already recorded is not
 * reloaded. */
#include <gdal.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/datadir.h"
#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "datamart.h"
#include "pgcopy.h"
#include "pgutil.h"

struct admin_level {
    const char *level;
    const char *file;
};

/* Parents first: a département's région is found among loaded régions. */
static const struct admin_level levels[] = {
    {"region", "regions.geojson"},
    {"departement", "departements.geojson"},
    {"commune", "communes-simplifiee-derived.geojson"},
};

/* Metropolitan France with a margin, WGS84: the SAFRAN grid's extent. */
static int outside_metropole(const OGREnvelope *e)
{
    return e->MaxX < -6.0 || e->MinX > 10.5 || e->MaxY < 41.0 || e->MinY > 51.5;
}

static int copy_features(PGconn *conn, const char *path, int *features, int *skipped,
                         struct cr_err *err)
{
    *features = *skipped = 0;
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds)
        return cr_err_set(err, CR_EDATA, "cannot read %s with GDAL: %s", path,
                          CPLGetLastErrorMsg());
    OGRLayerH layer = GDALDatasetGetLayerCount(ds) > 0 ? GDALDatasetGetLayer(ds, 0) : NULL;
    OGRFeatureDefnH defn = layer ? OGR_L_GetLayerDefn(layer) : NULL;
    int icode = defn ? OGR_FD_GetFieldIndex(defn, "code") : -1;
    int iname = defn ? OGR_FD_GetFieldIndex(defn, "nom") : -1;
    if (icode < 0 || iname < 0) {
        GDALClose(ds);
        return cr_err_set(err, CR_EDATA,
                          "%s: expected a layer with fields 'code' (INSEE code) and 'nom' (name)",
                          path);
    }
    struct cr_copy c;
    int rc =
        cr_copy_begin(&c, conn, "COPY admin_stage (code, name, geom) FROM STDIN (FORMAT binary)",
                      "admin_stage", err);
    if (rc) {
        GDALClose(ds);
        return rc;
    }
    unsigned char *wkb = NULL;
    size_t wkb_cap = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(layer);
    while (rc == CR_OK && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        const char *code = OGR_F_GetFieldAsString(f, icode);
        if (!g || OGR_G_IsEmpty(g) || !code || !*code) {
            rc = cr_err_set(err, CR_EDATA, "%s: feature %lld has no geometry or no code", path,
                            (long long)OGR_F_GetFID(f));
            OGR_F_Destroy(f);
            break;
        }
        OGREnvelope env;
        OGR_G_GetEnvelope(g, &env);
        if (outside_metropole(&env)) {
            (*skipped)++;
            OGR_F_Destroy(f);
            continue;
        }
        OGR_G_FlattenTo2D(g);
        size_t n = (size_t)OGR_G_WkbSize(g);
        if (n > wkb_cap) {
            unsigned char *bigger = realloc(wkb, n);
            if (!bigger) {
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
                OGR_F_Destroy(f);
                break;
            }
            wkb = bigger;
            wkb_cap = n;
        }
        OGR_G_ExportToIsoWkb(g, wkbNDR, wkb);
        unsigned char *ewkb;
        size_t elen;
        rc = cr_ewkb_from_wkb(wkb, n, 4326, &ewkb, &elen, err);
        if (rc == CR_OK) {
            if (cr_copy_tuple(&c, 3, 0) != 0 || cr_copy_text(&c, code) != 0 ||
                cr_copy_text(&c, OGR_F_GetFieldAsString(f, iname)) != 0 ||
                cr_copy_bytes(&c, ewkb, elen) != 0)
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory encoding %s", path);
            free(ewkb);
        } else {
            cr_err_prefix(err, "%s, feature %s", path, code);
        }
        if (rc == CR_OK)
            rc = cr_copy_maybe_flush(&c, err);
        (*features)++;
        OGR_F_Destroy(f);
    }
    free(wkb);
    GDALClose(ds);
    if (rc != CR_OK) {
        cr_copy_abort(&c, "admin load failed");
        return rc;
    }
    return cr_copy_end(&c, NULL, err);
}

static int load_level(PGconn *conn, const struct admin_level *lv, const char *path, const char *sha,
                      struct cr_err *err)
{
    double t0 = cr_now();
    int rc = cr_pg_exec(conn,
                        "CREATE TEMP TABLE IF NOT EXISTS admin_stage (code text, name text, geom "
                        "geometry) ON COMMIT DROP; TRUNCATE admin_stage",
                        "preparing admin areas", err);
    int features, skipped;
    if (rc == CR_OK)
        rc = copy_features(conn, path, &features, &skipped, err);
    if (rc)
        return rc;
    cr_debug("datamart: %s: %d features read and copied in %.1f s", lv->file, features,
             cr_now() - t0);
    const char *p1[] = {lv->level};
    rc = cr_pg_execp(conn, "DELETE FROM datamart.admin_area WHERE level = $1", 1, p1, NULL,
                     "replacing admin areas", err);
    if (rc == CR_OK)
        rc = cr_pg_execp(
            conn,
            "INSERT INTO datamart.admin_area (level, code, name, parent_code, area_km2, "
            "geom_l93, geom_3857) "
            "SELECT $1, code, name, CASE WHEN $1 = 'commune' THEN left(code, 2) END, "
            "ST_Area(g) / 1e6, g, ST_Transform(g, 3857) "
            "FROM (SELECT code, name, ST_Multi(ST_CollectionExtract(ST_MakeValid("
            "ST_Transform(geom, 2154)), 3)) AS g FROM admin_stage) s "
            "WHERE NOT ST_IsEmpty(g) ORDER BY code",
            1, p1, NULL, "building admin areas", err);
    cr_debug("datamart: %s: areas built at %.1f s", lv->file, cr_now() - t0);
    if (rc == CR_OK)
        rc = cr_pg_execp(
            conn,
            "INSERT INTO datamart.area_cell (area_id, cell_id, weight) "
            "SELECT area_id, cell_id, w FROM ("
            " SELECT a.id AS area_id, g.cell_id, CASE WHEN ST_Within(g.geom_l93, a.geom_l93) "
            " THEN ST_Area(g.geom_l93) ELSE ST_Area(ST_Intersection(g.geom_l93, a.geom_l93)) "
            " END AS w FROM datamart.admin_area a "
            " JOIN datamart.grid_cell g ON ST_Intersects(g.geom_l93, a.geom_l93) "
            " WHERE a.level = $1) x WHERE w > 0",
            1, p1, NULL, "computing the cell weights of admin areas", err);
    char nf[16], ns[16];
    snprintf(nf, sizeof nf, "%d", features);
    snprintf(ns, sizeof ns, "%d", skipped);
    const char *p2[] = {lv->level, lv->file, sha, nf, ns};
    if (rc == CR_OK)
        rc = cr_pg_execp(conn,
                         "INSERT INTO datamart.admin_source (level, file, sha256, features, "
                         "skipped, loaded_at) VALUES ($1, $2, $3, $4, $5, now()) "
                         "ON CONFLICT (level) DO UPDATE SET file = EXCLUDED.file, sha256 = "
                         "EXCLUDED.sha256, features = EXCLUDED.features, skipped = "
                         "EXCLUDED.skipped, loaded_at = now()",
                         5, p2, NULL, "recording the admin source", err);
    if (rc == CR_OK)
        cr_info("datamart: loaded %d %s areas from %s (%d outside metropolitan France left out) "
                "in %.1f s",
                features, lv->level, lv->file, skipped, cr_now() - t0);
    return rc;
}

int cr_dm_seed_admin(PGconn *conn, int force, int *loaded, struct cr_err *err)
{
    *loaded = 0;
    char dir[CR_PATH_MAX];
    int rc = cr_datafile("sql/data/admin_fr", dir, sizeof dir, err);
    if (rc)
        return rc;
    int reload_below = force;
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
        char path[CR_PATH_MAX], sha[CR_SHA256_HEX], have[CR_SHA256_HEX] = "";
        if (cr_path_join(path, sizeof path, dir, levels[k].file) != 0)
            return cr_err_set(err, CR_EUSAGE, "path too long: %s/%s", dir, levels[k].file);
        if (!cr_file_exists(path))
            return cr_err_set(err, CR_EUSAGE,
                              "%s is missing: the datamart's admin boundaries ship in "
                              "sql/data/admin_fr/ (reinstall, or set CLIMRISK_DATADIR)",
                              path);
        if ((rc = cr_sha256_file(path, sha, err)))
            return rc;
        const char *p[] = {levels[k].level};
        if ((rc =
                 cr_pg_query_text(conn, "SELECT sha256 FROM datamart.admin_source WHERE level = $1",
                                  1, p, have, sizeof have, "reading datamart.admin_source", err)))
            return rc;
        if (!reload_below && strcmp(have, sha) == 0)
            continue;
        if ((rc = load_level(conn, &levels[k], path, sha, err)))
            return rc;
        (*loaded)++;
    }
    if (*loaded == 0)
        return CR_OK;
    /* Régions have no code in the départements file: take the région that
     * covers most of each département. */
    rc = cr_pg_exec(conn,
                    "UPDATE datamart.admin_area d SET parent_code = ("
                    " SELECT r.code FROM datamart.admin_area r WHERE r.level = 'region' "
                    " AND ST_Intersects(r.geom_l93, d.geom_l93) "
                    " ORDER BY ST_Area(ST_Intersection(r.geom_l93, d.geom_l93)) DESC LIMIT 1) "
                    "WHERE d.level = 'departement';"
                    "ANALYZE datamart.admin_area; ANALYZE datamart.area_cell",
                    "linking départements to régions", err);
    if (rc)
        return rc;
    long long orphans;
    int found;
    rc = cr_pg_query_long(conn,
                          "SELECT count(*) FROM datamart.admin_area c WHERE c.level = 'commune' "
                          "AND NOT EXISTS (SELECT 1 FROM datamart.admin_area d WHERE d.level = "
                          "'departement' AND d.code = c.parent_code)",
                          0, NULL, &orphans, &found, "checking commune parents", err);
    if (rc == CR_OK && orphans > 0)
        cr_warn("datamart: %lld communes have no matching département (INSEE code prefix)",
                orphans);
    return rc;
}
