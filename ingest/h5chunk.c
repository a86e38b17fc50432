/* h5chunk.c — direct chunk reads and writes of whole-map chunks (see
 * h5chunk.h).
 *
 * Hand-written on purpose, and small: HDF5 finds and fetches the chunk
 * (H5Dread_chunk), libdeflate inflates it; only the byte shuffle (HDF5's
 * filter 2, a transpose of the value bytes) is done here, because no
 * Debian library exposes it. Writing at deflate level 1 uses a run-length
 * deflate (ingest/rle_deflate.h) with a Huffman code made from one of the
 * file's own maps (refreshed every CODE_REFRESH maps): on these maps it is
 * within 6 % of libdeflate's level 1 in size and five times faster; what it
 * cannot fit (noise) goes to ISA-L's igzip (Debian's libisal), which
 * stores it. Higher levels use libdeflate, whose ratio there is better
 * than igzip's best. */
#include "h5chunk.h"

#include "rle_deflate.h"

#include "../core/dropbehind.h"

#include <hdf5.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Chunks larger than this decoded go through netCDF, whose chunk cache is
 * bounded; DRIAS chunks are one 143 x 134 map (77 KB). */
#define CHUNK_MAX_BYTES ((size_t)64 << 20)

/* What one thread needs to decode chunks: libdeflate's decompressor is not
 * shareable, and unshuffling needs room of its own. */
struct decoder {
    struct libdeflate_decompressor *inflater;
    float *unshuf; /* inflated bytes before unshuffling */
};

/* One chunk fetched for decoding: its bytes in raw, and which of its
 * filters were skipped when it was written (H5Dread_chunk's mask). */
struct stored {
    size_t off, len;
    uint32_t mask;
    int unwritten; /* never written: all fill values */
};

struct cr_h5chunk {
    hid_t file, dset;
    int shuffle, deflate; /* the pipeline, in this order when both */
    int level;            /* deflate's level, as stored */
    size_t ntime;         /* the dataset's time steps */
    size_t ct;            /* time steps per chunk */
    size_t cells;         /* values per time step (product of the other dims) */
    float fill;
    int threads; /* decoders: chunks inflated at once */
    struct decoder dec[CR_H5CHUNK_MAX_THREADS];
    unsigned char *raw; /* the chunks of one read, as stored, end to end */
    size_t raw_cap;
    struct stored *stored; /* where each chunk of one read lies in raw */
    size_t stored_cap;
    float *chunk;  /* the decoded chunk, when ct > 1 */
    size_t cached; /* which chunk `chunk` holds, or SIZE_MAX */
    /* Chunks fetched leave the page cache (core/dropbehind.h). HDF5 1.10
     * finds a chunk's address only by walking the index from the start
     * (H5Dget_chunk_info_by_coord: 0.6 ms for step 34000, which tripled
     * compute's time when asked per chunk), so it is asked for the first
     * and last chunks only, and step t is taken to lie at the fraction
     * t / ntime of the bytes between: DRIAS and synth store chunks in time
     * order. SLACK covers the seasons' unequal chunk sizes; a file stored
     * otherwise (last before first) is not dropped from. */
    struct cr_drop_behind cache;
    long long first_addr, span; /* span 0: not dropped from */
    long long dropped_to;       /* file bytes before this were reported */
    size_t read_to;             /* steps before this have been read */
};

#define SLACK (4LL << 20)

static const char *check_pipeline(struct cr_h5chunk *c, hid_t dcpl)
{
    int n = H5Pget_nfilters(dcpl);
    if (n < 0 || n > 2)
        return "other filters";
    for (int k = 0; k < n; k++) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        char name[64];
        unsigned config;
        H5Z_filter_t id =
            H5Pget_filter2(dcpl, (unsigned)k, &flags, &ncd, cd, sizeof name, name, &config);
        if (id == H5Z_FILTER_SHUFFLE && k == 0 && !c->shuffle && !c->deflate)
            c->shuffle = 1;
        else if (id == H5Z_FILTER_DEFLATE && !c->deflate) {
            c->deflate = 1;
            c->level = ncd > 0 ? (int)cd[0] : 1;
        } else
            return "a filter other than shuffle then deflate";
    }
    return NULL;
}

