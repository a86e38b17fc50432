/* rle_deflate.c — zlib streams of byte-shuffled maps; see rle_deflate.h.
 *
 * Hand-written because no Debian library offers this trade: zlib's Z_RLE
 * strategy finds the same runs but codes each symbol through its general
 * bit writer at a third of this speed, and ISA-L and libdeflate always run
 * a string matcher. The format is RFC 1950 (zlib) around RFC 1951
 * (deflate): one final block with a dynamic Huffman code, a single
 * distance code (distance 1, one bit, as RFC 1951 allows), an Adler-32. */
#include "rle_deflate.h"

#include <isa-l/igzip_lib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_BITS    15 /* longest literal/length code */
#define MAX_CL_BITS 7  /* longest code-length code */
#define NCL         19 /* code-length symbols */

/* RFC 1951 3.2.5: base run lengths of symbols 257..285, and extra bits. */
static const uint16_t length_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                         15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
/* RFC 1951 3.2.7: the order code-length code lengths are sent in. */
static const uint8_t cl_order[NCL] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                      11, 4,  12, 3, 13, 2, 14, 1, 15};

static int length_symbol(int run)
{
    int s = 28;
    while (length_base[s] > run)
        s--;
    return s; /* 0..28, i.e. symbol 257 + s */
}

/* ---- Huffman code lengths --------------------------------------------- */

/* Code lengths for n symbols of the given (all non-zero) frequencies, at
 * most max_bits long: a Huffman tree (two queues over the sorted leaves),
 * then, when it is too deep, deep leaves moved up and the Kraft sum
 * repaired by pushing shallower leaves down one level at a time. */
static void huffman_lengths(const uint32_t *freq, int n, int max_bits, uint8_t *len)
{
    int order[CR_RLE_NLIT];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) { /* insertion sort by frequency, ascending */
        int s = order[i], j = i;
        while (j > 0 && freq[order[j - 1]] > freq[s]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = s;
    }
    /* Nodes 0..n-1 are the sorted leaves, n..2n-2 the inner nodes, made in
     * order of non-decreasing weight, so two queues replace a heap. */
    uint64_t weight[2 * CR_RLE_NLIT];
    int parent[2 * CR_RLE_NLIT];
    for (int i = 0; i < n; i++)
        weight[i] = freq[order[i]];
    int leaf = 0, inner = n, next = n;
    for (; next < 2 * n - 1; next++) {
        int pick[2];
        for (int k = 0; k < 2; k++)
            pick[k] =
                (leaf < n && (inner >= next || weight[leaf] <= weight[inner])) ? leaf++ : inner++;
        weight[next] = weight[pick[0]] + weight[pick[1]];
        parent[pick[0]] = parent[pick[1]] = next;
    }
    /* Depths from the root down (parents come after their children). */
    int depth[2 * CR_RLE_NLIT];
    depth[2 * n - 2] = 0;
    for (int i = 2 * n - 3; i >= 0; i--)
        depth[i] = depth[parent[i]] + 1;
    int count[64] = {0};
    for (int i = 0; i < n; i++)
        count[depth[i] < max_bits ? depth[i] : max_bits]++;
    uint64_t kraft = 0;
    for (int b = 1; b <= max_bits; b++)
        kraft += (uint64_t)count[b] << (max_bits - b);
    while (kraft > (1ULL << max_bits)) {
        count[max_bits]--; /* one leaf at the bottom goes up ... */
        for (int b = max_bits - 1; b > 0; b--)
            if (count[b]) { /* ... in place of a shallower one, which goes down */
                count[b]--;
                count[b + 1] += 2;
                break;
            }
        kraft--;
    }
    /* The shortest codes to the most frequent symbols (the end of order). */
    int k = n - 1;
    for (int b = 1; b <= max_bits; b++)
        for (int c = 0; c < count[b]; c++)
            len[order[k--]] = (uint8_t)b;
}

/* Canonical codes (RFC 1951 3.2.2), bit-reversed: deflate sends a code's
 * first bit first, and the bit writer fills from the low end. */
static void canonical_codes(const uint8_t *len, int n, uint32_t *bits)
{
    int count[MAX_BITS + 1] = {0};
    for (int i = 0; i < n; i++)
        count[len[i]]++;
    count[0] = 0;
    uint32_t next[MAX_BITS + 2], code = 0;
    for (int b = 1; b <= MAX_BITS; b++) {
        code = (code + (uint32_t)count[b - 1]) << 1;
        next[b] = code;
    }
    for (int i = 0; i < n; i++) {
        if (len[i] == 0) { /* unused */
            bits[i] = 0;
            continue;
        }
        uint32_t c = next[len[i]]++, r = 0;
        for (int b = 0; b < len[i]; b++)
            r |= ((c >> b) & 1u) << (len[i] - 1 - b);
        bits[i] = r;
    }
}

