/* readbench.c — time reading every value of one daily NetCDF variable
 * through the reader (cr_series_read, canonical units, NaN for missing)
 * against a plain nc_get_vara_float loop over the same file and the same
 * blocks, alternating the two in one process so both see the same page
 * cache and machine load. Used by bench/read.sh.
 *
 *   readbench FILE VARIABLE [BLOCK_DAYS [REPEATS]]
 *
 * Prints one line per method: name, median and best seconds of whole
 * passes, and a checksum (count of values with data) so neither loop can be
 * optimised away and both are seen to read the same cells; then one pass
 * alternating the two block by block ("interleaved"), the comparison least
 * disturbed by other load on the machine. */
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/log.h"
#include "ingest/reader.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The plain loop a user would write: nc_get_vara_float, block by block. */
static double raw_read(const char *path, const char *var, size_t block, float *buf, size_t *count)
{
    double t0 = cr_now();
    int ncid, v, dims[3];
    size_t len[3];
    if (nc_open(path, NC_NOWRITE, &ncid) != NC_NOERR || nc_inq_varid(ncid, var, &v) != NC_NOERR ||
        nc_inq_vardimid(ncid, v, dims) != NC_NOERR) {
        fprintf(stderr, "readbench: cannot open %s:%s\n", path, var);
        exit(1);
    }
    for (int k = 0; k < 3; k++)
        nc_inq_dimlen(ncid, dims[k], &len[k]);
    size_t cells = len[1] * len[2], n = 0;
    for (size_t t = 0; t < len[0]; t += block) {
        size_t start[3] = {t, 0, 0},
               cnt[3] = {len[0] - t < block ? len[0] - t : block, len[1], len[2]};
        if (nc_get_vara_float(ncid, v, start, cnt, buf) != NC_NOERR) {
            fprintf(stderr, "readbench: read failed\n");
            exit(1);
        }
        for (size_t k = 0; k < cnt[0] * cells; k++)
            n += buf[k] < 1e19f; /* the file's _FillValue is 1e20 */
    }
    nc_close(ncid);
    *count = n;
    return cr_now() - t0;
}

/* The same values through the reader, in degC, by calendar days. */
static double reader_read(const char *path, const char *var, size_t block, float *buf,
                          size_t *count)
{
    double t0 = cr_now();
    struct cr_series *s;
    struct cr_err err;
    cr_err_clear(&err);
    if (cr_series_open(&s, &path, 1, var, &err) != CR_OK) {
        fprintf(stderr, "readbench: %s\n", err.msg);
        exit(1);
    }
    struct cr_series_info in;
    cr_series_info(s, &in);
    size_t n = 0;
    struct cr_date d = in.first;
    for (size_t done = 0; done < in.span_days; done += block) {
        size_t nd = in.span_days - done < block ? in.span_days - done : block;
        if (cr_series_read(s, d, nd, buf, &err) != CR_OK) {
            fprintf(stderr, "readbench: %s\n", err.msg);
            exit(1);
        }
        for (size_t k = 0; k < nd * in.ncells; k++)
            n += !isnan(buf[k]);
        d = cr_cal_add_days(in.calendar, d, (int64_t)nd);
    }
    cr_series_close(s);
    *count = n;
    return cr_now() - t0;
}

/* Both, block by block in turns (raw block k, then reader block k): load
 * that drifts during the run hits both equally. */
static void interleaved(const char *path, const char *var, size_t block, float *buf, double *raw,
                        double *rd)
{
    int ncid, v, dims[3];
    size_t len[3];
    struct cr_series *s;
    struct cr_err err;
    cr_err_clear(&err);
    if (nc_open(path, NC_NOWRITE, &ncid) != NC_NOERR || nc_inq_varid(ncid, var, &v) != NC_NOERR ||
        nc_inq_vardimid(ncid, v, dims) != NC_NOERR ||
        cr_series_open(&s, &path, 1, var, &err) != CR_OK) {
        fprintf(stderr, "readbench: cannot open %s:%s %s\n", path, var, err.msg);
        exit(1);
    }
    for (int k = 0; k < 3; k++)
        nc_inq_dimlen(ncid, dims[k], &len[k]);
    struct cr_series_info in;
    cr_series_info(s, &in);
    struct cr_date d = in.first;
    *raw = *rd = 0;
    for (size_t t = 0; t < len[0]; t += block) {
        size_t n = len[0] - t < block ? len[0] - t : block;
        size_t start[3] = {t, 0, 0}, cnt[3] = {n, len[1], len[2]};
        double t0 = cr_now();
        if (nc_get_vara_float(ncid, v, start, cnt, buf) != NC_NOERR)
            exit(1);
        double t1 = cr_now();
        if (cr_series_read(s, d, n, buf, &err) != CR_OK)
            exit(1);
        double t2 = cr_now();
        *raw += t1 - t0;
        *rd += t2 - t1;
        d = cr_cal_add_days(in.calendar, d, (int64_t)n);
    }
    cr_series_close(s);
    nc_close(ncid);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: readbench FILE VARIABLE [BLOCK_DAYS [REPEATS]]\n");
        return 1;
    }
    cr_log_init(CR_LOG_WARN);
    const char *path = argv[1], *var = argv[2];
    size_t block = argc > 3 ? (size_t)atol(argv[3]) : 365;
    int repeats = argc > 4 ? atoi(argv[4]) : 3;
    if (block < 1 || repeats < 1 || repeats > 50)
        return 1;
    float *buf = malloc(sizeof(float) * block * 143 * 134 * 4); /* up to 4x the DRIAS grid */
    if (!buf)
        return 1;
    size_t n_raw = 0, n_reader = 0;
    raw_read(path, var, block, buf, &n_raw); /* warm the page cache */
    double raw[50], rd[50];
    for (int r = 0; r < repeats; r++) {
        /* Alternate which goes first so drift in load hits both. */
        if (r % 2 == 0) {
            raw[r] = raw_read(path, var, block, buf, &n_raw);
            rd[r] = reader_read(path, var, block, buf, &n_reader);
        } else {
            rd[r] = reader_read(path, var, block, buf, &n_reader);
            raw[r] = raw_read(path, var, block, buf, &n_raw);
        }
    }
    double iraw, ird;
    interleaved(path, var, block, buf, &iraw, &ird);
    qsort(raw, (size_t)repeats, sizeof(double), cmp_double);
    qsort(rd, (size_t)repeats, sizeof(double), cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("nc_get_vara_float\t%.3f\t%.3f\t%zu\n", raw[repeats / 2], raw[0], n_raw);
    printf("cr_series_read\t%.3f\t%.3f\t%zu\n", rd[repeats / 2], rd[0], n_reader);
    printf("interleaved\t%.3f\t%.3f\n", iraw, ird);
    printf("block_mb\t%.1f\n", (double)(block * 143 * 134 * sizeof(float)) / 1e6);
    printf("max_rss_mb\t%.1f\n", (double)ru.ru_maxrss / 1024.0);
    free(buf);
    return n_raw == n_reader ? 0 : 2;
}
