/* cmd_inspect.c — `climrisk inspect FILE...`: what the reader understood.
 *
 * Files are grouped like the compute stage groups them (simulation, then
 * canonical variable) and each group is opened as one series, so what this
 * prints is exactly what the indicators will read: canonical variable and
 * units, calendar, period, layout, grid, CRS, where lat/lon come from, gaps
 * and overlaps between files, and (after one pass over the values) the land
 * cells, the share of missing values and values out of physical range.
 * --values prints one cell's daily values, for checking a file by hand
 * against ncdump or cdo. */
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/stop.h"
#include "../core/strutil.h"
#include "../ingest/cffile.h"
#include "../ingest/reader.h"
#include "../ingest/simulation.h"
#include "../ingest/validate.h"
#include "cli.h"

#define BLOCK_DAYS 365

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk inspect [options] FILE...\n"
            "\n"
            "Show how climrisk reads daily NetCDF files: variable (file name -> canonical),\n"
            "units (file -> canonical), calendar, period, layout, grid, CRS, land cells, share\n"
            "of missing values, values out of physical range, and the simulation. Files of\n"
            "one variable of one simulation are read together as one series, with the gaps\n"
            "and overlaps between them. Exit code 2 when a file cannot be read.\n"
            "\n"
            "options:\n"
            "  -V, --variable NAME   read this variable (canonical, DRIAS or CORDEX name, or\n"
            "                        CF standard_name); default: each file's data variable\n"
            "      --json            print JSON (an array, one object per series)\n"
            "      --quick           metadata only: no pass over the values (no land cells,\n"
            "                        missing share or range checks)\n"
            "      --values CELL     print the daily values of one cell as TSV (date, value in\n"
            "                        canonical units); CELL is an index or ROW,COL\n"
            "      --from DATE       first day for --values (YYYY-MM-DD; default: first day)\n"
            "      --days N          number of days for --values (default: to the last day)\n"
            "  -c, --config FILE     take [inputs] max_invalid_fraction from FILE\n"
            "  -h, --help            this help\n");
}

struct opts {
    const char *variable;
    int json, quick;
    const char *cell;
    const char *from;
    long days;
    double max_invalid;
};

struct group {
    char model[192], experiment[16];
    struct cr_simulation_id id;
    int identified;
    enum cr_var var;
    struct cr_strlist paths;
    struct cr_series *series;
};

struct scan {
    size_t land;
    double missing_share, missing_share_land;
    struct cr_validation val;
    int scanned;
};

static void date_text(struct cr_date d, char *out, size_t size)
{
    snprintf(out, size, "%04d-%02d-%02d", d.year, d.month, d.day);
}

