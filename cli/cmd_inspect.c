/* cmd_inspect.c — `climrisk inspect FILE...`: what a NetCDF file holds. */
#include <getopt.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ingest/calendar.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: climrisk inspect FILE...\n"
                 "\n"
                 "Print each file's variables, units, calendar, period, grid and CRS.\n"
                 "  -h, --help   this help\n");
}

static int text_att(int ncid, int varid, const char *name, char *out, size_t size)
{
    size_t len;
    nc_type type;
    out[0] = '\0';
    if (nc_inq_att(ncid, varid, name, &type, &len) != NC_NOERR || type != NC_CHAR || len >= size)
        return -1;
    if (nc_get_att_text(ncid, varid, name, out) != NC_NOERR)
        return -1;
    out[len] = '\0';
    return 0;
}

static int inspect_one(const char *path, struct cr_err *err)
{
    int ncid, st = nc_open(path, NC_NOWRITE, &ncid);
    if (st != NC_NOERR)
        return cr_err_set(err, CR_EDATA, "'%s' is not a readable NetCDF file: %s", path,
                          nc_strerror(st));
    int nvars, ndims;
    nc_inq(ncid, &ndims, &nvars, NULL, NULL);
    printf("file: %s\n", path);
    char buf[1024];
    int tvar;
    if (nc_inq_varid(ncid, "time", &tvar) == NC_NOERR) {
        char units[256], calname[64];
        text_att(ncid, tvar, "units", units, sizeof units);
        if (text_att(ncid, tvar, "calendar", calname, sizeof calname) != 0)
            strcpy(calname, "standard");
        int tdim;
        size_t nt = 0;
        nc_inq_vardimid(ncid, tvar, &tdim);
        nc_inq_dimlen(ncid, tdim, &nt);
        printf("  time: %zu steps, units '%s', calendar %s\n", nt, units, calname);
        struct cr_time_units tu;
        enum cr_calendar cal;
        char why[256];
        if (nt > 0 && cr_time_units_parse(units, &tu, why, sizeof why) == 0 &&
            cr_calendar_parse(calname, &cal) == 0) {
            double t[2];
            size_t i0 = 0, i1 = nt - 1;
            nc_get_var1_double(ncid, tvar, &i0, &t[0]);
            nc_get_var1_double(ncid, tvar, &i1, &t[1]);
            struct cr_date a = cr_time_to_date(cal, &tu, t[0], NULL);
            struct cr_date b = cr_time_to_date(cal, &tu, t[1], NULL);
            printf("  period: %04d-%02d-%02d to %04d-%02d-%02d\n", a.year, a.month, a.day, b.year,
                   b.month, b.day);
        }
    }
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        int nd, dims[NC_MAX_VAR_DIMS];
        nc_type type;
        nc_inq_var(ncid, v, name, &type, &nd, dims, NULL);
        printf("  variable %s(", name);
        for (int d = 0; d < nd; d++) {
            char dname[NC_MAX_NAME + 1];
            size_t len;
            nc_inq_dim(ncid, dims[d], dname, &len);
            printf("%s%s=%zu", d ? ", " : "", dname, len);
        }
        printf(")");
        if (text_att(ncid, v, "units", buf, sizeof buf) == 0)
            printf(" units '%s'", buf);
        if (text_att(ncid, v, "standard_name", buf, sizeof buf) == 0)
            printf(" standard_name %s", buf);
        if (text_att(ncid, v, "grid_mapping", buf, sizeof buf) == 0)
            printf(" grid_mapping %s", buf);
        if (text_att(ncid, v, "grid_mapping_name", buf, sizeof buf) == 0) {
            printf(" [CRS %s", buf);
            char epsg[32];
            if (text_att(ncid, v, "epsg", epsg, sizeof epsg) == 0)
                printf(", EPSG:%s", epsg);
            printf("]");
        }
        printf("\n");
    }
    nc_close(ncid);
    return CR_OK;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CR_OK;
        }
        return cli_usage_error("inspect", "invalid option");
    }
    if (optind >= argc)
        return cli_usage_error("inspect", "give at least one FILE");
    int status = CR_OK;
    for (int i = optind; i < argc; i++) {
        struct cr_err err;
        cr_err_clear(&err);
        if (inspect_one(argv[i], &err) != CR_OK)
            status = cli_fail("inspect", &err);
    }
    return status;
}
