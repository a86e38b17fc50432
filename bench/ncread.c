/* ncread.c — the I/O floor of bench/indicators.sh: read every value of
 * the given NetCDF files' data variable with plain netCDF-C, in blocks of
 * `block` time steps x all cells (as climrisk's reader does), and do
 * nothing with them but a checksum (so the reads cannot be optimised away).
 * usage: ncread VAR:FILE... [--block N] */
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    size_t block = 32;
    double sum = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--block") == 0 && a + 1 < argc) {
            block = (size_t)atol(argv[++a]);
            continue;
        }
        char *colon = strchr(argv[a], ':');
        if (!colon) {
            fprintf(stderr, "usage: ncread VAR:FILE... [--block N]\n");
            return 1;
        }
        *colon = '\0';
        const char *var = argv[a], *path = colon + 1;
        int ncid, v, nd, dims[3];
        size_t len[3];
        if (nc_open(path, NC_NOWRITE, &ncid) != NC_NOERR || nc_inq_varid(ncid, var, &v) ||
            nc_inq_varndims(ncid, v, &nd) || nd != 3 || nc_inq_vardimid(ncid, v, dims)) {
            fprintf(stderr, "ncread: cannot read %s in %s\n", var, path);
            return 1;
        }
        for (int k = 0; k < 3; k++)
            nc_inq_dimlen(ncid, dims[k], &len[k]);
        size_t cells = len[1] * len[2];
        float *buf = malloc(sizeof *buf * block * cells);
        for (size_t t = 0; t < len[0]; t += block) {
            size_t n = len[0] - t < block ? len[0] - t : block;
            size_t start[3] = {t, 0, 0}, count[3] = {n, len[1], len[2]};
            if (nc_get_vara_float(ncid, v, start, count, buf) != NC_NOERR) {
                fprintf(stderr, "ncread: read error in %s\n", path);
                return 1;
            }
            for (size_t i = 0; i < n * cells; i += 997)
                sum += buf[i];
        }
        free(buf);
        nc_close(ncid);
    }
    printf("%g\n", sum);
    return 0;
}
