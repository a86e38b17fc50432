/* http_files.c — files of the viewer and tiles folders: path checks
 * (syntactic, then realpath so that symlinks cannot lead outside), ETag and
 * Last-Modified validators, single byte ranges (what the PMTiles client
 * asks for), precompressed .gz siblings; bodies go out with sendfile. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/strutil.h"
#include "http_util.h"
#include "server_int.h"

static const struct {
    const char *ext;
    const char *type;
    int text;
} mimes[] = {
    {".html", "text/html; charset=utf-8", 1},
    {".js", "text/javascript; charset=utf-8", 1},
    {".mjs", "text/javascript; charset=utf-8", 1},
    {".css", "text/css; charset=utf-8", 1},
    {".json", "application/json; charset=utf-8", 1},
    {".geojson", "application/geo+json", 1},
    {".map", "application/json; charset=utf-8", 1},
    {".svg", "image/svg+xml", 1},
    {".txt", "text/plain; charset=utf-8", 1},
    {".md", "text/markdown; charset=utf-8", 1},
    {".png", "image/png", 0},
    {".jpg", "image/jpeg", 0},
    {".webp", "image/webp", 0},
    {".ico", "image/x-icon", 0},
    {".woff2", "font/woff2", 0},
    {".pmtiles", "application/vnd.pmtiles", 0},
    {".mbtiles", "application/vnd.sqlite3", 0},
    {".mvt", "application/vnd.mapbox-vector-tile", 0},
    {".pbf", "application/x-protobuf", 0},
};

static int mime_index(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return -1;
    for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
        if (strcmp(dot, mimes[i].ext) == 0)
            return (int)i;
    return -1;
}

const char *cr_mime_type(const char *path)
{
    int i = mime_index(path);
    return i < 0 ? "application/octet-stream" : mimes[i].type;
}

/* realpath of root/rel when it is a regular file inside root; -1 else. */
static int resolve_inside(const char *root, const char *rel, char *real, struct stat *st)
{
    char joined[CR_PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof joined)
        return -1;
    char buf[PATH_MAX];
    if (!realpath(joined, buf))
        return -1;
    size_t rl = strlen(root);
    if (strncmp(buf, root, rl) != 0 || buf[rl] != '/')
        return -2; /* a symlink leads outside the served folder */
    if (stat(buf, st) != 0 || !S_ISREG(st->st_mode))
        return -1;
    cr_strlcpy(real, buf, CR_PATH_MAX);
    return 0;
}

enum MHD_Result cr_serve_file(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                              const char *root, const char *rel, const char *cache_control)
{
    if (!cr_http_safe_relpath(rel))
        return cr_reply_error(s, c, rq, 400,
                              "bad path: empty, '.', '..' or hidden segments and control "
                              "characters are refused");
    char real[CR_PATH_MAX];
    struct stat st;
    int r = resolve_inside(root, rel, real, &st);
    if (r == -2)
        return cr_reply_error(s, c, rq, 404, "not found: /%s", rel);
    if (r != 0)
        return cr_reply_error(s, c, rq, 404, "not found: /%s", rel);

    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtime);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Modified-Since");
    int not_modified = inm ? cr_http_etag_matches(inm, etag)
                           : (ims && cr_http_parse_date(ims) >= (long long)st.st_mtime);

    int mi = mime_index(real);
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
    if (range && if_range && strcmp(if_range, etag) != 0)
        range = NULL; /* the client's copy is stale: send the whole file */

    /* A precompressed sibling (name.gz, written by the viewer build). */
    char gzpath[CR_PATH_MAX + 4];
    struct stat gst;
    int use_gz = 0;
    if (!not_modified && !range && rq->gzip_ok && mi >= 0 && mimes[mi].text) {
        char relgz[CR_PATH_MAX];
        if (snprintf(relgz, sizeof relgz, "%s.gz", rel) < (int)sizeof relgz &&
            resolve_inside(root, relgz, gzpath, &gst) == 0 && gst.st_mtime >= st.st_mtime)
            use_gz = 1;
    }

    struct MHD_Response *resp;
    int status = 200;
    uint64_t body = 0;
    if (not_modified) {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_NOT_MODIFIED;
    } else {
        uint64_t size = (uint64_t)(use_gz ? gst.st_size : st.st_size), start = 0, len = size;
        enum cr_range_kind rk =
            range ? cr_http_parse_range(range, size, &start, &len) : CR_RANGE_NONE;
        if (rk == CR_RANGE_UNSATISFIABLE) {
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
            char msg[160];
            int n =
                snprintf(msg, sizeof msg, "{\"error\":\"range not satisfiable\",\"status\":416}\n");
            resp = MHD_create_response_from_buffer((size_t)n, msg, MHD_RESPMEM_MUST_COPY);
            if (!resp)
                return MHD_NO;
            MHD_add_response_header(resp, "Content-Range", cr);
            MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
            cr_add_cors(s, resp);
            return cr_queue(c, rq, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, (uint64_t)n);
        }
        int fd = open(use_gz ? gzpath : real, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return cr_reply_error(s, c, rq, errno == EACCES ? 403 : 404, "cannot open /%s", rel);
        resp = MHD_create_response_from_fd_at_offset64(len, fd, start);
        if (!resp) {
            close(fd);
            return MHD_NO;
        }
        body = len;
        if (rk == CR_RANGE_OK) {
            char cr[96];
            snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)start,
                     (unsigned long long)(start + len - 1), (unsigned long long)size);
            MHD_add_response_header(resp, "Content-Range", cr);
            status = MHD_HTTP_PARTIAL_CONTENT;
        }
        MHD_add_response_header(resp, "Content-Type", cr_mime_type(real));
        if (use_gz)
            MHD_add_response_header(resp, "Content-Encoding", "gzip");
    }
    if (!resp)
        return MHD_NO;
    char date[32];
    cr_http_date((long long)st.st_mtime, date);
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Last-Modified", date);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Cache-Control", cache_control);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (mi >= 0 && mimes[mi].text)
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    cr_add_cors(s, resp);
    return cr_queue(c, rq, status, resp, body);
}

