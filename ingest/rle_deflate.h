/* rle_deflate.h — zlib streams of byte-shuffled maps, made fast.
 *
 * What `climrisk synth` spends most of its time on is deflating maps
 * (ingest/h5chunk.h), and a shuffled DRIAS-like map has only two kinds of
 * content: runs (the fill value outside the land cells, exponent bytes that
 * barely change) and bytes that do not repeat (low mantissa bytes). A
 * general LZ77 matcher searches every position for earlier strings; this
 * encoder only looks for runs (a match at distance 1, as zlib's Z_RLE
 * strategy does) and codes everything with one dynamic Huffman code that
 * the caller makes from one map and keeps for the maps that follow. On
 * those maps it is as small as ISA-L's level 0 and about twice as fast.
 * The output is an ordinary zlib stream that any inflater reads. */
#ifndef CR_RLE_DEFLATE_H
#define CR_RLE_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#define CR_RLE_NLIT 286 /* literal/length symbols a block may use */

/* A Huffman code and the block header that announces it. Every literal and
 * every run length has a code, so any input can be coded with it. */
struct cr_rle_code {
    uint32_t lit_bits[CR_RLE_NLIT]; /* literals and end of block, bit-reversed */
    uint8_t lit_len[CR_RLE_NLIT];   /* their lengths */
    uint32_t run_bits[259];         /* run of n (3..258): length code, extra bits, distance 1 */
    uint8_t run_len[259];           /* its bits in all */
    uint8_t header[320];            /* BFINAL, BTYPE and the code lengths, as bits */
    size_t header_bits;
};

/* Makes the code from the symbols `in` (n bytes) codes to. */
void cr_rle_code_make(struct cr_rle_code *code, const unsigned char *in, size_t n);

/* One zlib stream of `in` (n bytes) into out (cap bytes): its length, or 0
 * when it does not fit (the caller then stores the input another way). */
size_t cr_rle_deflate(const struct cr_rle_code *code, const unsigned char *in, size_t n,
                      unsigned char *out, size_t cap);

#endif
