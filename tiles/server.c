/* server.c — the tile server's HTTP plumbing: libmicrohttpd daemon and its
 * limits, routing, responses (ETag, gzip, CORS, cache headers), one log
 * line per request, counters, and the guard against clients that never
 * finish sending their headers. See server.h. */
#include "server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/strutil.h"
#include "../sql/pgutil.h"
#include "http_util.h"
#include "server_int.h"

#define MAX_URL_LEN       2048
#define CONN_MEMORY_LIMIT (32 * 1024) /* request line + headers must fit */

/* A connection MHD has accepted, tracked until it has sent a complete
 * request: MHD's timeout is one of inactivity, so a client trickling a
 * header byte every few seconds would hold its connection for ever. The
 * sweeper thread shuts such sockets down once their deadline passes; MHD
 * then sees the socket end and closes the connection itself. */
struct cr_sock {
    int fd;
    _Atomic double deadline; /* 0 = inside a request (the handler has it) */
    struct cr_sock *prev, *next;
};

void cr_serve_defaults(struct cr_serve_opts *o)
{
    memset(o, 0, sizeof *o);
    cr_strlcpy(o->listen, "127.0.0.1", sizeof o->listen);
    o->port = 8080;
    o->max_connections = 256;
    o->timeout = 30;
    o->threads = 2;
    o->db_connections = 4;
    o->statement_timeout_ms = 5000;
    cr_strlcpy(o->db_schema, "datamart", sizeof o->db_schema);
    cr_strlcpy(o->cors_origin, "*", sizeof o->cors_origin);
}

/* ------------------------------------------------------------ responses */

void cr_add_cors(struct cr_server *s, struct MHD_Response *resp)
{
    if (!s->o.cors_origin[0])
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", s->o.cors_origin);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "ETag, Content-Range, Content-Length, Content-Encoding, Accept-Ranges");
}

enum MHD_Result cr_queue(struct MHD_Connection *c, struct cr_req *rq, int status,
                         struct MHD_Response *resp, uint64_t body_len)
{
    rq->status = status;
    rq->bytes = body_len;
    MHD_add_response_header(resp, "Server", "climrisk");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void free_cb(void *p)
{
    free(p);
}

enum MHD_Result cr_reply_buffer(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                const struct cr_reply *r)
{
    char etag[80] = "";
    if (r->status == 200) {
        if (r->etag) {
            cr_strlcpy(etag, r->etag, sizeof etag);
        } else {
            char hex[CR_SHA256_HEX];
            struct cr_err err;
            if (cr_sha256_buf(r->body, r->len, hex, &err) == CR_OK)
                snprintf(etag, sizeof etag, "\"%.32s\"", hex);
        }
    }
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    struct MHD_Response *resp;
    int status = r->status;
    uint64_t sent = 0;
    if (etag[0] && inm && cr_http_etag_matches(inm, etag)) {
        if (r->free_body)
            free((void *)r->body);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_NOT_MODIFIED;
    } else {
        const void *body = r->body;
        size_t len = r->len;
        int owned = r->free_body;
        const char *encoding = r->content_encoding;
        if (r->compressible && !encoding && len > 512 && rq->gzip_ok) {
            unsigned char *gz;
            size_t gzlen;
            if (cr_gzip(body, len, 5, &gz, &gzlen) == 0) {
                if (owned)
                    free((void *)body);
                body = gz;
                len = gzlen;
                owned = 1;
                encoding = "gzip";
            }
        }
        if (owned)
            resp = MHD_create_response_from_buffer_with_free_callback(len, (void *)body, free_cb);
        else
            resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!resp) {
            if (owned)
                free((void *)body);
            return MHD_NO;
        }
        sent = len;
        if (encoding)
            MHD_add_response_header(resp, "Content-Encoding", encoding);
        if (r->content_type)
            MHD_add_response_header(resp, "Content-Type", r->content_type);
    }
    if (!resp)
        return MHD_NO;
    if (r->compressible || r->content_encoding)
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    if (etag[0])
        MHD_add_response_header(resp, "ETag", etag);
    if (r->last_modified > 0) {
        char date[32];
        cr_http_date(r->last_modified, date);
        MHD_add_response_header(resp, "Last-Modified", date);
    }
    MHD_add_response_header(resp, "Cache-Control",
                            r->cache_control ? r->cache_control : "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    cr_add_cors(s, resp);
    return cr_queue(c, rq, status, resp, sent);
}

enum MHD_Result cr_reply_error(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                               int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct cr_sb b;
    cr_sb_init(&b);
    cr_sb_add(&b, "{\"error\":");
    cr_sb_add_json(&b, msg);
    cr_sb_addf(&b, ",\"status\":%d}\n", status);
    if (cr_sb_failed(&b)) {
        cr_sb_free(&b);
        return MHD_NO;
    }
    struct cr_reply r = {.status = status,
                         .content_type = "application/json; charset=utf-8",
                         .body = b.s,
                         .len = b.len,
                         .free_body = 1,
                         .cache_control = "no-store"};
    return cr_reply_buffer(s, c, rq, &r);
}

/* ------------------------------------------------------------ routing */

static enum MHD_Result reply_options(struct cr_server *s, struct MHD_Connection *c,
                                     struct cr_req *rq)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Allow", "GET, HEAD, OPTIONS");
    cr_add_cors(s, resp);
    if (s->o.cors_origin[0]) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Range, If-None-Match, If-Modified-Since, If-Range, If-Match");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
    }
    return cr_queue(c, rq, MHD_HTTP_NO_CONTENT, resp, 0);
}

