/* test_tiles.c — tile encoders against the specifications' own examples
 * and hand-computed bytes: PMTiles v3 tile ids and directories, the MVT 2.1
 * geometry encoding, ring clipping/winding, class breaks, the IPCC colour
 * tables, and palette PNGs decoded by libpng. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "tiles/bytes.h"
#include "tiles/mvt.h"
#include "tiles/palette.h"
#include "tiles/pmtiles.h"
#include "tiles/png.h"
#include "tiles/rings.h"
#include "tiles/tilegeom.h"

/* ------------------------------------------------------------ PMTiles */

static void test_tile_ids_of_the_spec(void **state)
{
    (void)state;
    /* protomaps/PMTiles spec/v3/spec.md, "Tile IDs" */
    assert_int_equal(cr_pmtw_tile_id(0, 0, 0), 0);
    assert_int_equal(cr_pmtw_tile_id(1, 0, 0), 1);
    assert_int_equal(cr_pmtw_tile_id(1, 0, 1), 2);
    assert_int_equal(cr_pmtw_tile_id(1, 1, 1), 3);
    assert_int_equal(cr_pmtw_tile_id(1, 1, 0), 4);
    assert_int_equal(cr_pmtw_tile_id(2, 0, 0), 5);
    assert_int_equal(cr_pmtw_tile_id(12, 3423, 1763), 19078479);
    /* and back */
    int z;
    uint32_t x, y;
    cr_pmtw_tile_zxy(19078479, &z, &x, &y);
    assert_int_equal(z, 12);
    assert_int_equal(x, 3423);
    assert_int_equal(y, 1763);
    for (uint64_t id = 0; id < 1365; id++) { /* zooms 0..5 */
        cr_pmtw_tile_zxy(id, &z, &x, &y);
        assert_int_equal(cr_pmtw_tile_id(z, x, y), id);
    }
}

static void test_directory_bytes(void **state)
{
    (void)state;
    struct cr_pmtw_entry e[3] = {
        {0, 0, 10, 1},
        {1, 10, 5, 2},
        {5, 0, 10, 1},
    };
    struct cr_bytes b;
    cr_bytes_init(&b);
    cr_pmtw_serialize_dir(e, 3, &b);
    /* n; id deltas; run lengths; lengths; offsets (+1, or 0 when contiguous) */
    const unsigned char want[] = {3, 0, 1, 4, 1, 2, 1, 10, 5, 10, 1, 0, 1};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.p, want, sizeof want);
    /* a varint above 127 */
    cr_bytes_reset(&b);
    cr_bytes_varint(&b, 300);
    assert_int_equal(b.len, 2);
    assert_int_equal(b.p[0], 0xAC);
    assert_int_equal(b.p[1], 0x02);
    cr_bytes_free(&b);
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int32_t le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static uint64_t get_varint(const unsigned char **p)
{
    uint64_t v = 0;
    int shift = 0;
    while (**p & 0x80) {
        v |= (uint64_t)(**p & 0x7f) << shift;
        shift += 7;
        (*p)++;
    }
    v |= (uint64_t) * *p << shift;
    (*p)++;
    return v;
}

