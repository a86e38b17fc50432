/* test_grid.c — the compiled SAFRAN grid against its definition and PROJ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/grid.h"

static void test_points_follow_drias_numbering(void **state)
{
    (void)state;
    int land = 0;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cr_safran_point *pt = &cr_safran_grid_points[p];
        /* Id_point = j * 143 + i, centres on the 8 km lattice */
        assert_int_equal(pt->id, pt->j * CR_SAFRAN_NX + pt->i);
        assert_true(pt->x_l2e == 60000.0 + 8000.0 * pt->i);
        assert_true(pt->y_l2e == 1617000.0 + 8000.0 * pt->j);
        assert_true(pt->i >= 0 && pt->i < CR_SAFRAN_NX && pt->j >= 0 && pt->j < CR_SAFRAN_NY);
        assert_true(pt->lat > 41.3 && pt->lat < 51.2 && pt->lon > -5.2 && pt->lon < 9.6);
        assert_true(pt->altitude > -10 && pt->altitude < 4810);
        assert_int_equal(cr_safran_land_index(pt->i, pt->j), p);
        land++;
    }
    assert_int_equal(land, 8981);
    const int *map = cr_safran_land_map();
    int count = 0;
    for (int k = 0; k < CR_SAFRAN_NCELL; k++)
        count += map[k] >= 0;
    assert_int_equal(count, 8981);
    assert_int_equal(cr_safran_land_index(-1, 0), -1);
    assert_int_equal(cr_safran_land_index(0, 134), -1);
}

/* Boigneville (Essonne), DRIAS point 13510 = (68, 94): lon 2.39043578,
 * lat 48.31996732 in the DRIAS grid file (SOURCES cross-check). */
static void test_known_point(void **state)
{
    (void)state;
    int p = cr_safran_land_index(68, 94);
    assert_true(p >= 0);
    assert_int_equal(cr_safran_grid_points[p].id, 13510);
    assert_true(fabs(cr_safran_grid_points[p].lat - 48.31996732) < 1e-8);
}

/* PROJ's EPSG:27572 -> EPSG:4326 must reproduce DRIAS's published lon/lat
 * of every land point: this checks both our CRS and the cell centres. */
static void test_proj_matches_drias_lonlat(void **state)
{
    (void)state;
    double *lon = malloc(sizeof(double) * CR_SAFRAN_NCELL);
    double *lat = malloc(sizeof(double) * CR_SAFRAN_NCELL);
    struct cr_err err;
    cr_err_clear(&err);
    assert_int_equal(cr_safran_lonlat(lon, lat, &err), CR_OK);
    double worst = 0;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cr_safran_point *pt = &cr_safran_grid_points[p];
        int k = pt->j * CR_SAFRAN_NX + pt->i;
        worst = fmax(worst, fmax(fabs(lon[k] - pt->lon), fabs(lat[k] - pt->lat)));
    }
    assert_true(worst < 1e-6); /* about 0.1 m */
    free(lon);
    free(lat);
    char *wkt = NULL;
    assert_int_equal(cr_safran_crs_wkt(&wkt, &err), CR_OK);
    assert_non_null(strstr(wkt, "27572"));
    free(wkt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_follow_drias_numbering),
        cmocka_unit_test(test_known_point),
        cmocka_unit_test(test_proj_matches_drias_lonlat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