/* One pass over the values: cells with data, missing share, range checks. */
static int scan_values(struct cr_series *s, double max_invalid, struct scan *sc, struct cr_err *err)
{
    struct cr_series_info in;
    cr_series_info(s, &in);
    memset(sc, 0, sizeof *sc);
    cr_validation_init(&sc->val, max_invalid, 0);
    size_t nc = in.ncells;
    float *buf = malloc(sizeof(float) * nc * BLOCK_DAYS);
    unsigned char *has = calloc(nc ? nc : 1, 1);
    size_t *miss = calloc(nc ? nc : 1, sizeof *miss);
    if (!buf || !has || !miss) {
        free(buf);
        free(has);
        free(miss);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    /* A progress line only for long series (ten years and more). */
    struct cr_progress p;
    int show = in.span_days >= 3650;
    if (show)
        cr_progress_begin(&p, in.file_var, in.span_days);
    int rc = CR_OK;
    struct cr_date d = in.first;
    for (size_t done = 0; done < in.span_days && rc == CR_OK;) {
        if (cr_stop_requested()) {
            rc = cr_err_set(err, CR_EINTERRUPT, "interrupted");
            break;
        }
        size_t n = in.span_days - done < BLOCK_DAYS ? in.span_days - done : BLOCK_DAYS;
        if ((rc = cr_series_read(s, d, n, buf, err)))
            break;
        for (size_t t = 0; t < n; t++)
            for (size_t c = 0; c < nc; c++) {
                if (isnan(buf[t * nc + c]))
                    miss[c]++;
                else
                    has[c] = 1;
            }
        cr_validate_block(&sc->val, s, d, buf, n);
        done += n;
        d = cr_cal_add_days(in.calendar, d, (int64_t)n);
        if (show)
            cr_progress_add(&p, n);
    }
    if (show)
        cr_progress_end(&p);
    if (rc == CR_OK) {
        size_t total = 0, land_missing = 0;
        for (size_t c = 0; c < nc; c++) {
            total += miss[c];
            if (has[c]) {
                sc->land++;
                land_missing += miss[c];
            }
        }
        double days = (double)in.span_days;
        sc->missing_share = nc ? (double)total / (days * (double)nc) : 0;
        sc->missing_share_land = sc->land ? (double)land_missing / (days * (double)sc->land) : 0;
        sc->scanned = 1;
    }
    free(buf);
    free(has);
    free(miss);
    return rc;
}

/* tasmax >= tasmin over the days both series cover. */
static int scan_pair(struct cr_series *tn, struct cr_series *tx, struct cr_validation *val,
                     struct cr_err *err)
{
    struct cr_series_info a, b;
    cr_series_info(tn, &a);
    cr_series_info(tx, &b);
    if (a.calendar != b.calendar)
        return cr_err_set(err, CR_EDATA, "tasmin ('%s') and tasmax ('%s') use different calendars",
                          cr_series_file(tn, 0), cr_series_file(tx, 0));
    int64_t d0 = cr_cal_day_number(a.calendar, a.first), d1 = cr_cal_day_number(a.calendar, a.last);
    int64_t e0 = cr_cal_day_number(b.calendar, b.first), e1 = cr_cal_day_number(b.calendar, b.last);
    int64_t lo = d0 > e0 ? d0 : e0, hi = d1 < e1 ? d1 : e1;
    size_t nc = a.ncells;
    float *x = malloc(sizeof(float) * nc * BLOCK_DAYS),
          *y = malloc(sizeof(float) * nc * BLOCK_DAYS);
    int rc = (!x || !y) ? cr_err_set(err, CR_EINTERNAL, "out of memory") : CR_OK;
    for (int64_t day = lo; rc == CR_OK && day <= hi; day += BLOCK_DAYS) {
        size_t n = (size_t)(hi - day + 1 < BLOCK_DAYS ? hi - day + 1 : BLOCK_DAYS);
        struct cr_date d = cr_cal_from_day_number(a.calendar, day);
        if ((rc = cr_series_read(tn, d, n, x, err)) == CR_OK &&
            (rc = cr_series_read(tx, d, n, y, err)) == CR_OK)
            cr_validate_pair(val, tn, tx, d, x, y, n);
    }
    free(x);
    free(y);
    return rc;
}

/* ---- grouping ----------------------------------------------------------- */

static struct group *find_group(struct group **groups, size_t *n, const char *model,
                                const char *experiment, enum cr_var var)
{
    for (size_t i = 0; i < *n; i++)
        if ((*groups)[i].var == var && strcmp((*groups)[i].model, model) == 0 &&
            strcmp((*groups)[i].experiment, experiment) == 0)
            return &(*groups)[i];
    struct group *g = realloc(*groups, sizeof *g * (*n + 1));
    if (!g)
        return NULL;
    *groups = g;
    g = &g[(*n)++];
    memset(g, 0, sizeof *g);
    cr_strlcpy(g->model, model, sizeof g->model);
    cr_strlcpy(g->experiment, experiment, sizeof g->experiment);
    g->var = var;
    return g;
}

/* Put path in its group; CR_EDATA (printed by the caller) when the file
 * cannot be read at all. */
static int classify(const char *path, const struct opts *o, struct group **groups, size_t *n,
                    struct cr_err *err)
{
    struct cr_simulation_id id;
    struct cr_err e2;
    cr_err_clear(&e2);
    int identified = cr_simulation_identify(path, &id, &e2) == CR_OK;
    enum cr_var var;
    if (o->variable && cr_var_parse(o->variable, &var) == 0) {
        /* asked by name */
    } else if (identified && id.var_known && !o->variable) {
        var = id.var;
    } else {
        /* Let the reader say which variable it is (and why it cannot). */
        struct cr_cffile f;
        int rc = cr_cffile_open(&f, path, o->variable, err);
        if (rc)
            return rc;
        var = f.var;
        cr_cffile_free(&f);
    }
    struct group *g =
        find_group(groups, n, identified ? id.model : "", identified ? id.experiment : "", var);
    if (!g)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    if (identified && !g->identified) {
        g->id = id;
        g->identified = 1;
    }
    if (cr_strlist_push(&g->paths, path) != 0)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    return CR_OK;
}

/* ---- output ------------------------------------------------------------- */

static void print_text(const struct group *g, const struct scan *sc, const char *grid_problem)
{
    struct cr_series_info in;
    cr_series_info(g->series, &in);
    char a[16], b[16];
    if (in.nfiles == 1) {
        printf("%s\n", cr_series_file(g->series, 0));
    } else {
        printf("%s series of %zu files\n", cr_var_name(in.var), in.nfiles);
        for (size_t k = 0; k < in.nfiles; k++) {
            struct cr_date f, l;
            cr_series_file_period(g->series, k, &f, &l);
            date_text(f, a, sizeof a);
            date_text(l, b, sizeof b);
            printf("  %-13s%s (%s to %s)\n", k ? "" : "files", cr_series_file(g->series, k), a, b);
        }
    }
    if (g->identified)
        printf("  %-13s%s %s%s%s (GCM %s, RCM %s; from %s)\n", "simulation", g->id.model,
               g->id.experiment, g->id.member[0] ? " " : "", g->id.member, g->id.gcm, g->id.rcm,
               g->id.source);
    else
        printf("  %-13s%s\n", "simulation",
               "unknown (neither the file name nor the global attributes say)");
    printf("  %-13s%s -> %s", "variable", in.file_var, cr_var_name(in.var));
    if (in.standard_name[0])
        printf(" (standard_name %s)", in.standard_name);
    printf("\n  %-13s%s -> %s\n", "units", in.file_units, cr_var_units(in.var));
    printf("  %-13s%s\n", "calendar", cr_calendar_name(in.calendar));
    date_text(in.first, a, sizeof a);
    date_text(in.last, b, sizeof b);
    printf("  %-13s%s to %s: %zu days, %zu time steps\n", "period", a, b, in.span_days,
           in.ndays + in.overlaps);
    printf("  %-13s%s\n", "layout", in.layout);
    if (in.nspatial == 2)
        printf("  %-13s%zu x %zu (%s, %s) = %zu cells\n", "grid", in.ny, in.nx, in.dim_names[0],
               in.dim_names[1], in.ncells);
    else
        printf("  %-13s%zu locations (%s)\n", "grid", in.ncells, in.dim_names[1]);
    printf("  %-13s%s", "crs", in.crs_name[0] ? in.crs_name : "none given");
    if (in.crs_label[0])
        printf(": %s", in.crs_label);
    if (in.epsg)
        printf(", EPSG:%d", in.epsg);
    printf("\n");
    const double *lat = cr_series_lat(g->series);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t c = 0; c < in.ncells; c++)
        if (!isnan(lat[c])) {
            lo = lat[c] < lo ? lat[c] : lo;
            hi = lat[c] > hi ? lat[c] : hi;
        }
    if (lo <= hi)
        printf("  %-13s%s (latitude %.3f to %.3f)\n", "lat/lon", in.latlon_source, lo, hi);
    else
        printf("  %-13s%s\n", "lat/lon", in.latlon_source);
    if (sc->scanned) {
        printf("  %-13s%zu (cells with data)\n", "land cells", sc->land);
        printf("  %-13s%.2f%% of cell-days (%.2f%% on land cells)\n", "missing",
               100 * sc->missing_share, 100 * sc->missing_share_land);
    }
    const struct cr_series_event *ev;
    size_t nev = cr_series_events(g->series, &ev);
    printf("  %-13s%zu day(s)\n", "gaps", in.gaps);
    printf("  %-13s%zu day(s)\n", "overlaps", in.overlaps);
    for (size_t i = 0; i < nev; i++) {
        date_text(ev[i].first, a, sizeof a);
        date_text(ev[i].last, b, sizeof b);
        if (ev[i].kind == CR_SERIES_GAP)
            printf("    gap      %s to %s (%zu days) between %s and %s\n", a, b, ev[i].ndays,
                   cr_basename(ev[i].before), cr_basename(ev[i].after));
        else
            printf("    overlap  %s to %s (%zu days) in %s and %s: %s skipped there\n", a, b,
                   ev[i].ndays, cr_basename(ev[i].before), cr_basename(ev[i].after),
                   cr_basename(ev[i].after));
    }
    if (sc->scanned) {
        char text[1024];
        cr_validation_summary(&sc->val, text, sizeof text);
        printf("  %-13s%s\n", "range", text[0] ? text : "ok (no value out of physical range)");
    }
    if (grid_problem)
        printf("  %-13s%s\n", "grid check", grid_problem);
    printf("\n");
}

