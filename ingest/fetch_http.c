/* fetch_http.c — one HTTP(S) download with libcurl: resume, validation of
 * what the server announces, and the decision to retry or give up.
 *
 * The partial file lives at <cache>/tmp/<hash of the URL>.part, next to a
 * .meta file with the URL, the server's validators (ETag, Last-Modified) and
 * the announced size. A later attempt, or a later run after a crash,
 * continues it with "Range: bytes=<size>-" and "If-Range: <validator>", so a
 * file changed on the server is sent whole (200) and restarted, never
 * spliced. The sha256 is computed while writing, after re-reading the part
 * already on disk once. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "../core/strutil.h"
#include "fetch_job.h"
#include "url.h"

/* ---- the partial file ---- */

void fetch_part_close(struct fetch_job *j)
{
    if (j->hashing)
        cr_sha256_free(&j->hash);
    j->hashing = 0;
    if (j->fd >= 0)
        close(j->fd); /* also releases its flock */
    j->fd = -1;
}

void fetch_part_discard(struct fetch_job *j)
{
    fetch_part_close(j);
    if (j->part[0])
        unlink(j->part);
    if (j->meta[0])
        unlink(j->meta);
    j->written = 0;
    j->total = -1;
}

struct part_meta {
    char url[2048];
    char etag[256];
    char last_modified[128];
    long long total;
};

static void read_meta(const char *path, struct part_meta *pm)
{
    memset(pm, 0, sizeof *pm);
    pm->total = -1;
    char *text;
    struct cr_err ignore;
    if (cr_read_file(path, &text, NULL, &ignore) != CR_OK)
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab++ = '\0';
        if (strcmp(line, "url") == 0)
            cr_strlcpy(pm->url, tab, sizeof pm->url);
        else if (strcmp(line, "etag") == 0)
            cr_strlcpy(pm->etag, tab, sizeof pm->etag);
        else if (strcmp(line, "last-modified") == 0)
            cr_strlcpy(pm->last_modified, tab, sizeof pm->last_modified);
        else if (strcmp(line, "total") == 0) {
            long v;
            if (cr_parse_long(tab, &v) == 0)
                pm->total = v;
        }
    }
    free(text);
}

static void write_meta(const struct fetch_job *j)
{
    struct cr_atomic_file af;
    struct cr_err err;
    if (cr_atomic_open(&af, j->meta, &err) != CR_OK) {
        cr_debug("fetch: %s", err.msg);
        return;
    }
    fprintf(af.fp, "url\t%s\netag\t%s\nlast-modified\t%s\ntotal\t%lld\n", j->shown, j->hdr_etag,
            j->hdr_last_modified, j->total);
    if (cr_atomic_commit(&af, &err) != CR_OK)
        cr_debug("fetch: %s", err.msg);
}