static enum MHD_Result route(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                             const char *url)
{
    if (strncmp(url, "/api/", 5) == 0) {
        const char *p = url + 5;
        if (strcmp(p, "catalog") == 0)
            return cr_handle_catalog(s, c, rq);
        if (strcmp(p, "health") == 0) {
            char body[128];
            int n = snprintf(body, sizeof body, "{\"status\":\"ok\",\"datamart\":%s}\n",
                             cr_dbpool_ok(s) ? "true" : "false");
            struct cr_reply r = {.status = 200,
                                 .content_type = "application/json; charset=utf-8",
                                 .body = body,
                                 .len = (size_t)n,
                                 .cache_control = "no-store"};
            return cr_reply_buffer(s, c, rq, &r);
        }
        if (strcmp(p, "info") == 0 || strcmp(p, "legend") == 0 || strcmp(p, "available") == 0)
            return cr_handle_db(s, c, rq, url);
        return cr_reply_error(s, c, rq, 404,
                              "unknown API endpoint '%s' (known: /api/catalog, /api/info, "
                              "/api/legend, /api/available, /api/health)",
                              url);
    }
    if (strncmp(url, "/live/", 6) == 0) {
        const char *p = url + 6;
        size_t n = strlen(p);
        if (n > 5 && strcmp(p + n - 5, ".json") == 0) {
            char layer[32];
            if (n - 5 >= sizeof layer)
                return cr_reply_error(s, c, rq, 404, "unknown live layer");
            memcpy(layer, p, n - 5);
            layer[n - 5] = '\0';
            return cr_handle_live_tilejson(s, c, rq, layer);
        }
        return cr_handle_db(s, c, rq, url);
    }
    if (strncmp(url, "/tiles/", 7) == 0)
        return cr_handle_tiles(s, c, rq, url + 7);
    if (!s->web_real[0])
        return cr_reply_error(s, c, rq, 404,
                              "no viewer is served (build it with 'make web' or pass --web DIR)");
    const char *rel = url + 1;
    if (*rel == '\0')
        rel = "index.html";
    return cr_serve_file(s, c, rq, s->web_real, rel,
                         strcmp(rel, "index.html") == 0 ? "no-cache" : "public, max-age=300");
}

static struct cr_sock *sock_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (struct cr_sock *)ci->socket_context : NULL;
}

