/* pmtiles.c — PMTiles v3 writer (see pmtiles.h). */
#include "pmtiles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/sha256.h"

#define HEADER_LEN 127
#define ROOT_MAX   (16384 - HEADER_LEN)
#define GZIP_LEVEL 6

struct tile {
    uint64_t id;
    uint32_t content; /* index into contents */
};

struct content {
    uint64_t blob_off; /* in w->blobs */
    uint32_t len;
    uint64_t final_off; /* in the tile data section; UINT64_MAX = not placed */
    char hash[CR_SHA256_HEX];
};

struct cr_pmtw {
    struct cr_bytes blobs;
    struct tile *tiles;
    size_t ntiles, tiles_cap;
    struct content *contents;
    size_t ncontents, contents_cap;
    uint32_t *slots; /* content index + 1, open addressing on the hash; 0 = empty */
    size_t nslots;
};

/* ------------------------------------------------------------- tile ids */

static void rotate(uint64_t n, uint64_t *x, uint64_t *y, uint64_t rx, uint64_t ry)
{
    if (ry == 0) {
        if (rx == 1) {
            *x = n - 1 - *x;
            *y = n - 1 - *y;
        }
        uint64_t t = *x;
        *x = *y;
        *y = t;
    }
}

uint64_t cr_pmtw_tile_id(int z, uint32_t x, uint32_t y)
{
    uint64_t acc = ((1ULL << (2 * z)) - 1) / 3; /* tiles of the lower zooms */
    uint64_t n = 1ULL << z, tx = x, ty = y, d = 0;
    for (uint64_t s = n >> 1; s > 0; s >>= 1) {
        uint64_t rx = (tx & s) ? 1 : 0, ry = (ty & s) ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        rotate(n, &tx, &ty, rx, ry);
    }
    return acc + d;
}

void cr_pmtw_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y)
{
    uint64_t acc = 0;
    int zz = 0;
    for (;; zz++) {
        uint64_t count = 1ULL << (2 * zz);
        if (id < acc + count)
            break;
        acc += count;
    }
    uint64_t t = id - acc, n = 1ULL << zz, tx = 0, ty = 0;
    for (uint64_t s = 1; s < n; s <<= 1) {
        uint64_t rx = 1 & (t / 2), ry = 1 & (t ^ rx);
        rotate(s, &tx, &ty, rx, ry);
        tx += s * rx;
        ty += s * ry;
        t /= 4;
    }
    *z = zz;
    *x = (uint32_t)tx;
    *y = (uint32_t)ty;
}

/* ------------------------------------------------------------- building */

int cr_pmtw_new(struct cr_pmtw **out, struct cr_err *err)
{
    struct cr_pmtw *w = calloc(1, sizeof *w);
    if (w) {
        w->nslots = 1024;
        w->slots = calloc(w->nslots, sizeof *w->slots);
    }
    if (!w || !w->slots) {
        free(w);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    *out = w;
    return CR_OK;
}

void cr_pmtw_free(struct cr_pmtw *w)
{
    if (!w)
        return;
    cr_bytes_free(&w->blobs);
    free(w->tiles);
    free(w->contents);
    free(w->slots);
    free(w);
}

size_t cr_pmtw_count(const struct cr_pmtw *w)
{
    return w->ntiles;
}

size_t cr_pmtw_contents(const struct cr_pmtw *w)
{
    return w->ncontents;
}

static uint64_t hash_key(const char *hex)
{
    uint64_t k = 0;
    for (int i = 0; i < 16; i++) {
        char c = hex[i];
        k = (k << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return k;
}

static int grow_slots(struct cr_pmtw *w)
{
    size_t n = w->nslots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t c = 0; c < w->ncontents; c++) {
        size_t j = hash_key(w->contents[c].hash) & (n - 1);
        while (s[j])
            j = (j + 1) & (n - 1);
        s[j] = (uint32_t)c + 1;
    }
    free(w->slots);
    w->slots = s;
    w->nslots = n;
    return 0;
}

int cr_pmtw_add(struct cr_pmtw *w, int z, uint32_t x, uint32_t y, const void *data, size_t len,
                struct cr_err *err)
{
    if (z < 0 || z > 30 || x >= (1u << z) || y >= (1u << z))
        return cr_err_set(err, CR_EINTERNAL, "PMTiles: tile %d/%u/%u is outside the grid", z, x, y);
    if (len == 0 || len > UINT32_MAX)
        return cr_err_set(err, CR_EINTERNAL, "PMTiles: tile %d/%u/%u has %zu bytes", z, x, y, len);
    char hex[CR_SHA256_HEX];
    int rc = cr_sha256_buf(data, len, hex, err);
    if (rc)
        return rc;
    if (w->ncontents * 2 >= w->nslots && grow_slots(w) != 0)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    size_t j = hash_key(hex) & (w->nslots - 1);
    uint32_t content = UINT32_MAX;
    for (; w->slots[j]; j = (j + 1) & (w->nslots - 1)) {
        const struct content *c = &w->contents[w->slots[j] - 1];
        if (c->len == len && strcmp(c->hash, hex) == 0 &&
            memcmp(w->blobs.p + c->blob_off, data, len) == 0) {
            content = w->slots[j] - 1;
            break;
        }
    }
    if (content == UINT32_MAX) {
        if (w->ncontents == w->contents_cap) {
            size_t cap = w->contents_cap ? w->contents_cap * 2 : 256;
            struct content *p = realloc(w->contents, cap * sizeof *p);
            if (!p)
                return cr_err_set(err, CR_EINTERNAL, "out of memory");
            w->contents = p;
            w->contents_cap = cap;
        }
        struct content *c = &w->contents[w->ncontents];
        c->blob_off = w->blobs.len;
        c->len = (uint32_t)len;
        c->final_off = UINT64_MAX;
        memcpy(c->hash, hex, sizeof hex);
        cr_bytes_add(&w->blobs, data, len);
        if (cr_bytes_failed(&w->blobs))
            return cr_err_set(err, CR_EINTERNAL, "out of memory storing tiles");
        content = (uint32_t)w->ncontents++;
        w->slots[j] = content + 1;
    }
    if (w->ntiles == w->tiles_cap) {
        size_t cap = w->tiles_cap ? w->tiles_cap * 2 : 1024;
        struct tile *p = realloc(w->tiles, cap * sizeof *p);
        if (!p)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        w->tiles = p;
        w->tiles_cap = cap;
    }
    w->tiles[w->ntiles].id = cr_pmtw_tile_id(z, x, y);
    w->tiles[w->ntiles].content = content;
    w->ntiles++;
    return CR_OK;
}

/* ------------------------------------------------------------- writing */

void cr_pmtw_serialize_dir(const struct cr_pmtw_entry *e, size_t n, struct cr_bytes *out)
{
    cr_bytes_varint(out, n);
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        cr_bytes_varint(out, e[i].tile_id - last);
        last = e[i].tile_id;
    }
    for (size_t i = 0; i < n; i++)
        cr_bytes_varint(out, e[i].run_length);
    for (size_t i = 0; i < n; i++)
        cr_bytes_varint(out, e[i].length);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && e[i].offset == e[i - 1].offset + e[i - 1].length)
            cr_bytes_varint(out, 0);
        else
            cr_bytes_varint(out, e[i].offset + 1);
    }
}

