/* fetch_job.h — internal to fetch.c and fetch_http.c: one manifest entry on
 * its way into the cache, and the engine that drives them.
 *
 * A job is QUEUED, then ACTIVE (a libcurl transfer or a local copy), then
 * either DONE or WAITing for a retry. fetch.c owns the loop, the cache
 * lookups and publication; fetch_http.c owns everything libcurl. */
#ifndef CR_FETCH_JOB_H
#define CR_FETCH_JOB_H

#include <curl/curl.h>

#include "../core/sha256.h"
#include "fetch.h"

enum job_state { J_QUEUED, J_ACTIVE, J_WAIT, J_DONE };

struct fetch_engine;

struct fetch_job {
    const struct cr_manifest_entry *me;
    struct cr_fetch_result *res;
    struct fetch_engine *eng;
    enum job_state state;
    char shown[2048];             /* source without credentials, for messages */
    char where[CR_PATH_MAX + 32]; /* manifest:line */
    double t_start;

    /* the partial file, kept open with its hash across attempts */
    char part[CR_PATH_MAX];
    char meta[CR_PATH_MAX];
    int fd;
    struct cr_sha256 hash;
    int hashing;       /* hash holds exactly `written` bytes of part */
    long long written; /* bytes in part */
    long long total;   /* size announced by the server, -1 unknown */

    /* one HTTP attempt */
    CURL *easy;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    char range[48];          /* "<offset>-" */
    long long offset;        /* where this attempt started */
    long long attempt_bytes; /* body bytes kept by this attempt */
    int got_body;            /* first body byte seen: status checked */
    int discard;             /* body of an error answer: not kept */
    char hdr_content_range[128];
    char hdr_etag[256];
    char hdr_last_modified[128];
    long hdr_retry_after;
    int abort_code; /* set by a callback that stopped the transfer */
    char abort_msg[CR_ERR_MSG_MAX];

    /* retries */
    int attempts; /* consecutive attempts that made no progress */
    int restarts; /* restarts from byte 0 (server ignored Range, 416) */
    double not_before;

    /* local copy */
    int src_fd;
    char stamp[64];
};

struct fetch_engine {
    const struct cr_fetch_opts *o;
    struct cr_cache cache;
    CURLM *multi;
    struct fetch_job *jobs;
    size_t njobs;
    int active;
    char tmp_dir[CR_PATH_MAX];
    struct cr_fetch_report *rep;
    long long bytes_done;
    unsigned rng; /* jitter of retry delays */
    int dirty;    /* index changed and not saved yet */
    int worst;
    size_t nfailed;
    struct cr_err first;
};

/* fetch.c: a job has ended (outcome set), or failed with (code, message). */
void fetch_job_fail(struct fetch_job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* fetch.c: the part file is complete: verify size and sha256, publish it
 * into the cache and record it. */
void fetch_job_finish(struct fetch_job *j, enum cr_fetch_outcome outcome);

/* fetch_http.c */
int fetch_http_start(struct fetch_job *j, struct cr_err *err);
void fetch_http_done(struct fetch_job *j, CURLcode rc);
/* Drop the partial download (after a checksum or size mismatch). */
void fetch_part_discard(struct fetch_job *j);
void fetch_part_close(struct fetch_job *j);

#endif
