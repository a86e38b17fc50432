/* test_simulation.c — simulation identity from DRIAS and CORDEX file names
 * (drias-data.md §1.1, §5.3) and global attributes, and directory scans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "ingest/simulation.h"
#include "support/ncmake.h"

static void assert_date(struct cr_date d, int y, int m, int day)
{
    if (d.year != y || d.month != m || d.day != day)
        fail_msg("date %04d-%02d-%02d, expected %04d-%02d-%02d", d.year, d.month, d.day, y, m, day);
}

static void test_names(void **state)
{
    (void)state;
    struct cr_simulation_id id;
    /* (a) CNRM server / data.gouv bucket. */
    assert_int_equal(
        cr_simulation_parse_name("/data/tasmaxAdjust_France_ICHEC-EC-EARTH_rcp85_r12i1p1_SMHI-RCA4_"
                                 "v1_MF-ADAMONT-SAFRAN-1980-2011_day_20060101-21001231.nc",
                                 &id),
        0);
    assert_string_equal(id.file_var, "tasmaxAdjust");
    assert_int_equal(id.var, CR_VAR_TASMAX);
    assert_true(id.var_known);
    assert_string_equal(id.gcm, "ICHEC-EC-EARTH");
    assert_string_equal(id.rcm, "SMHI-RCA4");
    assert_string_equal(id.model, "ICHEC-EC-EARTH_SMHI-RCA4");
    assert_string_equal(id.member, "r12i1p1");
    assert_string_equal(id.experiment, "rcp85");
    assert_string_equal(id.period, "20060101-21001231");
    assert_date(id.first, 2006, 1, 1);
    assert_date(id.last, 2100, 12, 31);
    assert_int_equal(cr_simulation_parse_name(
                         "prtotAdjust_France_MPI-M-MPI-ESM-LR_historical_r1i1p1_CLMcom-CCLM4-"
                         "8-17_v1_MF-ADAMONT-SAFRAN-1980-2011_day_19500101-20051231.nc",
                         &id),
                     0);
    assert_int_equal(id.var, CR_VAR_PR);
    assert_string_equal(id.model, "MPI-M-MPI-ESM-LR_CLMcom-CCLM4-8-17");
    assert_string_equal(id.experiment, "historical");
    /* (b) DRIAS portal orders: Historical and rcp4.5 spellings, no member. */
    assert_int_equal(
        cr_simulation_parse_name(
            "tasmaxAdjust_France_IPSL-IPSL-CM5A-MR_IPSL-WRF381P_Historical_METEO-FRANCE_"
            "ADAMONT-France_SAFRAN_day_19960101-20051231.nc",
            &id),
        0);
    assert_string_equal(id.gcm, "IPSL-IPSL-CM5A-MR");
    assert_string_equal(id.rcm, "IPSL-WRF381P");
    assert_string_equal(id.experiment, "historical");
    assert_string_equal(id.member, "");
    assert_date(id.first, 1996, 1, 1);
    assert_date(id.last, 2005, 12, 31);
    assert_int_equal(
        cr_simulation_parse_name(
            "prsnAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_METEO-FRANCE_"
            "ADAMONT-France_SAFRAN_day_20500101-20591231.nc",
            &id),
        0);
    assert_int_equal(id.var, CR_VAR_PRSN);
    assert_string_equal(id.experiment, "rcp45");
    assert_int_equal(cr_simulation_parse_name(
                         "tasAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp2.6_METEO-FRANCE_"
                         "ADAMONT-France_SAFRAN_day_20500101-20591231.nc",
                         &id),
                     0);
    assert_string_equal(id.experiment, "rcp26");
    /* CORDEX on ESGF, monthly period spelling. */
    assert_int_equal(cr_simulation_parse_name("tas_EUR-11_MPI-M-MPI-ESM-LR_rcp85_r1i1p1_KNMI-"
                                              "RACMO22E_v1_day_20060101-20101231.nc",
                                              &id),
                     0);
    assert_int_equal(id.var, CR_VAR_TAS);
    assert_string_equal(id.model, "MPI-M-MPI-ESM-LR_KNMI-RACMO22E");
    assert_string_equal(id.member, "r1i1p1");
    assert_int_equal(cr_simulation_parse_name("pr_EUR-11_MOHC-HadGEM2-ES_rcp45_r1i1p1_SMHI-RCA4_v1_"
                                              "mon_200601-209912.nc",
                                              &id),
                     0);
    assert_date(id.last, 2099, 12, 31);
    /* A variable climrisk does not read is recognised, not known. */
    assert_int_equal(cr_simulation_parse_name(
                         "hussAdjust_France_IPSL-IPSL-CM5A-MR_IPSL-WRF381P_rcp4.5_METEO-FRANCE_"
                         "ADAMONT-France_SAFRAN_day_20500101-20591231.nc",
                         &id),
                     0);
    assert_false(id.var_known);
    /* Not a DRIAS/CORDEX name. */
    assert_int_equal(cr_simulation_parse_name("test1.nc", &id), -1);
    assert_int_equal(cr_simulation_parse_name("my_file.nc", &id), -1);
}