enum MHD_Result cr_serve_open_file(struct cr_server *s, struct MHD_Connection *c, struct cr_req *rq,
                                   int fd, uint64_t size, long long mtime, const char *mime,
                                   const char *cache_control)
{
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)size,
             (unsigned long long)mtime);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
    if (range && if_range && strcmp(if_range, etag) != 0)
        range = NULL;
    struct MHD_Response *resp;
    int status = 200;
    uint64_t start = 0, len = size;
    if (inm && cr_http_etag_matches(inm, etag)) {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_NOT_MODIFIED;
        len = 0;
    } else {
        enum cr_range_kind rk =
            range ? cr_http_parse_range(range, size, &start, &len) : CR_RANGE_NONE;
        if (rk == CR_RANGE_UNSATISFIABLE) {
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
            static const char msg[] = "{\"error\":\"range not satisfiable\",\"status\":416}\n";
            resp = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg,
                                                   MHD_RESPMEM_PERSISTENT);
            if (!resp)
                return MHD_NO;
            MHD_add_response_header(resp, "Content-Range", cr);
            MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
            cr_add_cors(s, resp);
            return cr_queue(c, rq, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, sizeof msg - 1);
        }
        if (len <= 256 * 1024) { /* small ranges: one pread, no extra descriptor */
            unsigned char *buf = malloc(len ? (size_t)len : 1);
            if (!buf)
                return MHD_NO;
            size_t done = 0;
            while (done < len) {
                ssize_t n = pread(fd, buf + done, (size_t)(len - done), (off_t)(start + done));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                done += (size_t)n;
            }
            if (done < len) {
                free(buf);
                return cr_reply_error(s, c, rq, 500, "cannot read the archive");
            }
            resp = MHD_create_response_from_buffer_with_free_callback((size_t)len, buf, free);
        } else {
            int dfd = dup(fd); /* the response owns and closes its descriptor */
            if (dfd < 0)
                return cr_reply_error(s, c, rq, 503, "out of file descriptors");
            resp = MHD_create_response_from_fd_at_offset64(len, dfd, start);
            if (!resp)
                close(dfd);
        }
        if (!resp)
            return MHD_NO;
        if (rk == CR_RANGE_OK) {
            char cr[96];
            snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)start,
                     (unsigned long long)(start + len - 1), (unsigned long long)size);
            MHD_add_response_header(resp, "Content-Range", cr);
            status = MHD_HTTP_PARTIAL_CONTENT;
        }
        MHD_add_response_header(resp, "Content-Type", mime);
    }
    if (!resp)
        return MHD_NO;
    char date[32];
    cr_http_date(mtime, date);
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Last-Modified", date);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Cache-Control", cache_control);
    cr_add_cors(s, resp);
    return cr_queue(c, rq, status, resp, len);
}