static int cmp_tile(const void *a, const void *b)
{
    uint64_t x = ((const struct tile *)a)->id, y = ((const struct tile *)b)->id;
    return x < y ? -1 : x > y;
}

static int gzip_dir(const struct cr_pmtw_entry *e, size_t n, struct cr_bytes *out,
                    struct cr_err *err)
{
    struct cr_bytes raw;
    cr_bytes_init(&raw);
    cr_pmtw_serialize_dir(e, n, &raw);
    int rc = cr_bytes_failed(&raw) ? cr_err_set(err, CR_EINTERNAL, "out of memory")
                                   : cr_bytes_gzip(raw.p, raw.len, GZIP_LEVEL, out, err);
    cr_bytes_free(&raw);
    return rc;
}

/* Root and leaf directories as the reference writer splits them. */
static int build_dirs(const struct cr_pmtw_entry *e, size_t n, struct cr_bytes *root,
                      struct cr_bytes *leaves, struct cr_err *err)
{
    int rc = gzip_dir(e, n, root, err);
    if (rc || root->len <= ROOT_MAX)
        return rc;
    for (size_t leaf_size = 4096;; leaf_size *= 2) {
        cr_bytes_reset(root);
        cr_bytes_reset(leaves);
        size_t nroot = (n + leaf_size - 1) / leaf_size;
        struct cr_pmtw_entry *r = calloc(nroot, sizeof *r);
        if (!r)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        for (size_t i = 0, k = 0; i < n; i += leaf_size, k++) {
            size_t m = n - i < leaf_size ? n - i : leaf_size;
            size_t off = leaves->len;
            if ((rc = gzip_dir(e + i, m, leaves, err))) {
                free(r);
                return rc;
            }
            r[k].tile_id = e[i].tile_id;
            r[k].offset = off;
            r[k].length = (uint32_t)(leaves->len - off);
            r[k].run_length = 0;
        }
        rc = gzip_dir(r, nroot, root, err);
        free(r);
        if (rc)
            return rc;
        if (root->len <= ROOT_MAX)
            return CR_OK;
    }
}

static int32_t e7(double deg)
{
    return (int32_t)lround(deg * 1e7);
}

