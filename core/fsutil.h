/* fsutil.h — files that appear whole or not at all, and small path helpers.
 *
 * Every output climrisk publishes (NetCDF, CSV, tiles, reports) is written
 * under a temporary name in the same directory and renamed into place after
 * an fsync, so a reader or a rerun never mistakes a half-written file for a
 * finished one. Temporary names end in ".part-<pid>" so stale ones left by a
 * killed process are recognisable (cr_remove_stale_parts). */
#ifndef CR_FSUTIL_H
#define CR_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

#define CR_PATH_MAX 4096

/* Create a directory and its parents (like mkdir -p). */
int cr_mkdir_p(const char *path, struct cr_err *err);

/* Build "<final>.part-<pid>" into tmp. */
int cr_part_path(const char *final_path, char *tmp, size_t size, struct cr_err *err);

/* fsync tmp, rename it over final_path, fsync the directory. On failure tmp
 * is removed. */
int cr_publish(const char *tmp, const char *final_path, struct cr_err *err);

/* A stdio stream whose file is published on commit and removed on abort. */
struct cr_atomic_file {
    FILE *fp;
    char final_path[CR_PATH_MAX];
    char tmp_path[CR_PATH_MAX];
};

int cr_atomic_open(struct cr_atomic_file *af, const char *final_path, struct cr_err *err);
/* Flush, fsync and rename into place; closes the stream. */
int cr_atomic_commit(struct cr_atomic_file *af, struct cr_err *err);
/* Close and delete the temporary file; safe to call after commit. */
void cr_atomic_abort(struct cr_atomic_file *af);

/* Remove "*.part-<pid>" files in dir whose process no longer runs.
 * Returns the number removed. */
int cr_remove_stale_parts(const char *dir);
/* Same, or every part file when all is set (the caller holds a lock that
 * excludes every other writer of dir). */
int cr_remove_parts(const char *dir, int all);

int cr_file_exists(const char *path);
int cr_is_dir(const char *path);
long long cr_file_size(const char *path);

/* Join a and b with one '/', unless b is absolute. */
int cr_path_join(char *out, size_t size, const char *a, const char *b);
/* Directory part of path ("." when there is none). */
void cr_dirname(const char *path, char *out, size_t size);
/* Last component of path. */
const char *cr_basename(const char *path);

/* Read a whole (small) file into a NUL-terminated malloc'ed buffer. */
int cr_read_file(const char *path, char **out, size_t *len, struct cr_err *err);

#endif
