/* test_h5chunk.c — direct chunk reads (ingest/h5chunk.c) against netCDF's
 * own reads of the same files: every eligible layout (shuffle + deflate,
 * deflate alone, shuffle alone, several steps per chunk, a partial last
 * chunk, chunks never written, a station set) must give exactly the bytes
 * nc_get_vara_float gives; every other layout must be refused; a damaged
 * chunk must fail the read, and the reader must then report netCDF's
 * error. Files stored by the chunk writer must read back through netCDF
 * with every value. The reference is netCDF-C + HDF5 + zlib, which share
 * no code with the libdeflate path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <hdf5.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/cffile.h"
#include "ingest/h5chunk.h"
#include "support/ncmake.h"

#define NY 7
#define NX 9
#define NT 10

struct layout {
    const char *name;
    int format;   /* NC_NETCDF4, NC_CLASSIC_MODEL, ... */
    nc_type type; /* NC_FLOAT or NC_DOUBLE */
    int stations; /* (time, location) of NY * NX locations */
    size_t ct;    /* time steps per chunk; 0 = contiguous */
    size_t cy;    /* chunk rows (NY = whole map) */
    int shuffle, deflate;
    int skip_step; /* this step is never written (-1 none) */
};

/* Values with varied exponents and signs, so every shuffled byte plane
 * carries information. */
static float value_at(size_t t, size_t c)
{
    return (float)((double)(c % 2 ? -1 : 1) * (273.15 + 0.37 * (double)t) *
                   (1.0 + 0.013 * (double)c));
}

static void check_nc(int st, const char *what)
{
    if (st != NC_NOERR)
        fail_msg("%s: %s", what, nc_strerror(st));
}

static void write_file(const char *path, const struct layout *l)
{
    int ncid, dims[3], var;
    check_nc(nc_create(path, NC_CLOBBER | l->format, &ncid), "create");
    /* contiguous storage cannot grow: a fixed time dimension then */
    check_nc(nc_def_dim(ncid, "time", l->ct ? NC_UNLIMITED : NT, &dims[0]), "time");
    int tvar;
    check_nc(nc_def_var(ncid, "time", NC_DOUBLE, 1, dims, &tvar), "time var");
    check_nc(nc_put_att_text(ncid, tvar, "units", 21, "days since 2000-01-01"), "time units");
    int nd;
    if (l->stations) {
        check_nc(nc_def_dim(ncid, "location", NY * NX, &dims[1]), "location");
        nd = 2;
    } else {
        check_nc(nc_def_dim(ncid, "y", NY, &dims[1]), "y");
        check_nc(nc_def_dim(ncid, "x", NX, &dims[2]), "x");
        nd = 3;
    }
    check_nc(nc_def_var(ncid, "tas", l->type, nd, dims, &var), "var");
    check_nc(nc_put_att_text(ncid, var, "units", 1, "K"), "units");
    float fill = 1e20f;
    double dfill = 1e20;
    check_nc(nc_put_att(ncid, var, "_FillValue", l->type, 1,
                        l->type == NC_FLOAT ? (void *)&fill : (void *)&dfill),
             "fill");
    if (l->format & NC_NETCDF4) {
        if (l->ct) {
            size_t chunk[3] = {l->ct, l->stations ? NY * NX : l->cy, NX};
            check_nc(nc_def_var_chunking(ncid, var, NC_CHUNKED, chunk), "chunking");
        } else {
            check_nc(nc_def_var_chunking(ncid, var, NC_CONTIGUOUS, NULL), "contiguous");
        }
        if (l->shuffle || l->deflate)
            check_nc(nc_def_var_deflate(ncid, var, l->shuffle, l->deflate, l->deflate ? 4 : 0),
                     "deflate");
    }
    check_nc(nc_enddef(ncid), "enddef");
    for (size_t t = 0; t < NT; t++) {
        double day = (double)t;
        check_nc(nc_put_var1_double(ncid, tvar, &t, &day), "time value");
    }
    float map[NY * NX];
    for (size_t t = 0; t < NT; t++) {
        if ((int)t == l->skip_step)
            continue;
        for (size_t c = 0; c < NY * NX; c++)
            map[c] = value_at(t, c);
        size_t start[3] = {t, 0, 0}, count[3] = {1, l->stations ? NY * NX : NY, NX};
        check_nc(nc_put_vara_float(ncid, var, start, count, map), "put");
    }
    check_nc(nc_close(ncid), "close");
}

