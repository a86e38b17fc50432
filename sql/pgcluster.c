/* pgcluster.c — private PostgreSQL/PostGIS cluster; see pgcluster.h.
 *
 * The server binaries are PostgreSQL 15's (Debian's postgresql-15, found in
 * /usr/lib/postgresql/15/bin or through pg_config --bindir). Child processes
 * drop to the postgres user with setgid/setuid before exec, the same thing
 * runuser does, without depending on it. */
#include "pgcluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/strutil.h"

#define PG_DBNAME    "climrisk"
#define PG_SUPERUSER "postgres"

int cr_pg_default_dir(char *out, size_t size, struct cr_err *err)
{
    const char *env = getenv("CLIMRISK_PGDIR");
    if (env && *env) {
        cr_strlcpy(out, env, size);
        return CR_OK;
    }
    char exe[CR_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot find the climrisk executable; use --dir");
    exe[n] = '\0';
    char bindir[CR_PATH_MAX];
    cr_dirname(exe, bindir, sizeof bindir);
    if (strncmp(bindir, "/usr/", 5) == 0) {
        /* Installed: keep the cluster in the user's state directory. */
        const char *home = getenv("HOME");
        int m = snprintf(out, size, "%s/.local/state/climrisk/pg", home ? home : "/tmp");
        return (m < 0 || (size_t)m >= size) ? cr_err_set(err, CR_EUSAGE, "path too long") : CR_OK;
    }
    if (cr_path_join(out, size, bindir, "pg") != 0)
        return cr_err_set(err, CR_EUSAGE, "path too long");
    return CR_OK;
}

static int find_bindir(char *out, size_t size, struct cr_err *err)
{
    const char *candidates[] = {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
                                "/usr/lib/postgresql/17/bin"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char probe[CR_PATH_MAX];
        snprintf(probe, sizeof probe, "%s/pg_ctl", candidates[i]);
        if (access(probe, X_OK) == 0) {
            cr_strlcpy(out, candidates[i], size);
            return CR_OK;
        }
    }
    return cr_err_set(err, CR_EEXTERNAL,
                      "PostgreSQL server programs not found (looked in /usr/lib/postgresql/*/bin); "
                      "install them with scripts/install-deps.sh (postgresql-15, "
                      "postgresql-15-postgis-3)");
}

/* The user the server runs as: postgres when we are root, else ourselves. */
struct run_as {
    int switch_user;
    uid_t uid;
    gid_t gid;
    char name[64];
};

static int server_user(struct run_as *ra, struct cr_err *err)
{
    memset(ra, 0, sizeof *ra);
    if (geteuid() != 0) {
        ra->uid = geteuid();
        ra->gid = getegid();
        return CR_OK;
    }
    struct passwd *pw = getpwnam("postgres");
    if (!pw)
        return cr_err_set(err, CR_EEXTERNAL,
                          "running as root, but there is no 'postgres' system user to run the "
                          "server (install postgresql-15)");
    ra->switch_user = 1;
    ra->uid = pw->pw_uid;
    ra->gid = pw->pw_gid;
    cr_strlcpy(ra->name, pw->pw_name, sizeof ra->name);
    return CR_OK;
}

/* Run argv (as the server user), stdout+stderr appended to log (or to
 * /dev/null). Returns the exit status, or -1 when it could not run. */
static int run_prog(const struct run_as *ra, char *const argv[], const char *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        if (ra->switch_user) {
            if (initgroups(ra->name, ra->gid) != 0 || setgid(ra->gid) != 0 || setuid(ra->uid) != 0)
                _exit(126);
        }
        /* The server refuses a cwd it cannot read after the user switch. */
        if (chdir("/") != 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Can the server user reach (search) path? Checked in a child that has
 * switched user, since permission bits along the path decide. */
static int user_can_reach(const struct run_as *ra, const char *path)
{
    if (!ra->switch_user)
        return access(path, X_OK) == 0;
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        if (setgid(ra->gid) != 0 || setuid(ra->uid) != 0)
            _exit(1);
        _exit(access(path, X_OK) == 0 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int port_is_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static int read_small(const char *path, char *out, size_t size)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    size_t n = fread(out, 1, size - 1, fp);
    fclose(fp);
    out[n] = '\0';
    cr_trim(out);
    return 0;
}

static int write_small(const char *path, const char *text, struct cr_err *err)
{
    struct cr_atomic_file af;
    int rc = cr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    fputs(text, af.fp);
    return cr_atomic_commit(&af, err);
}

struct layout {
    char dir[CR_PATH_MAX];  /* the cluster directory the user named */
    char root[CR_PATH_MAX]; /* where the server's files live (dir, or a fallback) */
    char data[CR_PATH_MAX];
    char run[CR_PATH_MAX];
    char log[CR_PATH_MAX];
    char port_file[CR_PATH_MAX];
    char root_file[CR_PATH_MAX];
};

/* Derive every path from dir and the recorded server root. */
static int make_layout(const char *dir, struct layout *l, struct cr_err *err)
{
    memset(l, 0, sizeof *l);
    char *real = realpath(dir, NULL);
    cr_strlcpy(l->dir, real ? real : dir, sizeof l->dir);
    free(real);
    if (cr_path_join(l->port_file, sizeof l->port_file, l->dir, "port") ||
        cr_path_join(l->root_file, sizeof l->root_file, l->dir, "server-root"))
        return cr_err_set(err, CR_EUSAGE, "cluster directory path too long: '%s'", dir);
    if (read_small(l->root_file, l->root, sizeof l->root) != 0 || !l->root[0])
        cr_strlcpy(l->root, l->dir, sizeof l->root);
    if (cr_path_join(l->data, sizeof l->data, l->root, "data") ||
        cr_path_join(l->run, sizeof l->run, l->root, "run") ||
        cr_path_join(l->log, sizeof l->log, l->root, "postgres.log"))
        return cr_err_set(err, CR_EUSAGE, "cluster directory path too long: '%s'", dir);
    return CR_OK;
}

static int chown_to(const struct run_as *ra, const char *path, struct cr_err *err)
{
    if (!ra->switch_user)
        return CR_OK;
    if (chown(path, ra->uid, ra->gid) != 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot give '%s' to the postgres user: %s", path,
                          strerror(errno));
    return CR_OK;
}

static int pid_running(const struct layout *l)
{
    char pidfile[CR_PATH_MAX], text[256];
    if (cr_path_join(pidfile, sizeof pidfile, l->data, "postmaster.pid") != 0)
        return 0;
    if (read_small(pidfile, text, sizeof text) != 0)
        return 0;
    long pid = strtol(text, NULL, 10);
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void fill_info(const struct layout *l, struct cr_pg_info *info)
{
    memset(info, 0, sizeof *info);
    char text[32];
    if (read_small(l->port_file, text, sizeof text) == 0)
        info->port = atoi(text);
    info->running = pid_running(l);
    cr_strlcpy(info->data_dir, l->data, sizeof info->data_dir);
    cr_strlcpy(info->log_file, l->log, sizeof info->log_file);
    snprintf(info->dsn, sizeof info->dsn, "host=127.0.0.1 port=%d dbname=%s user=%s", info->port,
             PG_DBNAME, PG_SUPERUSER);
}

static int init_cluster(const struct layout *lin, const struct run_as *ra, const char *bindir,
                        struct cr_err *err)
{
    struct layout l = *lin;
    int rc;
    if (!user_can_reach(ra, l.dir)) {
        /* The build tree sits where postgres may not go (e.g. under /root or
         * a 0700 temporary directory): keep the server's files in /var/tmp
         * and remember where. */
        char hex[CR_SHA256_HEX];
        cr_sha256_buf(l.dir, strlen(l.dir), hex, err);
        snprintf(l.root, sizeof l.root, "/var/tmp/climrisk-pg-%.16s", hex);
        if ((rc = cr_mkdir_p(l.root, err)))
            return rc;
        chmod(l.root, 0755);
        cr_warn("db: postgres cannot reach '%s'; the server's files go to '%s'", l.dir, l.root);
        if ((rc = write_small(l.root_file, l.root, err)))
            return rc;
        char dir[CR_PATH_MAX];
        cr_strlcpy(dir, l.dir, sizeof dir); /* make_layout clears l */
        if ((rc = make_layout(dir, &l, err)))
            return rc;
    }
    if ((rc = cr_mkdir_p(l.data, err)) || (rc = chown_to(ra, l.data, err)))
        return rc;
    chmod(l.data, 0700);
    int fd = open(l.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0)
        close(fd);
    if ((rc = chown_to(ra, l.log, err)))
        return rc;
    char initdb[CR_PATH_MAX];
    cr_path_join(initdb, sizeof initdb, bindir, "initdb");
    char *argv[] = {initdb,         "-D", l.data, "-U",         PG_SUPERUSER,
                    "--auth=trust", "-E", "UTF8", "--locale=C", NULL};
    cr_info("db: creating a PostgreSQL cluster in %s", l.data);
    int st = run_prog(ra, argv, l.log);
    if (st != 0)
        return cr_err_set(err, CR_EEXTERNAL, "initdb failed (exit %d); see %s", st, l.log);
    /* Settings for a loopback-only, bulk-load-friendly server. wal_level
     * minimal lets COPY into a table created or truncated in the same
     * transaction skip the WAL. */
    char conf[CR_PATH_MAX];
    cr_path_join(conf, sizeof conf, l.data, "postgresql.auto.conf");
    FILE *fp = fopen(conf, "a");
    if (!fp)
        return cr_err_set(err, CR_EINTERNAL, "cannot write %s: %s", conf, strerror(errno));
    fprintf(fp,
            "# written by climrisk db start\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = '%s'\n"
            "wal_level = minimal\n"
            "max_wal_senders = 0\n"
            "max_wal_size = '4GB'\n"
            "shared_buffers = '256MB'\n"
            "maintenance_work_mem = '512MB'\n"
            "work_mem = '64MB'\n"
            "max_connections = 200\n"
            "logging_collector = off\n",
            l.run);
    fclose(fp);
    return CR_OK;
}

static int ensure_database(const char *dsn_admin, const char *dsn_db, struct cr_err *err)
{
    PGconn *c = PQconnectdb(dsn_admin);
    if (PQstatus(c) != CONNECTION_OK) {
        int rc = cr_err_set(err, CR_EEXTERNAL, "cannot connect to the new server: %s",
                            PQerrorMessage(c));
        PQfinish(c);
        return rc;
    }
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = '" PG_DBNAME "'");
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    if (!exists) {
        r = PQexec(c, "CREATE DATABASE " PG_DBNAME);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            int rc = cr_err_set(err, CR_EEXTERNAL, "CREATE DATABASE failed: %s", PQerrorMessage(c));
            PQclear(r);
            PQfinish(c);
            return rc;
        }
        PQclear(r);
    }
    PQfinish(c);
    c = PQconnectdb(dsn_db);
    if (PQstatus(c) != CONNECTION_OK) {
        int rc = cr_err_set(err, CR_EEXTERNAL, "cannot connect to database %s: %s", PG_DBNAME,
                            PQerrorMessage(c));
        PQfinish(c);
        return rc;
    }
    r = PQexec(c, "CREATE EXTENSION IF NOT EXISTS postgis");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        int rc = cr_err_set(err, CR_EEXTERNAL,
                            "CREATE EXTENSION postgis failed: %s (install "
                            "postgresql-15-postgis-3)",
                            PQerrorMessage(c));
        PQfinish(c);
        return rc;
    }
    PQfinish(c);
    return CR_OK;
}

int cr_pg_start(const char *dir, struct cr_pg_info *info, struct cr_err *err)
{
    int rc;
    char bindir[CR_PATH_MAX];
    struct run_as ra;
    if ((rc = find_bindir(bindir, sizeof bindir, err)) || (rc = server_user(&ra, err)))
        return rc;
    if ((rc = cr_mkdir_p(dir, err)))
        return rc;
    chmod(dir, 0755);
    struct layout l;
    if ((rc = make_layout(dir, &l, err)))
        return rc;
    char version[CR_PATH_MAX];
    cr_path_join(version, sizeof version, l.data, "PG_VERSION");
    if (!cr_file_exists(version)) {
        if ((rc = init_cluster(&l, &ra, bindir, err)) || (rc = make_layout(dir, &l, err)))
            return rc;
    }
    if ((rc = cr_mkdir_p(l.run, err)) || (rc = chown_to(&ra, l.run, err)))
        return rc;
    if (pid_running(&l)) {
        fill_info(&l, info);
        cr_info("db: already running on port %d", info->port);
    } else {
        char text[32];
        int port = 0;
        if (read_small(l.port_file, text, sizeof text) == 0)
            port = atoi(text);
        if (port <= 0 || !port_is_free(port))
            port = free_loopback_port();
        if (port <= 0)
            return cr_err_set(err, CR_EEXTERNAL, "no free TCP port on 127.0.0.1");
        snprintf(text, sizeof text, "%d\n", port);
        if ((rc = write_small(l.port_file, text, err)))
            return rc;
        char pg_ctl[CR_PATH_MAX], opts[64];
        cr_path_join(pg_ctl, sizeof pg_ctl, bindir, "pg_ctl");
        snprintf(opts, sizeof opts, "-p %d", port);
        char *argv[] = {pg_ctl, "-D", l.data, "-l", l.log,   "-o",
                        opts,   "-w", "-t",   "60", "start", NULL};
        double t0 = cr_now();
        int st = run_prog(&ra, argv, NULL);
        if (st != 0)
            return cr_err_set(err, CR_EEXTERNAL, "pg_ctl start failed (exit %d); see %s", st,
                              l.log);
        cr_info("db: PostgreSQL started on 127.0.0.1:%d in %.1f s", port, cr_now() - t0);
        fill_info(&l, info);
    }
    char admin[600];
    snprintf(admin, sizeof admin, "host=127.0.0.1 port=%d dbname=postgres user=%s", info->port,
             PG_SUPERUSER);
    return ensure_database(admin, info->dsn, err);
}

int cr_pg_stop(const char *dir, struct cr_err *err)
{
    int rc;
    char bindir[CR_PATH_MAX];
    struct run_as ra;
    struct layout l;
    if ((rc = make_layout(dir, &l, err)))
        return rc;
    if (!pid_running(&l)) {
        cr_info("db: not running");
        return CR_OK;
    }
    if ((rc = find_bindir(bindir, sizeof bindir, err)) || (rc = server_user(&ra, err)))
        return rc;
    char pg_ctl[CR_PATH_MAX];
    cr_path_join(pg_ctl, sizeof pg_ctl, bindir, "pg_ctl");
    char *argv[] = {pg_ctl, "-D", l.data, "-m", "fast", "-w", "-t", "60", "stop", NULL};
    int st = run_prog(&ra, argv, l.log);
    if (st != 0)
        return cr_err_set(err, CR_EEXTERNAL, "pg_ctl stop failed (exit %d); see %s", st, l.log);
    cr_info("db: stopped");
    return CR_OK;
}

int cr_pg_status(const char *dir, struct cr_pg_info *info, struct cr_err *err)
{
    struct layout l;
    int rc = make_layout(dir, &l, err);
    if (rc)
        return rc;
    fill_info(&l, info);
    return CR_OK;
}

int cr_pg_destroy(const char *dir, struct cr_err *err)
{
    int rc = cr_pg_stop(dir, err);
    if (rc)
        return rc;
    struct layout l;
    if ((rc = make_layout(dir, &l, err)))
        return rc;
    char *argv[] = {"/bin/rm", "-rf", l.data, l.run, l.log, NULL};
    struct run_as self = {0};
    if (run_prog(&self, argv, NULL) != 0)
        return cr_err_set(err, CR_EINTERNAL, "cannot remove %s", l.data);
    if (strcmp(l.root, l.dir) != 0)
        rmdir(l.root);
    unlink(l.port_file);
    unlink(l.root_file);
    return CR_OK;
}

int cr_db_resolve_dsn(const struct cr_config *cfg, char *out, size_t size, struct cr_err *err)
{
    if (cfg && cfg->dsn[0]) {
        cr_strlcpy(out, cfg->dsn, size);
        return CR_OK;
    }
    const char *env = getenv("CLIMRISK_DSN");
    if (env && *env) {
        cr_strlcpy(out, env, size);
        return CR_OK;
    }
    char dir[CR_PATH_MAX];
    int rc = cr_pg_default_dir(dir, sizeof dir, err);
    if (rc)
        return rc;
    struct cr_pg_info info;
    if ((rc = cr_pg_status(dir, &info, err)))
        return rc;
    if (!info.running)
        return cr_err_set(err, CR_EEXTERNAL,
                          "no database: set [datamart] dsn or CLIMRISK_DSN, or start the private "
                          "server with 'climrisk db start'");
    cr_strlcpy(out, info.dsn, size);
    return CR_OK;
}
