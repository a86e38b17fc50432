/* test_dsn.c — passwords never leave a DSN through logs or argv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sql/dsn.h"

static void test_redact_keyword_and_uri(void **state)
{
    (void)state;
    char out[512];
    cr_dsn_redact("host=db.example.org port=5433 dbname=dm user=loader password=s3cr3t!", out,
                  sizeof out);
    assert_null(strstr(out, "s3cr3t"));
    assert_non_null(strstr(out, "password=***"));
    assert_non_null(strstr(out, "host=db.example.org"));
    assert_non_null(strstr(out, "port=5433"));
    cr_dsn_redact("postgresql://loader:s3cr3t%21@db.example.org:5433/dm?sslmode=require", out,
                  sizeof out);
    assert_null(strstr(out, "s3cr3t"));
    assert_non_null(strstr(out, "sslmode=require"));
    cr_dsn_redact("host='unterminated password=s3cr3t", out, sizeof out);
    assert_null(strstr(out, "s3cr3t"));
}

static void test_to_env(void **state)
{
    (void)state;
    struct cr_err err;
    unsetenv("PGPASSWORD");
    assert_int_equal(cr_dsn_to_env("host=127.0.0.1 port=6543 dbname=x user=u password=p", &err),
                     CR_OK);
    assert_string_equal(getenv("PGHOST"), "127.0.0.1");
    assert_string_equal(getenv("PGPORT"), "6543");
    assert_string_equal(getenv("PGDATABASE"), "x");
    assert_string_equal(getenv("PGPASSWORD"), "p");
    assert_int_equal(cr_dsn_to_env("host='broken", &err), CR_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_keyword_and_uri),
        cmocka_unit_test(test_to_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
