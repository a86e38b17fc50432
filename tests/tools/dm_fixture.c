/* dm_fixture.c — write annual/statistics NetCDF fixtures with known values
 * (tests/unit/support/nc_fixture.h) for the datamart integration tests and
 * bench/load.sh.
 *
 *   dm_fixture annual OUT.nc --experiment E --model GCM_RCM --years A-B
 *   dm_fixture stats  OUT.nc --experiment E --models M1,M2[,...]
 *   common: [--horizons REF,H1,...] [--indicators a,b] [--variant N]
 *           [--constant CODE=VALUE] [--deflate N]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "tests/unit/support/nc_fixture.h"

static int usage(void)
{
    fprintf(stderr, "usage: dm_fixture annual|stats OUT.nc --experiment E [--model M --years A-B]"
                    " [--models M1,M2] [--horizons H,...] [--indicators a,b] [--variant N]"
                    " [--constant CODE=VALUE] [--deflate N]\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *kind = argv[1], *out = argv[2];
    static const struct option opts[] = {
        {"experiment", required_argument, 0, 'e'}, {"model", required_argument, 0, 'm'},
        {"models", required_argument, 0, 'M'},     {"years", required_argument, 0, 'y'},
        {"horizons", required_argument, 0, 'H'},   {"indicators", required_argument, 0, 'i'},
        {"variant", required_argument, 0, 'v'},    {"constant", required_argument, 0, 'k'},
        {"deflate", required_argument, 0, 'd'},    {0, 0, 0, 0},
    };
    struct fx_opts o;
    memset(&o, 0, sizeof o);
    o.deflate = 1;
    struct cr_strlist models = {0}, horizons = {0}, indicators = {0};
    char constant[64] = "";
    int c;
    long v;
    optind = 3;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            o.experiment = optarg;
            break;
        case 'm':
            o.model = optarg;
            break;
        case 'M':
            cr_strlist_split(&models, optarg);
            break;
        case 'y':
            if (cr_parse_year_range(optarg, &o.first_year, &o.last_year) != 0)
                return usage();
            break;
        case 'H':
            cr_strlist_split(&horizons, optarg);
            break;
        case 'i':
            cr_strlist_split(&indicators, optarg);
            break;
        case 'v':
            if (cr_parse_long(optarg, &v) != 0)
                return usage();
            o.variant = (int)v;
            break;
        case 'k': {
            cr_strlcpy(constant, optarg, sizeof constant);
            char *eq = strchr(constant, '=');
            double x;
            if (!eq || cr_parse_double(eq + 1, &x) != 0)
                return usage();
            *eq = '\0';
            o.constant_code = constant;
            o.constant_value = (float)x;
            break;
        }
        case 'd':
            if (cr_parse_long(optarg, &v) != 0)
                return usage();
            o.deflate = (int)v;
            break;
        default:
            return usage();
        }
    }
    if (!o.experiment)
        return usage();
    o.models = (const char *const *)models.items;
    o.nmodels = (int)models.n;
    if (horizons.n) {
        o.horizons = (const char *const *)horizons.items;
        o.nhorizons = (int)horizons.n;
    }
    if (indicators.n) {
        o.indicators = (const char *const *)indicators.items;
        o.nindicators = (int)indicators.n;
    }
    struct cr_err err;
    cr_err_clear(&err);
    int rc;
    if (strcmp(kind, "annual") == 0 && o.model && o.first_year)
        rc = fx_write_annual(out, &o, &err);
    else if (strcmp(kind, "stats") == 0 && o.nmodels > 0)
        rc = fx_write_stats(out, &o, &err);
    else
        return usage();
    if (rc)
        fprintf(stderr, "dm_fixture: %s\n", err.msg);
    cr_strlist_free(&models);
    cr_strlist_free(&horizons);
    cr_strlist_free(&indicators);
    return rc;
}
