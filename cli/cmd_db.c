/* cmd_db.c — `climrisk db start|stop|status|psql|destroy|dsn`: the private
 * PostgreSQL/PostGIS server of demos and tests. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sql/dsn.h"
#include "../sql/pgcluster.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk db [--dir DIR] start|stop|status|dsn|destroy\n"
            "       climrisk db [--dir DIR] psql [PSQL-ARGS...]\n"
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
            "\n"
            "options:\n"
            "  -d, --dir DIR      cluster directory (default $CLIMRISK_PGDIR or build/pg)\n"
            "  -c, --config FILE  config whose [datamart] dsn 'dsn' and 'psql' honour\n"
            "  -h, --help         this help\n");
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
        return cli_usage_error("db", "missing action: start, stop, status, dsn, psql or destroy");
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
    if (strcmp(action, "dsn") == 0 || strcmp(action, "psql") == 0) {
        struct cr_config cfg;
        int rc = cli_load_config(config_path, &cfg, &err);
        char dsn[1024];
        if (rc == CR_OK) {
            if (!dir_opt || cfg.dsn[0])
                rc = cr_db_resolve_dsn(&cfg, dsn, sizeof dsn, &err);
            else if ((rc = cr_pg_status(dir, &info, &err)) == CR_OK)
                cr_strlcpy(dsn, info.dsn, sizeof dsn);
        }
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