static void test_archive_header_and_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_tiles.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[CR_PATH_MAX];
    snprintf(path, sizeof path, "%s/a.pmtiles", dir);
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_pmtw *w;
    assert_int_equal(cr_pmtw_new(&w, &err), CR_OK);
    /* added out of order: 1/1/0 (id 4), 0/0/0 (id 0), 1/0/0 (id 1) and
     * 1/0/1 (id 2) with the same bytes as 1/0/0 -> a run of 2 */
    assert_int_equal(cr_pmtw_add(w, 1, 1, 0, "CCC", 3, &err), CR_OK);
    assert_int_equal(cr_pmtw_add(w, 0, 0, 0, "AAAA", 4, &err), CR_OK);
    assert_int_equal(cr_pmtw_add(w, 1, 0, 0, "BB", 2, &err), CR_OK);
    assert_int_equal(cr_pmtw_add(w, 1, 0, 1, "BB", 2, &err), CR_OK);
    assert_int_equal(cr_pmtw_contents(w), 3);
    struct cr_pmtw_info info = {
        CR_PMTW_TYPE_PNG, CR_PMTW_COMP_NONE, 0, 1, -5.5, 41.25, 10, 51.5, 1, 2.25, 46.5};
    assert_int_equal(cr_pmtw_write(w, path, &info, "{\"name\":\"t\"}", &err), CR_OK);
    cr_pmtw_free(w);

    char *buf;
    size_t len;
    assert_int_equal(cr_read_file(path, &buf, &len, &err), CR_OK);
    const unsigned char *h = (const unsigned char *)buf;
    assert_memory_equal(h, "PMTiles", 7);
    assert_int_equal(h[7], 3);
    uint64_t root_off = le64(h + 8), root_len = le64(h + 16);
    uint64_t meta_off = le64(h + 24), meta_len = le64(h + 32);
    uint64_t data_off = le64(h + 56), data_len = le64(h + 64);
    assert_int_equal(root_off, 127);
    assert_int_equal(meta_off, root_off + root_len);
    assert_int_equal(le64(h + 48), 0); /* no leaves */
    assert_int_equal(data_len, 4 + 2 + 3);
    assert_int_equal(data_off + data_len, len);
    assert_int_equal(le64(h + 72), 4); /* addressed tiles */
    assert_int_equal(le64(h + 80), 3); /* entries: 0, 1 (run 2), 4 */
    assert_int_equal(le64(h + 88), 3); /* contents */
    assert_int_equal(h[96], 1);        /* clustered */
    assert_int_equal(h[97], 2);        /* internal gzip */
    assert_int_equal(h[98], 1);        /* tiles not compressed */
    assert_int_equal(h[99], 2);        /* PNG */
    assert_int_equal(h[100], 0);
    assert_int_equal(h[101], 1);
    assert_int_equal(le32(h + 102), -55000000);
    assert_int_equal(le32(h + 106), 412500000);
    assert_int_equal(le32(h + 110), 100000000);
    assert_int_equal(le32(h + 114), 515000000);
    assert_int_equal(h[118], 1);
    assert_int_equal(le32(h + 119), 22500000);
    assert_int_equal(le32(h + 123), 465000000);
    /* tile data clustered in tile id order */
    assert_memory_equal(buf + data_off, "AAAABBCCC", 9);
    /* root directory */
    struct cr_bytes root;
    cr_bytes_init(&root);
    assert_int_equal(cr_bytes_gunzip(buf + root_off, root_len, &root, &err), CR_OK);
    const unsigned char *p = root.p;
    assert_int_equal(get_varint(&p), 3);
    uint64_t ids[3], runs[3], lens[3], offs[3], last = 0;
    for (int i = 0; i < 3; i++)
        ids[i] = last += get_varint(&p);
    for (int i = 0; i < 3; i++)
        runs[i] = get_varint(&p);
    for (int i = 0; i < 3; i++)
        lens[i] = get_varint(&p);
    for (int i = 0; i < 3; i++)
        offs[i] = get_varint(&p);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 4);
    assert_int_equal(runs[0], 1);
    assert_int_equal(runs[1], 2);
    assert_int_equal(runs[2], 1);
    assert_int_equal(lens[0], 4);
    assert_int_equal(lens[1], 2);
    assert_int_equal(lens[2], 3);
    assert_int_equal(offs[0], 1); /* offset 0 + 1 */
    assert_int_equal(offs[1], 0); /* contiguous */
    assert_int_equal(offs[2], 0);
    struct cr_bytes meta;
    cr_bytes_init(&meta);
    assert_int_equal(cr_bytes_gunzip(buf + meta_off, meta_len, &meta, &err), CR_OK);
    assert_int_equal(meta.len, strlen("{\"name\":\"t\"}"));
    assert_memory_equal(meta.p, "{\"name\":\"t\"}", meta.len);
    cr_bytes_free(&meta);
    cr_bytes_free(&root);
    free(buf);
    unlink(path);
    rmdir(dir);
}

