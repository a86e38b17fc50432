/* state.c — the incremental-run state in SQLite; see state.h. */
#include "state.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/strutil.h"

struct cr_state {
    sqlite3 *db;
    char path[4096];
};

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS file_hash ("
    "  path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER, sha256 TEXT);"
    "CREATE TABLE IF NOT EXISTS item ("
    "  task TEXT, item TEXT, recipe TEXT, done_at TEXT DEFAULT CURRENT_TIMESTAMP,"
    "  PRIMARY KEY (task, item));"
    "CREATE TABLE IF NOT EXISTS item_output ("
    "  task TEXT, item TEXT, path TEXT, sha256 TEXT);"
    "CREATE INDEX IF NOT EXISTS item_output_key ON item_output (task, item);";

static int db_error(struct cr_state *st, struct cr_err *err, const char *what)
{
    return cr_err_set(err, CR_EINTERNAL, "run state %s: %s: %s", st->path, what,
                      sqlite3_errmsg(st->db));
}

int cr_state_open(struct cr_state **out, const char *path, struct cr_err *err)
{
    *out = NULL;
    struct cr_state *st = calloc(1, sizeof *st);
    if (!st)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    cr_strlcpy(st->path, path, sizeof st->path);
    if (sqlite3_open(path, &st->db) != SQLITE_OK) {
        int rc = cr_err_set(err, CR_EINTERNAL, "cannot open run state %s: %s", path,
                            st->db ? sqlite3_errmsg(st->db) : "out of memory");
        cr_state_close(st);
        return rc;
    }
    /* Parallel `run --task` processes share the state: wait for each other. */
    sqlite3_busy_timeout(st->db, 60000);
    /* The switch to WAL needs the database to itself and SQLite answers
     * "busy" at once instead of waiting, so processes opening the state at
     * the same moment (parallel run --task) take turns on a file lock. */
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s.init-lock", path);
    int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd >= 0)
        flock(lock_fd, LOCK_EX);
    char *msg = NULL;
    int rc0 = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    if (rc0 == SQLITE_OK)
        rc0 = sqlite3_exec(st->db, "BEGIN EXCLUSIVE", NULL, NULL, &msg);
    if (rc0 == SQLITE_OK && sqlite3_exec(st->db, schema_sql, NULL, NULL, &msg) == SQLITE_OK)
        rc0 = sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg);
    else if (rc0 == SQLITE_OK)
        rc0 = SQLITE_ERROR;
    if (lock_fd >= 0)
        close(lock_fd); /* releases the flock */
    if (rc0 != SQLITE_OK) {
        int rc = cr_err_set(err, CR_EINTERNAL,
                            "run state %s is not usable (%s); delete it to start afresh", path,
                            msg ? msg : "?");
        sqlite3_free(msg);
        cr_state_close(st);
        return rc;
    }
    sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    *out = st;
    return CR_OK;
}

void cr_state_close(struct cr_state *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st);
}

void cr_recipe_of(const char *text, char hex[CR_SHA256_HEX])
{
    struct cr_err err;
    if (cr_sha256_buf(text, strlen(text), hex, &err) != CR_OK)
        hex[0] = '\0';
}

int cr_state_file_hash(struct cr_state *st, const char *path, char hex[CR_SHA256_HEX],
                       struct cr_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cr_err_set(err, CR_EDATA, "cannot read '%s' (missing?)", path);
    long long mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT sha256 FROM file_hash WHERE path = ? AND size = ? AND "
                           "mtime_ns = ? AND inode = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_error(st, err, "query");
    sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)sb.st_size);
    sqlite3_bind_int64(q, 3, mtime_ns);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)sb.st_ino);
    int found = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        cr_strlcpy(hex, (const char *)sqlite3_column_text(q, 0), CR_SHA256_HEX);
        found = 1;
    }
    sqlite3_finalize(q);
    if (found)
        return CR_OK;
    /* Files are hashed right after they are written (or found), and
     * those worth the care are large: inputs and annual files, read again
     * by block later, if at all (core/dropbehind.h). */
    int rc = cr_sha256_file_uncached(path, hex, err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO file_hash (path, size, mtime_ns, inode, sha256) "
                           "VALUES (?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return db_error(st, err, "insert");
    sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)sb.st_size);
    sqlite3_bind_int64(q, 3, mtime_ns);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)sb.st_ino);
    sqlite3_bind_text(q, 5, hex, -1, SQLITE_STATIC);
    int ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? CR_OK : db_error(st, err, "insert");
}

