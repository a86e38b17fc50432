/* grant.c — the datamart's roles; see datamart.h.
 *
 * datamart_reader may read every table and view of the datamart schema and
 * run its read-only functions, nothing else: no writes, no DDL in the
 * datamart (it has no CREATE there, PostgreSQL 15 gives PUBLIC no CREATE on
 * schema public), no data of other schemas (tables are not readable unless
 * granted; PostGIS's spatial_ref_sys stays readable since ST_Transform needs
 * it), no function that writes (EXECUTE revoked from PUBLIC). It can create
 * temporary tables, which is how a user brings a list of assets.
 * datamart_loader owns the datamart's objects, so its members can run
 * `climrisk db migrate` and `climrisk load` without being superusers. */
#include <stdio.h>
#include <string.h>

#include "../core/log.h"
#include "datamart.h"
#include "pgutil.h"

static const char *create_roles_sql =
    "DO $$ BEGIN "
    "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'datamart_reader') THEN "
    "  CREATE ROLE datamart_reader NOLOGIN; END IF; "
    "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'datamart_loader') THEN "
    "  CREATE ROLE datamart_loader NOLOGIN; END IF; "
    "END $$";

/* Ownership and privileges; run by a superuser or a member of
 * datamart_loader holding the objects. Idempotent. */
static const char *privileges_sql =
    "DO $$ DECLARE r record; BEGIN "
    "BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO datamart_reader, "
    "datamart_loader', current_database()); "
    "EXCEPTION WHEN insufficient_privilege THEN "
    "RAISE NOTICE 'not the database owner: CONNECT not granted'; END; "
    "IF (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'datamart') "
    "   <> 'datamart_loader' THEN ALTER SCHEMA datamart OWNER TO datamart_loader; END IF; "
    /* Tables, partitions, views; identity sequences follow their table. */
    "FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c "
    "  JOIN pg_namespace n ON n.oid = c.relnamespace "
    "  WHERE n.nspname = 'datamart' AND c.relkind IN ('r', 'p', 'v', 'm') "
    "  AND c.relowner <> 'datamart_loader'::regrole LOOP "
    "  IF r.relkind = 'v' THEN EXECUTE format('ALTER VIEW %s OWNER TO datamart_loader', r.rel); "
    "  ELSIF r.relkind = 'm' THEN "
    "    EXECUTE format('ALTER MATERIALIZED VIEW %s OWNER TO datamart_loader', r.rel); "
    "  ELSE EXECUTE format('ALTER TABLE %s OWNER TO datamart_loader', r.rel); END IF; "
    "END LOOP; "
    "FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p "
    "  JOIN pg_namespace n ON n.oid = p.pronamespace "
    "  WHERE n.nspname = 'datamart' AND p.proowner <> 'datamart_loader'::regrole LOOP "
    "  EXECUTE format('ALTER FUNCTION %s OWNER TO datamart_loader', r.fn); "
    "END LOOP; "
    "END $$;"
    "GRANT USAGE ON SCHEMA datamart TO datamart_reader;"
    "GRANT SELECT ON ALL TABLES IN SCHEMA datamart TO datamart_reader;"
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA "
    "datamart FROM datamart_reader;"
    "REVOKE ALL ON FUNCTION datamart.put_generated_view(text, text), "
    "datamart.refresh_category_views() FROM PUBLIC, datamart_reader;"
    "GRANT EXECUTE ON FUNCTION datamart.cell_of(double precision, double precision), "
    "datamart.indicator_at(double precision, double precision, text, text, text, text), "
    "datamart.exposure(regclass, text, text, text, text) TO datamart_reader;"
    "GRANT datamart_reader TO datamart_loader;"
    "ALTER DEFAULT PRIVILEGES FOR ROLE datamart_loader IN SCHEMA datamart "
    "GRANT SELECT ON TABLES TO datamart_reader";

