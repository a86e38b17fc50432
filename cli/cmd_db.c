/* cmd_db.c — `climrisk db start|stop|status|psql|destroy|dsn`: the private
 * PostgreSQL/PostGIS server of demos and tests; `climrisk db migrate|grant`:
 * the OpenDataMart's schema and roles on whatever server the DSN names. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/strutil.h"
#include "../sql/datamart.h"
#include "../sql/dsn.h"
#include "../sql/pgcluster.h"
#include "../sql/pgutil.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk db [--dir DIR] start|stop|status|dsn|destroy\n"
            "       climrisk db [--dir DIR] psql [PSQL-ARGS...]\n"
            "       climrisk db [--config FILE] migrate [--wait SECONDS] [--no-admin]\n"
            "       climrisk db [--config FILE] grant [--reader LOGIN]... [--loader LOGIN]...\n"
            "\n"
            "Manage a private PostgreSQL 15 + PostGIS 3 server for demos and tests: a\n"
            "cluster under the build tree (build/pg), run as the postgres user, listening\n"
            "on 127.0.0.1 on a free port, with a 'climrisk' database.\n"
            "\n"
            "  start    create the cluster if needed and start it; prints the DSN\n"
            "  stop     stop it (fast shutdown)\n"
            "  status   running or not, port, DSN (exit 3 when stopped)\n"
            "  dsn      print the DSN other commands use: [datamart] dsn, CLIMRISK_DSN, or this\n"
            "           server's\n"
            "  psql     run psql on the database (extra arguments go to psql)\n"
            "  destroy  stop and delete the cluster\n"
            "  migrate  create or update the OpenDataMart (schema 'datamart', sql/README.md):\n"
            "           apply pending sql/migrations, fill the catalogue, the SAFRAN grid and\n"
            "           the admin areas; idempotent. --wait: seconds to wait for a running\n"
            "           load (default [datamart] lock_wait); --no-admin: skip admin areas\n"
            "  grant    create the roles datamart_reader (read-only) and datamart_loader\n"
            "           (owns the datamart, can load) and apply their privileges;\n"
            "           --reader/--loader LOGIN make existing logins members; idempotent\n"
            "\n"
            "options:\n"
            "  -d, --dir DIR      cluster directory (default $CLIMRISK_PGDIR or build/pg)\n"
            "  -c, --config FILE  config whose [datamart] dsn dsn, psql, migrate and grant\n"
            "                     honour\n"
            "  -h, --help         this help\n");
}

/* The DSN of dsn/psql/migrate/grant: the config's, CLIMRISK_DSN, or the
 * cluster of --dir (or the default cluster). */
static int resolve_dsn(const char *dir_opt, const char *dir, const struct cr_config *cfg, char *dsn,
                       size_t size, struct cr_err *err)
{
    if (!dir_opt || cfg->dsn[0])
        return cr_db_resolve_dsn(cfg, dsn, size, err);
    struct cr_pg_info info;
    int rc = cr_pg_status(dir, &info, err);
    if (rc == CR_OK)
        cr_strlcpy(dsn, info.dsn, size);
    return rc;
}

static int check_schema(const struct cr_config *cfg, struct cr_err *err)
{
    if (strcmp(cfg->db_schema, CR_DM_SCHEMA) != 0)
        return cr_err_set(err, CR_EUSAGE,
                          "[datamart] schema = '%s': only 'datamart' is supported (the tile "
                          "generator, tile server and viewer query that schema); use another "
                          "database (dsn) to keep two datamarts apart",
                          cfg->db_schema);
    return CR_OK;
}

static int db_migrate(int argc, char **argv, const char *dsn, const struct cr_config *cfg)
{
    static const struct option opts[] = {
        {"wait", required_argument, 0, 'w'},
        {"no-admin", no_argument, 0, 'A'},
        {0, 0, 0, 0},
    };
    struct cr_dm_migrate_opts o = {(int)cfg->lock_wait, 0, cfg->scenarios_dir};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:A", opts, NULL)) != -1) {
        long v;
        switch (c) {
        case 'w':
            if (cr_parse_long(optarg, &v) != 0 || v < 0 || v > 86400)
                return cli_usage_error("db", "--wait: '%s' is not 0..86400 seconds", optarg);
            o.lock_wait = (int)v;
            break;
        case 'A':
            o.skip_admin = 1;
            break;
        default:
            return cli_usage_error("db", "migrate: invalid option");
        }
    }
    if (optind < argc)
        return cli_usage_error("db", "migrate: unexpected argument '%s'", argv[optind]);
    struct cr_err err;
    cr_err_clear(&err);
    PGconn *conn;
    if (cr_pg_connect(dsn, "migrate", &conn, &err) != CR_OK)
        return cli_fail("db", &err);
    struct cr_dm_migrate_report rep;
    int rc = cr_dm_migrate(conn, &o, &rep, &err);
    PQfinish(conn);
    if (rc != CR_OK)
        return cli_fail("db", &err);
    printf("migrations: %d applied now, %d total\n", rep.applied, rep.total);
    return CR_OK;
}

