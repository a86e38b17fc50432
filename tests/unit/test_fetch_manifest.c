/* test_fetch_manifest.c — file-name parsing on the DRIAS/CORDEX names quoted
 * in ../shared/research/drias-data.md §1.1 and the EURO-CORDEX samples'
 * origin names, URL redaction, manifest parsing (@base, @default, OPeNDAP
 * detection, errors with file:line), and the cache index (round trip,
 * lookup by model/scenario/variable sorted by period). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "ingest/cache.h"
#include "ingest/dsname.h"
#include "ingest/manifest.h"
#include "ingest/url.h"

static void test_dsname_families(void **state)
{
    (void)state;
    struct cr_dsname d;
    /* (a) CNRM server / data.gouv bucket */
    assert_int_equal(cr_dsname_parse("tasmaxAdjust_France_ICHEC-EC-EARTH_rcp85_r12i1p1_SMHI-RCA4_"
                                     "v1_MF-ADAMONT-SAFRAN-1980-2011_day_20060101-21001231.nc",
                                     &d),
                     0);
    assert_int_equal(d.family, CR_DSNAME_CORDEX);
    assert_string_equal(d.variable, "tasmaxAdjust");
    assert_string_equal(d.model, "ICHEC-EC-EARTH_SMHI-RCA4");
    assert_string_equal(d.scenario, "rcp85");
    assert_string_equal(d.member, "r12i1p1");
    assert_string_equal(d.period, "20060101-21001231");
    /* (a) with a method suffix, and a URL around it */
    assert_int_equal(
        cr_dsname_parse("https://object.files.data.gouv.fr/meteofrance-drias/x/"
                        "evspsblpotAdjust_France_CNRM-CERFACS-CNRM-CM5_historical_r1i1p1_CNRM-"
                        "ALADIN63_v2_MF-ADAMONT-SAFRAN-1980-2011_day_19510101-20051231_Hg0175.nc",
                        &d),
        0);
    assert_string_equal(d.variable, "evspsblpotAdjust");
    assert_string_equal(d.model, "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63");
    assert_string_equal(d.scenario, "historical");
    assert_string_equal(d.period, "19510101-20051231");
    /* (b) portal orders: Historical and rcp4.5 spellings */
    assert_int_equal(cr_dsname_parse("tasmaxAdjust_France_IPSL-IPSL-CM5A-MR_IPSL-WRF381P_"
                                     "Historical_METEO-FRANCE_ADAMONT-France_SAFRAN_day_19960101-"
                                     "20051231.nc",
                                     &d),
                     0);
    assert_int_equal(d.family, CR_DSNAME_DRIAS_PORTAL);
    assert_string_equal(d.model, "IPSL-IPSL-CM5A-MR_IPSL-WRF381P");
    assert_string_equal(d.scenario, "historical");
    assert_int_equal(cr_dsname_parse("hussAdjust_France_IPSL-IPSL-CM5A-MR_IPSL-WRF381P_rcp4.5_"
                                     "METEO-FRANCE_ADAMONT-France_SAFRAN_day_20500101-20591231.nc",
                                     &d),
                     0);
    assert_string_equal(d.scenario, "rcp45");
    assert_string_equal(d.period, "20500101-20591231");
    /* ESGF EURO-CORDEX (origin names of the shared samples) */
    assert_int_equal(cr_dsname_parse("tasmin_EUR-11_MOHC-HadGEM2-ES_historical_r1i1p1_CLMcom-"
                                     "CCLM4-8-17_v1_day_19491201-19501230.nc",
                                     &d),
                     0);
    assert_string_equal(d.variable, "tasmin");
    assert_string_equal(d.model, "MOHC-HadGEM2-ES_CLMcom-CCLM4-8-17");
    assert_string_equal(d.period, "19491201-19501230");
    /* (c) DRIAS 2014: variable and scenario, no GCM_RCM */
    assert_int_equal(
        cr_dsname_parse("tasmax_metro_CNRM_Aladin_rcp2.6_QT_RCP2.6_20060101-21001231.nc", &d), 0);
    assert_int_equal(d.family, CR_DSNAME_DRIAS2014);
    assert_string_equal(d.variable, "tasmax");
    assert_string_equal(d.scenario, "rcp26");
    assert_string_equal(d.model, "");
    /* not a family */
    assert_int_equal(cr_dsname_parse("test1.nc", &d), -1);
    assert_int_equal(cr_dsname_parse("a_b_c_d_e.nc", &d), -1);
    assert_string_equal(d.period, "");
}

