/* httpfault.c — a loopback HTTP file server that misbehaves on request, for
 * testing `climrisk fetch` against real sockets (tests/faults/fetch_*.sh).
 *
 *   httpfault --root DIR --port-file FILE [--port N] [--log FILE]
 *             [--auth USER:PASSWORD]
 *
 * Serves the files under DIR (GET and HEAD) with Content-Length, ETag,
 * Last-Modified and single byte ranges ("Range: bytes=A-" or "bytes=A-B",
 * 206 with Content-Range, 416 past the end, If-Range honoured). Faults are
 * asked for in the query string, so a manifest line alone sets up a case;
 * each applies to the first `times` requests (default 1) of that exact
 * path+query, then the file is served normally:
 *   status=CODE  answer CODE with a short text body
 *   cut=N        close the connection once the body reaches file offset N
 *   stall=SEC    send the headers, then nothing for SEC seconds
 *   slow=BPS     send at most BPS bytes per second
 *   corrupt=1    flip the bits of the byte in the middle of the file
 *   lie=N        announce N bytes more than the file has (negative: fewer, and
 *                send only that many); the connection closes after the real end
 *   norange=1    ignore Range and always send the whole file (200); unlike the
 *                others, on every request
 * With --auth every request needs that Basic-auth user and password (401).
 * Every request is appended to the log as one line when it completes:
 *   GET /path?query range=<Range or -> user=<user or -> status=<code> end=ok|cut
 * The port (chosen by the system with --port 0, the default) is written to
 * the port file once the server listens. SIGTERM or SIGINT stops it.
 *
 * Built on libmicrohttpd, one thread per connection so a stalled or slow
 * response does not hold the others up. Test tool only: no directory
 * listings, no keep-alive tuning, no TLS. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 256

static volatile sig_atomic_t quit;

struct server {
    const char *root;
    int log_fd;
    const char *auth_user, *auth_pass;
    pthread_mutex_t mu;
    char *keys[MAX_KEYS];
    int counts[MAX_KEYS];
    int nkeys;
};

/* One response in flight. */
struct reply {
    struct server *srv;
    int fd;
    uint64_t start;    /* first file offset sent */
    uint64_t real_end; /* file offset after the last byte that exists to send */
    long long cut;     /* file offset where the connection closes, -1 none */
    double stall;
    long slow;
    long long corrupt_at; /* file offset to flip, -1 none */
    int stalled;
};

/* Per-request record, for the log line written on completion. */
struct reqlog {
    char line[1200];
};

static void note_status(struct reqlog *rl, unsigned code)
{
    size_t n = strlen(rl->line);
    snprintf(rl->line + n, sizeof rl->line - n, " status=%u", code);
}

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

static void nap(double seconds)
{
    while (seconds > 0 && !quit) {
        double step = seconds < 0.05 ? seconds : 0.05;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
        seconds -= step;
    }
}

/* How many times this path+query was requested before (then count it). */
static int seen_before(struct server *s, const char *key)
{
    pthread_mutex_lock(&s->mu);
    int n = 0, i;
    for (i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i], key) == 0)
            break;
    if (i == s->nkeys && s->nkeys < MAX_KEYS) {
        s->keys[i] = strdup(key);
        s->counts[i] = 0;
        s->nkeys++;
    }
    if (i < s->nkeys) {
        n = s->counts[i];
        s->counts[i]++;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct reply *r = cls;
    uint64_t off = r->start + pos;
    if (!r->stalled && r->stall > 0) {
        r->stalled = 1;
        nap(r->stall);
    }
    if (quit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (r->cut >= 0 && off >= (uint64_t)r->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* drop the connection */
    if (off >= r->real_end)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* announced more than there is */
    uint64_t n = max;
    if (n > r->real_end - off)
        n = r->real_end - off;
    if (r->cut >= 0 && n > (uint64_t)r->cut - off)
        n = (uint64_t)r->cut - off;
    if (r->slow > 0) {
        uint64_t tick = (uint64_t)(r->slow / 10 > 0 ? r->slow / 10 : 1); /* ~10 sends a second */
        if (n > tick)
            n = tick;
        nap((double)n / (double)r->slow);
    }
    ssize_t got = pread(r->fd, buf, (size_t)n, (off_t)off);
    if (got <= 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (r->corrupt_at >= 0 && (uint64_t)r->corrupt_at >= off &&
        (uint64_t)r->corrupt_at < off + (uint64_t)got)
        buf[r->corrupt_at - (long long)off] ^= (char)0xff;
    return got;
}

static void free_reply(void *cls)
{
    struct reply *r = cls;
    close(r->fd);
    free(r);
}

static long long query_ll(struct MHD_Connection *c, const char *name, long long def)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v)
        return def;
    char *end;
    long long x = strtoll(v, &end, 10);
    return *end ? def : x;
}

static double query_d(struct MHD_Connection *c, const char *name, double def)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v ? strtod(v, NULL) : def;
}