static int db_grant(int argc, char **argv, const char *dsn)
{
    static const struct option opts[] = {
        {"reader", required_argument, 0, 'r'},
        {"loader", required_argument, 0, 'l'},
        {0, 0, 0, 0},
    };
    const char *readers[32], *loaders[32];
    struct cr_dm_grant_opts o = {readers, 0, loaders, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:l:", opts, NULL)) != -1) {
        if (c == 'r' && o.nreaders < 32)
            readers[o.nreaders++] = optarg;
        else if (c == 'l' && o.nloaders < 32)
            loaders[o.nloaders++] = optarg;
        else
            return cli_usage_error("db", "grant: invalid option (or more than 32 logins)");
    }
    if (optind < argc)
        return cli_usage_error("db", "grant: unexpected argument '%s'", argv[optind]);
    struct cr_err err;
    cr_err_clear(&err);
    PGconn *conn;
    if (cr_pg_connect(dsn, "grant", &conn, &err) != CR_OK)
        return cli_fail("db", &err);
    int rc = cr_dm_grant(conn, &o, &err);
    PQfinish(conn);
    return rc == CR_OK ? CR_OK : cli_fail("db", &err);
}

int cmd_db(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, 0, 'd'},
        {"config", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dir_opt = NULL, *config_path = NULL;
    int c;
    /* '+' stops at the action so psql's own options pass through. */
    while ((c = getopt_long(argc, argv, "+d:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir_opt = optarg;
            break;
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return CR_OK;
        default:
            return cli_usage_error("db", "invalid option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("db", "missing action: start, stop, status, dsn, psql, destroy, "
                                     "migrate or grant");
    const char *action = argv[optind];
    struct cr_err err;
    cr_err_clear(&err);
    char dir[CR_PATH_MAX];
    if (dir_opt)
        cr_strlcpy(dir, dir_opt, sizeof dir);
    else if (cr_pg_default_dir(dir, sizeof dir, &err) != CR_OK)
        return cli_fail("db", &err);
    struct cr_pg_info info;
    if (strcmp(action, "start") == 0) {
        if (cr_pg_start(dir, &info, &err) != CR_OK)
            return cli_fail("db", &err);
        printf("%s\n", info.dsn);
        return CR_OK;
    }
    if (strcmp(action, "stop") == 0)
        return cr_pg_stop(dir, &err) == CR_OK ? CR_OK : cli_fail("db", &err);
    if (strcmp(action, "destroy") == 0)
        return cr_pg_destroy(dir, &err) == CR_OK ? CR_OK : cli_fail("db", &err);
    if (strcmp(action, "status") == 0) {
        if (cr_pg_status(dir, &info, &err) != CR_OK)
            return cli_fail("db", &err);
        printf("cluster: %s\nrunning: %s\n", info.data_dir, info.running ? "yes" : "no");
        if (info.running)
            printf("dsn: %s\n", info.dsn);
        return info.running ? CR_OK : CR_EEXTERNAL;
    }
    if (strcmp(action, "migrate") == 0 || strcmp(action, "grant") == 0) {
        struct cr_config cfg;
        char dsn[1024];
        int rc = cli_load_config(config_path, &cfg, &err);
        if (rc == CR_OK)
            rc = check_schema(&cfg, &err);
        if (rc == CR_OK)
            rc = resolve_dsn(dir_opt, dir, &cfg, dsn, sizeof dsn, &err);
        if (rc != CR_OK) {
            cr_config_free(&cfg);
            return cli_fail("db", &err);
        }
        if (action[0] == 'm')
            rc = db_migrate(argc - optind, argv + optind, dsn, &cfg);
        else
            rc = db_grant(argc - optind, argv + optind, dsn);
        cr_config_free(&cfg);
        return rc;
    }
    if (strcmp(action, "dsn") == 0 || strcmp(action, "psql") == 0) {
        struct cr_config cfg;
        int rc = cli_load_config(config_path, &cfg, &err);
        char dsn[1024];
        if (rc == CR_OK)
            rc = resolve_dsn(dir_opt, dir, &cfg, dsn, sizeof dsn, &err);
        cr_config_free(&cfg);
        if (rc != CR_OK)
            return cli_fail("db", &err);
        if (action[0] == 'd') {
            printf("%s\n", dsn);
            return CR_OK;
        }
        /* The DSN goes through libpq's environment variables, not argv,
         * where `ps` would show a password. */
        if (cr_dsn_to_env(dsn, &err) != CR_OK)
            return cli_fail("db", &err);
        char *pargv[64];
        int n = 0;
        pargv[n++] = "psql";
        for (int i = optind + 1; i < argc && n < 62; i++)
            pargv[n++] = argv[i];
        pargv[n] = NULL;
        execvp("psql", pargv);
        return cli_usage_error("db", "cannot run psql (install postgresql-client-15)");
    }
    return cli_usage_error("db", "unknown action '%s'", action);
}