/* The request announces a body (which the server never accepts). */
static int has_body(struct MHD_Connection *c)
{
    const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    return (clen && strcmp(clen, "0") != 0) ||
           MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    struct cr_server *s = cls;
    struct cr_req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        rq->t0 = cr_now();
        cr_strlcpy(rq->method, method, sizeof rq->method);
        cr_strlcpy(rq->url, url, sizeof rq->url);
        atomic_fetch_add(&s->n_requests, 1);
        struct cr_sock *sk = sock_of(c);
        if (sk)
            atomic_store(&sk->deadline, 0.0); /* lock-free: requests are the hot path */
        rq->gzip_ok = cr_http_accepts_gzip(
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
        /* Answer a plain GET/HEAD from the next call: libmicrohttpd 0.9.75
         * (Debian 12) closes the connection after a response queued in the
         * first call, which cost every request a new TCP connection
         * (bench/serve.sh). Requests with a body or another method are
         * answered (refused) at once, connection closed, before any body
         * is read. */
        if (!has_body(c) && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
            return MHD_YES;
    }
    if (rq->job) { /* resumed: the datamart answered */
        struct cr_job *j = rq->job;
        if (!j->done)
            return MHD_YES; /* spurious wake-up */
        rq->job = NULL;
        struct cr_reply r = {.status = j->status,
                             .content_type = j->content_type,
                             .body = j->body,
                             .len = j->len,
                             .free_body = 1,
                             .compressible = j->compressible,
                             .cache_control = j->cache_control};
        j->body = NULL;
        free(j);
        if (!r.body) {
            r.body = malloc(1);
            r.len = 0;
        }
        return cr_reply_buffer(s, c, rq, &r);
    }
    if (rq->status)
        return MHD_YES; /* already answered; discard any body */
    if (*upload_data_size > 0) {
        *upload_data_size = 0;
        return cr_reply_error(s, c, rq, 413, "request bodies are not accepted");
    }
    if (strcmp(method, "OPTIONS") == 0)
        return reply_options(s, c, rq);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, "Allow", "GET, HEAD, OPTIONS");
        cr_add_cors(s, resp);
        return cr_queue(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, resp, 0);
    }
    if (has_body(c))
        return cr_reply_error(s, c, rq, 413, "request bodies are not accepted");
    if (url[0] != '/')
        return cr_reply_error(s, c, rq, 400, "the request target must be a path");
    if (strlen(url) > MAX_URL_LEN)
        return cr_reply_error(s, c, rq, 414, "URL longer than %d bytes", MAX_URL_LEN);
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return cr_reply_error(s, c, rq, 400, "control character or backslash in the path");
    return route(s, c, rq, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct cr_server *s = cls;
    struct cr_req *rq = *con_cls;
    struct cr_sock *sk = sock_of(c);
    if (sk)
        atomic_store(&sk->deadline, cr_now() + s->o.timeout);
    if (!rq)
        return;
    *con_cls = NULL;
    int st = rq->status;
    if (st >= 500 || (st == 0 && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK))
        atomic_fetch_add(&s->n_5xx, st ? 1 : 0);
    if (st >= 200 && st < 300)
        atomic_fetch_add(&s->n_2xx, 1);
    else if (st >= 300 && st < 400)
        atomic_fetch_add(&s->n_3xx, 1);
    else if (st >= 400 && st < 500)
        atomic_fetch_add(&s->n_4xx, 1);
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        atomic_fetch_add(&s->n_bytes, rq->bytes);
    if (cr_log_level() >= CR_LOG_DEBUG)
        cr_debug("serve: %s %s %d %llu B %.2f ms%s", rq->method, rq->url, st,
                 (unsigned long long)rq->bytes, (cr_now() - rq->t0) * 1e3,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    if (rq->job) {
        /* never resumed (daemon shutdown): the pool owns and frees it */
        rq->job = NULL;
    }
    free(rq);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct cr_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct cr_sock *sk = calloc(1, sizeof *sk);
        if (!sk)
            return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        sk->fd = ci ? ci->connect_fd : -1;
        pthread_mutex_lock(&s->socks_lock);
        sk->deadline = cr_now() + s->o.timeout;
        sk->next = s->socks;
        if (s->socks)
            s->socks->prev = sk;
        s->socks = sk;
        pthread_mutex_unlock(&s->socks_lock);
        *socket_context = sk;
        return;
    }
    struct cr_sock *sk = *socket_context;
    if (!sk)
        return;
    pthread_mutex_lock(&s->socks_lock);
    if (sk->prev)
        sk->prev->next = sk->next;
    else
        s->socks = sk->next;
    if (sk->next)
        sk->next->prev = sk->prev;
    pthread_mutex_unlock(&s->socks_lock);
    free(sk);
    *socket_context = NULL;
}

static void *sweeper_main(void *arg)
{
    struct cr_server *s = arg;
    while (!atomic_load(&s->stopping)) {
        usleep(250 * 1000);
        double now = cr_now();
        int n = 0;
        pthread_mutex_lock(&s->socks_lock);
        for (struct cr_sock *sk = s->socks; sk; sk = sk->next) {
            double dl = atomic_load(&sk->deadline);
            if (dl > 0 && now > dl && sk->fd >= 0) {
                shutdown(sk->fd, SHUT_RDWR); /* MHD closes it on its next read */
                atomic_store(&sk->deadline, 0.0);
                n++;
            }
        }
        pthread_mutex_unlock(&s->socks_lock);
        if (n)
            cr_debug("serve: closed %d connection(s) that sent no complete request in %d s", n,
                     s->o.timeout);
    }
    return NULL;
}