/* Stored as little-endian float32, which this machine's floats are. */
static int is_native_f32le(hid_t dset)
{
    hid_t type = H5Dget_type(dset);
    int yes = type >= 0 && H5Tequal(type, H5T_IEEE_F32LE) > 0 &&
              H5Tequal(H5T_NATIVE_FLOAT, H5T_IEEE_F32LE) > 0;
    if (type >= 0)
        H5Tclose(type);
    return yes;
}

/* Open path (read-only or read-write) and its dataset var_name, with the
 * dataset's creation properties; NULL, or why not (HDF5's own error
 * messages silenced: not being eligible is not an error). */
static const char *open_dataset(const char *path, const char *var_name, unsigned flags, hid_t *file,
                                hid_t *dset, hid_t *dcpl)
{
    const char *why = NULL;
    H5E_BEGIN_TRY
    {
        /* Not NetCDF-4 (classic, CDF5) fails here. */
        *file = H5Fopen(path, flags, H5P_DEFAULT);
        if (*file < 0)
            why = "not an HDF5 file";
        else if ((*dset = H5Dopen2(*file, var_name, H5P_DEFAULT)) < 0)
            why = "no dataset of that name";
        else if ((*dcpl = H5Dget_create_plist(*dset)) < 0)
            why = "no creation property list";
    }
    H5E_END_TRY;
    return why;
}

static const char *check_layout(struct cr_h5chunk *c, hid_t dcpl, int ndims, const size_t *dimlen)
{
    if (H5Pget_layout(dcpl) != H5D_CHUNKED)
        return "not chunked";
    if (!is_native_f32le(c->dset))
        return "not little-endian float32";
    hid_t space = H5Dget_space(c->dset);
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK];
    int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
    if (space >= 0)
        H5Sclose(space);
    if (rank < 2 || rank > 3 || H5Pget_chunk(dcpl, rank, chunk) != rank)
        return "not 2-D or 3-D";
    if (rank != ndims)
        return "not the shape netCDF reports";
    for (int k = 0; k < rank; k++)
        if ((size_t)dims[k] != dimlen[k])
            return "not the shape netCDF reports";
    c->ntime = (size_t)dims[0];
    c->ct = (size_t)chunk[0];
    c->cells = 1;
    for (int k = 1; k < rank; k++) {
        if (chunk[k] != dims[k])
            return "chunks do not span the whole map";
        c->cells *= (size_t)dims[k];
    }
    if (c->ct == 0 || c->cells == 0 || c->ct * c->cells * sizeof(float) > CHUNK_MAX_BYTES)
        return "chunks too large";
    if (H5Pget_fill_value(dcpl, H5T_NATIVE_FLOAT, &c->fill) < 0)
        return "no fill value";
    return NULL;
}

/* Where chunk k starts or ends, as a byte of the file (see `span`). */
static long long chunk_addr(const struct cr_h5chunk *c, size_t k)
{
    size_t nchunks = (c->ntime + c->ct - 1) / c->ct;
    return c->first_addr + (long long)((double)c->span * (double)k / (double)nchunks);
}

/* Ask for the first and last chunks' addresses (see `span`). */
static void locate_chunks(struct cr_h5chunk *c)
{
    size_t nchunks = (c->ntime + c->ct - 1) / c->ct;
    if (nchunks < 2 || c->cache.fd < 0)
        return;
    hsize_t first[3] = {0, 0, 0}, last[3] = {(hsize_t)((nchunks - 1) * c->ct), 0, 0};
    haddr_t a0 = HADDR_UNDEF, a1 = HADDR_UNDEF;
    hsize_t s0 = 0, s1 = 0;
    unsigned mask;
    herr_t h0, h1;
    H5E_BEGIN_TRY
    {
        h0 = H5Dget_chunk_info_by_coord(c->dset, first, &mask, &a0, &s0);
        h1 = H5Dget_chunk_info_by_coord(c->dset, last, &mask, &a1, &s1);
    }
    H5E_END_TRY;
    if (h0 < 0 || h1 < 0 || a0 == HADDR_UNDEF || a1 == HADDR_UNDEF || a1 <= a0)
        return;
    c->first_addr = (long long)a0;
    c->span = (long long)(a1 + s1 - a0);
}