static void test_scenarios_and_models(void **state)
{
    (void)state;
    char s[16];
    assert_int_equal(cr_scenario_normalize("RCP8.5", s, sizeof s), 0);
    assert_string_equal(s, "rcp85");
    assert_int_equal(cr_scenario_normalize("Historical", s, sizeof s), 0);
    assert_string_equal(s, "historical");
    assert_int_equal(cr_scenario_normalize("rcp60", s, sizeof s), -1);
    assert_int_equal(cr_scenario_normalize("ssp585", s, sizeof s), -1);
    assert_true(cr_model_valid("CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63"));
    assert_false(cr_model_valid("CNRM-ALADIN63"));
    assert_false(cr_model_valid("a_b_c"));
    assert_false(cr_model_valid("_b"));
    assert_false(cr_model_valid("a b_c"));
}

static void test_url_helpers(void **state)
{
    (void)state;
    char out[512];
    cr_url_redact("https://alice:s3cret@esgf.example.org:443/thredds/fileServer/x.nc", out,
                  sizeof out);
    assert_string_equal(out, "https://esgf.example.org:443/thredds/fileServer/x.nc");
    cr_url_redact("https://h/x.nc?X-Amz-Signature=abc&version=2&access_token=t0k#frag", out,
                  sizeof out);
    assert_string_equal(out, "https://h/x.nc?X-Amz-Signature=REDACTED&version=2&access_token="
                             "REDACTED#frag");
    cr_url_redact("/plain/path@x/y.nc", out, sizeof out);
    assert_string_equal(out, "/plain/path@x/y.nc");
    cr_url_redact("https://user@h/a", out, 10); /* truncation keeps a terminated prefix */
    assert_string_equal(out, "https://h");
    assert_true(cr_url_has_userinfo("http://u:p@h/x"));
    assert_false(cr_url_has_userinfo("http://h/x@y"));
    assert_int_equal(cr_url_kind("HTTPS://h/x"), CR_URL_HTTP);
    assert_int_equal(cr_url_kind("file:///x"), CR_URL_FILE);
    assert_int_equal(cr_url_kind("s3://b/x"), CR_URL_OTHER);
    assert_int_equal(cr_url_kind("rel/x.nc"), CR_URL_PATH);
    assert_int_equal(cr_file_url_path("file:///data/a%20b.nc", out, sizeof out), 0);
    assert_string_equal(out, "/data/a b.nc");
    assert_int_equal(cr_file_url_path("file://localhost/d/x.nc", out, sizeof out), 0);
    assert_string_equal(out, "/d/x.nc");
    assert_int_equal(cr_file_url_path("file://otherhost/d/x.nc", out, sizeof out), -1);
    assert_int_equal(cr_url_basename("https://h/a/b%5Fc.nc?x=1#f", out, sizeof out), 0);
    assert_string_equal(out, "b_c.nc");
    assert_int_equal(cr_url_basename("https://h/dir/", out, sizeof out), -1);
    assert_int_equal(cr_url_basename("dir/a%20.nc", out, sizeof out), 0);
    assert_string_equal(out, "a%20.nc"); /* paths are not URL-decoded */
}

static const char *const DRIAS = "tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp8.5_"
                                 "METEO-FRANCE_ADAMONT-France_SAFRAN_day_20210101-20251231.nc";

