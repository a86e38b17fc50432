/* cmd_fetch.c — `climrisk fetch`: download or copy a manifest's files into
 * the cache, and say where each one landed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../ingest/fetch.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk fetch --manifest FILE [options]\n"
            "       climrisk fetch --from-dir DIR [options]\n"
            "\n"
            "Download (http, https), copy (file://, paths, directories) or record (OPeNDAP)\n"
            "every file of a manifest into a content-addressed cache, verifying sizes and\n"
            "sha256 sums. Interrupted downloads resume; failed ones are retried with\n"
            "backoff; files already in the cache are not fetched again. Prints one line per\n"
            "file on stdout: model, scenario, variable and the path (or URL) to open. The\n"
            "cache's index.tsv lists the same for later stages. Format: docs/fetch.md.\n"
            "\n"
            "options:\n"
            "  -m, --manifest FILE   manifest to fetch (repeatable; default [inputs] manifest)\n"
            "  -d, --from-dir DIR    take every *.nc under DIR, described by its file name\n"
            "  -C, --cache DIR       cache directory (default [inputs] cache, else\n"
            "                        <workdir>/cache)\n"
            "  -j, --jobs N          parallel transfers (default [fetch] jobs = 4)\n"
            "  -c, --config FILE     read [fetch] and [inputs] from FILE\n"
            "      --retries N       retries after a failure (default [fetch] retries)\n"
            "      --timeout SEC     seconds without progress before a retry ([fetch] timeout)\n"
            "      --verify          re-hash files found in the cache before trusting them\n"
            "      --no-probe        do not open OPeNDAP sources now (record them only)\n"
            "      --wait            wait for another fetch using the cache (default: exit 5)\n"
            "  -n, --dry-run         print the resolved manifest (every field) and stop\n"
            "  -h, --help            this help\n"
            "\n"
            "Credentials: the netrc file ([fetch] netrc, default ~/.netrc), or\n"
            "CLIMRISK_HTTP_USER and CLIMRISK_HTTP_PASSWORD (sent to every server). They\n"
            "never appear in logs or in the index.\n"
            "\n"
            "exit codes: 0 all files fetched, 1 usage, 2 bad manifest or a checksum/size\n"
            "mismatch, 3 network or HTTP failure, 5 cache in use, 130 interrupted.\n");
}

struct progress_view {
    double start, last;
    int tty;
};

static void fmt_eta(double s, char *buf, size_t size)
{
    if (s < 0 || s > 360000) {
        snprintf(buf, size, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

static void on_progress(void *user, const struct cr_fetch_progress *p)
{
    struct progress_view *v = user;
    double now = cr_now();
    int final = p->files_done + p->files_failed == p->files_total;
    if (now - v->last < (v->tty ? 0.2 : 10.0) && !final)
        return;
    if (!v->tty && final)
        return; /* the summary line says it all */
    v->last = now;
    double dt = now - v->start;
    double rate = dt > 0 ? (double)p->bytes_done / dt : 0;
    char eta[32];
    fmt_eta(rate > 0 && p->bytes_total > p->bytes_done
                ? (double)(p->bytes_total - p->bytes_done) / rate
                : -1,
            eta, sizeof eta);
    char line[256];
    snprintf(line, sizeof line,
             "fetch: %zu/%zu files%s, %.1f/%.1f MB, %.1f MB/s, %d active, ETA %s", p->files_done,
             p->files_total, p->files_failed ? " (some failed)" : "", (double)p->bytes_done / 1e6,
             (double)p->bytes_total / 1e6, rate / 1e6, p->active, eta);
    if (v->tty) {
        /* Leave the cursor at column 0 so that a log line written meanwhile
         * replaces the bar instead of following it; clear it at the end. */
        if (final)
            fprintf(stderr, "\r\033[K");
        else
            fprintf(stderr, "\r%.160s\033[K\r", line);
        fflush(stderr);
    } else {
        cr_info("%s", line);
    }
}

static int parse_pos(const char *opt, const char *s, long lo, long hi, long *out)
{
    if (cr_parse_long(s, out) != 0 || *out < lo || *out > hi)
        return cli_usage_error("fetch", "%s: '%s' is not an integer in [%ld, %ld]", opt, s, lo, hi);
    return CR_OK;
}