/* Steps before t have been fetched: report the bytes before their
 * estimated place, less SLACK, as read. */
static void drop_read(struct cr_h5chunk *c, size_t t, long long slack)
{
    if (c->span == 0)
        return;
    long long to = chunk_addr(c, t / c->ct) - slack;
    if (to > c->dropped_to) {
        cr_drop_behind_read(&c->cache, c->dropped_to, to);
        c->dropped_to = to;
    }
}

struct cr_h5chunk *cr_h5chunk_open(const char *path, const char *var_name, int ndims,
                                   const size_t *dimlen, int threads, const char **why)
{
    const char *reason = NULL;
    struct cr_h5chunk *c = calloc(1, sizeof *c);
    if (!c) {
        if (why)
            *why = "out of memory";
        return NULL;
    }
    c->file = c->dset = H5I_INVALID_HID;
    c->cached = SIZE_MAX;
    c->cache.fd = -1;
    c->threads = threads < 1                        ? 1
                 : threads > CR_H5CHUNK_MAX_THREADS ? CR_H5CHUNK_MAX_THREADS
                                                    : threads;
    hid_t dcpl = H5I_INVALID_HID;
    reason = open_dataset(path, var_name, H5F_ACC_RDONLY, &c->file, &c->dset, &dcpl);
    if (!reason)
        reason = check_layout(c, dcpl, ndims, dimlen);
    if (!reason)
        reason = check_pipeline(c, dcpl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    size_t bytes = c->ct * c->cells * sizeof(float);
    if (!reason && c->ct > 1) {
        /* chunks of several steps are decoded one at a time, into c->chunk */
        c->threads = 1;
        c->stored_cap = 1;
        if (!(c->chunk = malloc(bytes)) || !(c->stored = malloc(sizeof *c->stored)))
            reason = "out of memory";
    }
    for (int k = 0; !reason && k < c->threads; k++) {
        struct decoder *d = &c->dec[k];
        if ((c->deflate && !(d->inflater = libdeflate_alloc_decompressor())) ||
            (c->shuffle && !(d->unshuf = malloc(bytes))))
            reason = "out of memory";
    }
    if (reason) {
        cr_h5chunk_close(c);
        if (why)
            *why = reason;
        return NULL;
    }
    cr_drop_behind_open(&c->cache, path);
    locate_chunks(c);
    return c;
}

/* HDF5's shuffle stores byte b of value i at b * n + i. SSE2 (in every
 * x86-64) interleaves 16 values per step, several times faster than the
 * byte loop that finishes the rest and serves other machines. */
static void unshuffle4(const unsigned char *restrict in, unsigned char *restrict out, size_t n)
{
    const unsigned char *b0 = in, *b1 = in + n, *b2 = in + 2 * n, *b3 = in + 3 * n;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        __m128i p0 = _mm_loadu_si128((const __m128i *)(b0 + i));
        __m128i p1 = _mm_loadu_si128((const __m128i *)(b1 + i));
        __m128i p2 = _mm_loadu_si128((const __m128i *)(b2 + i));
        __m128i p3 = _mm_loadu_si128((const __m128i *)(b3 + i));
        __m128i lo01 = _mm_unpacklo_epi8(p0, p1), hi01 = _mm_unpackhi_epi8(p0, p1);
        __m128i lo23 = _mm_unpacklo_epi8(p2, p3), hi23 = _mm_unpackhi_epi8(p2, p3);
        unsigned char *o = out + 4 * i;
        _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi16(lo01, lo23));
        _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi16(lo01, lo23));
        _mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi16(hi01, hi23));
        _mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi16(hi01, hi23));
    }
#endif
    for (; i < n; i++) {
        uint32_t v =
            (uint32_t)b0[i] | (uint32_t)b1[i] << 8 | (uint32_t)b2[i] << 16 | (uint32_t)b3[i] << 24;
        memcpy(out + 4 * i, &v, 4);
    }
}