static json_object *json_date(struct cr_date d)
{
    char t[16];
    date_text(d, t, sizeof t);
    return json_object_new_string(t);
}

static json_object *json_series(const struct group *g, const struct scan *sc)
{
    struct cr_series_info in;
    cr_series_info(g->series, &in);
    json_object *o = json_object_new_object(), *files = json_object_new_array();
    for (size_t k = 0; k < in.nfiles; k++) {
        json_object *f = json_object_new_object();
        struct cr_date a, b;
        cr_series_file_period(g->series, k, &a, &b);
        json_object_object_add(f, "path", json_object_new_string(cr_series_file(g->series, k)));
        json_object_object_add(f, "first", json_date(a));
        json_object_object_add(f, "last", json_date(b));
        json_object_array_add(files, f);
    }
    json_object_object_add(o, "files", files);
    if (g->identified) {
        json_object *sim = json_object_new_object();
        json_object_object_add(sim, "model", json_object_new_string(g->id.model));
        json_object_object_add(sim, "gcm", json_object_new_string(g->id.gcm));
        json_object_object_add(sim, "rcm", json_object_new_string(g->id.rcm));
        json_object_object_add(sim, "member", json_object_new_string(g->id.member));
        json_object_object_add(sim, "experiment", json_object_new_string(g->id.experiment));
        json_object_object_add(sim, "source", json_object_new_string(g->id.source));
        json_object_object_add(o, "simulation", sim);
    } else {
        json_object_object_add(o, "simulation", NULL);
    }
    json_object_object_add(o, "file_variable", json_object_new_string(in.file_var));
    json_object_object_add(o, "variable", json_object_new_string(cr_var_name(in.var)));
    json_object_object_add(o, "standard_name", json_object_new_string(in.standard_name));
    json_object_object_add(o, "file_units", json_object_new_string(in.file_units));
    json_object_object_add(o, "units", json_object_new_string(cr_var_units(in.var)));
    json_object_object_add(o, "calendar", json_object_new_string(cr_calendar_name(in.calendar)));
    json_object_object_add(o, "first", json_date(in.first));
    json_object_object_add(o, "last", json_date(in.last));
    json_object_object_add(o, "days", json_object_new_int64((int64_t)in.span_days));
    json_object_object_add(o, "time_steps",
                           json_object_new_int64((int64_t)(in.ndays + in.overlaps)));
    json_object_object_add(o, "layout", json_object_new_string(in.layout));
    json_object *grid = json_object_new_object(), *dims = json_object_new_array();
    for (int k = 2 - in.nspatial; k < 2; k++)
        json_object_array_add(dims, json_object_new_string(in.dim_names[k]));
    json_object_object_add(grid, "dims", dims);
    json_object_object_add(grid, "ny", json_object_new_int64((int64_t)in.ny));
    json_object_object_add(grid, "nx", json_object_new_int64((int64_t)in.nx));
    json_object_object_add(grid, "cells", json_object_new_int64((int64_t)in.ncells));
    json_object_object_add(o, "grid", grid);
    json_object *crs = json_object_new_object();
    json_object_object_add(crs, "name", json_object_new_string(in.crs_name));
    json_object_object_add(crs, "label", json_object_new_string(in.crs_label));
    json_object_object_add(crs, "epsg", in.epsg ? json_object_new_int(in.epsg) : NULL);
    json_object_object_add(o, "crs", crs);
    json_object_object_add(o, "latlon_source", json_object_new_string(in.latlon_source));
    if (sc->scanned) {
        json_object_object_add(o, "land_cells", json_object_new_int64((int64_t)sc->land));
        json_object_object_add(o, "missing_share", json_object_new_double(sc->missing_share));
        json_object_object_add(o, "missing_share_land",
                               json_object_new_double(sc->missing_share_land));
        json_object *inv = json_object_new_object();
        static const char *const names[CR_CHECK_COUNT] = {"too_low", "too_high", "negative",
                                                          "tasmax_below_tasmin"};
        for (int c = 0; c < CR_CHECK_COUNT; c++)
            json_object_object_add(inv, names[c],
                                   json_object_new_int64((int64_t)sc->val.invalid[c]));
        json_object_object_add(o, "out_of_range", inv);
    }
    json_object_object_add(o, "gaps", json_object_new_int64((int64_t)in.gaps));
    json_object_object_add(o, "overlaps", json_object_new_int64((int64_t)in.overlaps));
    json_object *events = json_object_new_array();
    const struct cr_series_event *ev;
    size_t nev = cr_series_events(g->series, &ev);
    for (size_t i = 0; i < nev; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(
            e, "kind", json_object_new_string(ev[i].kind == CR_SERIES_GAP ? "gap" : "overlap"));
        json_object_object_add(e, "first", json_date(ev[i].first));
        json_object_object_add(e, "last", json_date(ev[i].last));
        json_object_object_add(e, "days", json_object_new_int64((int64_t)ev[i].ndays));
        json_object_object_add(e, "before", json_object_new_string(ev[i].before));
        json_object_object_add(e, "after", json_object_new_string(ev[i].after));
        json_object_array_add(events, e);
    }
    json_object_object_add(o, "events", events);
    return o;
}