int cmd_fetch(int argc, char **argv)
{
    enum { O_RETRIES = 256, O_TIMEOUT, O_VERIFY, O_NOPROBE, O_WAIT };
    static const struct option opts[] = {
        {"manifest", required_argument, 0, 'm'},
        {"from-dir", required_argument, 0, 'd'},
        {"cache", required_argument, 0, 'C'},
        {"jobs", required_argument, 0, 'j'},
        {"config", required_argument, 0, 'c'},
        {"retries", required_argument, 0, O_RETRIES},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"verify", no_argument, 0, O_VERIFY},
        {"no-probe", no_argument, 0, O_NOPROBE},
        {"wait", no_argument, 0, O_WAIT},
        {"dry-run", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *shortopts = "m:d:C:j:c:nh";
    const char *config_path = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
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
        return cli_fail("fetch", &err);
    }
    struct cr_fetch_opts o;
    cr_fetch_opts_defaults(&o);
    o.jobs = (int)cfg.fetch_jobs;
    o.timeout = cfg.fetch_timeout;
    o.connect_timeout = cfg.fetch_connect_timeout;
    o.retries = (int)cfg.fetch_retries;
    o.retry_delay = cfg.fetch_retry_delay;
    cr_strlcpy(o.netrc, cfg.fetch_netrc, sizeof o.netrc);
    if (cfg.cache_dir[0])
        cr_strlcpy(o.cache_dir, cfg.cache_dir, sizeof o.cache_dir);
    else if (cr_path_join(o.cache_dir, sizeof o.cache_dir, cfg.workdir, "cache") != 0)
        o.cache_dir[0] = '\0';

    struct cr_manifest m;
    cr_manifest_init(&m);
    int status = CR_OK, dry_run = 0, sources = 0;
    long v;
    optind = 1;
    opterr = 1;
    while (status == CR_OK && (c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            sources++;
            if (cr_manifest_load(&m, optarg, &err) != CR_OK)
                status = cli_fail("fetch", &err);
            break;
        case 'd':
            sources++;
            if (cr_manifest_add_dir(&m, optarg, &err) != CR_OK)
                status = cli_fail("fetch", &err);
            break;
        case 'C':
            cr_strlcpy(o.cache_dir, optarg, sizeof o.cache_dir);
            break;
        case 'j':
            if ((status = parse_pos("--jobs", optarg, 1, 64, &v)) == CR_OK)
                o.jobs = (int)v;
            break;
        case O_RETRIES:
            if ((status = parse_pos("--retries", optarg, 0, 50, &v)) == CR_OK)
                o.retries = (int)v;
            break;
        case O_TIMEOUT:
            if ((status = parse_pos("--timeout", optarg, 1, 86400, &v)) == CR_OK)
                o.timeout = v;
            break;
        case O_VERIFY:
            o.verify = 1;
            break;
        case O_NOPROBE:
            o.probe_opendap = 0;
            break;
        case O_WAIT:
            o.wait_lock = 1;
            break;
        case 'n':
            dry_run = 1;
            break;
        case 'c':
            break;
        default:
            status = cli_usage_error("fetch", "invalid option");
        }
    }
    if (status == CR_OK && optind < argc)
        status = cli_usage_error("fetch", "unexpected argument '%s'", argv[optind]);
    if (status == CR_OK && sources == 0) {
        if (cfg.manifest[0]) {
            if (cr_manifest_load(&m, cfg.manifest, &err) != CR_OK)
                status = cli_fail("fetch", &err);
        } else {
            status = cli_usage_error("fetch", "--manifest FILE or --from-dir DIR is required");
        }
    }
    if (status == CR_OK && !o.cache_dir[0])
        status = cli_usage_error("fetch", "no cache directory: give --cache DIR");
    if (status == CR_OK && o.cache_dir[0] != '/') {
        /* absolute, so that the paths printed and indexed work from anywhere */
        char cwd[CR_PATH_MAX], abs[CR_PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || cr_path_join(abs, sizeof abs, cwd, o.cache_dir) != 0)
            status = cli_usage_error("fetch", "cache path too long: %s", o.cache_dir);
        else
            cr_strlcpy(o.cache_dir, abs, sizeof o.cache_dir);
    }
    if (status == CR_OK && o.netrc[0] && access(o.netrc, R_OK) != 0)
        status = cli_usage_error("fetch", "[fetch] netrc: cannot read %s", o.netrc);
    cr_config_free(&cfg);
    if (status != CR_OK || dry_run) {
        if (status == CR_OK)
            cr_manifest_print(&m, stdout);
        cr_manifest_free(&m);
        return status;
    }
    const char *user = getenv("CLIMRISK_HTTP_USER");
    const char *pass = getenv("CLIMRISK_HTTP_PASSWORD");
    if (user && *user) {
        cr_strlcpy(o.user, user, sizeof o.user);
        cr_strlcpy(o.password, pass ? pass : "", sizeof o.password);
    }
    struct progress_view view = {cr_now(), cr_now(),
                                 isatty(STDERR_FILENO) && cr_log_level() >= CR_LOG_INFO};
    o.progress = on_progress;
    o.progress_user = &view;

    struct cr_fetch_report rep;
    status = cr_fetch_run(&m, &o, &rep, &err);
    memset(o.password, 0, sizeof o.password);
    for (size_t i = 0; i < m.n && rep.results; i++) {
        const struct cr_fetch_result *r = &rep.results[i];
        if (r->outcome != CR_FETCH_FAILED && r->outcome != CR_FETCH_PENDING && r->path[0])
            printf("%s\t%s\t%s\t%s\n", m.e[i].model, m.e[i].scenario, m.e[i].variable, r->path);
    }
    fflush(stdout);
    double mb = (double)rep.bytes_transferred / 1e6;
    cr_info("fetch: %zu files: %zu downloaded, %zu copied, %zu already in the cache, %zu "
            "remote, %zu failed; %.1f MB transferred in %.1f s (%.1f MB/s); %d retries, %d "
            "resumed; index %s/index.tsv",
            rep.files, rep.downloaded, rep.copied, rep.cached, rep.remote, rep.failed, mb,
            rep.seconds, rep.seconds > 0 ? mb / rep.seconds : 0.0, rep.retries, rep.resumed,
            o.cache_dir);
    cr_fetch_report_free(&rep);
    cr_manifest_free(&m);
    if (status != CR_OK)
        return cli_fail("fetch", &err);
    return CR_OK;
}
