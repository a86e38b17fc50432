/* dsn.c — DSN redaction and hand-over to child programs; see dsn.h. */
#include "dsn.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strutil.h"

void cr_dsn_redact(const char *dsn, char *out, size_t size)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
    if (!opts) {
        /* Unparseable: show nothing of it rather than a secret. */
        snprintf(out, size, "(unparseable connection string)");
        PQfreemem(msg);
        return;
    }
    size_t n = 0;
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !o->val[0])
            continue;
        int secret = strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0;
        int w = snprintf(out + n, size > n ? size - n : 0, "%s%s=%s", n ? " " : "", o->keyword,
                         secret ? "***" : o->val);
        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
    PQconninfoFree(opts);
}

int cr_dsn_to_env(const char *dsn, struct cr_err *err)
{
    static const struct {
        const char *keyword, *env;
    } map[] = {
        {"host", "PGHOST"},
        {"hostaddr", "PGHOSTADDR"},
        {"port", "PGPORT"},
        {"dbname", "PGDATABASE"},
        {"user", "PGUSER"},
        {"password", "PGPASSWORD"},
        {"sslmode", "PGSSLMODE"},
        {"options", "PGOPTIONS"},
        {"passfile", "PGPASSFILE"},
        {"connect_timeout", "PGCONNECT_TIMEOUT"},
        {"application_name", "PGAPPNAME"},
        {"sslrootcert", "PGSSLROOTCERT"},
        {"sslcert", "PGSSLCERT"},
        {"sslkey", "PGSSLKEY"},
        {"service", "PGSERVICE"},
    };
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
    if (!opts) {
        int rc = cr_err_set(err, CR_EUSAGE, "invalid connection string: %s", msg ? msg : "?");
        PQfreemem(msg);
        return rc;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !o->val[0])
            continue;
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (strcmp(o->keyword, map[i].keyword) == 0)
                setenv(map[i].env, o->val, 1);
    }
    PQconninfoFree(opts);
    return CR_OK;
}
