/* nc_mutate.c — damage a NetCDF file in place, the way real inputs go
 * wrong, for the input fault tests (tests/faults/input_data.sh). Uses
 * netCDF-C directly so the rest of the file stays exactly as written.
 *
 *   nc_mutate FILE attr VAR NAME TEXT     set a text attribute (units, calendar)
 *   nc_mutate FILE rename VAR NEW         rename a variable
 *   nc_mutate FILE set VAR VALUE EVERY    every EVERY-th value of VAR (flat
 *                                         index, valid cells only) := VALUE
 *                                         (VALUE may be nan, inf, -inf)
 *   nc_mutate FILE cell VAR VALUE         the whole series of the first valid
 *                                         cell := VALUE (all-missing cell)
 *   nc_mutate FILE shift VAR DELTA        add DELTA to a 1-D variable (x, y)
 * "valid" = not the _FillValue: the sea cells stay what they were. */
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const char *what, int rc)
{
    fprintf(stderr, "nc_mutate: %s: %s\n", what, rc ? nc_strerror(rc) : "bad arguments");
    exit(1);
}

#define TRY(call, what)                                                                            \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != NC_NOERR)                                                                       \
            die(what, rc_);                                                                        \
    } while (0)

static double parse_value(const char *s)
{
    if (strcmp(s, "nan") == 0)
        return NAN;
    if (strcmp(s, "inf") == 0)
        return INFINITY;
    if (strcmp(s, "-inf") == 0)
        return -INFINITY;
    return strtod(s, NULL);
}

/* The whole variable as floats, with its element count and fill value. */
static float *read_all(int ncid, int var, size_t *n, float *fill)
{
    int nd, dims[NC_MAX_VAR_DIMS];
    TRY(nc_inq_varndims(ncid, var, &nd), "ndims");
    TRY(nc_inq_vardimid(ncid, var, dims), "dims");
    *n = 1;
    for (int i = 0; i < nd; i++) {
        size_t len;
        TRY(nc_inq_dimlen(ncid, dims[i], &len), "dimlen");
        *n *= len;
    }
    int nofill = 0;
    *fill = NC_FILL_FLOAT;
    if (nc_get_att_float(ncid, var, "_FillValue", fill) != NC_NOERR)
        nc_inq_var_fill(ncid, var, &nofill, fill);
    float *v = malloc(*n * sizeof *v);
    if (!v)
        die("out of memory", 0);
    TRY(nc_get_var_float(ncid, var, v), "read");
    return v;
}

static int is_valid(float x, float fill)
{
    return !(x == fill || fabsf(x) > 1e19f);
}

int main(int argc, char **argv)
{
    if (argc < 5)
        die("usage: nc_mutate FILE attr|rename|set|cell|shift VAR ...", 0);
    const char *op = argv[2];
    int ncid, var;
    TRY(nc_open(argv[1], NC_WRITE, &ncid), argv[1]);
    TRY(nc_inq_varid(ncid, argv[3], &var), argv[3]);
    if (strcmp(op, "attr") == 0 && argc == 6) {
        TRY(nc_redef(ncid), "redef");
        TRY(nc_put_att_text(ncid, var, argv[4], strlen(argv[5]), argv[5]), "attribute");
        TRY(nc_enddef(ncid), "enddef");
    } else if (strcmp(op, "rename") == 0 && argc == 5) {
        TRY(nc_redef(ncid), "redef");
        TRY(nc_rename_var(ncid, var, argv[4]), "rename");
        TRY(nc_enddef(ncid), "enddef");
    } else if (strcmp(op, "set") == 0 && argc == 6) {
        size_t n, every = strtoul(argv[5], NULL, 10), k = 0, changed = 0;
        float fill, value = (float)parse_value(argv[4]);
        float *v = read_all(ncid, var, &n, &fill);
        for (size_t i = 0; i < n; i++)
            if (is_valid(v[i], fill) && k++ % (every ? every : 1) == 0) {
                v[i] = value;
                changed++;
            }
        TRY(nc_put_var_float(ncid, var, v), "write");
        printf("%zu of %zu values set\n", changed, n);
        free(v);
    } else if (strcmp(op, "cell") == 0 && argc == 5) {
        int dims[NC_MAX_VAR_DIMS];
        size_t nt, n;
        TRY(nc_inq_vardimid(ncid, var, dims), "dims");
        TRY(nc_inq_dimlen(ncid, dims[0], &nt), "time length");
        float fill, value = (float)parse_value(argv[4]);
        float *v = read_all(ncid, var, &n, &fill);
        size_t plane = n / nt, c = 0;
        while (c < plane && !is_valid(v[c], fill))
            c++;
        for (size_t t = 0; t < nt; t++)
            v[t * plane + c] = value;
        TRY(nc_put_var_float(ncid, var, v), "write");
        printf("cell %zu of %zu set over %zu steps\n", c, plane, nt);
        free(v);
    } else if (strcmp(op, "shift") == 0 && argc == 5) {
        int dim;
        size_t n;
        TRY(nc_inq_vardimid(ncid, var, &dim), "dims");
        TRY(nc_inq_dimlen(ncid, dim, &n), "length");
        double *v = malloc(n * sizeof *v), d = strtod(argv[4], NULL);
        if (!v)
            die("out of memory", 0);
        TRY(nc_get_var_double(ncid, var, v), "read");
        for (size_t i = 0; i < n; i++)
            v[i] += d;
        TRY(nc_put_var_double(ncid, var, v), "write");
        free(v);
    } else {
        die(op, 0);
    }
    TRY(nc_close(ncid), "close");
    return 0;
}