static int truncate_part(struct fetch_job *j, struct cr_err *err)
{
    if (j->hashing)
        cr_sha256_free(&j->hash);
    j->hashing = 0;
    if (ftruncate(j->fd, 0) != 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot truncate %s: %s", j->part, strerror(errno));
    j->written = 0;
    int rc = cr_sha256_init(&j->hash, err);
    if (rc == CR_OK)
        j->hashing = 1;
    return rc;
}

/* Open (or reopen) the part file, decide where to resume, and bring the hash
 * up to date with what is already on disk. */
static int open_part(struct fetch_job *j, struct part_meta *pm, struct cr_err *err)
{
    if (j->fd >= 0 && j->hashing) {
        read_meta(j->meta, pm);
        return CR_OK; /* a retry within this run: the hash is current */
    }
    fetch_part_close(j);
    j->fd = open(j->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot open %s: %s", j->part, strerror(errno));
    if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        close(j->fd);
        j->fd = -1;
        return cr_err_set(err, CR_EBUSY, "%s is being downloaded by another process (%s)", j->shown,
                          j->part);
    }
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot stat %s: %s", j->part, strerror(errno));
    long long have = (long long)st.st_size;
    long long want = j->me->size;
    read_meta(j->meta, pm);
    int stale = have > 0 && (strcmp(pm->url, j->shown) != 0 || (want >= 0 && have > want) ||
                             (want >= 0 && pm->total >= 0 && pm->total != want));
    int rc = cr_sha256_init(&j->hash, err);
    if (rc)
        return rc;
    j->hashing = 1;
    j->total = pm->total;
    if (stale || have == 0) {
        if (have > 0)
            cr_info("fetch: discarding a stale partial download of %s", j->shown);
        pm->etag[0] = pm->last_modified[0] = '\0';
        j->total = -1;
        return truncate_part(j, err);
    }
    /* hash the bytes already there */
    unsigned char buf[1 << 16];
    long long off = 0;
    while (off < have) {
        size_t n =
            (size_t)(have - off < (long long)sizeof buf ? have - off : (long long)sizeof buf);
        ssize_t got = pread(j->fd, buf, n, off);
        if (got <= 0)
            return cr_err_set(err, CR_EINTERNAL, "cannot read %s: %s", j->part,
                              got < 0 ? strerror(errno) : "unexpected end of file");
        cr_sha256_update(&j->hash, buf, (size_t)got);
        off += got;
    }
    j->written = have;
    return CR_OK;
}

/* ---- libcurl callbacks ---- */

static int header_is(const char *line, size_t len, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return 0;
    *value = line + n + 1;
    return 1;
}

static void copy_value(char *dst, size_t size, const char *v, const char *end)
{
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - v);
    if (n >= size)
        n = size - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *user)
{
    struct fetch_job *j = user;
    size_t len = size * nitems;
    const char *v, *end = buf + len;
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or a 401 probe): forget the last */
        j->hdr_content_range[0] = j->hdr_etag[0] = j->hdr_last_modified[0] = '\0';
        j->hdr_retry_after = 0;
        j->got_body = j->discard = 0;
    } else if (header_is(buf, len, "Content-Range", &v)) {
        copy_value(j->hdr_content_range, sizeof j->hdr_content_range, v, end);
    } else if (header_is(buf, len, "ETag", &v)) {
        copy_value(j->hdr_etag, sizeof j->hdr_etag, v, end);
    } else if (header_is(buf, len, "Last-Modified", &v)) {
        copy_value(j->hdr_last_modified, sizeof j->hdr_last_modified, v, end);
    } else if (header_is(buf, len, "Retry-After", &v)) {
        char tmp[32];
        long secs;
        copy_value(tmp, sizeof tmp, v, end);
        if (cr_parse_long(tmp, &secs) == 0 && secs >= 0)
            j->hdr_retry_after = secs;
    }
    return len;
}

/* "bytes 100-199/1000" gives first 100 and total 1000; "bytes * /1000" (no
 * blank) gives first -1; total is -1 when the server writes "*". */
static int parse_content_range(const char *s, long long *first, long long *total)
{
    *first = *total = -1;
    if (strncasecmp(s, "bytes ", 6) != 0)
        return -1;
    s += 6;
    char *end;
    if (*s == '*') {
        s++;
    } else {
        errno = 0;
        *first = strtoll(s, &end, 10);
        if (end == s || *end != '-' || errno)
            return -1;
        s = end + 1;
        strtoll(s, &end, 10);
        if (end == s)
            return -1;
        s = end;
    }
    if (*s != '/')
        return -1;
    s++;
    if (*s == '*')
        return 0;
    errno = 0;
    *total = strtoll(s, &end, 10);
    return (end == s || errno) ? -1 : 0;
}

static size_t abort_with(struct fetch_job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static size_t abort_with(struct fetch_job *j, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->abort_msg, sizeof j->abort_msg, fmt, ap);
    va_end(ap);
    j->abort_code = code;
    return 0; /* fewer bytes than given: libcurl stops with CURLE_WRITE_ERROR */
}