/* Append chunk k's stored bytes to c->raw as c->stored[slot]. HDF5 calls
 * happen here only, in the caller's thread. */
static int fetch_chunk(struct cr_h5chunk *c, size_t k, size_t slot, size_t *used)
{
    struct stored *st = &c->stored[slot];
    hsize_t offset[3] = {(hsize_t)(k * c->ct), 0, 0};
    hsize_t size = 0;
    herr_t h;
    H5E_BEGIN_TRY
    {
        h = H5Dget_chunk_storage_size(c->dset, offset, &size);
    }
    H5E_END_TRY;
    *st = (struct stored){*used, (size_t)size, 0, h < 0 || size == 0};
    if (st->unwritten)
        return 0;
    if (*used + st->len > c->raw_cap) {
        size_t cap = 2 * (*used + st->len);
        unsigned char *r = realloc(c->raw, cap);
        if (!r)
            return -1;
        c->raw = r;
        c->raw_cap = cap;
    }
    H5E_BEGIN_TRY
    {
        h = H5Dread_chunk(c->dset, H5P_DEFAULT, offset, &st->mask, c->raw + *used);
    }
    H5E_END_TRY;
    if (h < 0)
        return -1;
    *used += st->len;
    return 0;
}

/* Decode one fetched chunk (all ct steps) into dst. */
static int decode_chunk(const struct cr_h5chunk *c, const struct decoder *d,
                        const struct stored *st, float *dst)
{
    size_t n = c->ct * c->cells, bytes = n * sizeof(float);
    if (st->unwritten) { /* HDF5 would return the fill value */
        for (size_t i = 0; i < n; i++)
            dst[i] = c->fill;
        return 0;
    }
    const unsigned char *in = c->raw + st->off;
    /* A set mask bit means that filter was skipped for this chunk (an
     * optional filter that did not pay off when written). */
    int shuffled = c->shuffle && !(st->mask & 1u);
    int deflated = c->deflate && !(st->mask & (c->shuffle ? 2u : 1u));
    unsigned char *plain = shuffled ? (unsigned char *)d->unshuf : (unsigned char *)dst;
    if (deflated) {
        if (libdeflate_zlib_decompress(d->inflater, in, st->len, plain, bytes, NULL) !=
            LIBDEFLATE_SUCCESS)
            return -1;
    } else {
        if (st->len != bytes)
            return -1;
        memcpy(plain, in, bytes);
    }
    if (shuffled)
        unshuffle4(plain, (unsigned char *)dst, n);
    return 0;
}

/* Chunks [first, last) of a read of one-step chunks, by one decoder. */
struct decode_job {
    const struct cr_h5chunk *c;
    const struct decoder *d;
    size_t first, last;
    float *out;
    int rc;
};

static void *decode_range(void *arg)
{
    struct decode_job *j = arg;
    for (size_t i = j->first; i < j->last && j->rc == 0; i++)
        j->rc = decode_chunk(j->c, j->d, &j->c->stored[i], j->out + i * j->c->cells);
    return NULL;
}

/* One-step chunks (DRIAS): fetch them all, then inflate them on
 * c->threads threads, each into its place in out. */
static int read_steps(struct cr_h5chunk *c, size_t t0, size_t nt, float *out)
{
    if (nt > c->stored_cap) {
        struct stored *st = realloc(c->stored, nt * sizeof *st);
        if (!st)
            return -1;
        c->stored = st;
        c->stored_cap = nt;
    }
    size_t used = 0;
    for (size_t i = 0; i < nt; i++)
        if (fetch_chunk(c, t0 + i, i, &used) != 0)
            return -1;
    drop_read(c, t0, SLACK);
    if (t0 + nt > c->read_to)
        c->read_to = t0 + nt;
    int nthreads = c->threads;
    if ((size_t)nthreads > nt)
        nthreads = (int)nt;
    struct decode_job jobs[CR_H5CHUNK_MAX_THREADS];
    pthread_t th[CR_H5CHUNK_MAX_THREADS];
    int started[CR_H5CHUNK_MAX_THREADS] = {0};
    for (int k = 0; k < nthreads; k++)
        jobs[k] = (struct decode_job){c,
                                      &c->dec[k],
                                      nt * (size_t)k / (size_t)nthreads,
                                      nt * (size_t)(k + 1) / (size_t)nthreads,
                                      out,
                                      0};
    /* Helpers take the later ranges; if one cannot start, this thread
     * decodes its range itself. */
    for (int k = 1; k < nthreads; k++)
        started[k] = pthread_create(&th[k], NULL, decode_range, &jobs[k]) == 0;
    decode_range(&jobs[0]);
    int rc = jobs[0].rc;
    for (int k = 1; k < nthreads; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            decode_range(&jobs[k]);
        rc |= jobs[k].rc;
    }
    return rc ? -1 : 0;
}