/* ------------------------------------------------------------ MVT */

/* A minimal protobuf walker: the field's payload (length-delimited) or
 * value (varint) at field number f, nth occurrence. */
static const unsigned char *pb_field(const unsigned char *p, size_t len, unsigned f, int nth,
                                     size_t *out_len, uint64_t *value)
{
    const unsigned char *end = p + len;
    while (p < end) {
        uint64_t key = get_varint(&p);
        unsigned field = (unsigned)(key >> 3), wt = key & 7;
        const unsigned char *start = p;
        size_t l = 0;
        uint64_t v = 0;
        if (wt == 0) {
            v = get_varint(&p);
        } else if (wt == 2) {
            l = get_varint(&p);
            start = p;
            p += l;
        } else if (wt == 5) {
            l = 4;
            p += 4;
        } else if (wt == 1) {
            l = 8;
            p += 8;
        } else {
            fail_msg("unexpected wire type %u", wt);
        }
        if (field == f && nth-- == 0) {
            if (out_len)
                *out_len = l;
            if (value)
                *value = v;
            return start;
        }
    }
    return NULL;
}

static void test_mvt_polygon_of_the_spec(void **state)
{
    (void)state;
    /* vector-tile-spec 2.1, 4.3.5.3 "Example Polygon": ring (3,6) (8,12)
     * (20,34) encodes as [9 6 12 18 10 12 24 44 15] */
    static const char *const keys[] = {"name", "value"};
    struct cr_mvt_layer l;
    assert_int_equal(cr_mvt_layer_init(&l, "cells", 4096, keys, 2), CR_OK);
    const int32_t ring[] = {3, 6, 8, 12, 20, 34};
    cr_mvt_feature_begin(&l, 7, CR_MVT_POLYGON);
    cr_mvt_ring(&l, ring, 3);
    cr_mvt_tag_float(&l, 1, 1.5f);
    cr_mvt_tag_string(&l, 0, "a");
    assert_int_equal(cr_mvt_feature_end(&l), 1);
    cr_mvt_feature_begin(&l, 8, CR_MVT_POLYGON);
    cr_mvt_ring(&l, ring, 3);
    cr_mvt_tag_float(&l, 1, 1.5f); /* same value: one entry in the table */
    assert_int_equal(cr_mvt_feature_end(&l), 1);
    cr_mvt_feature_begin(&l, 9, CR_MVT_POLYGON); /* no geometry: dropped */
    assert_int_equal(cr_mvt_feature_end(&l), 0);
    struct cr_bytes tile;
    cr_bytes_init(&tile);
    assert_int_equal(cr_mvt_layer_write(&l, &tile), CR_OK);

    size_t len;
    const unsigned char *layer = pb_field(tile.p, tile.len, 3, 0, &len, NULL);
    assert_non_null(layer);
    assert_int_equal(layer[0], 0x78); /* version first */
    assert_int_equal(layer[1], 2);
    size_t nlen;
    const unsigned char *name = pb_field(layer, len, 1, 0, &nlen, NULL);
    assert_int_equal(nlen, 5);
    assert_memory_equal(name, "cells", 5);
    uint64_t extent;
    assert_non_null(pb_field(layer, len, 5, 0, NULL, &extent));
    assert_int_equal(extent, 4096);
    /* keys in order of first use: value, name */
    size_t kl;
    const unsigned char *k0 = pb_field(layer, len, 3, 0, &kl, NULL);
    assert_int_equal(kl, 5);
    assert_memory_equal(k0, "value", 5);
    assert_null(pb_field(layer, len, 3, 2, NULL, NULL));
    /* two values: float 1.5 and string "a" */
    size_t vl;
    const unsigned char *v0 = pb_field(layer, len, 4, 0, &vl, NULL);
    assert_int_equal(vl, 5);
    assert_int_equal(v0[0], 0x15);
    float f;
    memcpy(&f, v0 + 1, 4);
    assert_true(f == 1.5f);
    assert_non_null(pb_field(layer, len, 4, 1, NULL, NULL));
    assert_null(pb_field(layer, len, 4, 2, NULL, NULL));
    /* features: two */
    size_t fl;
    const unsigned char *feat = pb_field(layer, len, 2, 0, &fl, NULL);
    assert_non_null(pb_field(layer, len, 2, 1, NULL, NULL));
    assert_null(pb_field(layer, len, 2, 2, NULL, NULL));
    uint64_t id, type;
    pb_field(feat, fl, 1, 0, NULL, &id);
    pb_field(feat, fl, 3, 0, NULL, &type);
    assert_int_equal(id, 7);
    assert_int_equal(type, 3);
    size_t tl;
    const unsigned char *tags = pb_field(feat, fl, 2, 0, &tl, NULL);
    const unsigned char want_tags[] = {0, 0, 1, 1};
    assert_int_equal(tl, 4);
    assert_memory_equal(tags, want_tags, 4);
    size_t gl;
    const unsigned char *geom = pb_field(feat, fl, 4, 0, &gl, NULL);
    const unsigned char want_geom[] = {9, 6, 12, 18, 10, 12, 24, 44, 15};
    assert_int_equal(gl, sizeof want_geom);
    assert_memory_equal(geom, want_geom, sizeof want_geom);
    cr_bytes_free(&tile);
    cr_mvt_layer_free(&l);
}