/* The first body bytes of a response: check the status and what the server
 * says about the file before keeping anything. */
static size_t on_first_body(struct fetch_job *j)
{
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    j->got_body = 1;
    if (status != 200 && status != 206) {
        j->discard = 1;
        return 1;
    }
    struct cr_err err;
    long long announced = -1;
    if (status == 200) {
        curl_off_t cl = -1;
        curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        announced = (long long)cl;
        if (j->offset > 0) {
            cr_info("fetch: %s: the server sent the whole file instead of the rest; restarting "
                    "at byte 0",
                    j->shown);
            if (truncate_part(j, &err) != CR_OK)
                return abort_with(j, err.code, "%s", err.msg);
            j->offset = 0;
        }
    } else {
        long long first, total;
        if (parse_content_range(j->hdr_content_range, &first, &total) != 0 || first != j->offset) {
            j->restarts++;
            if (truncate_part(j, &err) != CR_OK)
                return abort_with(j, err.code, "%s", err.msg);
            return abort_with(j, 0,
                              "%s answered Range bytes=%lld- with Content-Range '%s'; restarting "
                              "at byte 0",
                              j->shown, j->offset, j->hdr_content_range);
        }
        announced = total;
        if (j->offset > 0) {
            j->eng->rep->resumed++;
            cr_info("fetch: resuming %s at byte %lld", j->me->name, j->offset);
        }
    }
    if (announced >= 0 && j->me->size >= 0 && announced != j->me->size)
        return abort_with(j, CR_EDATA,
                          "size mismatch for %s: the server announces %lld bytes, the manifest "
                          "says %lld (%s); fix size= or the URL",
                          j->shown, announced, j->me->size, j->where);
    if (announced >= 0 && j->total >= 0 && announced != j->total && j->offset > 0) {
        /* resumed against a file whose size changed: start over once */
        j->restarts++;
        if (truncate_part(j, &err) != CR_OK)
            return abort_with(j, err.code, "%s", err.msg);
        return abort_with(j, 0,
                          "%s: the server announced %lld bytes earlier and %lld now; restarting "
                          "at byte 0",
                          j->shown, j->total, announced);
    }
    j->total = announced;
    write_meta(j);
    return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    struct fetch_job *j = user;
    size_t len = size * nmemb;
    if (!j->got_body && on_first_body(j) == 0)
        return 0;
    if (j->discard)
        return len;
    long long limit = j->me->size >= 0 ? j->me->size : j->total;
    if (limit >= 0 && j->written + (long long)len > limit)
        return abort_with(j, CR_EDATA,
                          "size mismatch for %s: the server sent more than the %lld bytes %s; "
                          "the download was discarded",
                          j->shown, limit,
                          j->me->size >= 0 ? "the manifest gives" : "it announced");
    for (size_t done = 0; done < len;) {
        ssize_t n = pwrite(j->fd, data + done, len - done, j->written + (long long)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return abort_with(j, CR_EINTERNAL, "cannot write %s: %s (disk full?)", j->part,
                              n < 0 ? strerror(errno) : "no progress");
        done += (size_t)n;
    }
    cr_sha256_update(&j->hash, data, len);
    j->written += (long long)len;
    j->attempt_bytes += (long long)len;
    j->eng->bytes_done += (long long)len;
    return len;
}

static int on_xfer(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
    (void)user;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return cr_stop_requested() ? 1 : 0;
}

/* ---- one attempt ---- */

int fetch_http_start(struct fetch_job *j, struct cr_err *err)
{
    struct part_meta pm;
    int rc = open_part(j, &pm, err);
    if (rc)
        return rc;
    long long known = j->me->size >= 0 ? j->me->size : j->total;
    j->offset = j->written;
    j->attempt_bytes = 0;
    j->got_body = j->discard = 0;
    j->abort_code = 0;
    j->abort_msg[0] = '\0';
    j->errbuf[0] = '\0';
    if (known >= 0 && j->written == known) {
        fetch_job_finish(j, CR_FETCH_DOWNLOADED); /* a complete part from an earlier run */
        return CR_OK;
    }
    const struct cr_fetch_opts *o = j->eng->o;
    CURL *e = curl_easy_init();
    if (!e)
        return cr_err_set(err, CR_EINTERNAL, "cannot create a libcurl handle");
    j->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, j->me->src);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "climrisk/" CR_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
    /* no overall timeout (files are gigabytes): a stalled transfer is one
     * that moves less than a byte a second for `timeout` seconds */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->timeout);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    if (o->netrc[0])
        curl_easy_setopt(e, CURLOPT_NETRC_FILE, o->netrc);
    if (o->user[0]) {
        curl_easy_setopt(e, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, o->password);
    }
    /* Basic or Digest, whichever the server asks for; credentials are not
     * sent to hosts a redirect leads to (CURLOPT_UNRESTRICTED_AUTH off). */
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
    if (j->offset > 0) {
        /* CURLOPT_RANGE rather than RESUME_FROM: libcurl then hands us a 200
         * answer from a server that ignores ranges, and we restart at 0 */
        snprintf(j->range, sizeof j->range, "%lld-", j->offset);
        curl_easy_setopt(e, CURLOPT_RANGE, j->range);
        const char *validator = NULL;
        if (pm.etag[0] && strncmp(pm.etag, "W/", 2) != 0)
            validator = pm.etag;
        else if (pm.last_modified[0])
            validator = pm.last_modified;
        if (validator) {
            char h[512];
            snprintf(h, sizeof h, "If-Range: %s", validator);
            j->headers = curl_slist_append(NULL, h);
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
        }
    }
    CURLMcode mc = curl_multi_add_handle(j->eng->multi, e);
    if (mc != CURLM_OK)
        return cr_err_set(err, CR_EINTERNAL, "libcurl: %s", curl_multi_strerror(mc));
    return CR_OK;
}

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
        return 1;
    default:
        return 0;
    }
}