static int grant_member(PGconn *conn, const char *role, const char *login, struct cr_err *err)
{
    const char *p[] = {login};
    long long n;
    int found;
    int rc = cr_pg_query_long(conn, "SELECT count(*) FROM pg_roles WHERE rolname = $1", 1, p, &n,
                              &found, "looking up a login role", err);
    if (rc)
        return rc;
    if (n == 0)
        return cr_err_set(err, CR_EUSAGE,
                          "role '%s' does not exist: create the login first (CREATE ROLE ... "
                          "LOGIN), then run climrisk db grant again",
                          login);
    char *ident = PQescapeIdentifier(conn, login, strlen(login));
    if (!ident)
        return cr_pg_fail(conn, NULL, "quoting a role name", err);
    char sql[512];
    snprintf(sql, sizeof sql, "GRANT %s TO %s", role, ident);
    PQfreemem(ident);
    rc = cr_pg_exec(conn, sql, "granting a datamart role", err);
    if (rc == CR_OK)
        cr_info("datamart: %s is now a member of %s", login, role);
    return rc;
}

int cr_dm_grant(PGconn *conn, const struct cr_dm_grant_opts *o, struct cr_err *err)
{
    int rc = cr_pg_exec(conn, "BEGIN", "starting the grant transaction", err);
    if (rc == CR_OK)
        rc = cr_dm_lock(conn, 60, err);
    long long n = 0;
    int found;
    if (rc == CR_OK)
        rc = cr_pg_query_long(conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'datamart'",
                              0, NULL, &n, &found, "looking for the datamart schema", err);
    if (rc == CR_OK && n == 0)
        rc = cr_err_set(err, CR_EUSAGE,
                        "this database has no datamart schema yet: run 'climrisk db migrate' "
                        "first");
    if (rc == CR_OK)
        rc = cr_pg_exec(conn, create_roles_sql, "creating the datamart roles", err);
    if (rc == CR_OK)
        rc = cr_pg_exec(conn, privileges_sql, "granting datamart privileges", err);
    for (int k = 0; rc == CR_OK && k < o->nreaders; k++)
        rc = grant_member(conn, "datamart_reader", o->readers[k], err);
    for (int k = 0; rc == CR_OK && k < o->nloaders; k++)
        rc = grant_member(conn, "datamart_loader", o->loaders[k], err);
    if (rc == CR_OK)
        rc = cr_pg_exec(conn, "COMMIT", "committing grants", err);
    else
        cr_pg_exec(conn, "ROLLBACK", "rolling back", &(struct cr_err){0});
    if (rc == CR_OK)
        cr_info("datamart: roles datamart_reader (read-only) and datamart_loader (owner) ready");
    return rc;
}

int cr_dm_grant_refresh(PGconn *conn, int *applied, struct cr_err *err)
{
    *applied = 0;
    long long n;
    int found;
    int rc = cr_pg_query_long(conn,
                              "SELECT count(*) FROM pg_roles WHERE rolname IN ('datamart_reader', "
                              "'datamart_loader')",
                              0, NULL, &n, &found, "looking for the datamart roles", err);
    if (rc || n != 2)
        return rc;
    /* A loader that is not a superuser cannot re-own objects a superuser
     * created: keep the migration, warn, and let an admin run db grant. */
    if ((rc = cr_pg_exec(conn, "SAVEPOINT dm_grants", "re-applying datamart privileges", err)))
        return rc;
    struct cr_err gerr;
    cr_err_clear(&gerr);
    if (cr_pg_exec(conn, privileges_sql, "re-applying datamart privileges", &gerr) == CR_OK) {
        *applied = 1;
        return cr_pg_exec(conn, "RELEASE SAVEPOINT dm_grants", "re-applying privileges", err);
    }
    cr_warn("datamart: %s; run 'climrisk db grant' as a superuser", gerr.msg);
    return cr_pg_exec(conn, "ROLLBACK TO SAVEPOINT dm_grants", "re-applying privileges", err);
}
