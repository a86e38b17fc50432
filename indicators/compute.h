/* compute.h — annual indicators of simulations, from their daily files to
 * their annual files, in one streaming pass each.
 *
 * One simulation: open every variable's series (ingest/reader.h), read
 * blocks of days x all cells in a helper thread while the engine
 * (engine.h) digests the previous block, write each closed year to the
 * annual file (annual_out.h), then add provenance (input files and their
 * sha256, hashed in parallel with the computation; climrisk version;
 * parameters) and publish the file atomically. Several simulations run in
 * parallel threads; all netCDF calls are serialised by nclock.h and the
 * arithmetic runs outside the lock. Memory: two blocks of input plus the
 * engine's per-cell state, whatever the number of years. */
#ifndef CR_COMPUTE_H
#define CR_COMPUTE_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/sha256.h"
#include "../core/strutil.h"
#include "engine.h"

struct cr_compute_job {
    const char *model;              /* GCM_RCM ("" when unknown) */
    const char *experiment;         /* historical, rcp45... ("" when unknown) */
    const char *member;             /* r1i1p1 ("" when unknown) */
    const struct cr_strlist *files; /* [CR_IN_COUNT]: files of each input, any may be empty */
    char out_path[4096];            /* .nc, or .csv for the long CSV */
    unsigned long indicators;       /* requested (bit per enum cr_ind) */
    struct cr_engine_opts params;   /* thresholds and missing-day rule; have[] is set from files */
    size_t block_days;              /* days per read block; 0 = 32 */
    int skip_unavailable; /* drop requested indicators whose inputs are absent (else error) */
    /* [inputs] max_invalid_fraction: every block read is checked for
     * physically impossible values (ingest/validate.h), which are read as
     * NaN; a larger share than this of any check fails the simulation
     * (CR_EDATA). Used when max_invalid_set is 1; a zeroed job gets
     * CR_MAX_INVALID_FRACTION_DEFAULT. */
    double max_invalid_fraction;
    int max_invalid_set;
    /* Called (from the computing thread) after each block with the number
     * of days done; may be NULL. Must be thread-safe when jobs run in
     * parallel. */
    void (*progress)(void *user, size_t days);
    void *progress_user;
    /* Threads inflating each block read (ingest/h5chunk.h); 0 means 1.
     * cr_compute_parallel sets it for jobs that leave it 0. */
    int decode_threads;
    /* The sha256 of input files the caller has already hashed (the
     * pipeline's state has them all): returns 1 with hex filled, or 0 to
     * have the file hashed here. Called from cr_compute's thread before
     * the computation starts; NULL: every file is hashed. */
    int (*known_sha256)(void *user, const char *path, char hex[CR_SHA256_HEX]);
    void *known_sha256_user;
};

struct cr_compute_report {
    int first_year, last_year;
    size_t ncells;
    unsigned long computed; /* indicators written */
    int tg_fallback, ps_fallback;
    long long cell_days;
    double seconds, read_seconds, compute_seconds, hash_seconds;
    char calendar[32];
};

/* Compute one simulation. */
int cr_compute(const struct cr_compute_job *job, struct cr_compute_report *rep, struct cr_err *err);

/* Decode threads for one of `concurrent` simulations computed at once:
 * one more than the cores per simulation, between 1 and 4. */
int cr_compute_decode_threads(int concurrent);

/* Compute n simulations on `threads` threads (>= 1); status[i] and errs[i]
 * per job, reps[i] on success. Returns the number of jobs that failed.
 * Stops starting new jobs once one is interrupted (SIGINT/SIGTERM). */
size_t cr_compute_parallel(const struct cr_compute_job *jobs, size_t n, int threads,
                           struct cr_compute_report *reps, int *status, struct cr_err *errs);

#endif