/* ---- bits ------------------------------------------------------------- */

struct bitbuf {
    uint64_t acc;
    int n;
    unsigned char *out, *end;
};

/* At most 56 bits buffered (7 left over and 3 literals of 15): 8 bytes are stored every time (the
 * caller checks room first) and the pointer moves by the whole bytes among them, with no branch the
 * CPU could mispredict. */
static inline void put_bits(struct bitbuf *b, uint64_t bits, int n)
{
    b->acc |= bits << b->n;
    b->n += n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(b->out, &b->acc, 8);
#else
    for (int k = 0; k < 8; k++)
        b->out[k] = (unsigned char)(b->acc >> (8 * k));
#endif
    b->out += b->n >> 3;
    b->acc >>= b->n & ~7;
    b->n &= 7;
}

static void flush_bits(struct bitbuf *b)
{
    while (b->n > 0) {
        *b->out++ = (unsigned char)b->acc;
        b->acc >>= 8;
        b->n -= 8;
    }
    b->n = 0;
    b->acc = 0;
}

/* ---- the code ---------------------------------------------------------- */

/* Runs at distance 1: at position i > 0, how many bytes from i on repeat
 * the byte before i (0 when fewer than 3, too short for a match). Eight bytes
 * are compared at a time: the first one that differs is the lowest set
 * byte of their XOR with the repeated byte (little-endian). */
static inline size_t run_at(const unsigned char *in, size_t i, size_t n)
{
    unsigned char b = in[i - 1];
    size_t most = n - i < 258 ? n - i : 258, r = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t pattern = b * 0x0101010101010101ULL;
    for (; r + 8 <= most; r += 8) {
        uint64_t word;
        memcpy(&word, in + i + r, 8);
        uint64_t diff = word ^ pattern;
        if (diff) {
            r += (size_t)__builtin_ctzll(diff) / 8;
            return r >= 3 ? r : 0;
        }
    }
#endif
    while (r < most && in[i + r] == b)
        r++;
    return r >= 3 ? r : 0;
}

/* The first position p >= i (i > 0) where a run starts: in[p - 1] ==
 * in[p] == in[p + 1] == in[p + 2]; n when there is none. Sixteen positions
 * are tested at a time (SSE2): the bytes compared to their predecessor in
 * four shifted loads, the equalities ANDed, the lowest set bit taken. */
static size_t next_run(const unsigned char *in, size_t i, size_t n)
{
#ifdef __SSE2__
    for (; i + 18 <= n; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(in + i - 1));
        __m128i b = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i c = _mm_loadu_si128((const __m128i *)(in + i + 1));
        __m128i d = _mm_loadu_si128((const __m128i *)(in + i + 2));
        __m128i eq = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, b), _mm_cmpeq_epi8(b, c)),
                                   _mm_cmpeq_epi8(c, d));
        int mask = _mm_movemask_epi8(eq);
        if (mask)
            return i + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    for (; i + 3 <= n; i++)
        if (in[i] == in[i - 1] && in[i + 1] == in[i - 1] && in[i + 2] == in[i - 1])
            return i;
    return n;
}