static void test_attributes(void **state)
{
    (void)state;
    /* A real CORDEX file whose name says nothing: global attributes. */
    const char *src = getenv("SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/../shared/data/climate_nc/euro-cordex/test2.nc",
             src ? src : ".");
    struct cr_simulation_id id;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_simulation_identify(path, &id, &err), CR_OK);
    assert_string_equal(id.gcm, "MOHC-HadGEM2-ES");
    assert_string_equal(id.rcm, "CLMcom-CCLM4-8-17");
    assert_string_equal(id.model, "MOHC-HadGEM2-ES_CLMcom-CCLM4-8-17");
    assert_string_equal(id.experiment, "historical");
    assert_string_equal(id.member, "r1i1p1");
    assert_int_equal(id.var, CR_VAR_TASMIN);
    assert_string_equal(id.source, "attributes");
    assert_date(id.first, 1949, 12, 1);
    assert_date(id.last, 1950, 12, 30);

    /* A DRIAS portal name lacks the member: the attributes complete it. */
    struct ncm_spec sp;
    ncm_defaults(&sp, ncm_path("tasAdjust_France_A-GCM_B-RCM_rcp8.5_METEO-FRANCE_ADAMONT-France_"
                               "SAFRAN_day_20000101-20000110.nc"));
    sp.var_name = "tasAdjust";
    sp.global_atts[0][0] = "driving_model_ensemble_member";
    sp.global_atts[0][1] = "r3i1p1";
    assert_int_equal(ncm_write(&sp), 0);
    assert_int_equal(cr_simulation_identify(sp.path, &id, &err), CR_OK);
    assert_string_equal(id.model, "A-GCM_B-RCM");
    assert_string_equal(id.experiment, "rcp85");
    assert_string_equal(id.member, "r3i1p1");
    assert_string_equal(id.source, "file name + attributes");

    /* Neither name nor attributes: a clear error. */
    ncm_defaults(&sp, ncm_path("anonymous.nc"));
    assert_int_equal(ncm_write(&sp), 0);
    cr_err_clear(&err);
    assert_int_equal(cr_simulation_identify(sp.path, &id, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "anonymous.nc"));
    assert_non_null(strstr(err.msg, "driving_model_id"));
}

static void make_file(const char *dir, const char *name, const char *var, const char *units)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct ncm_spec sp;
    ncm_defaults(&sp, path);
    sp.var_name = var;
    sp.units = units;
    assert_int_equal(ncm_write(&sp), 0);
}

