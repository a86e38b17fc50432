/* dropbehind.h — keep a bulk file's bytes out of the page cache once they
 * have been written or read.
 *
 * climrisk streams files far larger than what it reuses: synth writes each
 * DRIAS-format file once, compute hashes each input and reads it once.
 * Left alone, the kernel keeps every page cached, and growing the cache is
 * not free: on the 2-core VM this project is measured on, a page the
 * kernel has not used recently (its memory handed back to the hypervisor)
 * costs 1.6-1.9 s of kernel CPU per GB written or read, against 0.06-0.25 s
 * when the same few pages are dropped and reused. Writing behind and
 * dropping what was written or read keeps the cache at a couple of windows
 * per file: generating the demo's 15 GB took 59 s instead of 82 (kernel
 * 13 s instead of 54), and computing its indicators from those files, not
 * cached, 75 s instead of 80 (kernel 16 s instead of 33; bench/synth.sh
 * measures both ways).
 *
 * The cost is that a second read of the same files comes from the disk;
 * a DRIAS ensemble (hundreds of GB) does not stay cached anyway. All of it
 * is advice: a call that fails changes nothing but speed, so none returns
 * an error. CLIMRISK_KEEP_CACHE=1 turns it off (for comparing). */
#ifndef CR_DROPBEHIND_H
#define CR_DROPBEHIND_H

#include <stddef.h>

struct cr_drop_behind {
    int fd;            /* our own descriptor of the file; -1: do nothing */
    int writer;        /* close writes out and drops the whole file */
    long long lo, hi;  /* writing: being written out; reading: read, not dropped */
    long long pending; /* writing: bytes appended since hi was set */
};

/* Start following the file at path (opened read-only here, whatever the
 * writer or reader uses). */
void cr_drop_behind_open(struct cr_drop_behind *d, const char *path);

/* A writer appended `bytes` to the file: once a window has been appended,
 * start writing it out, and wait for and drop the window before it. */
void cr_drop_behind_wrote(struct cr_drop_behind *d, size_t bytes);

/* A reader is done with bytes [lo, hi) of the file. */
void cr_drop_behind_read(struct cr_drop_behind *d, long long lo, long long hi);

/* After a writer's close: write out and drop whatever is left. Then close
 * our descriptor. */
void cr_drop_behind_close(struct cr_drop_behind *d);

#endif
