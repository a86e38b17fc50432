/* test_pgcopy.c — the binary COPY encoder and EWKB writer against bytes
 * written by hand from the PostgreSQL COPY "Binary Format" section and the
 * PostGIS EWKB layout (../shared/research/tiles-and-loading.md §7.1-7.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/pgcopy.h"

static void test_header_tuple_trailer(void **state)
{
    (void)state;
    struct cr_copy c;
    struct cr_err err;
    assert_int_equal(cr_copy_begin(&c, NULL, NULL, "t", &err), CR_OK);
    /* one tuple: int2 7, int4 -2, float4 1.5, text "ab", NULL */
    assert_int_equal(cr_copy_tuple(&c, 5, 6 + 8 + 8), 0);
    cr_copy_int2(&c, 7);
    cr_copy_int4(&c, -2);
    cr_copy_float4(&c, 1.5f);
    assert_int_equal(cr_copy_text(&c, "ab"), 0);
    assert_int_equal(cr_copy_text(&c, NULL), 0);
    uint64_t rows;
    assert_int_equal(cr_copy_end(&c, &rows, &err), CR_OK);
    assert_int_equal(rows, 1);
    static const unsigned char want[] = {
        'P',  'G',  'C',  'O',  'P',  'Y',  '\n', 0xFF, '\r', '\n', 0, /* signature */
        0,    0,    0,    0,                                           /* flags */
        0,    0,    0,    0,                                           /* header extension */
        0,    5,                                                       /* field count */
        0,    0,    0,    2,    0,    7,                               /* int2 7 */
        0,    0,    0,    4,    0xFF, 0xFF, 0xFF, 0xFE,                /* int4 -2 */
        0,    0,    0,    4,    0x3F, 0xC0, 0,    0,                   /* float4 1.5 = 0x3FC00000 */
        0,    0,    0,    2,    'a',  'b',                             /* text */
        0xFF, 0xFF, 0xFF, 0xFF,                                        /* NULL */
        0xFF, 0xFF,                                                    /* trailer */
    };
    assert_int_equal(c.len, sizeof want);
    assert_memory_equal(c.buf, want, sizeof want);
    free(c.buf);
}

static void test_int8_float8_bool(void **state)
{
    (void)state;
    struct cr_copy c;
    struct cr_err err;
    assert_int_equal(cr_copy_begin(&c, NULL, NULL, "t", &err), CR_OK);
    size_t base = c.len;
    assert_int_equal(cr_copy_tuple(&c, 3, 12 + 12 + 5), 0);
    cr_copy_int8(&c, 0x0102030405060708LL);
    cr_copy_float8(&c, -2.0); /* 0xC000000000000000 */
    cr_copy_bool(&c, 1);
    static const unsigned char want[] = {0, 3, 0,    0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0,
                                         0, 8, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    assert_int_equal(c.len - base, sizeof want);
    assert_memory_equal(c.buf + base, want, sizeof want);
    cr_copy_abort(&c, NULL);
}

static void test_buffer_grows_past_flush_size(void **state)
{
    (void)state;
    struct cr_copy c;
    struct cr_err err;
    assert_int_equal(cr_copy_begin(&c, NULL, NULL, "t", &err), CR_OK);
    /* 100 000 rows of 4 fields (32 bytes each): 3.2 MB, more than the
     * initial buffer; without a connection nothing is sent. */
    for (int k = 0; k < 100000; k++) {
        assert_int_equal(cr_copy_tuple(&c, 4, 30), 0);
        cr_copy_int2(&c, 1);
        cr_copy_int4(&c, k);
        cr_copy_int4(&c, 2);
        cr_copy_float4(&c, (float)k);
        assert_int_equal(cr_copy_maybe_flush(&c, &err), CR_OK);
    }
    assert_int_equal(c.rows, 100000);
    assert_int_equal(c.len, 19 + 100000u * 32u);
    /* row 99999's int4 field: bytes 19 + 99999*32 + 2 + 6 .. */
    const unsigned char *p = c.buf + 19 + 99999u * 32u + 8;
    assert_int_equal(p[0], 0);
    assert_int_equal(p[3], 4);
    assert_int_equal((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7], 99999);
    cr_copy_abort(&c, NULL);
}

static void test_ewkb_rect_3857(void **state)
{
    (void)state;
    unsigned char b[CR_EWKB_POLYGON_SIZE(5)];
    size_t n = cr_ewkb_rect(b, 3857, 0.0, 0.0, 2.0, 1.0);
    assert_int_equal(n, 97); /* 1+4+4+4+4+80, as in the research notes */
    static const unsigned char head[] = {0x01, 0x03, 0x00, 0x00, 0x20, 0x11, 0x0F, 0x00, 0x00,
                                         0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00};
    assert_memory_equal(b, head, sizeof head);
    /* second point (x1, y0) = (2.0, 0.0): 2.0 = 0x4000000000000000 LE */
    static const unsigned char two[8] = {0, 0, 0, 0, 0, 0, 0, 0x40};
    assert_memory_equal(b + 17 + 16, two, 8);
    /* closed ring: last point equals first */
    assert_memory_equal(b + 17, b + 17 + 64, 16);
}

static void test_ewkb_point_and_from_wkb(void **state)
{
    (void)state;
    unsigned char p[CR_EWKB_POINT_SIZE];
    cr_ewkb_point(p, 4326, 1.0, -1.0);
    static const unsigned char want[] = {0x01, 0x01, 0x00, 0x00, 0x20, 0xE6, 0x10, 0x00, 0x00,
                                         0,    0,    0,    0,    0,    0,    0xF0, 0x3F, 0,
                                         0,    0,    0,    0,    0,    0xF0, 0xBF};
    assert_memory_equal(p, want, sizeof want);
    /* big-endian WKB polygon header: type 3, then body */
    unsigned char wkb[] = {0x00, 0, 0, 0, 3, 0, 0, 0, 1, 0xAA};
    unsigned char *e;
    size_t elen;
    struct cr_err err;
    assert_int_equal(cr_ewkb_from_wkb(wkb, sizeof wkb, 2154, &e, &elen, &err), CR_OK);
    static const unsigned char ewant[] = {0x00, 0x20, 0, 0, 3, 0, 0, 0x08, 0x6A, 0, 0, 0, 1, 0xAA};
    assert_int_equal(elen, sizeof ewant);
    assert_memory_equal(e, ewant, sizeof ewant);
    free(e);
    unsigned char bad[] = {0x02, 3, 0, 0, 0};
    assert_int_equal(cr_ewkb_from_wkb(bad, sizeof bad, 4326, &e, &elen, &err), CR_EDATA);
    unsigned char z[] = {0x01, 0xEB, 0x03, 0, 0}; /* ISO 1003 = polygon Z */
    assert_int_equal(cr_ewkb_from_wkb(z, sizeof z, 4326, &e, &elen, &err), CR_EDATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_tuple_trailer),
        cmocka_unit_test(test_int8_float8_bool),
        cmocka_unit_test(test_buffer_grows_past_flush_size),
        cmocka_unit_test(test_ewkb_rect_3857),
        cmocka_unit_test(test_ewkb_point_and_from_wkb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
