/* pgcluster.h — a private, throwaway PostgreSQL + PostGIS server.
 *
 * Demos and tests need a real PostGIS, and must not touch a server the user
 * cares about. This module creates a cluster in a directory of the build
 * tree (initdb run as the `postgres` system user when we are root, since the
 * server refuses to run as root), listening only on 127.0.0.1 on a free
 * port, with a `climrisk` database that has PostGIS installed. Connections
 * from loopback are trusted: the cluster is for one machine's tests and
 * demos, never for production (use [datamart] dsn or CLIMRISK_DSN for that).
 *
 * Layout of the cluster directory:
 *   port, and data/, run/ (Unix socket), postgres.log — the last three in
 *   a /var/tmp directory recorded in server-root when postgres cannot reach
 *   the cluster directory. */
#ifndef CR_PGCLUSTER_H
#define CR_PGCLUSTER_H

#include <stddef.h>

#include "../config/config.h"
#include "../core/error.h"

struct cr_pg_info {
    int running;
    int port;
    char data_dir[CR_PATH_MAX];
    char log_file[CR_PATH_MAX];
    char dsn[512];
};

/* The default cluster directory: $CLIMRISK_PGDIR, else <dir of the
 * climrisk executable>/pg (build/pg when run from the source tree). */
int cr_pg_default_dir(char *out, size_t size, struct cr_err *err);

/* Create the cluster if needed, start it if stopped, create the climrisk
 * database and the postgis extension. Idempotent. */
int cr_pg_start(const char *dir, struct cr_pg_info *info, struct cr_err *err);
/* Stop the server (fast shutdown); a stopped cluster is not an error. */
int cr_pg_stop(const char *dir, struct cr_err *err);
/* Is it running, on which port, with which DSN. */
int cr_pg_status(const char *dir, struct cr_pg_info *info, struct cr_err *err);
/* Stop and delete the cluster. */
int cr_pg_destroy(const char *dir, struct cr_err *err);

/* The connection string a command should use: the config's [datamart] dsn,
 * else $CLIMRISK_DSN, else the private cluster (which must be running). */
int cr_db_resolve_dsn(const struct cr_config *cfg, char *out, size_t size, struct cr_err *err);

#endif