/* ------------------------------------------------------------ rings */

static void test_clip_and_winding(void **state)
{
    (void)state;
    struct cr_ring r = {0}, tmp = {0};
    /* a square larger than the tile, drawn anticlockwise on screen
     * (negative shoelace area with y down) */
    const double sq[] = {-100, -100, -100, 5000, 5000, 5000, 5000, -100};
    assert_int_equal(cr_ring_reserve(&r, 4), 0);
    memcpy(r.xy, sq, sizeof sq);
    r.n = 4;
    assert_int_equal(cr_ring_clip(&r, -64, 4160, &tmp), 0);
    int32_t out[64];
    size_t n = cr_ring_finish(&r, 1, 0, out);
    assert_int_equal(n, 4);
    /* every point on the buffered square, and the exterior positive */
    for (size_t i = 0; i < n; i++) {
        assert_true(out[2 * i] == -64 || out[2 * i] == 4160);
        assert_true(out[2 * i + 1] == -64 || out[2 * i + 1] == 4160);
    }
    assert_true(cr_ring_area2(out, n) == 2LL * 4224 * 4224);
    /* the same ring as a hole: negative */
    memcpy(r.xy, sq, sizeof sq);
    r.n = 4;
    n = cr_ring_finish(&r, 0, 0, out);
    assert_true(cr_ring_area2(out, n) < 0);
    /* a triangle half outside the right edge: cut at x = 4160 */
    const double tri[] = {4000, 0, 4400, 200, 4000, 400};
    memcpy(r.xy, tri, sizeof tri);
    r.n = 3;
    assert_int_equal(cr_ring_clip(&r, -64, 4160, &tmp), 0);
    n = cr_ring_finish(&r, 1, 0, out);
    assert_int_equal(n, 4); /* (4000,0) (4160,80) (4160,320) (4000,400) */
    int found80 = 0, found320 = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(out[2 * i] <= 4160);
        found80 |= out[2 * i] == 4160 && out[2 * i + 1] == 80;
        found320 |= out[2 * i] == 4160 && out[2 * i + 1] == 320;
    }
    assert_true(found80 && found320);
    /* entirely outside: nothing left */
    const double far[] = {5000, 5000, 5100, 5000, 5100, 5100};
    memcpy(r.xy, far, sizeof far);
    r.n = 3;
    assert_int_equal(cr_ring_clip(&r, -64, 4160, &tmp), 0);
    assert_int_equal(r.n, 0);
    /* collapsing under quantisation: dropped */
    const double tiny[] = {10.1, 10.1, 10.3, 10.2, 10.2, 10.4};
    memcpy(r.xy, tiny, sizeof tiny);
    r.n = 3;
    assert_int_equal(cr_ring_finish(&r, 1, 0, out), 0);
    cr_ring_free(&r);
    cr_ring_free(&tmp);
}

