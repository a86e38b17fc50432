/* test_rle_deflate.c — the run-length deflate (ingest/rle_deflate.c)
 * against zlib's inflate, which shares no code with it: every input,
 * coded with a code made from itself or from another input, must inflate
 * (uncompress checks the stream, the block's codes and the Adler-32) to
 * exactly its bytes. Inputs cover the edges of the format: empty, one and
 * two bytes, runs at the start and end, runs longer than the longest match
 * (258), runs of 3 (the shortest match) and of 2 (too short), every byte
 * value, noise, and shuffled DRIAS-like maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ingest/rle_deflate.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Codes `in` with `code` (made from `from` when given, else from `in`)
 * and checks that zlib gives it back; returns the coded size. */
static size_t roundtrip(const unsigned char *in, size_t n, const unsigned char *from, size_t from_n)
{
    static struct cr_rle_code code;
    if (from)
        cr_rle_code_make(&code, from, from_n);
    else
        cr_rle_code_make(&code, in, n);
    size_t cap = 2 * n + 1024;
    unsigned char *out = malloc(cap), *back = malloc(n + 1);
    assert_non_null(out);
    assert_non_null(back);
    size_t m = cr_rle_deflate(&code, in, n, out, cap);
    assert_true(m > 0);
    uLongf back_n = n + 1;
    assert_int_equal(uncompress(back, &back_n, out, m), Z_OK);
    assert_int_equal(back_n, n);
    assert_memory_equal(back, in, n);
    free(out);
    free(back);
    return m;
}

static void test_edges(void **state)
{
    (void)state;
    unsigned char buf[4096] = {0};
    roundtrip(buf, 0, NULL, 0);
    buf[0] = 7;
    roundtrip(buf, 1, NULL, 0);
    buf[1] = 7;
    roundtrip(buf, 2, NULL, 0);
    /* runs of every length around the match limits, at start and end */
    for (size_t run = 1; run <= 600; run += run < 20 ? 1 : 37) {
        memset(buf, 0xAB, run);
        buf[run] = 1;
        buf[run + 1] = 2;
        memset(buf + run + 2, 0xCD, run);
        roundtrip(buf, 2 * run + 2, NULL, 0);
    }
    /* 258 + 1 and 2 * 258 + 2 after the literal that starts them */
    memset(buf, 0, sizeof buf);
    roundtrip(buf, 260, NULL, 0);
    roundtrip(buf, 518, NULL, 0);
    roundtrip(buf, sizeof buf, NULL, 0);
    /* pairs (runs of 2) and triples (3) everywhere */
    for (size_t k = 0; k < sizeof buf; k++)
        buf[k] = (unsigned char)((k / 2) * 37 + (k % 7 == 0 ? 0 : 1));
    roundtrip(buf, sizeof buf, NULL, 0);
    for (size_t k = 0; k < sizeof buf; k++)
        buf[k] = (unsigned char)(k / 3);
    roundtrip(buf, sizeof buf, NULL, 0);
    /* every byte value */
    for (size_t k = 0; k < 256; k++)
        buf[k] = (unsigned char)k;
    roundtrip(buf, 256, NULL, 0);
}

/* A code made from one input codes any other: here from runs of zeros
 * (literals other than 0 seen only in the +1 every symbol gets) to noise
 * and back. */
static void test_code_from_another_input(void **state)
{
    (void)state;
    enum { N = 20000 };
    unsigned char *zeros = calloc(N, 1), *noise = malloc(N);
    assert_non_null(zeros);
    assert_non_null(noise);
    for (size_t k = 0; k < N; k++)
        noise[k] = (unsigned char)next_random();
    roundtrip(noise, N, zeros, N);
    roundtrip(zeros, N, noise, N);
    size_t coded = roundtrip(noise, N, NULL, 0);
    /* noise does not compress: the coder stays close to 8 bits a byte */
    assert_true(coded < N + N / 50 + 400);
    free(zeros);
    free(noise);
}

/* A shuffled map like synth's: a land mask, fill value 1e20 outside,
 * temperatures in K inside. Runs (sea, exponent bytes) compress; the low
 * mantissa bytes do not. */
static void test_shuffled_map(void **state)
{
    (void)state;
    enum { NX = 143, NY = 134, N = NX * NY };
    float *map = malloc(sizeof(float) * N);
    unsigned char *shuffled = malloc(4 * N);
    assert_non_null(map);
    assert_non_null(shuffled);
    for (int day = 0; day < 3; day++) {
        for (int j = 0; j < NY; j++)
            for (int i = 0; i < NX; i++) {
                int land = (i - 71) * (i - 71) + (j - 67) * (j - 67) < 60 * 60;
                map[j * NX + i] =
                    land ? 280.0f + 0.05f * (float)j + (float)(next_random() % 1000) * 0.001f
                         : 1.0e20f;
            }
        unsigned char *bytes = (unsigned char *)map;
        for (int k = 0; k < N; k++)
            for (int b = 0; b < 4; b++)
                shuffled[b * N + k] = bytes[4 * k + b];
        size_t coded = roundtrip(shuffled, 4 * N, NULL, 0);
        assert_true(coded < 4 * N / 2); /* ~0.3 in practice */
    }
    free(map);
    free(shuffled);
}

/* No room: 0, and never a write past the given capacity. */
static void test_no_room(void **state)
{
    (void)state;
    enum { N = 5000 };
    unsigned char in[N], out[N + 64];
    for (size_t k = 0; k < N; k++)
        in[k] = (unsigned char)next_random();
    static struct cr_rle_code code;
    cr_rle_code_make(&code, in, N);
    memset(out, 0x5A, sizeof out);
    assert_int_equal(cr_rle_deflate(&code, in, N, out, 1000), 0);
    for (size_t k = 1000; k < sizeof out; k++)
        assert_int_equal(out[k], 0x5A);
    assert_int_equal(cr_rle_deflate(&code, in, N, out, 100), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_code_from_another_input),
        cmocka_unit_test(test_shuffled_map),
        cmocka_unit_test(test_no_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
