/* reader.c — a variable's files stitched into one daily series; see
 * reader.h.
 *
 * Files are sorted by their first day. Their time steps become disjoint
 * segments (day range -> file, time index): a day already provided by an
 * earlier file is an overlap and is skipped in the later one; days no file
 * provides are gaps and read as NaN. Both are logged once at open and
 * listed by cr_series_events. A read walks the segments overlapping the
 * asked days and hands each straight to cr_cffile_read, so memory stays
 * the caller's block. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../core/strutil.h"
#include "cffile.h"
#include "reader.h"

struct segment {
    int64_t day;
    size_t len;
    size_t file;
    size_t index; /* time index in that file of `day` */
};

struct cr_series {
    enum cr_var var;
    enum cr_calendar cal;
    struct cr_cffile *files; /* sorted by first day */
    size_t nfiles;
    size_t current; /* file whose handle is open, or nfiles */
    struct segment *segs;
    size_t nsegs, segcap;
    struct cr_series_event *events;
    size_t nevents, evcap;
    size_t gaps, overlaps, ndays;
    int64_t first_day, last_day;
    struct cr_grid grid; /* the first file's, owned here; files keep only shapes */
};

static struct cr_date date_of(const struct cr_series *s, int64_t day)
{
    return cr_cal_from_day_number(s->cal, day);
}

static int push_segment(struct cr_series *s, struct segment seg)
{
    if (s->nsegs == s->segcap) {
        size_t cap = s->segcap ? 2 * s->segcap : 16;
        struct segment *n = realloc(s->segs, sizeof *n * cap);
        if (!n)
            return -1;
        s->segs = n;
        s->segcap = cap;
    }
    s->segs[s->nsegs++] = seg;
    return 0;
}

static int push_event(struct cr_series *s, enum cr_series_event_kind kind, int64_t first,
                      int64_t last, size_t before, size_t after)
{
    /* Extend the previous overlap when this piece continues it. */
    if (s->nevents && kind == CR_SERIES_OVERLAP) {
        struct cr_series_event *e = &s->events[s->nevents - 1];
        if (e->kind == kind && e->before == s->files[before].path &&
            e->after == s->files[after].path && cr_cal_day_number(s->cal, e->last) + 1 == first) {
            e->last = date_of(s, last);
            e->ndays += (size_t)(last - first + 1);
            return 0;
        }
    }
    if (s->nevents == s->evcap) {
        size_t cap = s->evcap ? 2 * s->evcap : 8;
        struct cr_series_event *n = realloc(s->events, sizeof *n * cap);
        if (!n)
            return -1;
        s->events = n;
        s->evcap = cap;
    }
    struct cr_series_event *e = &s->events[s->nevents++];
    e->kind = kind;
    e->first = date_of(s, first);
    e->last = date_of(s, last);
    e->ndays = (size_t)(last - first + 1);
    e->before = s->files[before].path;
    e->after = s->files[after].path;
    return 0;
}

static int cmp_seg(const void *pa, const void *pb)
{
    const struct segment *a = pa, *b = pb;
    return a->day < b->day ? -1 : a->day > b->day;
}

static int cmp_file(const void *pa, const void *pb)
{
    const struct cr_cffile *a = pa, *b = pb;
    if (a->first_day != b->first_day)
        return a->first_day < b->first_day ? -1 : 1;
    return strcmp(a->path, b->path);
}

/* Add the days of one run of file k that no earlier file provides. The
 * segments are sorted and disjoint before and after. */
static int add_run(struct cr_series *s, size_t k, const struct cr_time_run *r)
{
    int64_t cursor = r->day, end = r->day + (int64_t)r->len;
    size_t before = s->nsegs;
    for (size_t i = 0; i < before && cursor < end; i++) {
        const struct segment seg = s->segs[i];
        int64_t seg_end = seg.day + (int64_t)seg.len;
        if (seg_end <= cursor || seg.day >= end)
            continue;
        if (seg.day > cursor &&
            push_segment(s, (struct segment){cursor, (size_t)(seg.day - cursor), k,
                                             r->index + (size_t)(cursor - r->day)}))
            return -1;
        int64_t o0 = seg.day > cursor ? seg.day : cursor;
        int64_t o1 = seg_end < end ? seg_end : end;
        s->overlaps += (size_t)(o1 - o0);
        if (push_event(s, CR_SERIES_OVERLAP, o0, o1 - 1, seg.file, k))
            return -1;
        cursor = o1;
    }
    if (cursor < end && push_segment(s, (struct segment){cursor, (size_t)(end - cursor), k,
                                                         r->index + (size_t)(cursor - r->day)}))
        return -1;
    if (s->nsegs > 1)
        qsort(s->segs, s->nsegs, sizeof *s->segs, cmp_seg);
    return 0;
}