static enum MHD_Result text_reply(struct MHD_Connection *c, struct reqlog *rl, unsigned code,
                                  const char *text)
{
    note_status(rl, code);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Collect the query string back (MHD has parsed it into arguments). */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    char *q = cls;
    size_t n = strlen(q);
    snprintf(q + n, 512 - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

/* Parse "bytes=A-" or "bytes=A-B"; -1 when absent or not a single range. */
static int parse_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(h + 6, &end, 10);
    if (end == h + 6 || *end != '-' || errno)
        return -1;
    *a = x;
    *b = size ? size - 1 : 0;
    if (end[1]) {
        unsigned long long y = strtoull(end + 1, &end, 10);
        if (*end)
            return -1;
        if (y < *b)
            *b = y;
    }
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_size;
    struct server *s = cls;
    if (*con_cls == NULL) { /* first call: headers only */
        struct reqlog *rl = calloc(1, sizeof *rl);
        if (!rl)
            return MHD_NO;
        *con_cls = rl;
        return MHD_YES;
    }
    struct reqlog *rl = *con_cls;
    char query[512] = "";
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, query);
    const char *range_h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    char *user = NULL, *pass = NULL;
    user = MHD_basic_auth_get_username_password(c, &pass);
    snprintf(rl->line, sizeof rl->line, "%s %s%s%s range=%s user=%s", method, url,
             query[0] ? "?" : "", query, range_h ? range_h : "-", user ? user : "-");
    int authorised = !s->auth_user || (user && pass && strcmp(user, s->auth_user) == 0 &&
                                       strcmp(pass, s->auth_pass) == 0);
    if (user)
        MHD_free(user);
    if (pass)
        MHD_free(pass);
    if (!authorised) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(13, (void *)"unauthorised\n", MHD_RESPMEM_PERSISTENT);
        note_status(rl, 401);
        enum MHD_Result ret = MHD_queue_basic_auth_fail_response(c, "climrisk-test", resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return text_reply(c, rl, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");

    char key[1024];
    snprintf(key, sizeof key, "%s?%s", url, query);
    int faulty = seen_before(s, key) < query_ll(c, "times", 1);
    long long status = faulty ? query_ll(c, "status", 0) : 0;
    if (status >= 100 && status <= 599) {
        char body[64];
        snprintf(body, sizeof body, "fault injected: %lld\n", status);
        return text_reply(c, rl, (unsigned)status, body);
    }
    if (strstr(url, "..") || url[0] != '/')
        return text_reply(c, rl, MHD_HTTP_FORBIDDEN, "forbidden\n");
    char path[4096];
    snprintf(path, sizeof path, "%s%s", s->root, url);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return text_reply(c, rl, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    uint64_t size = (uint64_t)st.st_size;
    long long lie = faulty ? query_ll(c, "lie", 0) : 0;
    uint64_t announced = (uint64_t)((long long)size + lie);
    uint64_t real = lie < 0 ? announced : size;
    char etag[64], lastmod[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                 (unsigned long long)st.st_mtim.tv_nsec);
    struct tm tm;
    gmtime_r(&st.st_mtim.tv_sec, &tm);
    strftime(lastmod, sizeof lastmod, "%a, %d %b %Y %H:%M:%S GMT", &tm);

    uint64_t a = 0, b = announced ? announced - 1 : 0;
    int ranged = 0;
    const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
    if (!query_ll(c, "norange", 0) && parse_range(range_h, announced, &a, &b) == 0 &&
        (!if_range || strcmp(if_range, etag) == 0 || strcmp(if_range, lastmod) == 0)) {
        if (a >= announced) {
            close(fd);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)announced);
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
            MHD_add_response_header(resp, "Content-Range", cr);
            note_status(rl, 416);
            enum MHD_Result ret = MHD_queue_response(c, 416, resp);
            MHD_destroy_response(resp);
            return ret;
        }
        ranged = 1;
    }
    struct reply *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    r->srv = s;
    r->fd = fd;
    r->start = a;
    r->real_end = b + 1 < real ? b + 1 : real;
    r->cut = faulty ? query_ll(c, "cut", -1) : -1;
    r->stall = faulty ? query_d(c, "stall", 0) : 0;
    r->slow = faulty ? (long)query_ll(c, "slow", 0) : 0;
    r->corrupt_at = faulty && query_ll(c, "corrupt", 0) ? (long long)(size / 2) : -1;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(b - a + 1, 64 * 1024, reader, r, free_reply);
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Last-Modified", lastmod);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    unsigned code = MHD_HTTP_OK;
    if (ranged) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)a,
                 (unsigned long long)b, (unsigned long long)announced);
        MHD_add_response_header(resp, "Content-Range", cr);
        code = MHD_HTTP_PARTIAL_CONTENT;
    }
    note_status(rl, code);
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct reqlog *rl = *con_cls;
    if (!rl)
        return;
    (void)c;
    char line[1400];
    int n = snprintf(line, sizeof line, "%s end=%s\n", rl->line,
                     toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "cut");
    if (s->log_fd >= 0 && n > 0)
        (void)!write(s->log_fd, line, (size_t)n);
    free(rl);
    *con_cls = NULL;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "httpfault: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