int cr_pmtw_write(struct cr_pmtw *w, const char *path, const struct cr_pmtw_info *info,
                  const char *metadata_json, struct cr_err *err)
{
    int rc = CR_OK;
    struct cr_pmtw_entry *entries = NULL;
    uint32_t *order = NULL; /* contents in data order */
    struct cr_bytes root, leaves, meta, head;
    cr_bytes_init(&root);
    cr_bytes_init(&leaves);
    cr_bytes_init(&meta);
    cr_bytes_init(&head);

    if (w->ntiles > 1)
        qsort(w->tiles, w->ntiles, sizeof *w->tiles, cmp_tile);
    for (size_t i = 1; i < w->ntiles; i++)
        if (w->tiles[i].id == w->tiles[i - 1].id) {
            int z;
            uint32_t x, y;
            cr_pmtw_tile_zxy(w->tiles[i].id, &z, &x, &y);
            return cr_err_set(err, CR_EINTERNAL, "PMTiles %s: tile %d/%u/%u added twice", path, z,
                              x, y);
        }
    entries = malloc((w->ntiles ? w->ntiles : 1) * sizeof *entries);
    order = malloc((w->ncontents ? w->ncontents : 1) * sizeof *order);
    if (!entries || !order) {
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    /* data in tile id order of first use; a later duplicate points back */
    uint64_t data_len = 0;
    size_t nplaced = 0, nentries = 0;
    for (size_t c = 0; c < w->ncontents; c++)
        w->contents[c].final_off = UINT64_MAX;
    for (size_t i = 0; i < w->ntiles; i++) {
        struct content *c = &w->contents[w->tiles[i].content];
        if (c->final_off == UINT64_MAX) {
            c->final_off = data_len;
            data_len += c->len;
            order[nplaced++] = w->tiles[i].content;
        }
        struct cr_pmtw_entry *last = nentries ? &entries[nentries - 1] : NULL;
        if (last && last->tile_id + last->run_length == w->tiles[i].id &&
            last->offset == c->final_off && last->length == c->len) {
            last->run_length++;
            continue;
        }
        entries[nentries].tile_id = w->tiles[i].id;
        entries[nentries].offset = c->final_off;
        entries[nentries].length = c->len;
        entries[nentries].run_length = 1;
        nentries++;
    }
    if ((rc = build_dirs(entries, nentries, &root, &leaves, err)))
        goto done;
    const char *mj = metadata_json ? metadata_json : "{}";
    if ((rc = cr_bytes_gzip(mj, strlen(mj), GZIP_LEVEL, &meta, err)))
        goto done;

    uint64_t root_off = HEADER_LEN, meta_off = root_off + root.len;
    uint64_t leaf_off = meta_off + meta.len, data_off = leaf_off + leaves.len;
    cr_bytes_add(&head, "PMTiles", 7);
    cr_bytes_byte(&head, 3);
    cr_bytes_le64(&head, root_off);
    cr_bytes_le64(&head, root.len);
    cr_bytes_le64(&head, meta_off);
    cr_bytes_le64(&head, meta.len);
    cr_bytes_le64(&head, leaf_off);
    cr_bytes_le64(&head, leaves.len);
    cr_bytes_le64(&head, data_off);
    cr_bytes_le64(&head, data_len);
    cr_bytes_le64(&head, w->ntiles);    /* addressed tiles */
    cr_bytes_le64(&head, nentries);     /* tile entries */
    cr_bytes_le64(&head, w->ncontents); /* tile contents */
    cr_bytes_byte(&head, 1);            /* clustered */
    cr_bytes_byte(&head, CR_PMTW_COMP_GZIP);
    cr_bytes_byte(&head, (unsigned char)info->tile_compression);
    cr_bytes_byte(&head, (unsigned char)info->tile_type);
    cr_bytes_byte(&head, (unsigned char)info->min_zoom);
    cr_bytes_byte(&head, (unsigned char)info->max_zoom);
    cr_bytes_le32(&head, (uint32_t)e7(info->min_lon));
    cr_bytes_le32(&head, (uint32_t)e7(info->min_lat));
    cr_bytes_le32(&head, (uint32_t)e7(info->max_lon));
    cr_bytes_le32(&head, (uint32_t)e7(info->max_lat));
    cr_bytes_byte(&head, (unsigned char)info->center_zoom);
    cr_bytes_le32(&head, (uint32_t)e7(info->center_lon));
    cr_bytes_le32(&head, (uint32_t)e7(info->center_lat));
    if (cr_bytes_failed(&head) || head.len != HEADER_LEN) {
        rc = cr_err_set(err, CR_EINTERNAL, "PMTiles header is %zu bytes", head.len);
        goto done;
    }

    struct cr_atomic_file af;
    if ((rc = cr_atomic_open(&af, path, err)))
        goto done;
    int ok = fwrite(head.p, 1, head.len, af.fp) == head.len &&
             fwrite(root.p, 1, root.len, af.fp) == root.len &&
             fwrite(meta.p, 1, meta.len, af.fp) == meta.len &&
             (leaves.len == 0 || fwrite(leaves.p, 1, leaves.len, af.fp) == leaves.len);
    for (size_t k = 0; ok && k < nplaced; k++) {
        const struct content *c = &w->contents[order[k]];
        ok = fwrite(w->blobs.p + c->blob_off, 1, c->len, af.fp) == c->len;
    }
    if (!ok) {
        cr_atomic_abort(&af);
        rc = cr_err_set(err, CR_EINTERNAL, "cannot write %s (disk full?)", path);
        goto done;
    }
    rc = cr_atomic_commit(&af, err);
done:
    free(entries);
    free(order);
    cr_bytes_free(&root);
    cr_bytes_free(&leaves);
    cr_bytes_free(&meta);
    cr_bytes_free(&head);
    return rc;
}