static const char *base(const char *path)
{
    return cr_basename(path);
}

static void log_events(const struct cr_series *s)
{
    for (size_t i = 0; i < s->nevents; i++) {
        const struct cr_series_event *e = &s->events[i];
        if (e->kind == CR_SERIES_GAP)
            cr_warn("%s: %zu day(s) missing, %04d-%02d-%02d to %04d-%02d-%02d, between %s and "
                    "%s: read as NaN",
                    s->files[0].var_name, e->ndays, e->first.year, e->first.month, e->first.day,
                    e->last.year, e->last.month, e->last.day, base(e->before), base(e->after));
        else
            cr_warn("%s: %zu day(s), %04d-%02d-%02d to %04d-%02d-%02d, are in both %s and %s: "
                    "the values of %s are used",
                    s->files[0].var_name, e->ndays, e->first.year, e->first.month, e->first.day,
                    e->last.year, e->last.month, e->last.day, base(e->before), base(e->after),
                    base(e->before));
    }
}

/* Files of one series must agree on everything but their days. */
static int check_consistent(struct cr_series *s, size_t k, struct cr_err *err)
{
    const struct cr_cffile *a = &s->files[0], *b = &s->files[k];
    if (a->var != b->var)
        return cr_err_set(err, CR_EDATA,
                          "'%s' holds %s (%s) but '%s' holds %s (%s): give the files of one "
                          "variable together",
                          a->path, cr_var_name(a->var), a->var_name, b->path, cr_var_name(b->var),
                          b->var_name);
    if (a->cal != b->cal) {
        /* standard and proleptic_gregorian agree after 1582-10-15. */
        int gregorian = (a->cal == CR_CAL_STANDARD || a->cal == CR_CAL_PROLEPTIC) &&
                        (b->cal == CR_CAL_STANDARD || b->cal == CR_CAL_PROLEPTIC) &&
                        a->first_day >= 2299161 && b->first_day >= 2299161;
        if (!gregorian)
            return cr_err_set(err, CR_EDATA,
                              "'%s' uses the %s calendar but '%s' uses %s: files of one series "
                              "must share their calendar (are they from the same simulation?)",
                              a->path, cr_calendar_name(a->cal), b->path, cr_calendar_name(b->cal));
    }
    char why[512];
    if (cr_grid_compare(&a->grid, &b->grid, why, sizeof why) != 0)
        return cr_err_set(err, CR_EDATA,
                          "'%s' and '%s' (%s) are not on the same grid: %s; files of one series "
                          "must share their grid (are they from the same simulation and domain?)",
                          a->path, b->path, a->var_name, why);
    return CR_OK;
}

static int build_segments(struct cr_series *s, struct cr_err *err)
{
    for (size_t k = 0; k < s->nfiles; k++)
        for (size_t r = 0; r < s->files[k].nruns; r++)
            if (add_run(s, k, &s->files[k].runs[r]))
                return cr_err_set(err, CR_EINTERNAL, "out of memory");
    s->ndays = 0;
    for (size_t i = 0; i < s->nsegs; i++) {
        s->ndays += s->segs[i].len;
        if (i == 0)
            continue;
        const struct segment *p = &s->segs[i - 1], *n = &s->segs[i];
        int64_t gap0 = p->day + (int64_t)p->len;
        if (n->day > gap0) {
            s->gaps += (size_t)(n->day - gap0);
            if (push_event(s, CR_SERIES_GAP, gap0, n->day - 1, p->file, n->file))
                return cr_err_set(err, CR_EINTERNAL, "out of memory");
        }
    }
    /* Overlaps were recorded in file order; report everything by date. */
    for (size_t i = 1; i < s->nevents; i++) {
        struct cr_series_event e = s->events[i];
        size_t j = i;
        int64_t d = cr_cal_day_number(s->cal, e.first);
        while (j > 0 && cr_cal_day_number(s->cal, s->events[j - 1].first) > d) {
            s->events[j] = s->events[j - 1];
            j--;
        }
        s->events[j] = e;
    }
    s->first_day = s->segs[0].day;
    s->last_day = s->segs[s->nsegs - 1].day + (int64_t)s->segs[s->nsegs - 1].len - 1;
    return CR_OK;
}