int main(int argc, char **argv)
{
    struct server s;
    memset(&s, 0, sizeof s);
    s.log_fd = -1;
    pthread_mutex_init(&s.mu, NULL);
    const char *port_file = NULL, *log_file = NULL;
    char *auth = NULL;
    long port = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            die("option %s needs a value", a);
        if (strcmp(a, "--root") == 0)
            s.root = argv[++i];
        else if (strcmp(a, "--port-file") == 0)
            port_file = argv[++i];
        else if (strcmp(a, "--port") == 0)
            port = strtol(argv[++i], NULL, 10);
        else if (strcmp(a, "--log") == 0)
            log_file = argv[++i];
        else if (strcmp(a, "--auth") == 0)
            auth = argv[++i];
        else
            die("unknown option %s", a);
    }
    if (!s.root || !port_file)
        die("usage: httpfault --root DIR --port-file FILE [--port N] [--log FILE] "
            "[--auth USER:PASSWORD]");
    if (auth) {
        char *colon = strchr(auth, ':');
        if (!colon)
            die("--auth wants USER:PASSWORD");
        *colon = '\0';
        s.auth_user = auth;
        s.auth_pass = colon + 1;
    }
    if (log_file && (s.log_fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
        die("cannot open %s: %s", log_file, strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, completed, &s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_END);
    if (!d)
        die("cannot listen on 127.0.0.1:%ld", port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *fp = fopen(tmp, "w");
    if (!fp || fprintf(fp, "%u\n", (unsigned)info->port) < 0 || fclose(fp) != 0 ||
        rename(tmp, port_file) != 0)
        die("cannot write %s", port_file);
    while (!quit)
        nap(3600);
    MHD_stop_daemon(d);
    for (int i = 0; i < s.nkeys; i++)
        free(s.keys[i]);
    if (s.log_fd >= 0)
        close(s.log_fd);
    return 0;
}
