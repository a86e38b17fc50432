/* http_pmtiles.c — PMTiles v3 reader for the tile server; see
 * http_pmtiles.h. */
#include "http_pmtiles.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/strutil.h"
#include "http_util.h"

#define HEADER_LEN     127
#define MAX_DIR_BYTES  (64u << 20) /* decompressed directory guard */
#define MAX_META_BYTES (16u << 20)
#define MAX_TILE_BYTES (64u << 20)
#define LEAF_SLOTS     64

struct entry {
    uint64_t tile_id, offset;
    uint32_t length, run_length;
};

struct dir {
    struct entry *e;
    size_t n;
};

struct leaf_slot {
    uint64_t offset; /* in the leaf section; UINT64_MAX = empty */
    struct dir d;
    unsigned used; /* clock bit */
};

struct cr_pmt_archive {
    char path[1024];
    int fd;
    uint64_t size;
    long long mtime;
    struct cr_pmt_header h;
    char *meta;
    struct dir root;
    pthread_mutex_t lock;
    struct leaf_slot leaves[LEAF_SLOTS];
    unsigned hand;
};

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int32_t le32s(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (int32_t)v;
}

uint64_t cr_pmt_tile_id(int z, uint32_t x, uint32_t y)
{
    if (z == 0)
        return 0;
    uint64_t acc = ((1ull << (2 * z)) - 1) / 3; /* tiles of all lower zooms */
    uint64_t tx = x, ty = y;
    for (int a = z - 1; a >= 0; a--) {
        uint64_t s = 1ull << a;
        uint64_t rx = (tx & s) ? 1 : 0, ry = (ty & s) ? 1 : 0;
        acc += ((3 * rx) ^ ry) << (2 * a);
        if (ry == 0) { /* rotate the quadrant */
            if (rx == 1) {
                tx = s - 1 - (tx & (s - 1));
                ty = s - 1 - (ty & (s - 1));
            }
            uint64_t t = tx;
            tx = ty;
            ty = t;
        }
    }
    return acc;
}