int cr_h5chunk_read(struct cr_h5chunk *c, size_t t0, size_t nt, float *out)
{
    if (t0 + nt > c->ntime)
        return -1;
    if (nt == 0)
        return 0;
    if (c->ct == 1)
        return read_steps(c, t0, nt, out);
    for (size_t t = t0; t < t0 + nt;) {
        size_t k = t / c->ct, first = k * c->ct;
        size_t take = first + c->ct - t;
        if (take > t0 + nt - t)
            take = t0 + nt - t;
        if (c->cached != k) {
            c->cached = SIZE_MAX;
            size_t used = 0;
            if (fetch_chunk(c, k, 0, &used) != 0)
                return -1;
            drop_read(c, first, SLACK);
            if (first + c->ct > c->read_to)
                c->read_to = first + c->ct;
            if (decode_chunk(c, &c->dec[0], &c->stored[0], c->chunk) != 0)
                return -1;
            c->cached = k;
        }
        memcpy(out + (t - t0) * c->cells, c->chunk + (t - first) * c->cells,
               take * c->cells * sizeof(float));
        t += take;
    }
    return 0;
}

void cr_h5chunk_close(struct cr_h5chunk *c)
{
    if (!c)
        return;
    if (c->dset >= 0)
        H5Dclose(c->dset);
    if (c->file >= 0)
        H5Fclose(c->file);
    for (int k = 0; k < CR_H5CHUNK_MAX_THREADS; k++) {
        if (c->dec[k].inflater)
            libdeflate_free_decompressor(c->dec[k].inflater);
        free(c->dec[k].unshuf);
    }
    free(c->raw);
    free(c->stored);
    free(c->chunk);
    if (c->read_to > 0) /* all that was read, with the estimate's error */
        drop_read(c, c->read_to, -SLACK);
    cr_drop_behind_close(&c->cache);
    free(c);
}

/* ---- writing ---------------------------------------------------------- */

struct cr_h5chunk_writer {
    char path[1024];
    hid_t file, dset;
    int shuffle, deflate, level;
    size_t ntime, cells;
    struct libdeflate_compressor *deflater; /* levels 2-9 */
    struct cr_rle_code *code;               /* level 1: the code, made from a map */
    int maps_on_code;                       /* maps written since it was made */
    unsigned char *shuffled;                /* the map's bytes, shuffled */
    unsigned char *packed;                  /* the chunk as stored */
    size_t packed_cap;
    struct cr_drop_behind cache; /* written chunks leave the page cache */
};