static void test_manifest_parse(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text,
             "# DRIAS order\r\n"
             "@base https://drias.example.org/order/42\n"
             "%s sha256=%s size=1234\n"
             "\n"
             "@default model=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009 scenario=rcp2.6 variable=tasAdjust\n"
             "\"other file.nc\" name=renamed.nc\n"
             "https://tds.example.org/thredds/dodsC/cordex/y.nc variable=tasmin\n"
             "@default\n"
             "https://u:p@h.example.org/z.nc kind=http model=A_B scenario=historical variable=pr\n",
             DRIAS, "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    struct cr_manifest m;
    struct cr_err err;
    cr_manifest_init(&m);
    assert_int_equal(cr_manifest_parse(&m, text, "order.tsv", "/tmp", &err), CR_OK);
    assert_int_equal(m.n, 4);
    const struct cr_manifest_entry *e = &m.e[0];
    assert_int_equal(e->kind, CR_SRC_HTTP);
    assert_true(strncmp(e->src, "https://drias.example.org/order/42/tasmaxAdjust_", 47) == 0);
    assert_string_equal(e->sha256,
                        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    assert_int_equal(e->size, 1234);
    assert_string_equal(e->model, "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63");
    assert_string_equal(e->scenario, "rcp85");
    assert_string_equal(e->variable, "tasmaxAdjust");
    assert_string_equal(e->period, "20210101-20251231");
    assert_int_equal(e->line, 3);
    e = &m.e[1]; /* relative to @base, quoted, renamed, metadata from @default */
    assert_string_equal(e->src, "https://drias.example.org/order/42/other file.nc");
    assert_string_equal(e->name, "renamed.nc");
    assert_string_equal(e->model, "MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009");
    assert_string_equal(e->scenario, "rcp26");
    assert_string_equal(e->variable, "tasAdjust");
    e = &m.e[2]; /* THREDDS dodsC: OPeNDAP; the line's variable wins over @default */
    assert_int_equal(e->kind, CR_SRC_OPENDAP);
    assert_string_equal(e->variable, "tasmin");
    assert_string_equal(e->model, "MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009");
    e = &m.e[3];
    assert_int_equal(e->kind, CR_SRC_HTTP);
    assert_string_equal(e->name, "z.nc");
    assert_int_equal(e->size, -1);
    assert_string_equal(e->sha256, "");
    assert_int_equal(e->line, 9);
    cr_manifest_free(&m);
}

static void expect_error(const char *text, const char *needle)
{
    struct cr_manifest m;
    struct cr_err err;
    cr_manifest_init(&m);
    cr_err_clear(&err);
    assert_int_equal(cr_manifest_parse(&m, text, "m.tsv", "/tmp", &err), CR_EDATA);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s'", err.msg, needle);
    cr_manifest_free(&m);
}

static void test_manifest_errors(void **state)
{
    (void)state;
    expect_error("@base\n", "m.tsv:1: @base takes one URL or directory");
    expect_error("@mirror x\n", "m.tsv:1: unknown directive '@mirror'");
    expect_error("@default sha256=ab\n", "@default sets only model=");
    expect_error("https://h/x.nc model=A_B scenario=rcp45 variable=v model=A_B\n",
                 "m.tsv:1: field 'model=' is given twice");
    expect_error("https://h/x.nc model=AB\n", "model 'AB' is not GCM_RCM");
    expect_error("https://h/x.nc model=A_B scenario=rcp45 variable=v size=-3\n",
                 "size '-3' is not a number of bytes");
    expect_error("https://h/x.nc model=A_B scenario=rcp45 variable=v name=a/b\n",
                 "name 'a/b' must be a plain file name");
    expect_error("\"https://h/x.nc\n", "m.tsv:1: unclosed double quote");
    expect_error("https://h/x.nc model=A_B scenario=rcp45 variable=\n", "'variable=' has no value");
    expect_error("https://h/thredds/dodsC/x.nc model=A_B scenario=rcp45 variable=v size=3\n",
                 "do not apply to an OPeNDAP source");
    expect_error("https://u:pw@h/thredds/dodsC/x.nc model=A_B scenario=rcp45 variable=v\n",
                 "an OPeNDAP URL cannot carry credentials");
    expect_error("https://h/x.nc kind=file\n", "kind=file on a URL");
    expect_error("https://h/..%2F..%2Fetc.nc model=A_B scenario=rcp45 variable=v\n",
                 "decodes to '../../etc.nc', which is not a plain file name");
    /* the same URL twice with different fields; the message must not leak
     * the password written in the URL */
    expect_error("https://u:pw@h/x.nc model=A_B scenario=rcp45 variable=v\n"
                 "https://u:pw@h/x.nc model=A_B scenario=rcp85 variable=v\n",
                 "m.tsv:1 and m.tsv:2 list the same source https://h/x.nc with different fields");
    /* an identical line twice is kept once */
    struct cr_manifest m;
    struct cr_err err;
    cr_manifest_init(&m);
    assert_int_equal(cr_manifest_parse(&m,
                                       "https://h/x.nc model=A_B scenario=rcp45 variable=v\n"
                                       "https://h/x.nc model=A_B scenario=rcp45 variable=v\n",
                                       "m.tsv", "/tmp", &err),
                     CR_OK);
    assert_int_equal(m.n, 1);
    cr_manifest_free(&m);
}

static void put(struct cr_cache *c, const char *scen, const char *var, const char *period,
                const char *sha_digit)
{
    struct cr_cache_entry e;
    struct cr_err err;
    memset(&e, 0, sizeof e);
    strcpy(e.model, "M-1_R-2");
    strcpy(e.scenario, scen);
    strcpy(e.variable, var);
    strcpy(e.period, period);
    strcpy(e.kind, "file");
    e.size = 10;
    for (int i = 0; i < 64; i++)
        e.sha256[i] = sha_digit[0];
    snprintf(e.name, sizeof e.name, "%s_%s_%s.nc", var, scen, period);
    snprintf(e.source, sizeof e.source, "https://h/%s", e.name);
    assert_int_equal(cr_cache_object_rel(e.sha256, e.name, e.rel, sizeof e.rel), 0);
    int changed = 0;
    assert_int_equal(cr_cache_put(c, &e, &changed, &err), CR_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(cr_cache_put(c, &e, &changed, &err), CR_OK); /* the same again */
    assert_int_equal(changed, 0);
}

static void test_cache_index(void **state)
{
    (void)state;
    char dir[] = "/tmp/cr-cache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct cr_cache c;
    struct cr_err err;
    assert_int_equal(cr_cache_load(&c, dir, &err), CR_OK); /* no index yet: empty */
    assert_int_equal(c.n, 0);
    put(&c, "rcp85", "tasmaxAdjust", "20710101-21001231", "c");
    put(&c, "rcp85", "tasmaxAdjust", "20060101-20351231", "a");
    put(&c, "rcp85", "tasmaxAdjust", "20360101-20701231", "b");
    put(&c, "rcp45", "tasmaxAdjust", "20060101-21001231", "d");
    put(&c, "rcp85", "prtotAdjust", "20060101-21001231", "e");
    put(&c, "rcp85", "prtotAdjust", "20060101-21001231", "f"); /* same key: replaces */
    assert_int_equal(c.n, 5);
    assert_int_equal(cr_cache_save(&c, &err), CR_OK);
    cr_cache_free(&c);

    assert_int_equal(cr_cache_load(&c, dir, &err), CR_OK);
    assert_int_equal(c.n, 5);
    const struct cr_cache_entry *out[8];
    size_t n = cr_fetch_lookup(&c, "M-1_R-2", "rcp8.5", "tasmaxAdjust", out, 8);
    assert_int_equal(n, 3);
    assert_string_equal(out[0]->period, "20060101-20351231");
    assert_string_equal(out[1]->period, "20360101-20701231");
    assert_string_equal(out[2]->period, "20710101-21001231");
    char want[4200];
    snprintf(want, sizeof want, "%s/sha256/aa/%.64s.nc", dir,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_string_equal(out[0]->path, want);
    n = cr_fetch_lookup(&c, "M-1_R-2", "rcp85", "prtotAdjust", out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0]->sha256[0], 'f');
    assert_int_equal(cr_fetch_lookup(&c, "M-1_R-2", "rcp85", NULL, out, 1), 4); /* count > max */
    assert_int_equal(cr_fetch_lookup(&c, "other_model", "rcp85", NULL, out, 8), 0);
    cr_cache_free(&c);

    /* a damaged line is reported with the index path and its line number */
    char path[4200];
    snprintf(path, sizeof path, "%s/index.tsv", dir);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("broken line without tabs\n", fp);
    fclose(fp);
    assert_int_equal(cr_cache_load(&c, dir, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "index.tsv:9: malformed index line"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsname_families), cmocka_unit_test(test_scenarios_and_models),
        cmocka_unit_test(test_url_helpers),     cmocka_unit_test(test_manifest_parse),
        cmocka_unit_test(test_manifest_errors), cmocka_unit_test(test_cache_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