void cr_rle_code_make(struct cr_rle_code *code, const unsigned char *in, size_t n)
{
    /* Count what the input codes to; every symbol at least once, so that
     * later inputs have a code for whatever they hold. */
    uint32_t freq[CR_RLE_NLIT];
    for (int s = 0; s < CR_RLE_NLIT; s++)
        freq[s] = 1;
    for (size_t i = 0; i < n;) {
        size_t stop = next_run(in, i > 0 ? i : 1, n);
        for (; i < stop; i++)
            freq[in[i]]++;
        if (i >= n)
            break;
        size_t r = run_at(in, i, n);
        freq[257 + length_symbol((int)r)]++;
        i += r;
    }
    huffman_lengths(freq, CR_RLE_NLIT, MAX_BITS, code->lit_len);
    canonical_codes(code->lit_len, CR_RLE_NLIT, code->lit_bits);
    for (int r = 3; r <= 258; r++) {
        int s = length_symbol(r);
        int len = code->lit_len[257 + s];
        code->run_bits[r] = code->lit_bits[257 + s] | (uint32_t)(r - length_base[s]) << len;
        /* + the distance code: one bit, 0 (the only distance, 1) */
        code->run_len[r] = (uint8_t)(len + length_extra[s] + 1);
    }

    /* The header: 286 literal/length lengths and one distance length of 1,
     * sent with a code-length code (no repeat symbols: this costs ~100
     * bytes a block and keeps the header simple). */
    uint8_t lengths[CR_RLE_NLIT + 1];
    memcpy(lengths, code->lit_len, CR_RLE_NLIT);
    lengths[CR_RLE_NLIT] = 1;
    uint32_t cl_freq[NCL];
    uint8_t cl_len[NCL];
    uint32_t cl_bits[NCL];
    for (int s = 0; s < NCL; s++)
        cl_freq[s] = 0;
    for (int i = 0; i <= CR_RLE_NLIT; i++)
        cl_freq[lengths[i]]++;
    /* Only the lengths in use get codes: a code-length code must be
     * complete, and there are always at least two (286 codes cannot all
     * have one length, and the distance's is 1). */
    uint32_t used_freq[NCL];
    int used_sym[NCL], nused = 0;
    for (int s = 0; s < NCL; s++)
        if (cl_freq[s]) {
            used_sym[nused] = s;
            used_freq[nused++] = cl_freq[s];
        }
    uint8_t used_len[NCL];
    huffman_lengths(used_freq, nused, MAX_CL_BITS, used_len);
    memset(cl_len, 0, sizeof cl_len);
    for (int u = 0; u < nused; u++)
        cl_len[used_sym[u]] = used_len[u];
    canonical_codes(cl_len, NCL, cl_bits);
    int hclen = NCL;
    while (hclen > 4 && cl_len[cl_order[hclen - 1]] == 0)
        hclen--;

    memset(code->header, 0, sizeof code->header);
    struct bitbuf b = {0, 0, code->header, code->header + sizeof code->header};
    put_bits(&b, 1, 1); /* BFINAL */
    put_bits(&b, 2, 2); /* BTYPE: dynamic Huffman */
    put_bits(&b, CR_RLE_NLIT - 257, 5);
    put_bits(&b, 0, 5); /* HDIST: one distance code */
    put_bits(&b, (uint32_t)(hclen - 4), 4);
    for (int k = 0; k < hclen; k++)
        put_bits(&b, cl_len[cl_order[k]], 3);
    for (int i = 0; i <= CR_RLE_NLIT; i++)
        put_bits(&b, cl_bits[lengths[i]], cl_len[lengths[i]]);
    code->header_bits = (size_t)(b.out - code->header) * 8 + (size_t)b.n;
    flush_bits(&b);
}

size_t cr_rle_deflate(const struct cr_rle_code *code, const unsigned char *in, size_t n,
                      unsigned char *out, size_t cap)
{
    /* zlib header (deflate, 32 KiB window, fastest), block header, codes,
     * end of block, Adler-32: the room checks keep 16 bytes spare. */
    if (cap < 2 + sizeof code->header + 16)
        return 0;
    out[0] = 0x78;
    out[1] = 0x01;
    struct bitbuf b = {0, 0, out + 2, out + cap - 16};
    size_t whole = code->header_bits / 8;
    for (size_t k = 0; k < whole; k++)
        put_bits(&b, code->header[k], 8);
    if (code->header_bits % 8)
        put_bits(&b, code->header[whole], (int)(code->header_bits % 8));
    const uint32_t *lit_bits = code->lit_bits;
    const uint8_t *lit_len = code->lit_len;
    size_t i = 0;
    while (i < n) {
        /* Literals up to where the next run starts, in pieces small enough
         * to check the room once (15 bits a literal at worst); two
         * literals go out per write. */
        size_t stop = next_run(in, i > 0 ? i : 1, n);
        while (i < stop) {
            size_t piece = stop - i < 256 ? stop - i : 256;
            if ((size_t)(b.end - b.out) < 2 * piece + 8)
                return 0;
            size_t last = i + piece;
            for (; i + 3 <= last; i += 3) {
                unsigned char c = in[i], d = in[i + 1], e = in[i + 2];
                int lc = lit_len[c], ld = lit_len[d];
                put_bits(&b,
                         lit_bits[c] | (uint64_t)lit_bits[d] << lc |
                             (uint64_t)lit_bits[e] << (lc + ld),
                         lc + ld + lit_len[e]);
            }
            for (; i < last; i++)
                put_bits(&b, lit_bits[in[i]], lit_len[in[i]]);
        }
        if (i >= n)
            break;
        if (b.out >= b.end)
            return 0;
        size_t r = run_at(in, i, n);
        put_bits(&b, code->run_bits[r], code->run_len[r]);
        i += r;
    }
    put_bits(&b, code->lit_bits[256], code->lit_len[256]);
    flush_bits(&b);
    uint32_t adler = isal_adler32(1, in, n);
    unsigned char *p = b.out;
    p[0] = (unsigned char)(adler >> 24);
    p[1] = (unsigned char)(adler >> 16);
    p[2] = (unsigned char)(adler >> 8);
    p[3] = (unsigned char)adler;
    return (size_t)(p + 4 - out);
}
