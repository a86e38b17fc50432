/* dropbehind.c — page-cache advice for files streamed once; see
 * dropbehind.h. */
#include "dropbehind.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Large enough that the syscalls cost nothing next to the bytes, small
 * enough that five files per worker keep little dirty (two windows each). */
#define WINDOW (8LL << 20)

/* The page cache holds files in folios of up to 2 MB (x86-64's huge page)
 * and drops only those a range covers whole: each drop starts this far
 * before its range, so the folio across the previous drop's end goes too. */
#define FOLIO_MAX (2LL << 20)

/* Dirty pages cannot be dropped: write them out first (and wait, with
 * FINISH), without the journal commit an fdatasync would add. */
#define START  SYNC_FILE_RANGE_WRITE
#define FINISH (SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)

void cr_drop_behind_open(struct cr_drop_behind *d, const char *path)
{
    memset(d, 0, sizeof *d);
    const char *keep = getenv("CLIMRISK_KEEP_CACHE");
    d->fd = keep && strcmp(keep, "1") == 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
}

static void write_out(const struct cr_drop_behind *d, long long from, long long to, unsigned flags)
{
    if (to > from)
        sync_file_range(d->fd, from, to - from, flags);
}

static void drop(const struct cr_drop_behind *d, long long from, long long to)
{
    from = from > FOLIO_MAX ? from - FOLIO_MAX : 0;
    if (to > from)
        posix_fadvise(d->fd, from, to - from, POSIX_FADV_DONTNEED);
}

void cr_drop_behind_wrote(struct cr_drop_behind *d, size_t bytes)
{
    if (d->fd < 0)
        return;
    d->writer = 1;
    d->pending += (long long)bytes;
    if (d->pending < WINDOW)
        return;
    d->pending = 0;
    struct stat st;
    if (fstat(d->fd, &st) != 0)
        return;
    /* The window before this one has had a window's time to reach the
     * disk: wait for what is left of it, then drop it. */
    write_out(d, d->lo, d->hi, FINISH);
    drop(d, d->lo, d->hi);
    d->lo = d->hi;
    d->hi = (long long)st.st_size;
    write_out(d, d->lo, d->hi, START);
}

void cr_drop_behind_read(struct cr_drop_behind *d, long long lo, long long hi)
{
    if (d->fd < 0 || hi <= lo)
        return;
    if (d->hi <= d->lo) {
        d->lo = lo;
        d->hi = hi;
    } else {
        d->lo = lo < d->lo ? lo : d->lo;
        d->hi = hi > d->hi ? hi : d->hi;
    }
    if (d->hi - d->lo >= WINDOW) {
        drop(d, d->lo, d->hi);
        d->lo = d->hi;
    }
}

void cr_drop_behind_close(struct cr_drop_behind *d)
{
    if (d->fd < 0)
        return;
    struct stat st;
    if (d->writer && fstat(d->fd, &st) == 0) {
        /* the last windows, and the metadata HDF5 rewrote anywhere */
        write_out(d, 0, (long long)st.st_size, FINISH);
        drop(d, 0, (long long)st.st_size);
    } else if (d->hi > 0) {
        drop(d, d->lo, d->hi + FOLIO_MAX); /* with the folio across the end */
    }
    close(d->fd);
    d->fd = -1;
}