static int read_at(const struct cr_pmt_archive *a, uint64_t off, uint64_t len, unsigned char *buf)
{
    if (off > a->size || len > a->size - off)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(a->fd, buf + done, (size_t)(len - done), (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/* Read a section and undo the internal compression. */
static int read_section(const struct cr_pmt_archive *a, uint64_t off, uint64_t len, size_t max,
                        unsigned char **out, size_t *out_len)
{
    if (len > MAX_DIR_BYTES)
        return -1;
    unsigned char *raw = malloc(len ? (size_t)len : 1);
    if (!raw)
        return -1;
    if (read_at(a, off, len, raw) != 0) {
        free(raw);
        return -1;
    }
    if (a->h.internal_compression == CR_PMT_COMP_NONE) {
        *out = raw;
        *out_len = (size_t)len;
        return 0;
    }
    int rc = cr_gunzip(raw, (size_t)len, max, out, out_len);
    free(raw);
    return rc;
}

static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

static int decode_dir(const unsigned char *buf, size_t len, struct dir *d)
{
    const unsigned char *p = buf, *end = buf + len;
    uint64_t n;
    if (varint(&p, end, &n) != 0 || n > len) /* each entry takes >= 4 bytes */
        return -1;
    struct entry *e = calloc(n ? (size_t)n : 1, sizeof *e);
    if (!e)
        return -1;
    uint64_t v = 0, last = 0;
    int bad = 0;
    for (uint64_t i = 0; i < n && !bad; i++) {
        bad = varint(&p, end, &v) != 0;
        last += v;
        e[i].tile_id = last;
        if (i > 0 && e[i].tile_id < e[i - 1].tile_id)
            bad = 1;
    }
    for (uint64_t i = 0; i < n && !bad; i++) {
        bad = varint(&p, end, &v) != 0 || v > UINT32_MAX;
        e[i].run_length = (uint32_t)v;
    }
    for (uint64_t i = 0; i < n && !bad; i++) {
        bad = varint(&p, end, &v) != 0 || v > UINT32_MAX;
        e[i].length = (uint32_t)v;
    }
    for (uint64_t i = 0; i < n && !bad; i++) {
        bad = varint(&p, end, &v) != 0;
        if (v == 0 && i > 0)
            e[i].offset = e[i - 1].offset + e[i - 1].length;
        else
            e[i].offset = v - 1;
        if (v == 0 && i == 0)
            bad = 1;
    }
    if (bad) {
        free(e);
        return -1;
    }
    d->e = e;
    d->n = (size_t)n;
    return 0;
}

/* The entry holding tile id (or the leaf that may), as find_tile of the
 * spec's reference reader: exact match, else the previous entry if it is a
 * leaf or its run covers the id. NULL when none. */
static const struct entry *find(const struct dir *d, uint64_t id)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->e[mid].tile_id <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct entry *e = &d->e[lo - 1];
    if (e->tile_id == id)
        return e;
    if (e->run_length == 0)
        return e; /* a leaf directory covering id */
    if (id - e->tile_id < e->run_length)
        return e;
    return NULL;
}

int cr_pmt_open(const char *path, struct cr_pmt_archive **out, struct cr_err *err)
{
    *out = NULL;
    struct cr_pmt_archive *a = calloc(1, sizeof *a);
    if (!a)
        return cr_err_set(err, CR_EINTERNAL, "out of memory opening %s", path);
    cr_strlcpy(a->path, path, sizeof a->path);
    pthread_mutex_init(&a->lock, NULL);
    for (int i = 0; i < LEAF_SLOTS; i++)
        a->leaves[i].offset = UINT64_MAX;
    a->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (a->fd < 0 || fstat(a->fd, &st) != 0) {
        int e = errno;
        cr_pmt_close(a);
        return cr_err_set(err, CR_EDATA, "cannot open PMTiles archive %s: %s", path, strerror(e));
    }
    a->size = (uint64_t)st.st_size;
    a->mtime = (long long)st.st_mtime;
    unsigned char h[HEADER_LEN];
    if (read_at(a, 0, HEADER_LEN, h) != 0 || memcmp(h, "PMTiles", 7) != 0 || h[7] != 3) {
        cr_pmt_close(a);
        return cr_err_set(err, CR_EDATA,
                          "%s is not a PMTiles v3 archive (bad magic or version); rebuild it "
                          "with 'climrisk tiles'",
                          path);
    }
    struct cr_pmt_header *H = &a->h;
    H->root_offset = le64(h + 8);
    H->root_length = le64(h + 16);
    H->meta_offset = le64(h + 24);
    H->meta_length = le64(h + 32);
    H->leaf_offset = le64(h + 40);
    H->leaf_length = le64(h + 48);
    H->data_offset = le64(h + 56);
    H->data_length = le64(h + 64);
    H->addressed_tiles = le64(h + 72);
    H->tile_entries = le64(h + 80);
    H->tile_contents = le64(h + 88);
    H->clustered = h[96];
    H->internal_compression = h[97];
    H->tile_compression = h[98];
    H->tile_type = h[99];
    H->min_zoom = h[100];
    H->max_zoom = h[101];
    H->min_lon = le32s(h + 102) / 1e7;
    H->min_lat = le32s(h + 106) / 1e7;
    H->max_lon = le32s(h + 110) / 1e7;
    H->max_lat = le32s(h + 114) / 1e7;
    H->center_zoom = h[118];
    H->center_lon = le32s(h + 119) / 1e7;
    H->center_lat = le32s(h + 123) / 1e7;
    const char *why = NULL;
    if (H->internal_compression != CR_PMT_COMP_NONE && H->internal_compression != CR_PMT_COMP_GZIP)
        why = "internal compression other than none or gzip is not supported";
    else if (H->root_offset > a->size || H->root_length > a->size - H->root_offset ||
             H->meta_offset > a->size || H->meta_length > a->size - H->meta_offset ||
             H->leaf_offset > a->size || H->leaf_length > a->size - H->leaf_offset ||
             H->data_offset > a->size || H->data_length > a->size - H->data_offset)
        why = "a section lies outside the file (truncated?)";
    else if (H->min_zoom > H->max_zoom || H->max_zoom > 30)
        why = "bad zoom range";
    unsigned char *buf = NULL;
    size_t len = 0;
    if (!why && read_section(a, H->meta_offset, H->meta_length, MAX_META_BYTES, &buf, &len) != 0)
        why = "cannot read or decompress the metadata";
    if (!why) {
        a->meta = malloc(len + 1);
        if (a->meta) {
            memcpy(a->meta, buf, len);
            a->meta[len] = '\0';
        }
        free(buf);
        buf = NULL;
        if (!a->meta)
            why = "out of memory";
    }
    if (!why && read_section(a, H->root_offset, H->root_length, MAX_DIR_BYTES, &buf, &len) != 0)
        why = "cannot read or decompress the root directory";
    if (!why && decode_dir(buf, len, &a->root) != 0)
        why = "the root directory is corrupt";
    free(buf);
    if (why) {
        cr_pmt_close(a);
        return cr_err_set(err, CR_EDATA, "PMTiles archive %s: %s", path, why);
    }
    *out = a;
    return CR_OK;
}

void cr_pmt_close(struct cr_pmt_archive *a)
{
    if (!a)
        return;
    if (a->fd >= 0)
        close(a->fd);
    free(a->meta);
    free(a->root.e);
    for (int i = 0; i < LEAF_SLOTS; i++)
        free(a->leaves[i].d.e);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

const struct cr_pmt_header *cr_pmt_header(const struct cr_pmt_archive *a)
{
    return &a->h;
}

const char *cr_pmt_metadata(const struct cr_pmt_archive *a)
{
    return a->meta;
}

uint64_t cr_pmt_file_size(const struct cr_pmt_archive *a)
{
    return a->size;
}

int cr_pmt_fd(const struct cr_pmt_archive *a)
{
    return a->fd;
}

long long cr_pmt_mtime(const struct cr_pmt_archive *a)
{
    return a->mtime;
}

/* Look id up in the leaf at `offset` (loading it into the cache); copies
 * the found entry into *found. Called with the lock held. Returns 1 found,
 * 0 not found, -1 error. */
static int leaf_lookup(struct cr_pmt_archive *a, const struct entry *leaf, uint64_t id,
                       struct entry *found)
{
    struct leaf_slot *slot = NULL;
    for (int i = 0; i < LEAF_SLOTS; i++)
        if (a->leaves[i].offset == leaf->offset) {
            slot = &a->leaves[i];
            break;
        }
    if (!slot) {
        unsigned char *buf;
        size_t len;
        struct dir d;
        if (read_section(a, a->h.leaf_offset + leaf->offset, leaf->length, MAX_DIR_BYTES, &buf,
                         &len) != 0)
            return -1;
        int rc = decode_dir(buf, len, &d);
        free(buf);
        if (rc != 0)
            return -1;
        for (;;) { /* clock replacement */
            struct leaf_slot *s = &a->leaves[a->hand];
            a->hand = (a->hand + 1) % LEAF_SLOTS;
            if (s->used && s->offset != UINT64_MAX) {
                s->used = 0;
                continue;
            }
            free(s->d.e);
            s->d = d;
            s->offset = leaf->offset;
            slot = s;
            break;
        }
    }
    slot->used = 1;
    const struct entry *e = find(&slot->d, id);
    if (!e)
        return 0;
    *found = *e;
    return 1;
}

int cr_pmt_get(struct cr_pmt_archive *a, int z, uint32_t x, uint32_t y, unsigned char **data,
               size_t *len, struct cr_err *err)
{
    *data = NULL;
    *len = 0;
    if (z < a->h.min_zoom || z > a->h.max_zoom)
        return 0;
    uint64_t id = cr_pmt_tile_id(z, x, y);
    const struct entry *e = find(&a->root, id);
    if (!e)
        return 0;
    struct entry cur = *e;
    int depth = 0;
    while (cur.run_length == 0) { /* a leaf directory */
        if (++depth > 3) {
            cr_err_set(err, CR_EDATA, "PMTiles archive %s: leaf directories nest too deep",
                       a->path);
            return -1;
        }
        pthread_mutex_lock(&a->lock);
        int rc = leaf_lookup(a, &cur, id, &cur);
        pthread_mutex_unlock(&a->lock);
        if (rc < 0) {
            cr_err_set(err, CR_EDATA, "PMTiles archive %s: cannot read a leaf directory", a->path);
            return -1;
        }
        if (rc == 0)
            return 0;
    }
    if (cur.length == 0 || cur.length > MAX_TILE_BYTES || cur.offset > a->h.data_length ||
        cur.length > a->h.data_length - cur.offset) {
        cr_err_set(err, CR_EDATA, "PMTiles archive %s: tile %d/%u/%u lies outside the data",
                   a->path, z, x, y);
        return -1;
    }
    unsigned char *buf = malloc(cur.length);
    if (!buf) {
        cr_err_set(err, CR_EINTERNAL, "out of memory");
        return -1;
    }
    if (read_at(a, a->h.data_offset + cur.offset, cur.length, buf) != 0) {
        free(buf);
        cr_err_set(err, CR_EDATA, "PMTiles archive %s: cannot read tile %d/%u/%u", a->path, z, x,
                   y);
        return -1;
    }
    *data = buf;
    *len = cur.length;
    return 1;
}