static const size_t dimlen_grid[3] = {NT, NY, NX}, dimlen_stations[2] = {NT, NY *NX};

static struct cr_h5chunk *open_direct(const char *path, const struct layout *l, int threads,
                                      const char **why)
{
    return cr_h5chunk_open(path, "tas", l->stations ? 2 : 3,
                           l->stations ? dimlen_stations : dimlen_grid, threads, why);
}

/* Every (t0, nt) window, read directly, equals netCDF's read bit for bit,
 * decoded on one thread or split unevenly over three. */
static void expect_same_as_netcdf(const struct layout *l, int threads)
{
    const char *path = ncm_path(l->name);
    write_file(path, l);
    const char *why = NULL;
    struct cr_h5chunk *c = open_direct(path, l, threads, &why);
    if (!c)
        fail_msg("%s: not eligible (%s)", l->name, why);
    int ncid, var;
    check_nc(nc_open(path, NC_NOWRITE, &ncid), "open");
    check_nc(nc_inq_varid(ncid, "tas", &var), "varid");
    float *want = malloc(sizeof(float) * NT * NY * NX), *got = malloc(sizeof(float) * NT * NY * NX);
    for (size_t t0 = 0; t0 < NT; t0++) {
        for (size_t nt = 1; t0 + nt <= NT; nt++) {
            size_t start[3] = {t0, 0, 0}, count[3] = {nt, l->stations ? NY * NX : NY, NX};
            check_nc(nc_get_vara_float(ncid, var, start, count, want), "get");
            memset(got, 0xab, sizeof(float) * nt * NY * NX);
            assert_int_equal(cr_h5chunk_read(c, t0, nt, got), 0);
            if (memcmp(want, got, sizeof(float) * nt * NY * NX) != 0)
                fail_msg("%s, %d threads: steps %zu+%zu differ from netCDF", l->name, threads, t0,
                         nt);
        }
    }
    /* the unwritten step reads as the fill value, as netCDF says */
    if (l->skip_step >= 0) {
        assert_int_equal(cr_h5chunk_read(c, (size_t)l->skip_step, 1, got), 0);
        assert_true(got[0] == 1e20f);
    }
    assert_int_equal(cr_h5chunk_read(c, NT - 1, 2, got), -1); /* beyond the end */
    assert_int_equal(cr_h5chunk_read(c, NT, 0, got), 0);      /* nothing to read */
    nc_close(ncid);
    free(want);
    free(got);
    cr_h5chunk_close(c);
}

