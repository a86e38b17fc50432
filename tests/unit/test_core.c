/* test_core.c — hashing, strict parsing, atomic files and page-cache
 * advice. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dropbehind.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/sha256.h"
#include "core/strutil.h"
#include "support/ncmake.h"

/* FIPS 180-2 test vectors. */
static void test_sha256_vectors(void **state)
{
    (void)state;
    char hex[CR_SHA256_HEX];
    struct cr_err err;
    assert_int_equal(cr_sha256_buf("abc", 3, hex, &err), CR_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(cr_sha256_buf("", 0, hex, &err), CR_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(cr_sha256_buf(two, strlen(two), hex, &err), CR_OK);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_file_streams(void **state)
{
    (void)state;
    char path[] = "/tmp/sha-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* one million 'a': the FIPS long-message vector, in 64 KiB pieces */
    char buf[1000];
    memset(buf, 'a', sizeof buf);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(write(fd, buf, sizeof buf), (int)sizeof buf);
    close(fd);
    char hex[CR_SHA256_HEX];
    struct cr_err err;
    assert_int_equal(cr_sha256_file(path, hex, &err), CR_OK);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    unlink(path);
    assert_int_equal(cr_sha256_file(path, hex, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, path));
}

static void test_strict_parsing(void **state)
{
    (void)state;
    long l;
    double d;
    int b, y0, y1;
    assert_int_equal(cr_parse_long("42", &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(cr_parse_long("-7", &l), 0);
    assert_int_equal(cr_parse_long("12abc", &l), -1);
    assert_int_equal(cr_parse_long(" 12", &l), -1);
    assert_int_equal(cr_parse_long("", &l), -1);
    assert_int_equal(cr_parse_long("99999999999999999999", &l), -1);
    assert_int_equal(cr_parse_double("0.10", &d), 0);
    assert_true(d == 0.10);
    assert_int_equal(cr_parse_double("1e999", &d), -1);
    assert_int_equal(cr_parse_double("nan", &d), -1);
    assert_int_equal(cr_parse_double("3,5", &d), -1);
    assert_int_equal(cr_parse_bool("Yes", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(cr_parse_bool("off", &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(cr_parse_bool("maybe", &b), -1);
    assert_int_equal(cr_parse_year_range("1976-2005", &y0, &y1), 0);
    assert_int_equal(y0, 1976);
    assert_int_equal(y1, 2005);
    assert_int_equal(cr_parse_year_range(" 2021 - 2050 ", &y0, &y1), 0);
    assert_int_equal(cr_parse_year_range("2030", &y0, &y1), 0);
    assert_int_equal(y1, 2030);
    assert_int_equal(cr_parse_year_range("2005-1976", &y0, &y1), -1);
    assert_int_equal(cr_parse_year_range("1976-", &y0, &y1), -1);
    assert_int_equal(cr_parse_year_range("abc", &y0, &y1), -1);
}

static void test_strlist(void **state)
{
    (void)state;
    struct cr_strlist l;
    assert_int_equal(cr_strlist_split(&l, " a, b ,,c "), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[1], "b");
    assert_true(cr_strlist_contains(&l, "c"));
    assert_false(cr_strlist_contains(&l, "d"));
    cr_strlist_free(&l);
    assert_int_equal(cr_strlist_split(&l, ""), 0);
    assert_int_equal(l.n, 0);
    cr_strlist_free(&l);
}

static void test_atomic_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/atomic-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    struct cr_atomic_file af;
    struct cr_err err;
    /* aborted: nothing appears */
    assert_int_equal(cr_atomic_open(&af, path, &err), CR_OK);
    fputs("half", af.fp);
    cr_atomic_abort(&af);
    assert_false(cr_file_exists(path));
    assert_false(cr_file_exists(af.tmp_path));
    /* committed: the file appears whole, the temporary name is gone */
    assert_int_equal(cr_atomic_open(&af, path, &err), CR_OK);
    assert_true(cr_file_exists(af.tmp_path));
    assert_false(cr_file_exists(path));
    fputs("whole", af.fp);
    assert_int_equal(cr_atomic_commit(&af, &err), CR_OK);
    assert_false(cr_file_exists(af.tmp_path));
    char *text;
    assert_int_equal(cr_read_file(path, &text, NULL, &err), CR_OK);
    assert_string_equal(text, "whole");
    free(text);
    /* a stale part of a dead process is removed, a live one is kept */
    char stale[300], live[300];
    snprintf(stale, sizeof stale, "%s/x.nc.part-999999999", dir);
    snprintf(live, sizeof live, "%s/y.nc.part-%ld", dir, (long)getpid());
    fclose(fopen(stale, "w"));
    fclose(fopen(live, "w"));
    assert_int_equal(cr_remove_stale_parts(dir), 1);
    assert_false(cr_file_exists(stale));
    assert_true(cr_file_exists(live));
    unlink(live);
    unlink(path);
    /* mkdir -p */
    char deep[300];
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    assert_int_equal(cr_mkdir_p(deep, &err), CR_OK);
    assert_true(cr_is_dir(deep));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_error_prefix(void **state)
{
    (void)state;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_err_set(&err, CR_EDATA, "variable '%s' missing", "tas"), CR_EDATA);
    assert_int_equal(cr_err_prefix(&err, "reading %s", "a.nc"), CR_EDATA);
    assert_string_equal(err.msg, "reading a.nc: variable 'tas' missing");
    assert_string_equal(cr_status_name(CR_EEXTERNAL), "external failure");
}

/* ---- drop-behind: measured with mincore, which reports which pages of
 * a file are in the page cache. */

#define DB_FILE_MB 40

#define resident ncm_resident

/* A file under TMPDIR written in 1 MB pieces, each reported to a
 * drop-behind writer; NULL (test skipped) where the kernel cannot drop
 * pages (tmpfs keeps them: they are the file). */
static const char *write_followed(const char *name)
{
    static char path[1100];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/%s", base && *base ? base : "/tmp", name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    struct cr_drop_behind db;
    cr_drop_behind_open(&db, path);
    static char buf[1 << 20];
    for (int i = 0; i < DB_FILE_MB; i++) {
        memset(buf, 'a' + i % 26, sizeof buf);
        assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
        cr_drop_behind_wrote(&db, sizeof buf);
        /* at 20 MB: the first 8-MB window is gone (the second is being
         * written out, the rest waits for the third) */
        if (i + 1 == 20 && db.fd >= 0)
            assert_true(resident(path) < (20.0 - 8 + 1) / 20);
    }
    assert_int_equal(close(fd), 0);
    cr_drop_behind_close(&db);
    return ncm_resident(path) < 0 ? NULL : path;
}

static void test_drop_behind_writer(void **state)
{
    (void)state;
    /* Kept (the switch for comparing): the kernel caches what was written,
     * so a low count below is the writer's doing. */
    setenv("CLIMRISK_KEEP_CACHE", "1", 1);
    const char *path = write_followed("kept");
    unsetenv("CLIMRISK_KEEP_CACHE");
    if (!path)
        skip();
    assert_true(resident(path) > 0.9);
    unlink(path);
    path = write_followed("dropped");
    assert_true(resident(path) < 0.1);
    unlink(path);
}

static void test_drop_behind_reader(void **state)
{
    (void)state;
    setenv("CLIMRISK_KEEP_CACHE", "1", 1);
    const char *path = write_followed("read");
    unsetenv("CLIMRISK_KEEP_CACHE");
    if (!path)
        skip();
    assert_true(resident(path) > 0.9);
    /* read in pieces and reported: dropped as the reading goes (once
     * written out: dirty pages stay) */
    int fd = open(path, O_RDONLY);
    assert_int_equal(fsync(fd), 0);
    struct cr_drop_behind db;
    cr_drop_behind_open(&db, path);
    static char buf[1 << 16];
    long long off = 0;
    ssize_t n;
    /* pieces of a chunk's size, which page boundaries do not divide */
    while ((n = pread(fd, buf, 50003, off)) > 0) {
        cr_drop_behind_read(&db, off, off + n);
        off += n;
        /* at 20 MB: the first 16 are gone (two 8-MB windows), but for
         * at most one folio (2 MB) across the second window's end */
        if (off >= 20LL << 20 && off - n < 20LL << 20)
            assert_true(resident(path) < (40.0 - 16 + 2) / 40);
    }
    close(fd);
    cr_drop_behind_close(&db);
    /* (without the drops' margin, the folios across window ends stay) */
    assert_true(resident(path) < 0.1);
    /* hashing a file for a reader (compute's inputs) leaves it uncached
     * too; other hashing leaves the cache alone */
    fd = open(path, O_RDONLY);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
    assert_true(resident(path) > 0.9);
    char hex[CR_SHA256_HEX], hex2[CR_SHA256_HEX];
    struct cr_err err;
    assert_int_equal(cr_sha256_file(path, hex, &err), CR_OK);
    assert_true(resident(path) > 0.9);
    assert_int_equal(cr_sha256_file_uncached(path, hex2, &err), CR_OK);
    assert_string_equal(hex, hex2);
    assert_true(resident(path) < 0.1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),     cmocka_unit_test(test_sha256_file_streams),
        cmocka_unit_test(test_strict_parsing),     cmocka_unit_test(test_strlist),
        cmocka_unit_test(test_atomic_file),        cmocka_unit_test(test_error_prefix),
        cmocka_unit_test(test_drop_behind_writer), cmocka_unit_test(test_drop_behind_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