static void test_tile_bounds(void **state)
{
    (void)state;
    /* ST_TileEnvelope(2,1,1) = (-10018754.17, 0, 0, 10018754.17) (PostGIS docs) */
    double a, b, c, d;
    cr_tile_bounds(2, 1, 1, &a, &b, &c, &d);
    assert_true(fabs(a - -10018754.17) < 0.01);
    assert_true(fabs(b) < 1e-6);
    assert_true(fabs(c) < 1e-6);
    assert_true(fabs(d - 10018754.17) < 0.01);
    uint32_t x0, y0, x1, y1;
    cr_tile_range(2, -1, 1, 1, 2, &x0, &y0, &x1, &y1);
    assert_int_equal(x0, 1);
    assert_int_equal(x1, 2);
    assert_int_equal(y0, 1);
    assert_int_equal(y1, 1);
}

static void test_make_valid_bowtie(void **state)
{
    (void)state;
    /* a bow-tie (self-intersecting) ring is split into two triangles */
    struct cr_rings s = {0};
    const int32_t bow[] = {0, 0, 100, 100, 100, 0, 0, 100};
    assert_int_equal(cr_rings_add(&s, bow, 4, 1), 0);
    int fixed;
    assert_int_equal(cr_rings_make_valid(&s, &fixed), 0);
    assert_int_equal(fixed, 1);
    assert_int_equal(s.nr, 2);
    int64_t area = 0;
    for (size_t i = 0; i < s.nr; i++) {
        int64_t a = cr_ring_area2(s.xy + 2 * s.r[i].off, s.r[i].n);
        assert_true(a > 0 && s.r[i].exterior);
        area += a;
    }
    assert_true(area == 2 * 5000); /* two triangles of 2500 each */
    /* a valid square is left alone */
    cr_rings_clear(&s);
    const int32_t sq[] = {0, 0, 10, 0, 10, 10, 0, 10};
    assert_int_equal(cr_rings_add(&s, sq, 4, 1), 0);
    assert_int_equal(cr_rings_make_valid(&s, &fixed), 0);
    assert_int_equal(fixed, 0);
    cr_rings_free(&s);
}

/* ------------------------------------------------------------ legends */