static void test_eligible_layouts(void **state)
{
    (void)state;
    const struct layout ok[] = {
        {"shuffle-deflate.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 1, 1, -1},
        {"deflate.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 0, 1, -1},
        {"shuffle.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 1, 0, -1},
        {"unfiltered.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 0, 0, -1},
        {"chunk3.nc", NC_NETCDF4, NC_FLOAT, 0, 3, NY, 1, 1, -1}, /* 10 = 3+3+3+1 */
        {"chunk4-classic.nc", NC_NETCDF4 | NC_CLASSIC_MODEL, NC_FLOAT, 0, 4, NY, 1, 1, -1},
        {"unwritten.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 1, 1, 4},
        {"unwritten3.nc", NC_NETCDF4, NC_FLOAT, 0, 3, NY, 1, 1, 4},
        {"stations.nc", NC_NETCDF4, NC_FLOAT, 1, 2, NY, 1, 1, -1},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        expect_same_as_netcdf(&ok[k], 1);
        expect_same_as_netcdf(&ok[k], 3);
    }
}

static void test_ineligible_layouts(void **state)
{
    (void)state;
    const struct layout no[] = {
        {"classic.nc", 0, NC_FLOAT, 0, 0, NY, 0, 0, -1},
        {"cdf5.nc", NC_64BIT_DATA, NC_FLOAT, 0, 0, NY, 0, 0, -1},
        {"contiguous.nc", NC_NETCDF4, NC_FLOAT, 0, 0, NY, 0, 0, -1},
        {"half-map.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY / 2, 1, 1, -1},
        {"double.nc", NC_NETCDF4, NC_DOUBLE, 0, 1, NY, 1, 1, -1},
    };
    for (size_t k = 0; k < sizeof no / sizeof no[0]; k++) {
        write_file(ncm_path(no[k].name), &no[k]);
        const char *why = NULL;
        struct cr_h5chunk *c = open_direct(ncm_path(no[k].name), &no[k], 1, &why);
        if (c)
            fail_msg("%s: read directly, should not be", no[k].name);
        assert_non_null(why);
    }
    /* a shape other than the one netCDF reports (a name resolving to some
     * other dataset) is refused too */
    const struct layout l = {"shape.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 1, 1, -1};
    write_file(ncm_path(l.name), &l);
    const size_t wrong[3] = {NT, NY, NX + 1};
    const char *why = NULL;
    assert_null(cr_h5chunk_open(ncm_path(l.name), "tas", 3, wrong, 1, &why));
    assert_null(cr_h5chunk_open(ncm_path(l.name), "nope", 3, dimlen_grid, 1, &why));
}

/* Flip bytes in the middle of the stored chunk of step `t`. */
static void damage_chunk(const char *path, size_t t)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "tas", H5P_DEFAULT);
    hsize_t offset[3] = {t, 0, 0}, size = 0;
    haddr_t addr = 0;
    unsigned mask = 0;
    assert_true(H5Dget_chunk_info_by_coord(d, offset, &mask, &addr, &size) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (long)(addr + size / 2), SEEK_SET), 0);
    unsigned char junk[8] = {0xde, 0xad, 0xbe, 0xef, 0x12, 0x34, 0x56, 0x78};
    assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
    fclose(fp);
}

static void test_damaged_chunk(void **state)
{
    (void)state;
    const struct layout l = {"damaged.nc", NC_NETCDF4, NC_FLOAT, 0, 1, NY, 1, 1, -1};
    const char *path = ncm_path(l.name);
    write_file(path, &l);
    damage_chunk(path, 5);
    const char *why = NULL;
    float buf[NT * NY * NX];
    for (int threads = 1; threads <= 2; threads++) {
        struct cr_h5chunk *c = open_direct(path, &l, threads, &why);
        assert_non_null(c);
        assert_int_equal(cr_h5chunk_read(c, 0, 5, buf), 0); /* the steps before are fine */
        assert_int_equal(cr_h5chunk_read(c, 3, 4, buf), -1);
        assert_int_equal(cr_h5chunk_read(c, 6, 4, buf), 0); /* and those after */
        cr_h5chunk_close(c);
    }

    /* Through the file reader: the direct read fails, netCDF reads again
     * and its error names the file, the variable and the steps. */
    struct cr_cffile f;
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_cffile_open(&f, path, "tas", &err) != CR_OK)
        fail_msg("open: %s", err.msg);
    assert_int_equal(cr_cffile_read(&f, 0, 2, buf, &err), CR_OK);
    assert_non_null(f.direct); /* this file is read directly */
    assert_int_equal(cr_cffile_read(&f, 4, 3, buf, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "damaged.nc"));
    assert_non_null(strstr(err.msg, "tas"));
    assert_non_null(strstr(err.msg, "time steps 4 to 6"));
    cr_cffile_free(&f);
}

/* A finite float with random mantissa bits: maps of these hardly compress,
 * so the compressed chunk is larger than the map (stored blocks). */
static float noise_at(size_t t, size_t c)
{
    uint64_t x = (t * 1000003u + c) * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    uint32_t bits = (uint32_t)(x & 0x807fffffu) | 0x43000000u; /* |v| in [128, 256) */
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The writer's files, read back by netCDF (HDF5's own zlib inflate and
 * unshuffle, no code shared with the writer), hold every value written.
 * Level 1 goes through ISA-L, other levels through libdeflate. */
static void expect_written(const char *name, int shuffle, int level, int noisy)
{
    int deflate = level > 0;
#define WRITTEN(t, c) ((c) == 5 ? fill : noisy ? noise_at(t, c) : value_at(t, c))
    const char *path = ncm_path(name);
    int ncid, dims[3], var, tvar;
    check_nc(nc_create(path, NC_CLOBBER | NC_NETCDF4, &ncid), "create");
    check_nc(nc_def_dim(ncid, "time", NC_UNLIMITED, &dims[0]), "time");
    check_nc(nc_def_dim(ncid, "y", NY, &dims[1]), "y");
    check_nc(nc_def_dim(ncid, "x", NX, &dims[2]), "x");
    check_nc(nc_def_var(ncid, "time", NC_DOUBLE, 1, dims, &tvar), "time var");
    check_nc(nc_def_var(ncid, "tas", NC_FLOAT, 3, dims, &var), "var");
    size_t chunk[3] = {1, NY, NX};
    check_nc(nc_def_var_chunking(ncid, var, NC_CHUNKED, chunk), "chunking");
    if (shuffle || deflate)
        check_nc(nc_def_var_deflate(ncid, var, shuffle, deflate, level), "deflate");
    float fill = 1e20f;
    check_nc(nc_def_var_fill(ncid, var, 0, &fill), "fill");
    check_nc(nc_enddef(ncid), "enddef");
    double days[NT];
    for (size_t t = 0; t < NT; t++)
        days[t] = (double)t;
    size_t start0 = 0, nt = NT;
    check_nc(nc_put_vara_double(ncid, tvar, &start0, &nt, days), "times");
    check_nc(nc_close(ncid), "close");

    struct cr_h5chunk_writer *w = NULL;
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_h5chunk_writer_open(&w, path, "tas", NT, &err) != CR_OK)
        fail_msg("%s: %s", name, err.msg);
    float map[NY * NX];
    for (size_t t = 0; t < NT; t++) {
        for (size_t c = 0; c < NY * NX; c++)
            map[c] = WRITTEN(t, c);
        assert_int_equal(cr_h5chunk_write(w, t, map, &err), CR_OK);
    }
    assert_int_equal(cr_h5chunk_write(w, NT, map, &err), CR_EINTERNAL); /* beyond the end */
    assert_int_equal(cr_h5chunk_writer_close(w, &err), CR_OK);

    check_nc(nc_open(path, NC_NOWRITE, &ncid), "reopen");
    check_nc(nc_inq_varid(ncid, "tas", &var), "varid");
    size_t len;
    check_nc(nc_inq_dimlen(ncid, dims[0], &len), "time length");
    assert_int_equal(len, NT);
    int sh = 0, df = 0, stored_level = 0;
    check_nc(nc_inq_var_deflate(ncid, var, &sh, &df, &stored_level), "filters");
    assert_int_equal(sh, shuffle);
    assert_int_equal(df, deflate);
    assert_int_equal(stored_level, level);
    float got[NT * NY * NX];
    check_nc(nc_get_var_float(ncid, var, got), "values");
    for (size_t t = 0; t < NT; t++)
        for (size_t c = 0; c < NY * NX; c++)
            if (got[t * NY * NX + c] != WRITTEN(t, c))
                fail_msg("%s: step %zu cell %zu is %g", name, t, c, (double)got[t * NY * NX + c]);
    nc_close(ncid);
#undef WRITTEN
}

/* Written and read chunks leave the page cache (core/dropbehind.h): a
 * DRIAS-sized map of noise for 640 steps (about 45 MB stored), read back
 * in blocks of 16 steps as compute reads. */
static void test_page_cache(void **state)
{
    (void)state;
    enum { MY = 134, MX = 143, STEPS = 640, BLOCK = 16 };
    const char *path = ncm_path("cache.nc");
    int ncid, dims[3], var;
    check_nc(nc_create(path, NC_CLOBBER | NC_NETCDF4, &ncid), "create");
    check_nc(nc_def_dim(ncid, "time", NC_UNLIMITED, &dims[0]), "time");
    check_nc(nc_def_dim(ncid, "y", MY, &dims[1]), "y");
    check_nc(nc_def_dim(ncid, "x", MX, &dims[2]), "x");
    check_nc(nc_def_var(ncid, "tas", NC_FLOAT, 3, dims, &var), "var");
    size_t chunk[3] = {1, MY, MX};
    check_nc(nc_def_var_chunking(ncid, var, NC_CHUNKED, chunk), "chunking");
    check_nc(nc_def_var_deflate(ncid, var, 1, 1, 1), "deflate");
    check_nc(nc_close(ncid), "close");
    struct cr_h5chunk_writer *w = NULL;
    struct cr_err err;
    if (cr_h5chunk_writer_open(&w, path, "tas", STEPS, &err) != CR_OK)
        fail_msg("%s", err.msg);
    float *map = malloc(sizeof *map * MY * MX * BLOCK);
    assert_non_null(map);
    for (size_t t = 0; t < STEPS; t++) {
        for (size_t c = 0; c < MY * MX; c++)
            map[c] = noise_at(t, c);
        assert_int_equal(cr_h5chunk_write(w, t, map, &err), CR_OK);
    }
    assert_int_equal(cr_h5chunk_writer_close(w, &err), CR_OK);
    double r = ncm_resident(path);
    if (r < 0)
        skip();
    assert_true(r < 0.1);

    /* cached whole by a plain read, then read by chunks */
    FILE *fp = fopen(path, "rb");
    static char buf[1 << 16];
    while (fread(buf, 1, sizeof buf, fp) > 0)
        ;
    fclose(fp);
    assert_true(ncm_resident(path) > 0.9);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    double size_mb = (double)st.st_size / (1 << 20);
    const char *why = NULL;
    size_t dimlen[3] = {STEPS, MY, MX};
    struct cr_h5chunk *c = cr_h5chunk_open(path, "tas", 3, dimlen, 2, &why);
    assert_non_null(c);
    for (size_t t0 = 0; t0 < STEPS; t0 += BLOCK) {
        assert_int_equal(cr_h5chunk_read(c, t0, BLOCK, map), 0);
        for (size_t c2 = 0; c2 < MY * MX; c2 += 997)
            assert_true(map[c2] == noise_at(t0, c2));
        /* halfway: the first half is gone but for the estimate's slack
         * (4 MB) and one drop window (8 MB), a quarter of the file */
        /* three quarters in: the bytes before this block are gone, but
         * for the estimate's slack (4 MB), one drop window (8 MB) and the
         * file's metadata */
        if (t0 + BLOCK == STEPS * 3 / 4) {
            double gone_mb = (double)t0 / STEPS * size_mb - 4 - 8 - 1;
            assert_true(gone_mb > 10);
            assert_true(ncm_resident(path) < 1 - gone_mb / size_mb);
        }
    }
    cr_h5chunk_close(c);
    assert_true(ncm_resident(path) < 0.1);
    free(map);
}

static void test_writer(void **state)
{
    (void)state;
    expect_written("w-shuffle-deflate1.nc", 1, 1, 0);
    expect_written("w-shuffle-deflate5.nc", 1, 5, 0);
    expect_written("w-deflate1.nc", 0, 1, 0);
    expect_written("w-deflate9.nc", 0, 9, 0);
    expect_written("w-noise-deflate1.nc", 1, 1, 1);
    expect_written("w-noise-deflate5.nc", 0, 5, 1);
    expect_written("w-plain.nc", 0, 0, 0);

    /* A layout the writer cannot fill is an error naming file and variable. */
    const struct layout l = {"w-chunk3.nc", NC_NETCDF4, NC_FLOAT, 0, 3, NY, 1, 1, -1};
    write_file(ncm_path(l.name), &l);
    struct cr_h5chunk_writer *w = NULL;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_h5chunk_writer_open(&w, ncm_path(l.name), "tas", NT, &err), CR_EINTERNAL);
    assert_null(w);
    assert_non_null(strstr(err.msg, "w-chunk3.nc"));
    assert_non_null(strstr(err.msg, "one step by the whole map"));
    assert_int_equal(cr_h5chunk_writer_open(&w, ncm_path(l.name), "nope", NT, &err), CR_EINTERNAL);
    assert_non_null(strstr(err.msg, "nope"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eligible_layouts), cmocka_unit_test(test_ineligible_layouts),
        cmocka_unit_test(test_damaged_chunk),    cmocka_unit_test(test_writer),
        cmocka_unit_test(test_page_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
