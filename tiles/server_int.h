/* server_int.h — what the parts of the tile server share (server.c: HTTP
 * plumbing and routing; http_files.c: files and ranges; http_catalog.c:
 * catalogue and tilesets; http_db.c: the libpq pool, popups, legends and
 * live tiles). Not a public interface. */
#ifndef CR_SERVER_INT_H
#define CR_SERVER_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../scenarios/scenarios.h"
#include "server.h"

struct cr_pmt_archive;
struct cr_dbpool;
struct cr_catalog_state;

/* One request (MHD's per-request context). */
struct cr_req {
    double t0;
    char method[8];
    char url[256]; /* for the log line, truncated */
    int status;
    uint64_t bytes;
    int gzip_ok;        /* client accepts gzip */
    struct cr_job *job; /* a datamart query in flight */
    int header_checked;
};

/* A datamart query handed to the pool; the connection stays suspended
 * until a worker fills the result and resumes it. */
enum cr_job_kind { CR_JOB_INFO, CR_JOB_LIVE, CR_JOB_LEGEND, CR_JOB_AVAILABLE };

#define CR_JOB_MAX_PARAMS 8

struct cr_job {
    enum cr_job_kind kind;
    struct MHD_Connection *conn;
    struct cr_job *next;
    char params[CR_JOB_MAX_PARAMS][64];
    int nparams;
    int z;
    uint32_t x, y;
    double lon, lat;
    char layer[32];
    /* result */
    int done;
    int status;
    const char *content_type;
    unsigned char *body; /* malloc'ed */
    size_t len;
    int compressible;
    const char *cache_control;
};

struct cr_server {
    struct cr_serve_opts o;
    struct MHD_Daemon *d;
    int port;
    struct cr_scenarios scn;
    char web_real[CR_PATH_MAX];   /* realpath of web_dir, "" = none */
    char tiles_real[CR_PATH_MAX]; /* realpath of tiles_dir, "" = none */
    struct cr_catalog_state *cat;
    struct cr_dbpool *db;
    /* slow-loris guard: connections still sending their request headers */
    pthread_mutex_t socks_lock;
    struct cr_sock *socks;
    pthread_t sweeper;
    int sweeper_started;
    atomic_int stopping;
    /* counters */
    atomic_uint_fast64_t n_requests, n_2xx, n_3xx, n_4xx, n_5xx, n_bytes;
};

/* ---- responses (server.c) ---- */

struct cr_reply {
    int status;
    const char *content_type;
    const void *body;
    size_t len;
    int free_body;    /* body is malloc'ed and becomes the response's */
    int compressible; /* gzip when the client accepts it */
    const char *cache_control;
    const char *etag;        /* NULL = sha256 of the body */
    long long last_modified; /* 0 = none */
    const char *content_encoding;
};

/* Queue a buffer response: ETag / If-None-Match (304), gzip, CORS, cache
 * headers. Frees r->body when free_body, whatever happens. */
enum MHD_Result cr_reply_buffer(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                const struct cr_reply *r);
/* A JSON error {"error": msg, "status": N}. */
enum MHD_Result cr_reply_error(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                               int status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Add the CORS headers of the configuration to a response. */
void cr_add_cors(struct cr_server *s, struct MHD_Response *resp);
/* Queue a response and record its status. */
enum MHD_Result cr_queue(struct MHD_Connection *c, struct cr_req *rq, int status,
                         struct MHD_Response *resp, uint64_t body_len);

/* ---- files (http_files.c) ---- */

/* Serve rel (already URL-decoded, no leading '/') from the folder whose
 * realpath is root: 404 when absent or outside, Range support. */
enum MHD_Result cr_serve_file(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                              const char *root, const char *rel, const char *cache_control);
const char *cr_mime_type(const char *path);
/* Serve an open file (a tileset's archive, already checked when the tile
 * list was read) with the same validators and Range support, without
 * resolving its path again: what the PMTiles client's requests hit. */
enum MHD_Result cr_serve_open_file(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                   int fd, uint64_t size, long long mtime, const char *mime,
                                   const char *cache_control);

/* ---- catalogue and tilesets (http_catalog.c) ---- */

int cr_catalog_init(struct cr_server *s, struct cr_err *err);
void cr_catalog_free(struct cr_server *s);
enum MHD_Result cr_handle_catalog(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq);
/* /tiles/...: TileJSON, z/x/y tiles from archives, other files. */
enum MHD_Result cr_handle_tiles(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                const char *rest);
/* /live/<layer>.json: TileJSON of a live layer. */
enum MHD_Result cr_handle_live_tilejson(struct cr_server *s, struct MHD_Connection *c,
                                        struct cr_req *rq, const char *layer);
/* Base URL of the server as the client sees it ("http://host:port"),
 * from a validated Host header. */
void cr_base_url(struct cr_server *s, struct MHD_Connection *c, char *out, size_t size);

/* ---- datamart (http_db.c) ---- */

int cr_dbpool_start(struct cr_server *s, struct cr_err *err);
/* Answer queued jobs with 503 and stop the workers. */
void cr_dbpool_stop(struct cr_server *s);
int cr_dbpool_ok(const struct cr_server *s);
/* Queue a job (suspends the connection); 0 ok, -1 queue full. */
int cr_dbpool_submit(struct cr_server *s, struct cr_job *job);
/* Validate the query arguments of a datamart endpoint and build its job;
 * on a bad request queue the 4xx and return NULL with *queued = 1. */
enum MHD_Result cr_handle_db(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                             const char *path);
/* Live layers: cells, communes, departements, regions. */
int cr_live_layer_known(const char *layer);
extern const char *const cr_live_layers[];
extern const char *const cr_quantities[];

#endif