static const char *status_advice(long status)
{
    switch (status) {
    case 401:
        return "authentication required: put credentials for this host in the netrc file "
               "([fetch] netrc, default ~/.netrc) or set CLIMRISK_HTTP_USER and "
               "CLIMRISK_HTTP_PASSWORD";
    case 403:
        return "forbidden: check that your account may download this file";
    case 404:
    case 410:
        return "not found: check the URL in the manifest (files are sometimes renamed "
               "with a new version)";
    default:
        return "the request was refused; check the URL and credentials";
    }
}

static void retry_later(struct fetch_job *j, const char *reason)
{
    struct fetch_engine *eng = j->eng;
    const struct cr_fetch_opts *o = eng->o;
    if (j->attempt_bytes > 0) {
        /* progress was made: continue at once, the failure count restarts */
        j->attempts = 0;
        j->not_before = 0;
        j->state = J_WAIT;
        cr_info("fetch: %s interrupted at byte %lld (%s); resuming", j->me->name, j->written,
                reason);
        return;
    }
    if (j->attempts >= o->retries) {
        fetch_job_fail(j, CR_EEXTERNAL, "%s: giving up after %d %s: %s (%s)", j->shown,
                       j->attempts + 1, j->attempts ? "attempts" : "attempt", reason, j->where);
        return;
    }
    j->attempts++;
    double delay = o->retry_delay;
    for (int k = 1; k < j->attempts && delay < 3600; k++)
        delay *= 2;
    eng->rng = eng->rng * 1103515245u + 12345u;
    delay *= 0.8 + 0.4 * (double)((eng->rng >> 16) & 0x7fff) / 32767.0; /* +-20% jitter */
    if (delay > 3600)
        delay = 3600;
    if (j->hdr_retry_after > delay && j->hdr_retry_after <= 3600)
        delay = (double)j->hdr_retry_after;
    j->not_before = cr_now() + delay;
    j->state = J_WAIT;
    eng->rep->retries++;
    cr_warn("fetch: %s: %s; retry %d/%d in %.1f s", j->shown, reason, j->attempts, o->retries,
            delay);
}