static void test_class_breaks(void **state)
{
    (void)state;
    assert_true(cr_legend_step(0.3, 9.7, 10, 0) == 1);
    assert_true(cr_legend_step(12.2, 17.9, 10, 0) == 1);   /* 0.5 would stop at 17 */
    assert_true(cr_legend_step(0, 230, 10, 0) == 25);      /* 20 would stop at 200 */
    assert_true(cr_legend_step(-0.4, 4.6, 10, 1) == 1);    /* +-5 covers 4.6 */
    assert_true(cr_legend_step(-0.4, 0.12, 10, 1) == 0.1); /* +-0.5 covers 0.4 */
    const struct cr_indicator_def *tg = cr_indicator_find("tg_mean");
    assert_non_null(tg);
    struct cr_legend lg;
    cr_legend_make(&lg, tg, "anom", -0.4, 4.6);
    assert_int_equal(lg.kind, CR_LEGEND_DIVERGING);
    assert_string_equal(lg.palette, "temp_div");
    for (int i = 0; i <= 10; i++)
        assert_true(lg.breaks[i] == i - 5);
    assert_int_equal(cr_legend_class(&lg, 0), 5);
    assert_int_equal(cr_legend_class(&lg, -0.01), 4);
    assert_int_equal(cr_legend_class(&lg, 4.99), 9);
    assert_int_equal(cr_legend_class(&lg, 5), 9);
    assert_int_equal(cr_legend_class(&lg, 100), 9);
    assert_int_equal(cr_legend_class(&lg, -100), 0);
    assert_int_equal(cr_legend_class(&lg, NAN), -1);
    /* IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/temp_div_disc.txt,
     * temp_div_10: first "5 48 97", sixth "242 220 217", last "103 0 31" */
    assert_int_equal(lg.rgb[0][0], 5);
    assert_int_equal(lg.rgb[0][1], 48);
    assert_int_equal(lg.rgb[0][2], 97);
    assert_int_equal(lg.rgb[5][0], 242);
    assert_int_equal(lg.rgb[5][1], 220);
    assert_int_equal(lg.rgb[5][2], 217);
    assert_int_equal(lg.rgb[9][0], 103);
    assert_int_equal(lg.rgb[9][2], 31);
    /* sequential precipitation: prec_seq_10 starts "255 255 229" */
    cr_legend_make(&lg, cr_indicator_find("prcptot"), "mean", 512, 1987);
    assert_int_equal(lg.kind, CR_LEGEND_SEQUENTIAL);
    assert_string_equal(lg.palette, "prec_seq");
    /* span 1475 / 10 = 147.5 -> step 200 (nice, >= 147.5), from floor(512 / 200) * 200 */
    assert_true(lg.breaks[0] == 400 && lg.breaks[1] == 600 && lg.breaks[10] == 2400);
    assert_int_equal(lg.rgb[0][0], 255);
    assert_int_equal(lg.rgb[0][2], 229);
    /* water deficit anomaly: prec_div reversed, more deficit = brown "84 48 5" */
    cr_legend_make(&lg, cr_indicator_find("water_deficit"), "anom", -10, 80);
    assert_string_equal(lg.palette, "prec_div");
    assert_int_equal(lg.reversed, 1);
    assert_int_equal(lg.rgb[9][0], 84);
    assert_int_equal(lg.rgb[9][1], 48);
    assert_int_equal(lg.rgb[9][2], 5);
}

/* ------------------------------------------------------------ PNG */

static void test_palette_png_decodes(void **state)
{
    (void)state;
    enum { W = 256, H = 256 };
    uint8_t *px = malloc(W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] = (uint8_t)(x < 128 ? 0 : 1 + (y / 64));
    struct cr_png_palette pal;
    memset(&pal, 0, sizeof pal);
    pal.n = 5;
    const unsigned char rgb[5][3] = {
        {0, 0, 0}, {5, 48, 97}, {248, 248, 248}, {219, 121, 105}, {103, 0, 31}};
    memcpy(pal.rgb, rgb, sizeof rgb);
    pal.alpha[0] = 0;
    for (int i = 1; i < 5; i++)
        pal.alpha[i] = 255;
    struct cr_bytes out;
    cr_bytes_init(&out);
    struct cr_err err;
    assert_int_equal(cr_png_encode_indexed(px, W, H, &pal, &out, &err), CR_OK);
    /* decode with libpng's simplified API into RGBA */
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&img, out.p, out.len));
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    img.format = PNG_FORMAT_RGBA;
    unsigned char *rgba = malloc(PNG_IMAGE_SIZE(img));
    assert_true(png_image_finish_read(&img, NULL, rgba, 0, NULL));
    assert_int_equal(rgba[(10 * W + 10) * 4 + 3], 0);   /* transparent */
    const unsigned char *p = rgba + (70 * W + 200) * 4; /* row 70 -> class 2 */
    assert_int_equal(p[0], 248);
    assert_int_equal(p[1], 248);
    assert_int_equal(p[2], 248);
    assert_int_equal(p[3], 255);
    p = rgba + (255 * W + 255) * 4;
    assert_int_equal(p[0], 103);
    assert_int_equal(p[3], 255);
    free(rgba);
    free(px);
    cr_bytes_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tile_ids_of_the_spec),
        cmocka_unit_test(test_directory_bytes),
        cmocka_unit_test(test_archive_header_and_directory),
        cmocka_unit_test(test_mvt_polygon_of_the_spec),
        cmocka_unit_test(test_clip_and_winding),
        cmocka_unit_test(test_tile_bounds),
        cmocka_unit_test(test_make_valid_bowtie),
        cmocka_unit_test(test_class_breaks),
        cmocka_unit_test(test_palette_png_decodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
