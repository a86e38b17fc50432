/* mbtiles.c — MBTiles 1.3 through SQLite (see mbtiles.h). */
#include "mbtiles.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fsutil.h"

struct cr_mbt {
    sqlite3 *db;
    sqlite3_stmt *tile, *meta;
    char path[CR_PATH_MAX];
    char tmp[CR_PATH_MAX];
};

static int fail(struct cr_mbt *m, const char *what, struct cr_err *err)
{
    return cr_err_set(err, CR_EINTERNAL, "MBTiles %s: %s: %s", m->path, what,
                      m->db ? sqlite3_errmsg(m->db) : "cannot open");
}

int cr_mbt_open(struct cr_mbt **out, const char *path, struct cr_err *err)
{
    struct cr_mbt *m = calloc(1, sizeof *m);
    if (!m)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    size_t n = strlen(path);
    if (n >= sizeof m->path) {
        free(m);
        return cr_err_set(err, CR_EUSAGE, "path too long: %s", path);
    }
    memcpy(m->path, path, n + 1);
    int rc = cr_part_path(path, m->tmp, sizeof m->tmp, err);
    if (rc) {
        free(m);
        return rc;
    }
    unlink(m->tmp);
    if (sqlite3_open_v2(m->tmp, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = fail(m, "create", err);
        cr_mbt_abort(m);
        return rc;
    }
    /* Bulk build: no journal (the file is renamed into place only when
     * complete), one transaction. */
    const char *sql = "PRAGMA application_id = 0x4d504258;"
                      "PRAGMA journal_mode = OFF;"
                      "PRAGMA synchronous = OFF;"
                      "PRAGMA page_size = 4096;"
                      "CREATE TABLE metadata (name text, value text);"
                      "CREATE TABLE tiles (zoom_level integer, tile_column integer,"
                      " tile_row integer, tile_data blob);"
                      "BEGIN;";
    if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "INSERT INTO tiles VALUES (?, ?, ?, ?)", -1, &m->tile, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "INSERT INTO metadata VALUES (?, ?)", -1, &m->meta, NULL) !=
            SQLITE_OK) {
        rc = fail(m, "create tables", err);
        cr_mbt_abort(m);
        return rc;
    }
    *out = m;
    return CR_OK;
}

int cr_mbt_add(struct cr_mbt *m, int z, uint32_t x, uint32_t y, const void *data, size_t len,
               struct cr_err *err)
{
    sqlite3_reset(m->tile);
    sqlite3_bind_int(m->tile, 1, z);
    sqlite3_bind_int64(m->tile, 2, x);
    sqlite3_bind_int64(m->tile, 3, (int64_t)((1u << z) - 1 - y)); /* TMS row */
    sqlite3_bind_blob(m->tile, 4, data, (int)len, SQLITE_STATIC);
    if (sqlite3_step(m->tile) != SQLITE_DONE)
        return fail(m, "insert tile", err);
    return CR_OK;
}

int cr_mbt_meta(struct cr_mbt *m, const char *name, const char *value, struct cr_err *err)
{
    sqlite3_reset(m->meta);
    sqlite3_bind_text(m->meta, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(m->meta, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(m->meta) != SQLITE_DONE)
        return fail(m, "insert metadata", err);
    return CR_OK;
}

int cr_mbt_finish(struct cr_mbt *m, struct cr_err *err)
{
    int rc = CR_OK;
    sqlite3_finalize(m->tile);
    sqlite3_finalize(m->meta);
    m->tile = m->meta = NULL;
    if (sqlite3_exec(m->db,
                     "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
                     "CREATE UNIQUE INDEX name ON metadata (name);"
                     "COMMIT;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(m, "commit", err);
        cr_mbt_abort(m);
        return rc;
    }
    if (sqlite3_close(m->db) != SQLITE_OK) {
        m->db = NULL;
        rc = cr_err_set(err, CR_EINTERNAL, "MBTiles %s: cannot close", m->path);
        cr_mbt_abort(m);
        return rc;
    }
    m->db = NULL;
    rc = cr_publish(m->tmp, m->path, err);
    free(m);
    return rc;
}

void cr_mbt_abort(struct cr_mbt *m)
{
    if (!m)
        return;
    sqlite3_finalize(m->tile);
    sqlite3_finalize(m->meta);
    if (m->db)
        sqlite3_close(m->db);
    unlink(m->tmp);
    free(m);
}