void fetch_http_done(struct fetch_job *j, CURLcode rc)
{
    struct fetch_engine *eng = j->eng;
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(eng->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    curl_slist_free_all(j->headers);
    j->headers = NULL;
    eng->active--;
    char reason[CR_ERR_MSG_MAX];

    if (j->abort_code != 0) {
        if (j->abort_code == CR_EDATA)
            fetch_part_discard(j);
        fetch_job_fail(j, j->abort_code, "%s", j->abort_msg);
        return;
    }
    if (j->abort_msg[0]) { /* a restart from byte 0 was decided */
        if (j->restarts > 2) {
            fetch_job_fail(j, CR_EEXTERNAL, "%s (restarted %d times; giving up)", j->abort_msg,
                           j->restarts);
            return;
        }
        cr_warn("fetch: %s", j->abort_msg);
        j->state = J_WAIT;
        j->not_before = 0;
        return;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        fetch_job_fail(j, CR_EINTERRUPT,
                       "%s: interrupted at byte %lld (the partial download is "
                       "kept and resumed by the next run)",
                       j->shown, j->written);
        return;
    }
    if (rc == CURLE_OK) {
        if (status == 200 || status == 206) {
            if (j->total >= 0 && j->written != j->total) {
                snprintf(reason, sizeof reason,
                         "the transfer ended at byte %lld of the %lld announced", j->written,
                         j->total);
                retry_later(j, reason);
                return;
            }
            fetch_job_finish(j, CR_FETCH_DOWNLOADED);
            return;
        }
        if (status == 416 && j->offset > 0) {
            long long first, total;
            if (parse_content_range(j->hdr_content_range, &first, &total) == 0 &&
                total == j->offset && (j->me->size < 0 || j->me->size == total)) {
                fetch_job_finish(j, CR_FETCH_DOWNLOADED); /* the part was complete */
                return;
            }
            struct cr_err err;
            j->restarts++;
            if (j->restarts > 2 || truncate_part(j, &err) != CR_OK) {
                fetch_job_fail(j, CR_EEXTERNAL,
                               "%s: HTTP 416 (range not satisfiable) for a resume at byte %lld; "
                               "delete %s and retry",
                               j->shown, j->offset, j->part);
                return;
            }
            cr_warn("fetch: %s: the server refuses to resume at byte %lld; restarting at byte 0",
                    j->shown, j->offset);
            j->state = J_WAIT;
            j->not_before = 0;
            return;
        }
        if (status == 408 || status == 429 || status >= 500) {
            snprintf(reason, sizeof reason, "HTTP %ld", status);
            retry_later(j, reason);
            return;
        }
        if (status == 404 || status == 410)
            fetch_part_discard(j);
        if (status >= 400)
            fetch_job_fail(j, CR_EEXTERNAL, "HTTP %ld for %s: %s (%s)", status, j->shown,
                           status_advice(status), j->where);
        else
            fetch_job_fail(j, CR_EEXTERNAL, "unexpected HTTP status %ld for %s (%s)", status,
                           j->shown, j->where);
        return;
    }
    int n = snprintf(reason, sizeof reason, "%s%s%s", curl_easy_strerror(rc),
                     j->errbuf[0] ? ": " : "", j->errbuf);
    if (j->total >= 0 && n > 0 && (size_t)n < sizeof reason)
        snprintf(reason + n, sizeof reason - (size_t)n, " (at byte %lld of the %lld announced)",
                 j->written, j->total);
    if (retryable_curl(rc)) {
        retry_later(j, reason);
        return;
    }
    fetch_job_fail(j, CR_EEXTERNAL, "%s: %s (%s)", j->shown, reason, j->where);
}