static size_t unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return cr_http_unescape(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    cr_debug("serve: libmicrohttpd: %s", msg);
}

/* ------------------------------------------------------------ life cycle */

static int resolve_dir(const char *dir, const char *what, char *real, struct cr_err *err)
{
    real[0] = '\0';
    if (!dir[0])
        return CR_OK;
    char buf[PATH_MAX];
    if (!realpath(dir, buf) || !cr_is_dir(buf))
        return cr_err_set(err, CR_EUSAGE, "%s folder '%s' does not exist or is not a folder", what,
                          dir);
    cr_strlcpy(real, buf, CR_PATH_MAX);
    return CR_OK;
}

int cr_serve_start(const struct cr_serve_opts *o, struct cr_server **out, struct cr_err *err)
{
    *out = NULL;
    struct cr_server *s = calloc(1, sizeof *s);
    if (!s)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    s->o = *o;
    pthread_mutex_init(&s->socks_lock, NULL);
    int rc = resolve_dir(o->web_dir, "viewer (--web)", s->web_real, err);
    if (!rc)
        rc = resolve_dir(o->tiles_dir, "tiles (--tiles)", s->tiles_real, err);
    if (!rc)
        rc = cr_scenarios_load(&s->scn, o->scenarios_dir, err);
    if (!rc)
        rc = cr_catalog_init(s, err);
    if (!rc)
        rc = cr_dbpool_start(s, err);
    if (rc) {
        cr_serve_stop(s, NULL);
        return rc;
    }

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    /* poll(), not epoll: libmicrohttpd 0.9.75's epoll loop (MHD_epoll) takes
     * at most 128 events per epoll_wait and, when it gets exactly 128, waits
     * again with the full timeout before handling any. A worker thread whose
     * 128 connections (256 max / 2 threads) all had a request ready slept
     * with them unanswered until the 30 s connection timeout closed them
     * (tests/integration/serve_load.sh, 1 run in ~10). poll has no such
     * batch, and is as fast here for a few hundred connections per thread. */
    unsigned flags =
        MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (inet_pton(AF_INET, o->listen, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, o->listen, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        cr_serve_stop(s, NULL);
        return cr_err_set(err, CR_EUSAGE,
                          "[serve] listen = '%s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, "
                          "0.0.0.0, ::1)",
                          o->listen);
    }
    s->d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(o->threads > 0 ? o->threads : 1), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)o->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY_LIMIT, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
    if (!s->d) {
        cr_serve_stop(s, NULL);
        return cr_err_set(err, CR_EEXTERNAL,
                          "cannot listen on %s port %d (in use? try another [serve] port or "
                          "--port 0 for any free port)",
                          o->listen, o->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    if (pthread_create(&s->sweeper, NULL, sweeper_main, s) == 0)
        s->sweeper_started = 1;
    *out = s;
    return CR_OK;
}

int cr_serve_port(const struct cr_server *s)
{
    return s->port;
}

int cr_serve_db_ok(const struct cr_server *s)
{
    return cr_dbpool_ok(s);
}

void cr_serve_get_stats(const struct cr_server *s, struct cr_serve_stats *st)
{
    st->requests = atomic_load(&s->n_requests);
    st->status_2xx = atomic_load(&s->n_2xx);
    st->status_3xx = atomic_load(&s->n_3xx);
    st->status_4xx = atomic_load(&s->n_4xx);
    st->status_5xx = atomic_load(&s->n_5xx);
    st->bytes = atomic_load(&s->n_bytes);
}

void cr_serve_stop(struct cr_server *s, struct cr_serve_stats *final)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    MHD_socket lfd = MHD_INVALID_SOCKET;
    if (s->d)
        lfd = MHD_quiesce_daemon(s->d); /* ours to close, after the daemon stops */
    cr_dbpool_stop(s);                  /* resumes suspended connections with 503 */
    if (s->d) {
        usleep(100 * 1000); /* let resumed connections send their answer */
        MHD_stop_daemon(s->d);
        s->d = NULL;
    }
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    if (s->sweeper_started)
        pthread_join(s->sweeper, NULL);
    if (final)
        cr_serve_get_stats(s, final);
    while (s->socks) { /* MHD notified every close; this is only a safety net */
        struct cr_sock *n = s->socks->next;
        free(s->socks);
        s->socks = n;
    }
    cr_catalog_free(s);
    cr_scenarios_free(&s->scn);
    pthread_mutex_destroy(&s->socks_lock);
    free(s);
}
