/* fetch.c — the fetch loop: cache lookups, a bounded number of transfers
 * (libcurl multi interface for HTTP, chunked copies for local files, run in
 * the same loop so that neither starves the other), verification and
 * publication into the cache; see fetch.h. HTTP details are in
 * fetch_http.c. */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <netcdf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "../core/strutil.h"
#include "fetch_job.h"
#include "url.h"

#define COPY_CHUNK           (1 << 20)
#define COPY_CHUNKS_PER_TURN 4

void cr_fetch_opts_defaults(struct cr_fetch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 4;
    o->timeout = 600;
    o->connect_timeout = 30;
    o->retries = 5;
    o->retry_delay = 2.0;
    o->probe_opendap = 1;
}

void cr_fetch_report_free(struct cr_fetch_report *rep)
{
    free(rep->results);
    rep->results = NULL;
}

/* Most serious first. */
static int severity(int code)
{
    switch (code) {
    case CR_EINTERRUPT:
        return 6;
    case CR_EINTERNAL:
        return 5;
    case CR_EDATA:
        return 4;
    case CR_EEXTERNAL:
        return 3;
    case CR_EBUSY:
        return 2;
    case CR_OK:
        return 0;
    default:
        return 1;
    }
}

void fetch_job_fail(struct fetch_job *j, int code, const char *fmt, ...)
{
    struct fetch_engine *eng = j->eng;
    char msg[CR_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fetch_part_close(j);
    if (j->src_fd >= 0)
        close(j->src_fd);
    j->src_fd = -1;
    j->state = J_DONE;
    j->res->outcome = CR_FETCH_FAILED;
    j->res->code = code;
    eng->nfailed++;
    eng->rep->failed++;
    if (code != CR_EINTERRUPT)
        cr_error("fetch: FAILED %s", msg);
    if (severity(code) > severity(eng->worst)) {
        eng->worst = code;
        cr_err_set(&eng->first, code, "%s", msg);
    }
}

static void stamp_of(const struct stat *st, char *out, size_t size)
{
    snprintf(out, size, "%lld:%lld.%09ld", (long long)st->st_size, (long long)st->st_mtim.tv_sec,
             (long)st->st_mtim.tv_nsec);
}

static const char *source_of(const struct fetch_job *j)
{
    return j->shown; /* the path for files, the redacted URL otherwise */
}

/* Record a cached object for job j in the index and the link tree. */
static int record(struct fetch_job *j, const char *sha, long long size, const char *rel,
                  const char *stamp, int save_now, struct cr_err *err)
{
    struct fetch_engine *eng = j->eng;
    const struct cr_manifest_entry *me = j->me;
    struct cr_cache_entry ce;
    memset(&ce, 0, sizeof ce);
    cr_strlcpy(ce.model, me->model, sizeof ce.model);
    cr_strlcpy(ce.scenario, me->scenario, sizeof ce.scenario);
    cr_strlcpy(ce.variable, me->variable, sizeof ce.variable);
    cr_strlcpy(ce.period, me->period, sizeof ce.period);
    cr_strlcpy(ce.kind, me->kind == CR_SRC_OPENDAP ? "opendap" : "file", sizeof ce.kind);
    ce.size = size;
    cr_strlcpy(ce.sha256, sha, sizeof ce.sha256);
    cr_strlcpy(ce.name, me->name, sizeof ce.name);
    cr_strlcpy(ce.source, source_of(j), sizeof ce.source);
    cr_strlcpy(ce.stamp, stamp, sizeof ce.stamp);
    cr_strlcpy(ce.rel, rel, sizeof ce.rel);
    int changed = 0;
    int rc = cr_cache_put(&eng->cache, &ce, &changed, err);
    if (rc == CR_OK) {
        const struct cr_cache_entry *put = cr_cache_find_source(&eng->cache, ce.source, ce.name);
        rc = put ? cr_cache_link(&eng->cache, put, err) : CR_OK;
        if (put)
            cr_strlcpy(j->res->path, put->path, sizeof j->res->path);
    }
    /* Published files are indexed at once (a killed run keeps them); the
     * many lookups of a rerun are saved together (see cr_fetch_run). */
    if (rc == CR_OK && changed && save_now)
        rc = cr_cache_save(&eng->cache, err);
    else if (changed)
        eng->dirty = 1;
    j->res->size = size;
    cr_strlcpy(j->res->sha256, sha, sizeof j->res->sha256);
    return rc;
}

static void done_ok(struct fetch_job *j, enum cr_fetch_outcome outcome)
{
    j->state = J_DONE;
    j->res->outcome = outcome;
    j->res->code = CR_OK;
    struct cr_fetch_report *rep = j->eng->rep;
    switch (outcome) {
    case CR_FETCH_DOWNLOADED:
        rep->downloaded++;
        break;
    case CR_FETCH_COPIED:
        rep->copied++;
        break;
    case CR_FETCH_CACHED:
        rep->cached++;
        break;
    case CR_FETCH_REMOTE:
        rep->remote++;
        break;
    default:
        break;
    }
}

void fetch_job_finish(struct fetch_job *j, enum cr_fetch_outcome outcome)
{
    const struct cr_manifest_entry *me = j->me;
    long long size = j->written;
    char hex[CR_SHA256_HEX];
    cr_sha256_final(&j->hash, hex);
    j->hashing = 0;
    if (me->size >= 0 && size != me->size) {
        fetch_part_discard(j);
        fetch_job_fail(j, CR_EDATA,
                       "size mismatch for %s: expected %lld bytes (%s), got %lld; the %s was "
                       "discarded",
                       j->shown, me->size, j->where, size,
                       outcome == CR_FETCH_COPIED ? "copy" : "download");
        return;
    }
    if (me->sha256[0] && strcmp(hex, me->sha256) != 0) {
        fetch_part_discard(j);
        fetch_job_fail(j, CR_EDATA,
                       "checksum mismatch for %s: expected sha256 %s (%s), got %s; the %s was "
                       "discarded",
                       j->shown, me->sha256, j->where, hex,
                       outcome == CR_FETCH_COPIED ? "copy" : "download");
        return;
    }
    struct cr_err err;
    char rel[256], obj[CR_PATH_MAX], dir[CR_PATH_MAX];
    if (cr_cache_object_rel(hex, me->name, rel, sizeof rel) != 0 ||
        cr_path_join(obj, sizeof obj, j->eng->o->cache_dir, rel) != 0) {
        fetch_part_discard(j);
        fetch_job_fail(j, CR_EUSAGE, "cache path too long for %s", j->shown);
        return;
    }
    cr_dirname(obj, dir, sizeof dir);
    int rc = cr_mkdir_p(dir, &err);
    if (rc == CR_OK && cr_file_size(obj) == size) {
        unlink(j->part); /* the same content came from elsewhere before */
    } else if (rc == CR_OK) {
        rc = cr_publish(j->part, obj, &err);
    }
    fetch_part_close(j);
    if (j->meta[0])
        unlink(j->meta);
    if (rc == CR_OK)
        rc = record(j, hex, size, rel, outcome == CR_FETCH_COPIED ? j->stamp : "", 1, &err);
    if (rc != CR_OK) {
        fetch_job_fail(j, rc, "%s: %s", j->shown, err.msg);
        return;
    }
    double dt = cr_now() - j->t_start;
    cr_info("fetch: %s %s (%.1f MB in %.1f s, %.1f MB/s) from %s",
            outcome == CR_FETCH_COPIED ? "copied" : "downloaded", me->name, (double)size / 1e6, dt,
            dt > 0 ? (double)size / 1e6 / dt : 0.0, j->shown);
    done_ok(j, outcome);
}

/* ---- cache hits ---- */

static int object_ok(struct fetch_job *j, const char *path, long long size, const char *sha)
{
    long long have = cr_file_size(path);
    if (have < 0 || (size >= 0 && have != size) || (j->me->size >= 0 && have != j->me->size))
        return 0;
    if (j->eng->o->verify) {
        char hex[CR_SHA256_HEX];
        struct cr_err err;
        if (cr_sha256_file(path, hex, &err) != CR_OK || strcmp(hex, sha) != 0) {
            cr_warn("fetch: cached %s does not match its sha256 any more; removing it", path);
            unlink(path);
            return 0;
        }
    }
    return 1;
}

/* 1 when the entry is already in the cache (and recorded), 0 otherwise. */
static int try_cache(struct fetch_job *j)
{
    const struct cr_manifest_entry *me = j->me;
    struct fetch_engine *eng = j->eng;
    char sha[CR_SHA256_HEX] = "", rel[256], obj[CR_PATH_MAX], stamp[64] = "";
    long long size = me->size;
    if (me->kind == CR_SRC_FILE) {
        struct stat st;
        if (stat(me->src, &st) == 0)
            stamp_of(&st, stamp, sizeof stamp);
    }
    if (me->sha256[0]) {
        cr_strlcpy(sha, me->sha256, sizeof sha);
    } else {
        const struct cr_cache_entry *ce = cr_cache_find_source(&eng->cache, source_of(j), me->name);
        if (!ce || strcmp(ce->kind, "file") != 0)
            return 0;
        if (me->kind == CR_SRC_FILE && strcmp(ce->stamp, stamp) != 0)
            return 0; /* the local file changed since it was copied */
        cr_strlcpy(sha, ce->sha256, sizeof sha);
        size = ce->size;
    }
    if (cr_cache_object_rel(sha, me->name, rel, sizeof rel) != 0 ||
        cr_path_join(obj, sizeof obj, eng->o->cache_dir, rel) != 0 || !object_ok(j, obj, size, sha))
        return 0;
    struct cr_err err;
    if (record(j, sha, cr_file_size(obj), rel, stamp, 0, &err) != CR_OK) {
        fetch_job_fail(j, err.code, "%s", err.msg);
        return 1;
    }
    cr_debug("fetch: %s is already in the cache", me->name);
    done_ok(j, CR_FETCH_CACHED);
    return 1;
}

/* ---- OPeNDAP ---- */

static void opendap_job(struct fetch_job *j)
{
    const struct cr_manifest_entry *me = j->me;
    if (j->eng->o->probe_opendap) {
        int ncid, varid;
        int st = nc_open(me->src, NC_NOWRITE, &ncid);
        if (st != NC_NOERR) {
            fetch_job_fail(j, CR_EEXTERNAL,
                           "cannot open OPeNDAP source %s with netCDF-C: %s (%s); check the URL "
                           "in a browser with .dds appended",
                           j->shown, nc_strerror(st), j->where);
            return;
        }
        st = nc_inq_varid(ncid, me->variable, &varid);
        nc_close(ncid);
        if (st != NC_NOERR) {
            fetch_job_fail(j, CR_EDATA, "OPeNDAP source %s has no variable '%s' (%s)", j->shown,
                           me->variable, j->where);
            return;
        }
    }
    struct cr_err err;
    if (record(j, "", -1, j->shown, "", 0, &err) != CR_OK) {
        fetch_job_fail(j, err.code, "%s", err.msg);
        return;
    }
    cr_info("fetch: %s recorded as a remote OPeNDAP source%s", j->shown,
            j->eng->o->probe_opendap ? " (opened with netCDF-C)" : "");
    done_ok(j, CR_FETCH_REMOTE);
}

/* ---- local copies ---- */

static int local_start(struct fetch_job *j, struct cr_err *err)
{
    const struct cr_manifest_entry *me = j->me;
    j->src_fd = open(me->src, O_RDONLY | O_CLOEXEC);
    if (j->src_fd < 0)
        return cr_err_set(err, CR_EDATA, "cannot read %s (%s): %s", me->src, j->where,
                          strerror(errno));
    struct stat st;
    if (fstat(j->src_fd, &st) != 0)
        return cr_err_set(err, CR_EDATA, "cannot stat %s: %s", me->src, strerror(errno));
    stamp_of(&st, j->stamp, sizeof j->stamp);
    j->total = (long long)st.st_size;
    if (me->size >= 0 && (long long)st.st_size != me->size)
        return cr_err_set(err, CR_EDATA,
                          "size mismatch for %s: expected %lld bytes (%s), the "
                          "file has %lld",
                          me->src, me->size, j->where, (long long)st.st_size);
    char key[CR_SHA256_HEX], base[CR_PATH_MAX];
    int rc = cr_sha256_buf(me->src, strlen(me->src), key, err);
    if (rc)
        return rc;
    int n = snprintf(base, sizeof base, "%s/%.40s.copy", j->eng->tmp_dir, key);
    if (n < 0 || (size_t)n >= sizeof base)
        return cr_err_set(err, CR_EUSAGE, "cache path too long: %s", j->eng->tmp_dir);
    if ((rc = cr_part_path(base, j->part, sizeof j->part, err)))
        return rc;
    j->fd = open(j->part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (j->fd < 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot create %s: %s", j->part, strerror(errno));
    if ((rc = cr_sha256_init(&j->hash, err)))
        return rc;
    j->hashing = 1;
    j->written = 0;
    return CR_OK;
}

/* Copy a few chunks; finish the job at end of file. */
static void local_step(struct fetch_job *j, char *buf)
{
    for (int k = 0; k < COPY_CHUNKS_PER_TURN; k++) {
        ssize_t n = read(j->src_fd, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            fetch_part_discard(j);
            j->eng->active--;
            fetch_job_fail(j, CR_EDATA, "cannot read %s: %s", j->me->src, strerror(e));
            return;
        }
        if (n == 0) {
            close(j->src_fd);
            j->src_fd = -1;
            j->eng->active--;
            fetch_job_finish(j, CR_FETCH_COPIED);
            return;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(j->fd, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                int e = errno;
                fetch_part_discard(j);
                j->eng->active--;
                fetch_job_fail(j, CR_EINTERNAL, "cannot write %s: %s (disk full?)", j->part,
                               strerror(e));
                return;
            }
            done += w;
        }
        cr_sha256_update(&j->hash, buf, (size_t)n);
        j->written += n;
        j->eng->bytes_done += n;
    }
}

/* ---- the loop ---- */

static void report_progress(struct fetch_engine *eng)
{
    if (!eng->o->progress)
        return;
    struct cr_fetch_progress p;
    memset(&p, 0, sizeof p);
    p.files_total = eng->njobs;
    p.bytes_done = eng->bytes_done;
    p.active = eng->active;
    for (size_t i = 0; i < eng->njobs; i++) {
        const struct fetch_job *j = &eng->jobs[i];
        if (j->state == J_DONE) {
            if (j->res->outcome == CR_FETCH_FAILED)
                p.files_failed++;
            else
                p.files_done++;
            if (j->res->outcome == CR_FETCH_DOWNLOADED || j->res->outcome == CR_FETCH_COPIED)
                p.bytes_total += j->res->size;
        } else {
            long long s = j->me->size >= 0 ? j->me->size : j->total;
            if (s > 0)
                p.bytes_total += s;
        }
    }
    eng->o->progress(eng->o->progress_user, &p);
}

static void start_job(struct fetch_job *j)
{
    struct cr_err err;
    cr_err_clear(&err);
    if (j->t_start == 0)
        j->t_start = cr_now();
    j->state = J_ACTIVE;
    j->eng->active++;
    int rc = j->me->kind == CR_SRC_FILE ? local_start(j, &err) : fetch_http_start(j, &err);
    if (rc != CR_OK) {
        j->eng->active--;
        if (j->me->kind == CR_SRC_FILE && j->part[0])
            fetch_part_discard(j);
        fetch_job_fail(j, rc, "%s", err.msg);
    } else if (j->state == J_DONE) {
        j->eng->active--; /* a complete part needed no request */
    }
}

static int run_loop(struct fetch_engine *eng)
{
    char *buf = malloc(COPY_CHUNK);
    if (!buf)
        return CR_EINTERNAL;
    double last_progress = 0;
    for (;;) {
        if (cr_stop_requested())
            break;
        double now = cr_now();
        double next_wake = now + 0.2;
        size_t left = 0;
        for (size_t i = 0; i < eng->njobs; i++) {
            struct fetch_job *j = &eng->jobs[i];
            if (j->state == J_DONE)
                continue;
            left++;
            if (j->state == J_WAIT && j->not_before > now) {
                if (j->not_before < next_wake)
                    next_wake = j->not_before;
                continue;
            }
            if ((j->state == J_QUEUED || j->state == J_WAIT) && eng->active < eng->o->jobs)
                start_job(j);
        }
        if (left == 0)
            break;
        int copying = 0;
        for (size_t i = 0; i < eng->njobs; i++) {
            struct fetch_job *j = &eng->jobs[i];
            if (j->state == J_ACTIVE && j->me->kind == CR_SRC_FILE) {
                local_step(j, buf);
                copying = 1;
            }
        }
        int running = 0;
        curl_multi_perform(eng->multi, &running);
        CURLMsg *msg;
        int queued;
        while ((msg = curl_multi_info_read(eng->multi, &queued)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            char *priv = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            if (priv)
                fetch_http_done((struct fetch_job *)priv, msg->data.result);
        }
        now = cr_now();
        if (now - last_progress >= 0.1) {
            report_progress(eng);
            last_progress = now;
        }
        int wait_ms = copying ? 0 : (int)((next_wake - now) * 1000);
        if (wait_ms < 0)
            wait_ms = 0;
        if (wait_ms > 200)
            wait_ms = 200;
        if (wait_ms > 0 || running)
            curl_multi_poll(eng->multi, NULL, 0, wait_ms, NULL);
    }
    free(buf);
    if (cr_stop_requested()) {
        for (size_t i = 0; i < eng->njobs; i++) {
            struct fetch_job *j = &eng->jobs[i];
            if (j->state == J_DONE)
                continue;
            if (j->easy) {
                curl_multi_remove_handle(eng->multi, j->easy);
                curl_easy_cleanup(j->easy);
                j->easy = NULL;
                curl_slist_free_all(j->headers);
                j->headers = NULL;
            }
            if (j->me->kind == CR_SRC_FILE && j->part[0] && j->state == J_ACTIVE)
                fetch_part_discard(j); /* a copy is not resumed: start again next time */
            fetch_job_fail(j, CR_EINTERRUPT, "interrupted");
        }
        eng->active = 0;
    }
    report_progress(eng);
    return CR_OK;
}

static int lock_cache(const char *dir, int wait, int *fd_out, struct cr_err *err)
{
    char path[CR_PATH_MAX];
    if (cr_path_join(path, sizeof path, dir, "lock") != 0)
        return cr_err_set(err, CR_EUSAGE, "cache path too long: %s", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK || !wait) {
            char holder[32] = "";
            ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
            holder[n > 0 ? n : 0] = '\0';
            holder[strcspn(holder, "\n")] = '\0';
            close(fd);
            return cr_err_set(err, CR_EBUSY,
                              "another climrisk fetch (pid %s) is using the cache %s; wait for "
                              "it or use --wait",
                              holder[0] ? holder : "?", dir);
        }
        cr_info("fetch: waiting for another climrisk fetch using %s", dir);
        if (flock(fd, LOCK_EX) != 0) {
            close(fd);
            return cr_err_set(err, CR_EINTERNAL, "cannot lock %s: %s", path, strerror(errno));
        }
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        cr_debug("fetch: could not record our pid in %s", path);
    *fd_out = fd;
    return CR_OK;
}

int cr_fetch_run(const struct cr_manifest *m, const struct cr_fetch_opts *o,
                 struct cr_fetch_report *rep, struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = cr_now();
    if (o->jobs < 1 || o->timeout < 1 || o->connect_timeout < 1 || o->retries < 0 ||
        o->retry_delay < 0 || !o->cache_dir[0])
        return cr_err_set(err, CR_EUSAGE, "invalid fetch options (jobs, timeouts, cache)");
    rep->files = m->n;
    rep->results = calloc(m->n ? m->n : 1, sizeof *rep->results);
    struct fetch_engine eng;
    memset(&eng, 0, sizeof eng);
    eng.jobs = calloc(m->n ? m->n : 1, sizeof *eng.jobs);
    if (!rep->results || !eng.jobs) {
        free(eng.jobs);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    eng.o = o;
    eng.rep = rep;
    eng.njobs = m->n;
    eng.rng = (unsigned)getpid();
    cr_err_clear(&eng.first);
    int lock_fd = -1;
    int rc = cr_mkdir_p(o->cache_dir, err);
    if (rc == CR_OK && cr_path_join(eng.tmp_dir, sizeof eng.tmp_dir, o->cache_dir, "tmp") != 0)
        rc = cr_err_set(err, CR_EUSAGE, "cache path too long: %s", o->cache_dir);
    if (rc == CR_OK)
        rc = cr_mkdir_p(eng.tmp_dir, err);
    if (rc == CR_OK)
        rc = lock_cache(o->cache_dir, o->wait_lock, &lock_fd, err);
    if (rc == CR_OK) {
        int removed = cr_remove_stale_parts(eng.tmp_dir);
        if (removed)
            cr_info("fetch: removed %d temporary files left by killed runs", removed);
        rc = cr_cache_load(&eng.cache, o->cache_dir, err);
    }
    if (rc != CR_OK) {
        if (lock_fd >= 0)
            close(lock_fd);
        free(eng.jobs);
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(eng.multi = curl_multi_init())) {
        cr_cache_free(&eng.cache);
        close(lock_fd);
        free(eng.jobs);
        return cr_err_set(err, CR_EINTERNAL, "cannot initialise libcurl");
    }
    curl_multi_setopt(eng.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->jobs);

    for (size_t i = 0; i < m->n; i++) {
        struct fetch_job *j = &eng.jobs[i];
        j->me = &m->e[i];
        j->res = &rep->results[i];
        j->res->size = -1;
        j->eng = &eng;
        j->fd = j->src_fd = -1;
        j->total = -1;
        if (j->me->kind == CR_SRC_FILE)
            cr_strlcpy(j->shown, j->me->src, sizeof j->shown);
        else
            cr_url_redact(j->me->src, j->shown, sizeof j->shown);
        cr_manifest_where(j->me, j->where, sizeof j->where);
        if (j->me->kind == CR_SRC_HTTP) {
            char key[CR_SHA256_HEX];
            struct cr_err e2;
            if (cr_sha256_buf(j->shown, strlen(j->shown), key, &e2) == CR_OK) {
                int n1 = snprintf(j->part, sizeof j->part, "%s/%.40s.part", eng.tmp_dir, key);
                int n2 = snprintf(j->meta, sizeof j->meta, "%s/%.40s.meta", eng.tmp_dir, key);
                if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof j->part ||
                    (size_t)n2 >= sizeof j->meta)
                    j->part[0] = j->meta[0] = '\0';
            }
        }
    }
    cr_info("fetch: %zu files into %s (%d parallel transfers, timeout %ld s, %d retries)", m->n,
            o->cache_dir, o->jobs, o->timeout, o->retries);
    for (size_t i = 0; i < m->n && !cr_stop_requested(); i++) {
        struct fetch_job *j = &eng.jobs[i];
        if (j->me->kind == CR_SRC_OPENDAP)
            opendap_job(j);
        else
            try_cache(j);
    }
    run_loop(&eng);
    if (eng.dirty) {
        struct cr_err e2;
        if (cr_cache_save(&eng.cache, &e2) != CR_OK) {
            cr_error("fetch: %s", e2.msg);
            if (severity(CR_EINTERNAL) > severity(eng.worst)) {
                eng.worst = CR_EINTERNAL;
                cr_err_set(&eng.first, CR_EINTERNAL, "%s", e2.msg);
            }
            eng.nfailed++;
        }
    }

    for (size_t i = 0; i < eng.njobs; i++)
        fetch_part_close(&eng.jobs[i]);
    curl_multi_cleanup(eng.multi);
    curl_global_cleanup();
    cr_cache_free(&eng.cache);
    close(lock_fd);
    rep->seconds = cr_now() - t0;
    rep->bytes_transferred = eng.bytes_done;
    for (size_t i = 0; i < m->n; i++) {
        if (rep->results[i].outcome == CR_FETCH_DOWNLOADED)
            rep->bytes_downloaded += rep->results[i].size;
        else if (rep->results[i].outcome == CR_FETCH_COPIED)
            rep->bytes_copied += rep->results[i].size;
    }
    free(eng.jobs);
    if (eng.nfailed == 0)
        return CR_OK;
    if (eng.worst == CR_EINTERRUPT)
        return cr_err_set(err, CR_EINTERRUPT,
                          "interrupted; %zu of %zu files not fetched (partial downloads are kept "
                          "and resumed by the next run)",
                          eng.nfailed, m->n);
    if (eng.nfailed == 1)
        return cr_err_set(err, eng.worst, "%s", eng.first.msg);
    return cr_err_set(err, eng.worst, "%zu of %zu files failed; the most serious: %s", eng.nfailed,
                      m->n, eng.first.msg);
}