static void test_scan(void **state)
{
    (void)state;
    char dir[1100], sub[1200], path[2048];
    snprintf(dir, sizeof dir, "%s", ncm_path("scan"));
    snprintf(sub, sizeof sub, "%s/CNRM-CM5/ALADIN63/rcp45/day", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    assert_int_equal(system(cmd), 0);
    /* One simulation in three spellings and two directories. */
    make_file(dir,
              "tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_METEO-FRANCE_ADAMONT-"
              "France_SAFRAN_day_20220101-20221231.nc",
              "tasmaxAdjust", "K");
    make_file(dir,
              "tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_METEO-FRANCE_ADAMONT-"
              "France_SAFRAN_day_20210101-20211231.nc",
              "tasmaxAdjust", "K");
    make_file(sub,
              "tasminAdjust_France_CNRM-CERFACS-CNRM-CM5_rcp45_r1i1p1_CNRM-ALADIN63_v2_MF-ADAMONT-"
              "SAFRAN-1980-2011_day_20210101-20221231.nc",
              "tasminAdjust", "K");
    /* Its historical run, a CORDEX file of another model, and noise. */
    make_file(dir,
              "prtotAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_Historical_METEO-FRANCE_"
              "ADAMONT-France_SAFRAN_day_19760101-20051231.nc",
              "prtotAdjust", "kg m-2 s-1");
    make_file(dir,
              "tas_EUR-11_MPI-M-MPI-ESM-LR_rcp85_r1i1p1_KNMI-RACMO22E_v1_day_20060101-20101231.nc",
              "tas", "K");
    make_file(dir,
              "hussAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_METEO-FRANCE_ADAMONT-"
              "France_SAFRAN_day_20210101-20211231.nc",
              "hussAdjust", "1");
    snprintf(path, sizeof path, "%s/notes.nc", dir);
    FILE *fp = fopen(path, "w");
    fputs("not a netcdf file\n", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/readme.txt", dir);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path,
             "%s/tas_EUR-11_X_rcp85_r1i1p1_Y_v1_day_20060101-20101231.nc.part-999999", dir);
    fclose(fopen(path, "w"));

    struct cr_simulation_set set;
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_simulation_scan_dir(dir, &set, &err), CR_OK);
    assert_int_equal(set.n, 3);
    /* Sorted by model then experiment. */
    assert_string_equal(set.sims[0].model, "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63");
    assert_string_equal(set.sims[0].experiment, "historical");
    assert_int_equal(set.sims[0].files[CR_VAR_PR].n, 1);
    const struct cr_simulation *s =
        cr_simulation_find(&set, "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63", "rcp45");
    assert_non_null(s);
    assert_string_equal(s->gcm, "CNRM-CERFACS-CNRM-CM5");
    assert_string_equal(s->rcm, "CNRM-ALADIN63");
    assert_string_equal(s->member, "r1i1p1");
    assert_int_equal(s->files[CR_VAR_TASMAX].n, 2);
    assert_non_null(strstr(s->files[CR_VAR_TASMAX].items[0], "_20210101-20211231.nc"));
    assert_non_null(strstr(s->files[CR_VAR_TASMAX].items[1], "_20220101-20221231.nc"));
    assert_int_equal(s->files[CR_VAR_TASMIN].n, 1);
    assert_non_null(strstr(s->files[CR_VAR_TASMIN].items[0], "/rcp45/day/"));
    assert_int_equal(s->files[CR_VAR_PR].n, 0);
    s = cr_simulation_find(&set, "MPI-M-MPI-ESM-LR_KNMI-RACMO22E", "rcp85");
    assert_non_null(s);
    assert_int_equal(s->files[CR_VAR_TAS].n, 1);
    assert_null(cr_simulation_find(&set, "MPI-M-MPI-ESM-LR_KNMI-RACMO22E", "rcp45"));
    /* Skipped: the humidity file and the text file, each with a reason. */
    assert_int_equal(set.skipped.n, 2);
    int huss = 0, notes = 0;
    for (size_t k = 0; k < set.skipped.n; k++) {
        huss |= strstr(set.skipped.items[k], "hussAdjust is not one climrisk reads") != NULL;
        notes |= strstr(set.skipped.items[k], "notes.nc: ") != NULL &&
                 strstr(set.skipped.items[k], "not a NetCDF file") != NULL;
    }
    assert_true(huss && notes);
    cr_simulation_set_free(&set);

    /* Two members of one model and experiment are not one simulation. */
    make_file(dir,
              "tasAdjust_France_CNRM-CERFACS-CNRM-CM5_rcp45_r2i1p1_CNRM-ALADIN63_v2_MF-ADAMONT-"
              "SAFRAN-1980-2011_day_20210101-20221231.nc",
              "tasAdjust", "K");
    cr_err_clear(&err);
    assert_int_equal(cr_simulation_scan_dir(dir, &set, &err), CR_EDATA);
    assert_non_null(strstr(err.msg, "r1i1p1"));
    assert_non_null(strstr(err.msg, "r2i1p1"));
}

int main(void)
{
    cr_log_init(CR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