/* ---- --values ----------------------------------------------------------- */

static int parse_cell(const char *text, const struct cr_series_info *in, size_t *cell)
{
    long a, b;
    char buf[64];
    cr_strlcpy(buf, text, sizeof buf);
    char *comma = strchr(buf, ',');
    if (comma) {
        *comma = '\0';
        if (cr_parse_long(buf, &a) || cr_parse_long(comma + 1, &b) || a < 0 || b < 0 ||
            (size_t)a >= in->ny || (size_t)b >= in->nx)
            return -1;
        *cell = (size_t)a * in->nx + (size_t)b;
        return 0;
    }
    if (cr_parse_long(buf, &a) || a < 0 || (size_t)a >= in->ncells)
        return -1;
    *cell = (size_t)a;
    return 0;
}

static int print_values(struct cr_series *s, const struct opts *o, struct cr_err *err)
{
    struct cr_series_info in;
    cr_series_info(s, &in);
    size_t cell;
    if (parse_cell(o->cell, &in, &cell) != 0)
        return cr_err_set(err, CR_EUSAGE,
                          "--values %s: not a cell of this %zu x %zu grid (give an index below %zu "
                          "or ROW,COL)",
                          o->cell, in.ny, in.nx, in.ncells);
    struct cr_date start = in.first;
    if (o->from) {
        int y, m, d;
        char tail;
        if (sscanf(o->from, "%d-%d-%d%c", &y, &m, &d, &tail) != 3 ||
            !cr_cal_valid(in.calendar, (struct cr_date){y, m, d}))
            return cr_err_set(err, CR_EUSAGE, "--from %s: not a date of the %s calendar", o->from,
                              cr_calendar_name(in.calendar));
        start = (struct cr_date){y, m, d};
    }
    int64_t d0 = cr_cal_day_number(in.calendar, start);
    int64_t last = cr_cal_day_number(in.calendar, in.last);
    size_t ndays = o->days > 0 ? (size_t)o->days : (last >= d0 ? (size_t)(last - d0 + 1) : 0);
    printf("# file\t%s%s\n", cr_series_file(s, 0), in.nfiles > 1 ? " (and others)" : "");
    printf("# variable\t%s (%s)\n# units\t%s\n# calendar\t%s\n", cr_var_name(in.var), in.file_var,
           cr_var_units(in.var), cr_calendar_name(in.calendar));
    printf("# cell\t%zu\trow\t%zu\tcol\t%zu\n", cell, cell / in.nx, cell % in.nx);
    printf("# lat\t%.9g\tlon\t%.9g\n", cr_series_lat(s)[cell], cr_series_lon(s)[cell]);
    printf("date\tdoy\tvalue\n");
    float *buf = malloc(sizeof(float) * in.ncells * BLOCK_DAYS);
    if (!buf)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    int rc = CR_OK;
    struct cr_date d = start;
    for (size_t done = 0; done < ndays && rc == CR_OK;) {
        size_t n = ndays - done < BLOCK_DAYS ? ndays - done : BLOCK_DAYS;
        if ((rc = cr_series_read(s, d, n, buf, err)))
            break;
        for (size_t t = 0; t < n; t++) {
            struct cr_date day = cr_cal_add_days(in.calendar, d, (int64_t)t);
            float v = buf[t * in.ncells + cell];
            printf("%04d-%02d-%02d\t%d\t", day.year, day.month, day.day,
                   cr_cal_doy(in.calendar, day));
            if (isnan(v))
                printf("NaN\n");
            else
                printf("%.9g\n", v);
        }
        done += n;
        d = cr_cal_add_days(in.calendar, d, (int64_t)n);
    }
    free(buf);
    return rc;
}

