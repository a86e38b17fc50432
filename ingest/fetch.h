/* fetch.h — get every file of a manifest into the local cache, reliably.
 *
 * A night job that dies on a flaky download, or silently keeps a truncated
 * one, poisons everything downstream. So downloads (libcurl, multi interface,
 * a bounded number in parallel) resume with a Range request after an
 * interrupted transfer, retry with exponential backoff on timeouts,
 * connection errors and 5xx/408/429 answers, fail at once on other 4xx, and
 * give up on a transfer that makes no progress for `timeout` seconds. Every
 * file is checked against the manifest's size and sha256 (OpenSSL, through
 * core/sha256.h) and against the size the server announced; a mismatch
 * discards the download. Files enter the content-addressed cache (cache.h)
 * only complete and verified, by rename. Local files are copied in with the
 * same checks; OPeNDAP sources are not copied but opened once with netCDF-C
 * (when probing is on) and recorded for later stages to open remotely.
 *
 * Credentials come from a netrc file or from opts->user/password; URLs are
 * logged and recorded without them. One process at a time writes a cache
 * (flock on <cache>/lock). */
#ifndef CR_FETCH_H
#define CR_FETCH_H

#include "../core/error.h"
#include "../core/fsutil.h"
#include "cache.h"
#include "manifest.h"

struct cr_fetch_progress {
    size_t files_total;
    size_t files_done; /* finished: downloaded, copied, already cached or remote */
    size_t files_failed;
    long long bytes_done;  /* bytes transferred by this run (downloaded + copied) */
    long long bytes_total; /* bytes this run has to transfer, as far as known yet */
    int active;            /* transfers under way */
};

struct cr_fetch_opts {
    char cache_dir[CR_PATH_MAX];
    int jobs;                /* parallel transfers, >= 1 */
    long timeout;            /* seconds without a byte before a transfer is retried */
    long connect_timeout;    /* seconds to connect */
    int retries;             /* retries after failures that made no progress */
    double retry_delay;      /* seconds before the first retry; doubles with each retry */
    char netrc[CR_PATH_MAX]; /* netrc file; "" = libcurl's default (~/.netrc if present) */
    char user[256];          /* sent to every server when set (with password) */
    char password[256];
    int verify;        /* re-hash files found in the cache before trusting them */
    int wait_lock;     /* wait for another fetch using the cache instead of CR_EBUSY */
    int probe_opendap; /* open OPeNDAP sources with netCDF-C to check them */
    /* Called from the fetch loop (about ten times a second) and at the end. */
    void (*progress)(void *user, const struct cr_fetch_progress *p);
    void *progress_user;
};

enum cr_fetch_outcome {
    CR_FETCH_PENDING,
    CR_FETCH_DOWNLOADED,
    CR_FETCH_COPIED,
    CR_FETCH_CACHED, /* already in the cache: no transfer */
    CR_FETCH_REMOTE, /* OPeNDAP: recorded, read remotely later */
    CR_FETCH_FAILED
};

/* What happened to one manifest entry. */
struct cr_fetch_result {
    enum cr_fetch_outcome outcome;
    int code;               /* CR_OK, or the class of the failure */
    char path[CR_PATH_MAX]; /* the cached file, or the OPeNDAP URL */
    char sha256[CR_SHA256_HEX];
    long long size;
};

struct cr_fetch_report {
    size_t files, downloaded, copied, cached, remote, failed;
    long long bytes_downloaded, bytes_copied; /* sizes of the files downloaded, copied */
    long long bytes_transferred;              /* bytes moved by this run (resumes count less) */
    int retries; /* attempts repeated after a failure without progress */
    int resumed; /* transfers continued from a partial file with a Range request */
    double seconds;
    struct cr_fetch_result *results; /* one per manifest entry, in order */
};

/* Defaults matching the [fetch] section of the configuration. */
void cr_fetch_opts_defaults(struct cr_fetch_opts *o);

/* Fetch every entry of m into o->cache_dir and record it in the cache index.
 * All entries are attempted even when some fail; the error then describes
 * the failures and its code is the most serious class among them:
 * CR_EINTERRUPT, then CR_EINTERNAL, CR_EDATA (checksum, size), CR_EEXTERNAL
 * (network, HTTP errors), CR_EBUSY (cache locked). The report is filled in
 * either case; free it with cr_fetch_report_free. */
int cr_fetch_run(const struct cr_manifest *m, const struct cr_fetch_opts *o,
                 struct cr_fetch_report *rep, struct cr_err *err);

void cr_fetch_report_free(struct cr_fetch_report *rep);

#endif
