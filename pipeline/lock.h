/* lock.h — one run per work directory.
 *
 * A full `climrisk run` takes the work directory's lock exclusively; a
 * `run --task N` (the scale-out mode, many at once) takes it shared, plus an
 * exclusive lock on its own task. Locks are flock(2) locks on files under
 * <workdir>/run/, so they vanish with the process that held them, even after
 * SIGKILL: a killed run never leaves a stale lock behind. */
#ifndef CR_LOCK_H
#define CR_LOCK_H

#include "../core/error.h"

struct cr_lock {
    int fd;
};

/* Take the lock file at path. With wait = 0 a conflict is CR_EBUSY with a
 * message naming the holder's pid and what to do. */
int cr_lock_acquire(struct cr_lock *lk, const char *path, int exclusive, int wait,
                    struct cr_err *err);
void cr_lock_release(struct cr_lock *lk);

#endif
