/* lock.c — flock-based run locks; see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../core/log.h"

int cr_lock_acquire(struct cr_lock *lk, const char *path, int exclusive, int wait,
                    struct cr_err *err)
{
    lk->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lk->fd < 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot open lock file %s: %s", path, strerror(errno));
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    if (flock(lk->fd, op) != 0) {
        int e = errno;
        char holder[64] = "";
        ssize_t n = pread(lk->fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(lk->fd);
        lk->fd = -1;
        char who[96] = "";
        if (holder[0])
            snprintf(who, sizeof who, " (pid %s)", holder);
        if (e == EWOULDBLOCK)
            return cr_err_set(err, CR_EBUSY,
                              "another climrisk run%s holds %s; wait for it to finish, or use "
                              "--wait",
                              who, path);
        return cr_err_set(err, CR_EINTERNAL, "cannot lock %s: %s", path, strerror(e));
    }
    if (exclusive) {
        char text[32];
        int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
        if (ftruncate(lk->fd, 0) == 0 && pwrite(lk->fd, text, (size_t)len, 0) != len)
            cr_debug("could not record our pid in %s", path);
    }
    return CR_OK;
}

void cr_lock_release(struct cr_lock *lk)
{
    if (lk->fd >= 0) {
        flock(lk->fd, LOCK_UN);
        close(lk->fd);
    }
    lk->fd = -1;
}