/* The inverse of unshuffle4: byte b of value i goes to b * n + i. */
static void shuffle4(const unsigned char *restrict in, unsigned char *restrict out, size_t n)
{
    unsigned char *b0 = out, *b1 = out + n, *b2 = out + 2 * n, *b3 = out + 3 * n;
    size_t i = 0;
#ifdef __SSE2__
    /* 16 values as a 16 x 4 byte matrix, transposed by three rounds of
     * byte interleaving (each halves the stride between a value's bytes)
     * and a final 64-bit one that joins the two halves of each plane. */
    for (; i + 16 <= n; i += 16) {
        const unsigned char *p = in + 4 * i;
        __m128i v0 = _mm_loadu_si128((const __m128i *)p);
        __m128i v1 = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i v3 = _mm_loadu_si128((const __m128i *)(p + 48));
        for (int round = 0; round < 3; round++) {
            __m128i a = _mm_unpacklo_epi8(v0, v1), b = _mm_unpackhi_epi8(v0, v1);
            __m128i c = _mm_unpacklo_epi8(v2, v3), d = _mm_unpackhi_epi8(v2, v3);
            v0 = a;
            v1 = b;
            v2 = c;
            v3 = d;
        }
        _mm_storeu_si128((__m128i *)(b0 + i), _mm_unpacklo_epi64(v0, v2));
        _mm_storeu_si128((__m128i *)(b1 + i), _mm_unpackhi_epi64(v0, v2));
        _mm_storeu_si128((__m128i *)(b2 + i), _mm_unpacklo_epi64(v1, v3));
        _mm_storeu_si128((__m128i *)(b3 + i), _mm_unpackhi_epi64(v1, v3));
    }
#endif
    for (; i < n; i++) {
        uint32_t v;
        memcpy(&v, in + 4 * i, 4);
        b0[i] = (unsigned char)v;
        b1[i] = (unsigned char)(v >> 8);
        b2[i] = (unsigned char)(v >> 16);
        b3[i] = (unsigned char)(v >> 24);
    }
}

static const char *writer_check(struct cr_h5chunk_writer *w, hid_t dcpl)
{
    struct cr_h5chunk probe = {0};
    const char *why = check_pipeline(&probe, dcpl);
    if (why)
        return why;
    w->shuffle = probe.shuffle;
    w->deflate = probe.deflate;
    w->level = probe.level;
    if (H5Pget_layout(dcpl) != H5D_CHUNKED)
        return "not chunked";
    if (!is_native_f32le(w->dset))
        return "not little-endian float32";
    hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK], chunk[H5S_MAX_RANK];
    hid_t space = H5Dget_space(w->dset);
    int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, maxdims) : -1;
    if (space >= 0)
        H5Sclose(space);
    if (rank < 2 || rank > 3 || H5Pget_chunk(dcpl, rank, chunk) != rank || chunk[0] != 1)
        return "not chunked one step by the whole map";
    w->cells = 1;
    for (int k = 1; k < rank; k++) {
        if (chunk[k] != dims[k])
            return "not chunked one step by the whole map";
        w->cells *= (size_t)dims[k];
    }
    if (maxdims[0] != H5S_UNLIMITED && maxdims[0] < w->ntime)
        return "a time dimension shorter than the steps to write";
    dims[0] = w->ntime;
    if (H5Dset_extent(w->dset, dims) < 0)
        return "cannot extend the time dimension";
    return NULL;
}