/* ---- the command -------------------------------------------------------- */

static int report_error(const struct opts *o, json_object *out, const char *what,
                        const struct cr_err *err)
{
    if (o->json) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "path", json_object_new_string(what));
        json_object_object_add(e, "error", json_object_new_string(err->msg));
        json_object_object_add(e, "exit_code", json_object_new_int(err->code));
        json_object_array_add(out, e);
    }
    return cli_fail("inspect", err);
}

int cmd_inspect(int argc, char **argv)
{
    enum { O_JSON = 256, O_QUICK, O_VALUES, O_FROM, O_DAYS };
    static const struct option options[] = {
        {"variable", required_argument, 0, 'V'},
        {"json", no_argument, 0, O_JSON},
        {"quick", no_argument, 0, O_QUICK},
        {"values", required_argument, 0, O_VALUES},
        {"from", required_argument, 0, O_FROM},
        {"days", required_argument, 0, O_DAYS},
        {"config", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct opts o = {0};
    const char *config_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "V:c:h", options, NULL)) != -1) {
        switch (c) {
        case 'V':
            o.variable = optarg;
            break;
        case O_JSON:
            o.json = 1;
            break;
        case O_QUICK:
            o.quick = 1;
            break;
        case O_VALUES:
            o.cell = optarg;
            break;
        case O_FROM:
            o.from = optarg;
            break;
        case O_DAYS:
            if (cr_parse_long(optarg, &o.days) || o.days < 1)
                return cli_usage_error("inspect", "--days %s: give a positive number", optarg);
            break;
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return CR_OK;
        default:
            return cli_usage_error("inspect", "invalid option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("inspect", "give at least one FILE");
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("inspect", &err);
    }
    o.max_invalid = cfg.max_invalid_fraction;
    cr_config_free(&cfg);

    json_object *out = json_object_new_array();
    struct group *groups = NULL;
    size_t ngroups = 0;
    int status = CR_OK;
    for (int i = optind; i < argc; i++) {
        cr_err_clear(&err);
        if (classify(argv[i], &o, &groups, &ngroups, &err) != CR_OK)
            status = report_error(&o, out, argv[i], &err);
    }
    int skip_all = 0;
    if (o.cell && ngroups != 1 && status == CR_OK) {
        status = cli_usage_error("inspect", "--values needs the files of one variable (got %zu)",
                                 ngroups);
        skip_all = 1;
    }
    struct scan *scans = calloc(ngroups ? ngroups : 1, sizeof *scans);
    char **grid_problem = calloc(ngroups ? ngroups : 1, sizeof *grid_problem);
    for (size_t i = 0; i < ngroups && scans && grid_problem && !skip_all; i++) {
        struct group *g = &groups[i];
        cr_err_clear(&err);
        if (cr_series_open(&g->series, (const char *const *)g->paths.items, g->paths.n,
                           o.variable ? o.variable : cr_var_name(g->var), &err) != CR_OK) {
            status = report_error(&o, out, g->paths.items[0], &err);
            continue;
        }
        if (o.cell) {
            if (print_values(g->series, &o, &err) != CR_OK)
                status = cli_fail("inspect", &err);
            continue;
        }
        if (!o.quick && scan_values(g->series, o.max_invalid, &scans[i], &err) != CR_OK) {
            status = report_error(&o, out, g->paths.items[0], &err);
            continue;
        }
    }
    /* Variables of one simulation: one grid, and tasmax >= tasmin. */
    for (size_t i = 0; !o.cell && scans && grid_problem && i < ngroups; i++) {
        struct group *g = &groups[i];
        if (!g->series || !g->model[0])
            continue;
        for (size_t j = 0; j < i; j++) {
            struct group *h = &groups[j];
            if (!h->series || strcmp(h->model, g->model) || strcmp(h->experiment, g->experiment))
                continue;
            cr_err_clear(&err);
            if (cr_series_same_grid(h->series, g->series, &err) != CR_OK) {
                grid_problem[i] = strdup(err.msg);
                status = report_error(&o, out, g->paths.items[0], &err);
                break;
            }
            if (o.quick)
                continue;
            struct group *tn = h->var == CR_VAR_TASMIN ? h : g->var == CR_VAR_TASMIN ? g : NULL;
            struct group *tx = h->var == CR_VAR_TASMAX ? h : g->var == CR_VAR_TASMAX ? g : NULL;
            if (tn && tx && scans[tx - groups].scanned) {
                cr_err_clear(&err);
                if (scan_pair(tn->series, tx->series, &scans[tx - groups].val, &err) != CR_OK)
                    status = report_error(&o, out, tx->paths.items[0], &err);
            }
        }
    }
    for (size_t i = 0; !o.cell && scans && grid_problem && i < ngroups; i++) {
        struct group *g = &groups[i];
        if (!g->series)
            continue;
        if (o.json)
            json_object_array_add(out, json_series(g, &scans[i]));
        else
            print_text(g, &scans[i], grid_problem[i]);
        cr_err_clear(&err);
        if (scans[i].scanned && cr_validation_finish(&scans[i].val, &err) != CR_OK) {
            char what[CR_PATH_MAX + 64];
            snprintf(what, sizeof what, "%s", g->paths.items[0]);
            status = report_error(&o, out, what, &err);
        }
    }
    if (o.json && !o.cell)
        printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(out);
    for (size_t i = 0; i < ngroups; i++) {
        cr_series_close(groups[i].series);
        cr_strlist_free(&groups[i].paths);
        if (grid_problem)
            free(grid_problem[i]);
    }
    free(groups);
    free(scans);
    free(grid_problem);
    return status;
}