int cr_state_recipe(struct cr_state *st, const char *task, const char *item,
                    char recipe[CR_SHA256_HEX], struct cr_err *err)
{
    recipe[0] = '\0';
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT recipe FROM item WHERE task = ? AND item = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return db_error(st, err, "query");
    sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, item, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        cr_strlcpy(recipe, (const char *)sqlite3_column_text(q, 0), CR_SHA256_HEX);
    sqlite3_finalize(q);
    return CR_OK;
}

int cr_state_is_current(struct cr_state *st, const char *task, const char *item, const char *recipe,
                        struct cr_err *err)
{
    char recorded[CR_SHA256_HEX];
    if (cr_state_recipe(st, task, item, recorded, err) != CR_OK)
        return 0;
    if (strcmp(recorded, recipe) != 0)
        return 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT path, sha256 FROM item_output WHERE task = ? AND item = ?", -1,
                           &q, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, item, -1, SQLITE_STATIC);
    int current = 1;
    while (current && sqlite3_step(q) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(q, 0);
        const char *want = (const char *)sqlite3_column_text(q, 1);
        char have[CR_SHA256_HEX];
        struct cr_err ignored;
        if (cr_state_file_hash(st, path, have, &ignored) != CR_OK || strcmp(have, want) != 0)
            current = 0;
    }
    sqlite3_finalize(q);
    return current;
}

int cr_state_record(struct cr_state *st, const char *task, const char *item, const char *recipe,
                    const char *const *outputs, size_t noutputs, struct cr_err *err)
{
    char(*hashes)[CR_SHA256_HEX] = calloc(noutputs ? noutputs : 1, sizeof *hashes);
    if (!hashes)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    int rc = CR_OK;
    for (size_t i = 0; i < noutputs && rc == CR_OK; i++)
        rc = cr_state_file_hash(st, outputs[i], hashes[i], err);
    if (rc) {
        free(hashes);
        return rc;
    }
    /* One transaction: a killed process leaves either the old record or the
     * new one, never half of it. */
    int ok = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_stmt *q = NULL;
    if (ok) {
        ok = sqlite3_prepare_v2(st->db, "DELETE FROM item_output WHERE task = ? AND item = ?", -1,
                                &q, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, item, -1, SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_DONE;
        }
        sqlite3_finalize(q);
    }
    if (ok) {
        ok = sqlite3_prepare_v2(st->db,
                                "INSERT OR REPLACE INTO item (task, item, recipe, done_at) "
                                "VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                                -1, &q, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, item, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, recipe, -1, SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_DONE;
        }
        sqlite3_finalize(q);
    }
    for (size_t i = 0; ok && i < noutputs; i++) {
        ok = sqlite3_prepare_v2(st->db,
                                "INSERT INTO item_output (task, item, path, sha256) VALUES (?, ?, "
                                "?, ?)",
                                -1, &q, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, item, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, outputs[i], -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 4, hashes[i], -1, SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_DONE;
        }
        sqlite3_finalize(q);
    }
    free(hashes);
    if (!ok) {
        rc = db_error(st, err, "record");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(st, err, "commit");
    return CR_OK;
}

int cr_state_outputs(struct cr_state *st, const char *task, const char *item,
                     struct cr_strlist *out, struct cr_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(
            st->db, "SELECT path FROM item_output WHERE task = ? AND item = ? ORDER BY rowid", -1,
            &q, NULL) != SQLITE_OK)
        return db_error(st, err, "query");
    sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, item, -1, SQLITE_STATIC);
    int rc = CR_OK;
    while (rc == CR_OK && sqlite3_step(q) == SQLITE_ROW)
        if (cr_strlist_push(out, (const char *)sqlite3_column_text(q, 0)))
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    sqlite3_finalize(q);
    return rc;
}

int cr_state_forget(struct cr_state *st, const char *task, struct cr_err *err)
{
    sqlite3_stmt *q;
    const char *sql[] = {"DELETE FROM item WHERE task = ?",
                         "DELETE FROM item_output WHERE task = ?"};
    for (int i = 0; i < 2; i++) {
        if (sqlite3_prepare_v2(st->db, sql[i], -1, &q, NULL) != SQLITE_OK)
            return db_error(st, err, "forget");
        sqlite3_bind_text(q, 1, task, -1, SQLITE_STATIC);
        int ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_finalize(q);
        if (!ok)
            return db_error(st, err, "forget");
    }
    return CR_OK;
}
