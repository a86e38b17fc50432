/* dmlock.c — the datamart writer lock (pg_advisory_xact_lock); see
 * datamart.h. Polling pg_try_advisory_xact_lock instead of blocking in
 * pg_advisory_xact_lock lets us give up after lock_wait seconds, say who
 * holds the lock, and honour Ctrl-C while waiting. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "datamart.h"
#include "pgutil.h"

#ifndef CR_VERSION
#define CR_VERSION "0.0.0"
#endif
#include "git_rev.h" /* generated: CR_GIT_REV */

const char *cr_dm_version(void)
{
    return CR_VERSION " (" CR_GIT_REV ")";
}

static int holder(PGconn *conn, char *out, size_t size)
{
    /* The two 32-bit halves of the key, as pg_locks shows them. */
    const char *sql =
        "SELECT format('session pid %s (%s, application %s, since %s)', a.pid, "
        "coalesce(a.usename, '?'), coalesce(nullif(a.application_name, ''), '?'), "
        "to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS')) "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = " CR_DM_LOCK_KEY " LIMIT 1";
    struct cr_err ignore;
    return cr_pg_query_text(conn, sql, 0, NULL, out, size, "finding the lock holder", &ignore);
}

int cr_dm_lock(PGconn *conn, int wait_seconds, struct cr_err *err)
{
    double t0 = cr_now();
    int warned = 0;
    for (;;) {
        char got[8];
        int rc = cr_pg_query_text(conn, "SELECT pg_try_advisory_xact_lock(" CR_DM_LOCK_KEY ")", 0,
                                  NULL, got, sizeof got, "taking the datamart lock", err);
        if (rc)
            return rc;
        if (got[0] == 't')
            return CR_OK;
        double waited = cr_now() - t0;
        if (waited >= wait_seconds) {
            char who[512] = "";
            holder(conn, who, sizeof who);
            return cr_err_set(err, CR_EBUSY,
                              "another climrisk load or migrate is writing to this datamart (%s); "
                              "retry when it has finished, or wait for it with --wait SECONDS "
                              "([datamart] lock_wait)",
                              who[0] ? who : "holder unknown");
        }
        if (!warned) {
            cr_info("datamart: another writer holds the lock; waiting up to %d s", wait_seconds);
            warned = 1;
        }
        if (cr_stop_requested())
            return cr_err_set(err, CR_EINTERRUPT,
                              "interrupted while waiting for the datamart lock");
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
