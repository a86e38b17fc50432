/* server.h — `climrisk serve`: the HTTP server of the viewer, the tile
 * archives, the catalogue, popups and live tiles from the datamart.
 *
 * Built on libmicrohttpd (poll, a pool of threads, a connection limit and
 * an inactivity timeout); requests that query PostgreSQL are suspended and
 * handed to a small pool of libpq connections so a slow query never blocks
 * file serving. docs/serve.md lists the endpoints. The server only ever
 * reads: files under the web and tiles folders (realpath-checked), and the
 * datamart through parameterised statements. */
#ifndef CR_SERVER_H
#define CR_SERVER_H

#include <stdint.h>

#include "../core/error.h"
#include "../core/fsutil.h"

struct cr_serve_opts {
    char listen[64];                 /* IPv4 or IPv6 address */
    int port;                        /* 0 = any free port (see cr_serve_port) */
    int max_connections;             /* MHD connection limit */
    int max_per_ip;                  /* connections per client address; 0 = no limit */
    int timeout;                     /* seconds: inactivity, and to send a request's headers */
    int threads;                     /* MHD thread pool size */
    char web_dir[CR_PATH_MAX];       /* the built viewer (index.html); "" = none */
    char tiles_dir[CR_PATH_MAX];     /* archives, catalog.json, legends; "" = none */
    char dsn[1024];                  /* datamart; "" = no datamart endpoints (503) */
    char db_schema[64];              /* "datamart" */
    int db_connections;              /* libpq connections (= concurrent queries) */
    int statement_timeout_ms;        /* per query */
    char scenarios_dir[CR_PATH_MAX]; /* "" = shipped scenarios/ */
    char cors_origin[256];           /* Access-Control-Allow-Origin; "" = no CORS */
};

struct cr_serve_stats {
    uint64_t requests, status_2xx, status_3xx, status_4xx, status_5xx, bytes;
};

struct cr_server;

/* Fill o with the defaults of the [serve] keys (port 8080 on 127.0.0.1...). */
void cr_serve_defaults(struct cr_serve_opts *o);

/* Check the folders, load the catalogue, start the database pool (a
 * datamart that cannot be reached is a warning: files are still served) and
 * the daemon. */
int cr_serve_start(const struct cr_serve_opts *o, struct cr_server **out, struct cr_err *err);
/* The port actually bound. */
int cr_serve_port(const struct cr_server *s);
/* Is the datamart reachable (last query or connection attempt). */
int cr_serve_db_ok(const struct cr_server *s);
void cr_serve_get_stats(const struct cr_server *s, struct cr_serve_stats *st);
/* Stop accepting, answer queued queries with 503, close everything; the
 * final counters go to *final when not NULL. */
void cr_serve_stop(struct cr_server *s, struct cr_serve_stats *final);

#endif
