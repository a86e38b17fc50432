/* cmd_serve.c — `climrisk serve`: the map viewer, tile archives, catalogue,
 * popups and live tiles over HTTP until SIGINT/SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/datadir.h"
#include "../core/log.h"
#include "../core/stop.h"
#include "../core/strutil.h"
#include "../sql/dsn.h"
#include "../sql/pgcluster.h"
#include "../tiles/server.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk serve [options]\n"
            "\n"
            "Serve the web map and the tiles over HTTP: the viewer (web/dist), the tile\n"
            "archives of the tiles folder with HTTP range requests, TileJSON per tileset,\n"
            "the catalogue (/api/catalog), popups (/api/info), legends (/api/legend) and\n"
            "live vector tiles from the datamart (/live/<layer>/{z}/{x}/{y}.mvt).\n"
            "Defaults come from the [serve], [tiles] and [datamart] sections of the config;\n"
            "docs/serve.md lists the endpoints. Stops cleanly on Ctrl-C or SIGTERM.\n"
            "\n"
            "options:\n"
            "  -c, --config FILE          run configuration\n"
            "  -l, --listen ADDR          address to listen on (default 127.0.0.1)\n"
            "  -p, --port N               port (default 8080; 0 = any free port)\n"
            "  -t, --tiles DIR            tiles folder (default [tiles] dir or <workdir>/tiles)\n"
            "  -w, --web DIR              built viewer folder (default the shipped web/dist)\n"
            "      --dsn DSN              datamart connection (default [datamart] dsn,\n"
            "                             CLIMRISK_DSN, or the private server when running)\n"
            "      --no-db                serve files only (popups and live tiles answer 503)\n"
            "      --threads N            HTTP threads (default [serve] threads)\n"
            "      --db-connections N     datamart connections (default [serve] db_connections)\n"
            "      --max-connections N    connections at once (default [serve] max_connections)\n"
            "      --timeout S            idle/slow connection timeout (default [serve] timeout)\n"
            "      --port-file FILE       write the bound port there once listening\n"
            "  -h, --help                 this help\n");
}

static int parse_int_opt(const char *name, const char *v, long lo, long hi, long *out)
{
    if (cr_parse_long(v, out) != 0 || *out < lo || *out > hi)
        return cli_usage_error("serve", "--%s: '%s' is not an integer in [%ld, %ld]", name, v, lo,
                               hi);
    return CR_OK;
}

static void default_web(char *out, size_t size)
{
    out[0] = '\0';
    struct cr_err err;
    const char *cands[] = {"web/dist", "web"};
    for (int i = 0; i < 2; i++) {
        char dir[CR_PATH_MAX], index[CR_PATH_MAX + 16];
        if (cr_datafile(cands[i], dir, sizeof dir, &err) != CR_OK)
            return;
        snprintf(index, sizeof index, "%s/index.html", dir);
        if (cr_file_exists(index)) {
            cr_strlcpy(out, dir, size);
            return;
        }
    }
}

int cmd_serve(int argc, char **argv)
{
    enum { O_DSN = 256, O_NODB, O_THREADS, O_DBC, O_MAXC, O_TIMEOUT, O_PORTFILE };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},
        {"listen", required_argument, 0, 'l'},
        {"port", required_argument, 0, 'p'},
        {"tiles", required_argument, 0, 't'},
        {"web", required_argument, 0, 'w'},
        {"dsn", required_argument, 0, O_DSN},
        {"no-db", no_argument, 0, O_NODB},
        {"threads", required_argument, 0, O_THREADS},
        {"db-connections", required_argument, 0, O_DBC},
        {"max-connections", required_argument, 0, O_MAXC},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"port-file", required_argument, 0, O_PORTFILE},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *config_path = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:l:p:t:w:h", opts, NULL)) != -1) {
        if (c == 'c')
            config_path = optarg;
        if (c == 'h') {
            usage(stdout);
            return CR_OK;
        }
    }
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("serve", &err);
    }
    struct cr_serve_opts o;
    cr_serve_defaults(&o);
    cr_strlcpy(o.listen, cfg.listen, sizeof o.listen);
    o.port = (int)cfg.port;
    o.max_connections = (int)cfg.max_connections;
    o.timeout = (int)cfg.request_timeout;
    o.threads = (int)cfg.serve_threads;
    o.max_per_ip = (int)cfg.max_per_ip;
    o.db_connections = (int)cfg.db_connections;
    o.statement_timeout_ms = (int)cfg.statement_timeout;
    cr_strlcpy(o.cors_origin, cfg.cors_origin, sizeof o.cors_origin);
    cr_strlcpy(o.db_schema, cfg.db_schema, sizeof o.db_schema);
    cr_strlcpy(o.scenarios_dir, cfg.scenarios_dir, sizeof o.scenarios_dir);
    if (cfg.web_dir[0])
        cr_strlcpy(o.web_dir, cfg.web_dir, sizeof o.web_dir);
    else
        default_web(o.web_dir, sizeof o.web_dir);
    if (cfg.tiles_dir[0]) {
        cr_strlcpy(o.tiles_dir, cfg.tiles_dir, sizeof o.tiles_dir);
    } else {
        char t[CR_PATH_MAX];
        if (cr_path_join(t, sizeof t, cfg.workdir, "tiles") == 0 && cr_is_dir(t))
            cr_strlcpy(o.tiles_dir, t, sizeof o.tiles_dir);
    }

    int status = CR_OK, no_db = 0;
    const char *dsn = NULL, *port_file = NULL;
    long v;
    optind = 1;
    opterr = 1;
    while (status == CR_OK && (c = getopt_long(argc, argv, "c:l:p:t:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            break;
        case 'l':
            if (strlen(optarg) >= sizeof o.listen)
                status = cli_usage_error("serve", "--listen: address too long");
            else
                cr_strlcpy(o.listen, optarg, sizeof o.listen);
            break;
        case 'p':
            if (!(status = parse_int_opt("port", optarg, 0, 65535, &v)))
                o.port = (int)v;
            break;
        case 't':
            cr_strlcpy(o.tiles_dir, optarg, sizeof o.tiles_dir);
            break;
        case 'w':
            cr_strlcpy(o.web_dir, optarg, sizeof o.web_dir);
            break;
        case O_DSN:
            dsn = optarg;
            break;
        case O_NODB:
            no_db = 1;
            break;
        case O_THREADS:
            if (!(status = parse_int_opt("threads", optarg, 1, 64, &v)))
                o.threads = (int)v;
            break;
        case O_DBC:
            if (!(status = parse_int_opt("db-connections", optarg, 1, 64, &v)))
                o.db_connections = (int)v;
            break;
        case O_MAXC:
            if (!(status = parse_int_opt("max-connections", optarg, 1, 100000, &v)))
                o.max_connections = (int)v;
            break;
        case O_TIMEOUT:
            if (!(status = parse_int_opt("timeout", optarg, 1, 3600, &v)))
                o.timeout = (int)v;
            break;
        case O_PORTFILE:
            port_file = optarg;
            break;
        default:
            status = cli_usage_error("serve", "invalid option");
        }
    }
    if (status == CR_OK && optind < argc)
        status = cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (status == CR_OK && !no_db) {
        if (dsn) {
            cr_strlcpy(o.dsn, dsn, sizeof o.dsn);
        } else if (cr_db_resolve_dsn(&cfg, o.dsn, sizeof o.dsn, &err) != CR_OK) {
            cr_warn("serve: %s; serving files only", err.msg);
            o.dsn[0] = '\0';
            cr_err_clear(&err);
        }
    }
    cr_config_free(&cfg);
    if (status != CR_OK)
        return status;
    if (!o.web_dir[0])
        cr_warn("serve: no built viewer found (run 'make web'); only the API and tiles are "
                "served");

    /* A client closing its socket must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    struct cr_server *srv;
    if (cr_serve_start(&o, &srv, &err) != CR_OK)
        return cli_fail("serve", &err);
    int port = cr_serve_port(srv);
    char redacted[1024] = "";
    if (o.dsn[0])
        cr_dsn_redact(o.dsn, redacted, sizeof redacted);
    cr_info("serve: listening on %s port %d (%d threads, %d connections max, timeout %d s); "
            "viewer %s; tiles %s; datamart %s",
            o.listen, port, o.threads, o.max_connections, o.timeout,
            o.web_dir[0] ? o.web_dir : "(none)", o.tiles_dir[0] ? o.tiles_dir : "(none)",
            o.dsn[0] ? redacted : "(none)");
    if (port_file) {
        struct cr_atomic_file af;
        if (cr_atomic_open(&af, port_file, &err) == CR_OK) {
            fprintf(af.fp, "%d\n", port);
            if (cr_atomic_commit(&af, &err) != CR_OK)
                cr_warn("serve: %s", err.msg);
        } else {
            cr_warn("serve: %s", err.msg);
        }
    }
    const char *host =
        strcmp(o.listen, "0.0.0.0") == 0 || strcmp(o.listen, "::") == 0 ? "127.0.0.1" : o.listen;
    int v6 = strchr(host, ':') != NULL;
    printf("http://%s%s%s:%d/\n", v6 ? "[" : "", host, v6 ? "]" : "", port);
    fflush(stdout);
    while (!cr_stop_requested())
        usleep(100 * 1000);
    cr_info("serve: stopping");
    struct cr_serve_stats st;
    cr_serve_stop(srv, &st);
    cr_info("serve: stopped; %llu requests (%llu 2xx, %llu 3xx, %llu 4xx, %llu 5xx), %.1f MB sent",
            (unsigned long long)st.requests, (unsigned long long)st.status_2xx,
            (unsigned long long)st.status_3xx, (unsigned long long)st.status_4xx,
            (unsigned long long)st.status_5xx, st.bytes / 1e6);
    return CR_OK;
}