int cr_series_open(struct cr_series **out, const char *const *paths, size_t npaths,
                   const char *variable, struct cr_err *err)
{
    *out = NULL;
    if (npaths == 0)
        return cr_err_set(err, CR_EUSAGE, "no file given for the series");
    struct cr_series *s = calloc(1, sizeof *s);
    if (!s || !(s->files = calloc(npaths, sizeof *s->files))) {
        free(s);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    int rc = CR_OK;
    double t0 = cr_now();
    for (size_t k = 0; k < npaths && rc == CR_OK; k++) {
        /* Once the first file has told which variable this is, every other
         * file must hold the same one. */
        const char *want = k == 0 || variable ? variable : cr_var_name(s->files[0].var);
        rc = cr_cffile_open(&s->files[k], paths[k], want, err);
        if (rc == CR_OK) {
            s->nfiles++;
            cr_cffile_close_handle(&s->files[k]);
            if (k > 0) {
                rc = check_consistent(s, k, err);
                cr_grid_free(&s->files[k].grid); /* coordinates: only the first file's */
            }
        }
    }
    if (rc == CR_OK) {
        s->grid = s->files[0].grid;
        s->files[0].grid.lat = s->files[0].grid.lon = NULL;
        s->files[0].grid.axis[0] = s->files[0].grid.axis[1] = NULL;
        qsort(s->files, s->nfiles, sizeof *s->files, cmp_file);
        s->var = s->files[0].var;
        s->cal = s->files[0].cal;
        s->current = s->nfiles;
        rc = build_segments(s, err);
    }
    if (rc != CR_OK) {
        cr_series_close(s);
        return rc;
    }
    log_events(s);
    cr_debug("series %s: %zu file(s), %zu days, opened in %.3fs", s->files[0].var_name, s->nfiles,
             s->ndays, cr_now() - t0);
    *out = s;
    return CR_OK;
}

void cr_series_info(const struct cr_series *s, struct cr_series_info *info)
{
    memset(info, 0, sizeof *info);
    const struct cr_cffile *f = &s->files[0];
    const struct cr_grid *g = &s->grid;
    info->var = s->var;
    cr_strlcpy(info->file_var, f->var_name, sizeof info->file_var);
    cr_strlcpy(info->file_units, f->units, sizeof info->file_units);
    cr_strlcpy(info->standard_name, f->standard_name, sizeof info->standard_name);
    info->calendar = s->cal;
    info->first = date_of(s, s->first_day);
    info->last = date_of(s, s->last_day);
    info->ndays = s->ndays;
    info->span_days = (size_t)(s->last_day - s->first_day + 1);
    info->ny = g->ny;
    info->nx = g->nx;
    info->ncells = g->ncells;
    info->nspatial = g->nspatial;
    cr_strlcpy(info->dim_names[0], g->dim_names[0], sizeof info->dim_names[0]);
    cr_strlcpy(info->dim_names[1], g->dim_names[1], sizeof info->dim_names[1]);
    cr_strlcpy(info->layout, f->layout, sizeof info->layout);
    cr_strlcpy(info->crs_name, g->crs_name, sizeof info->crs_name);
    cr_strlcpy(info->crs_label, g->crs_label, sizeof info->crs_label);
    cr_strlcpy(info->latlon_source, g->latlon_source, sizeof info->latlon_source);
    info->epsg = g->epsg;
    info->nfiles = s->nfiles;
    info->gaps = s->gaps;
    info->overlaps = s->overlaps;
}

const double *cr_series_lat(const struct cr_series *s)
{
    return s->grid.lat;
}

const double *cr_series_lon(const struct cr_series *s)
{
    return s->grid.lon;
}

static void fill_nan(float *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        p[k] = NAN;
}

/* First segment ending after day d. */
static size_t seg_search(const struct cr_series *s, int64_t d)
{
    size_t lo = 0, hi = s->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->segs[mid].day + (int64_t)s->segs[mid].len <= d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int cr_series_read(struct cr_series *s, struct cr_date start, size_t ndays, float *out,
                   struct cr_err *err)
{
    if (!cr_cal_valid(s->cal, start))
        return cr_err_set(err, CR_EINTERNAL,
                          "%s: asked for days from %04d-%02d-%02d, which does not exist in the %s "
                          "calendar",
                          s->files[0].var_name, start.year, start.month, start.day,
                          cr_calendar_name(s->cal));
    size_t ncells = s->grid.ncells;
    int64_t d0 = cr_cal_day_number(s->cal, start), d1 = d0 + (int64_t)ndays;
    int64_t cursor = d0;
    for (size_t i = seg_search(s, d0); i < s->nsegs && s->segs[i].day < d1; i++) {
        const struct segment *seg = &s->segs[i];
        int64_t a = seg->day > d0 ? seg->day : d0;
        int64_t b = seg->day + (int64_t)seg->len;
        if (b > d1)
            b = d1;
        if (a > cursor)
            fill_nan(out + (size_t)(cursor - d0) * ncells, (size_t)(a - cursor) * ncells);
        if (s->current != seg->file && s->current < s->nfiles)
            cr_cffile_close_handle(&s->files[s->current]);
        s->current = seg->file;
        int rc = cr_cffile_read(&s->files[seg->file], seg->index + (size_t)(a - seg->day),
                                (size_t)(b - a), out + (size_t)(a - d0) * ncells, err);
        if (rc)
            return rc;
        cursor = b;
    }
    if (cursor < d1)
        fill_nan(out + (size_t)(cursor - d0) * ncells, (size_t)(d1 - cursor) * ncells);
    return CR_OK;
}

void cr_series_set_decode_threads(struct cr_series *s, int threads)
{
    for (size_t k = 0; k < s->nfiles; k++)
        s->files[k].decode_threads = threads < 1 ? 1 : threads;
}

void cr_series_close(struct cr_series *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->nfiles; k++)
        cr_cffile_free(&s->files[k]);
    cr_grid_free(&s->grid);
    free(s->files);
    free(s->segs);
    free(s->events);
    free(s);
}

const char *cr_series_file(const struct cr_series *s, size_t k)
{
    return k < s->nfiles ? s->files[k].path : NULL;
}

void cr_series_file_period(const struct cr_series *s, size_t k, struct cr_date *first,
                           struct cr_date *last)
{
    *first = date_of(s, s->files[k].first_day);
    *last = date_of(s, s->files[k].last_day);
}

const char *cr_series_file_of_day(const struct cr_series *s, struct cr_date d)
{
    if (!cr_cal_valid(s->cal, d))
        return NULL;
    int64_t day = cr_cal_day_number(s->cal, d);
    size_t i = seg_search(s, day);
    if (i < s->nsegs && s->segs[i].day <= day)
        return s->files[s->segs[i].file].path;
    return NULL;
}

size_t cr_series_events(const struct cr_series *s, const struct cr_series_event **events)
{
    *events = s->events;
    return s->nevents;
}

int cr_series_same_grid(const struct cr_series *a, const struct cr_series *b, struct cr_err *err)
{
    char why[512];
    if (cr_grid_compare(&a->grid, &b->grid, why, sizeof why) == 0)
        return CR_OK;
    return cr_err_set(err, CR_EDATA,
                      "%s ('%s') and %s ('%s') are not on the same grid: %s; the variables of "
                      "one simulation must share one grid (same model run and domain?)",
                      a->files[0].var_name, a->files[0].path, b->files[0].var_name,
                      b->files[0].path, why);
}