int cr_h5chunk_writer_open(struct cr_h5chunk_writer **out, const char *path, const char *var_name,
                           size_t ntime, struct cr_err *err)
{
    *out = NULL;
    struct cr_h5chunk_writer *w = calloc(1, sizeof *w);
    if (!w)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    snprintf(w->path, sizeof w->path, "%s", path);
    w->ntime = ntime;
    w->dset = H5I_INVALID_HID;
    w->file = H5I_INVALID_HID;
    w->cache.fd = -1;
    hid_t dcpl = H5I_INVALID_HID;
    const char *why = open_dataset(path, var_name, H5F_ACC_RDWR, &w->file, &w->dset, &dcpl);
    if (!why) {
        H5E_BEGIN_TRY
        {
            why = writer_check(w, dcpl);
        }
        H5E_END_TRY;
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    size_t bytes = w->cells * sizeof(float);
    if (!why && w->deflate && w->level <= 1) {
        /* igzip's bound for incompressible input (stored blocks of at most
         * 64 KiB with 5 bytes of header each, plus zlib's 2 + 4 bytes), and
         * room for the run-length coder's header and its checks on a
         * small map. */
        w->packed_cap = bytes + 5 * (bytes / 65535 + 1) + 1024;
        if (!(w->code = malloc(sizeof *w->code)))
            why = "out of memory";
    } else if (!why && w->deflate) {
        if (!(w->deflater = libdeflate_alloc_compressor(w->level)))
            why = "out of memory";
        else
            w->packed_cap = libdeflate_zlib_compress_bound(w->deflater, bytes);
    }
    if (!why && ((w->shuffle && !(w->shuffled = malloc(bytes))) ||
                 (w->deflate && !(w->packed = malloc(w->packed_cap)))))
        why = "out of memory";
    if (why) {
        int rc = cr_err_set(err, CR_EINTERNAL, "'%s': writing %s chunks directly: %s", path,
                            var_name, why);
        struct cr_err ignored;
        cr_h5chunk_writer_close(w, &ignored);
        return rc;
    }
    cr_drop_behind_open(&w->cache, path);
    *out = w;
    return CR_OK;
}

/* A map's statistics change slowly along a file (the season), so one
 * Huffman code serves many maps: refreshing it every 64 maps costs nothing
 * measurable and keeps the size within 1 % of a code made for each map. */
#define CODE_REFRESH 64

/* One zlib stream (HDF5's deflate filter stores zlib, not raw deflate) for
 * level 1; 0 when it does not fit. */
static size_t fast_compress(struct cr_h5chunk_writer *w, const unsigned char *in, size_t n)
{
    if (w->maps_on_code == 0)
        cr_rle_code_make(w->code, in, n);
    w->maps_on_code = (w->maps_on_code + 1) % CODE_REFRESH;
    size_t out = cr_rle_deflate(w->code, in, n, w->packed, w->packed_cap);
    if (out)
        return out;
    /* Longer coded than stored: igzip writes stored blocks. */
    struct isal_zstream s;
    isal_deflate_stateless_init(&s);
    s.level = 0;
    s.gzip_flag = IGZIP_ZLIB;
    s.end_of_stream = 1;
    s.flush = NO_FLUSH;
    s.next_in = (uint8_t *)in;
    s.avail_in = (uint32_t)n;
    s.next_out = w->packed;
    s.avail_out = (uint32_t)w->packed_cap;
    if (isal_deflate_stateless(&s) != COMP_OK || s.avail_in != 0)
        return 0;
    return s.total_out;
}

int cr_h5chunk_write(struct cr_h5chunk_writer *w, size_t t, const float *map, struct cr_err *err)
{
    if (t >= w->ntime)
        return cr_err_set(err, CR_EINTERNAL, "'%s': step %zu beyond %zu", w->path, t, w->ntime);
    size_t bytes = w->cells * sizeof(float);
    const unsigned char *data = (const unsigned char *)map;
    if (w->shuffle) {
        shuffle4(data, w->shuffled, w->cells);
        data = w->shuffled;
    }
    if (w->deflate) {
        size_t n = w->deflater ? libdeflate_zlib_compress(w->deflater, data, bytes, w->packed,
                                                          w->packed_cap)
                               : fast_compress(w, data, bytes);
        if (n == 0)
            return cr_err_set(err, CR_EINTERNAL, "'%s': deflate failed", w->path);
        data = w->packed;
        bytes = n;
    }
    hsize_t offset[3] = {(hsize_t)t, 0, 0};
    herr_t st;
    H5E_BEGIN_TRY
    {
        st = H5Dwrite_chunk(w->dset, H5P_DEFAULT, 0, offset, bytes, data);
    }
    H5E_END_TRY;
    if (st < 0)
        return cr_err_set(err, CR_EINTERNAL,
                          "writing '%s': HDF5 could not store step %zu (disk "
                          "full?)",
                          w->path, t);
    cr_drop_behind_wrote(&w->cache, bytes);
    return CR_OK;
}

int cr_h5chunk_writer_close(struct cr_h5chunk_writer *w, struct cr_err *err)
{
    if (!w)
        return CR_OK;
    int bad = 0;
    H5E_BEGIN_TRY
    {
        if (w->dset >= 0)
            bad |= H5Dclose(w->dset) < 0;
        if (w->file >= 0)
            bad |= H5Fclose(w->file) < 0;
    }
    H5E_END_TRY;
    cr_drop_behind_close(&w->cache);
    if (w->deflater)
        libdeflate_free_compressor(w->deflater);
    free(w->code);
    free(w->shuffled);
    free(w->packed);
    int rc =
        bad ? cr_err_set(err, CR_EINTERNAL, "closing '%s' failed (disk full?)", w->path) : CR_OK;
    free(w);
    return rc;
}
