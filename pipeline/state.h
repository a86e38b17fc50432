/* state.h — what a run has already produced, so a rerun does only what
 * changed (like make, but by content).
 *
 * The state lives in <workdir>/run/state.sqlite. Each unit of work (a task
 * item: one simulation's inputs, one indicator of one simulation, ...) is
 * recorded with its recipe: the SHA-256 of everything its result depends on
 * (the content hashes of its inputs, the config values it reads, the
 * version of its algorithm) and the files it published. A rerun recomputes an
 * item only when its recipe changed or its outputs were touched.
 *
 * Hashing gigabytes of NetCDF at every rerun would make a no-op rerun slow,
 * so file hashes are cached by (size, mtime, inode), as git's index does, and
 * recomputed only when one of them changes. */
#ifndef CR_STATE_H
#define CR_STATE_H

#include "../core/error.h"
#include "../core/sha256.h"
#include "../core/strutil.h"

struct cr_state;

int cr_state_open(struct cr_state **st, const char *path, struct cr_err *err);
void cr_state_close(struct cr_state *st);

/* SHA-256 of a file, from the cache when the file has not changed. */
int cr_state_file_hash(struct cr_state *st, const char *path, char hex[CR_SHA256_HEX],
                       struct cr_err *err);

/* The recipe recorded for (task, item), or "" when none. */
int cr_state_recipe(struct cr_state *st, const char *task, const char *item,
                    char recipe[CR_SHA256_HEX], struct cr_err *err);

/* Is (task, item) done with this recipe, and are its recorded outputs
 * still the files it published (same content)? */
int cr_state_is_current(struct cr_state *st, const char *task, const char *item, const char *recipe,
                        struct cr_err *err);

/* Record (task, item) as done with recipe and the given output files
 * (their hashes are taken now). Replaces any earlier record. */
int cr_state_record(struct cr_state *st, const char *task, const char *item, const char *recipe,
                    const char *const *outputs, size_t noutputs, struct cr_err *err);

/* The output paths recorded for (task, item), in the order they were
 * recorded (appended to out; none when the item is not recorded). */
int cr_state_outputs(struct cr_state *st, const char *task, const char *item,
                     struct cr_strlist *out, struct cr_err *err);

/* Forget every item of a task (its outputs were replaced by other means). */
int cr_state_forget(struct cr_state *st, const char *task, struct cr_err *err);

/* Hex SHA-256 of a text (recipes are built from short canonical texts). */
void cr_recipe_of(const char *text, char hex[CR_SHA256_HEX]);

#endif
