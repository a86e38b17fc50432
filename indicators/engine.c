/* engine.c — the one-pass indicator engine; see engine.h.
 *
 * Layout: for each day, a few calendar flags are computed once (which
 * windows the day is in, year and snow-year boundaries), then one tight loop
 * per input group runs over the cells and updates that group's flat
 * per-cell arrays. Comparisons with NaN are false, so a missing value adds
 * nothing to a count, a sum (NaN is replaced by 0 first) or a maximum, and
 * breaks a spell, without a branch; the missing-day counters decide at the
 * end of a period whether its value is defined. */
#include "engine.h"

/* The per-cell loops are written to be vectorised: -O3 turns on GCC's full
 * vectoriser, and without trapping math (this code never reads FP
 * exceptions; NaN is data here, not an error) the selects on NaN inputs
 * become blends instead of branches, and sqrtf needs no errno path. That
 * halves the cost per cell-day (bench/indicators.sh). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "no-math-errno")
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "pet.h"

static const char *const codes[CR_IND_COUNT] = {
    "tg_mean", "txx",           "su",        "tx35",    "tr",           "fd",
    "gsl",     "huglin",        "winkler",   "cni",     "spring_frost", "gdd5",
    "tsum200", "water_deficit", "rx1day",    "rx5day",  "r20mm",        "prcptot",
    "cdd",     "prsn_total",    "snow_days", "swe_max",
};

int cr_engine_indicator_id(const char *code)
{
    for (int i = 0; i < CR_IND_COUNT; i++)
        if (strcmp(codes[i], code) == 0)
            return i;
    return -1;
}

unsigned cr_engine_indicator_params(enum cr_ind id)
{
    switch (id) {
    case CR_IND_PRSN_TOTAL:
        return CR_PARAM_SNOW_RAIN_TEMP;
    case CR_IND_SWE_MAX: /* degree-day melt of the snowpack (day_snow) */
        return CR_PARAM_SNOW_MELT | CR_PARAM_SNOW_RAIN_TEMP;
    case CR_IND_SNOW_DAYS:
        return CR_PARAM_SNOW_MELT | CR_PARAM_SNOW_COVER | CR_PARAM_SNOW_RAIN_TEMP;
    default:
        return 0;
    }
}

const char *cr_engine_indicator_code(enum cr_ind id)
{
    return (unsigned)id < CR_IND_COUNT ? codes[id] : "?";
}

#define BIT(id) (1UL << (id))

void cr_engine_opts_defaults(struct cr_engine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_missing_fraction = 0.10;
    o->snow_melt_factor = 3.0;
    o->snow_cover_threshold = 10.0;
    o->snow_rain_temperature = 1.0;
}

/* Inputs each indicator reads, before fallbacks (TG and PS are "virtual"). */
static unsigned needs_of(enum cr_ind id)
{
    const struct cr_indicator_def *d = cr_indicator_find(codes[id]);
    unsigned n = 0;
    if (!d)
        return 0;
    if (d->needs & CR_NEED_TASMIN)
        n |= 1u << CR_IN_TN;
    if (d->needs & CR_NEED_TASMAX)
        n |= 1u << CR_IN_TX;
    if (d->needs & CR_NEED_TAS)
        n |= 1u << CR_IN_TG;
    if (d->needs & CR_NEED_PR)
        n |= 1u << CR_IN_PR;
    if (d->needs & CR_NEED_PRSN)
        n |= 1u << CR_IN_PS;
    return n;
}

int cr_engine_missing_inputs(unsigned long indicators, const int have[CR_IN_COUNT],
                             int missing[CR_IN_COUNT])
{
    unsigned need = 0;
    for (int i = 0; i < CR_IND_COUNT; i++)
        if (indicators & BIT(i))
            need |= needs_of((enum cr_ind)i);
    /* Snow without prsn falls back on PR where TG <= threshold. */
    if ((need & (1u << CR_IN_PS)) && !have[CR_IN_PS])
        need = (need & ~(1u << CR_IN_PS)) | (1u << CR_IN_PR) | (1u << CR_IN_TG);
    /* TG without tas is (TN + TX) / 2. */
    if ((need & (1u << CR_IN_TG)) && !have[CR_IN_TG])
        need = (need & ~(1u << CR_IN_TG)) | (1u << CR_IN_TN) | (1u << CR_IN_TX);
    int n = 0;
    for (int k = 0; k < CR_IN_COUNT; k++) {
        missing[k] = (need & (1u << k)) && !have[k];
        n += missing[k];
    }
    return n;
}

struct cr_engine {
    struct cr_engine_opts o;
    unsigned long computes;
    enum cr_calendar cal;
    int first_year, last_year;
    size_t n;
    struct cr_date next;
    int64_t fed; /* days fed so far */
    int done;    /* finished: nothing more may be fed */

    /* Groups of work, enabled from the indicators computed. */
    int g_tx, g_tn, g_tg, g_gsl, g_tsum, g_hug, g_wink, g_cni, g_sf, g_wd, g_pr, g_rx5, g_cdd, g_ps,
        g_snow;

    /* Days of the current year in each window (= expected days). */
    int year, nd_year, nd_aprsep, nd_aproct, nd_sep, nd_aprmay, nd_junaug;
    int snow_year, snow_open, nd_snow;

    /* Per-cell state (structure of arrays). */
    int32_t *tn_miss, *tr, *fd, *cni_miss, *sf, *sf_miss;
    double *cni_sum;
    int32_t *tx_miss, *su, *tx35;
    float *txx;
    int32_t *tg_miss, *hug_miss, *wink_miss, *wd_miss;
    double *tg_sum, *gdd5, *tsum, *hug_sum, *wink_sum, *wd_sum;
    int16_t *tsum_doy, *gsl_start, *gsl_end;
    uint8_t *gsl_run;
    float *hug_k;
    int32_t *pr_miss, *r20, *cdd_run, *cdd_max;
    float *rx1, *rx5, *ring[4];
    double *prcptot;
    int32_t *ps_miss, *snow_miss, *snow_days;
    double *ps_sum;
    float *swe, *swe_max;

    double *sinlat, *coslat, *tanlat; /* for Ra, grid order */
    float *ra[367];                   /* Ra by day of year, grid order, filled on first use */
    float *tgbuf, *psbuf, *nanbuf, *out, *outfull, *rabuf;

    /* Active cells: those that have had a value. The per-cell state is kept
     * for them only, packed (index j < na, grid cell perm[j]); each day's
     * inputs are gathered into gin. Sea cells (half of the SAFRAN array)
     * thus cost one NaN test a day. */
    size_t na, ninactive;
    size_t *perm, *inactive;
    uint8_t *seen;                       /* activation scan: cell has a value today */
    size_t *run_src, *run_dst, *run_len; /* perm as runs of consecutive cells */
    size_t nruns;
    float *gin[CR_IN_COUNT];
    double *lat;

    void *allocs[96];
    int nallocs;
};

static void *grab(struct cr_engine *e, size_t elem, int *fail)
{
    if (*fail)
        return NULL;
    void *p = calloc(e->n ? e->n : 1, elem);
    if (!p || e->nallocs >= (int)(sizeof e->allocs / sizeof e->allocs[0])) {
        free(p);
        *fail = 1;
        return NULL;
    }
    e->allocs[e->nallocs++] = p;
    return p;
}

unsigned long cr_engine_computes(const struct cr_engine *e)
{
    return e->computes;
}

struct cr_date cr_engine_next_day(const struct cr_engine *e)
{
    return e->next;
}

void cr_engine_free(struct cr_engine *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nallocs; i++)
        free(e->allocs[i]);
    for (int d = 0; d < 367; d++)
        free(e->ra[d]);
    free(e);
}

static void reset_year(struct cr_engine *e);
static void reset_snow(struct cr_engine *e);

int cr_engine_new(struct cr_engine **out, const struct cr_engine_opts *o, enum cr_calendar cal,
                  int first_year, int last_year, size_t ncells, const double *lat,
                  struct cr_err *err)
{
    *out = NULL;
    if (last_year < first_year)
        return cr_err_set(err, CR_EUSAGE, "engine: last year %d before first year %d", last_year,
                          first_year);
    if (o->max_missing_fraction < 0 || o->max_missing_fraction > 1)
        return cr_err_set(err, CR_EUSAGE, "engine: max_missing_fraction %g not in [0, 1]",
                          o->max_missing_fraction);
    int missing[CR_IN_COUNT];
    if (cr_engine_missing_inputs(o->indicators, o->have, missing) > 0) {
        static const char *names[CR_IN_COUNT] = {"tasmin", "tasmax", "tas", "pr", "prsn"};
        for (int k = 0; k < CR_IN_COUNT; k++)
            if (missing[k])
                return cr_err_set(err, CR_EUSAGE,
                                  "the requested indicators need %s, which is not among the "
                                  "inputs (give it, or leave out the indicators that need it)",
                                  names[k]);
    }
    struct cr_engine *e = calloc(1, sizeof *e);
    if (!e)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    e->o = *o;
    e->cal = cal;
    e->first_year = first_year;
    e->last_year = last_year;
    e->n = ncells;
    e->next = (struct cr_date){first_year, 1, 1};
    unsigned long c = o->indicators & (BIT(CR_IND_COUNT) - 1);
    int have_tg = o->have[CR_IN_TG] || (o->have[CR_IN_TN] && o->have[CR_IN_TX]);
    if (have_tg)
        c |= BIT(CR_IND_TG_MEAN); /* for the France-mean temperature */
    e->computes = c;
    if ((c & (BIT(CR_IND_HUGLIN) | BIT(CR_IND_WATER_DEFICIT))) && !lat) {
        free(e);
        return cr_err_set(err, CR_EUSAGE, "huglin and water_deficit need the cells' latitude");
    }
    e->g_tx = !!(c & (BIT(CR_IND_TXX) | BIT(CR_IND_SU) | BIT(CR_IND_TX35)));
    e->g_tn =
        !!(c & (BIT(CR_IND_TR) | BIT(CR_IND_FD) | BIT(CR_IND_CNI) | BIT(CR_IND_SPRING_FROST)));
    e->g_gsl = !!(c & BIT(CR_IND_GSL));
    e->g_tsum = !!(c & BIT(CR_IND_TSUM200));
    e->g_hug = !!(c & BIT(CR_IND_HUGLIN));
    e->g_wink = !!(c & BIT(CR_IND_WINKLER));
    e->g_cni = !!(c & BIT(CR_IND_CNI));
    e->g_sf = !!(c & BIT(CR_IND_SPRING_FROST));
    e->g_wd = !!(c & BIT(CR_IND_WATER_DEFICIT));
    e->g_tg = !!(c & (BIT(CR_IND_TG_MEAN) | BIT(CR_IND_GDD5))) || e->g_gsl || e->g_tsum ||
              e->g_hug || e->g_wink;
    e->g_rx5 = !!(c & BIT(CR_IND_RX5DAY));
    e->g_cdd = !!(c & BIT(CR_IND_CDD));
    e->g_pr = !!(c & (BIT(CR_IND_RX1DAY) | BIT(CR_IND_R20MM) | BIT(CR_IND_PRCPTOT))) || e->g_rx5 ||
              e->g_cdd;
    e->g_ps = !!(c & BIT(CR_IND_PRSN_TOTAL));
    e->g_snow = !!(c & (BIT(CR_IND_SNOW_DAYS) | BIT(CR_IND_SWE_MAX)));

    int fail = 0;
    if (e->g_tn) {
        e->tn_miss = grab(e, 4, &fail);
        e->tr = grab(e, 4, &fail);
        e->fd = grab(e, 4, &fail);
        e->cni_miss = grab(e, 4, &fail);
        e->cni_sum = grab(e, 8, &fail);
        e->sf = grab(e, 4, &fail);
        e->sf_miss = grab(e, 4, &fail);
    }
    if (e->g_tx) {
        e->tx_miss = grab(e, 4, &fail);
        e->su = grab(e, 4, &fail);
        e->tx35 = grab(e, 4, &fail);
        e->txx = grab(e, 4, &fail);
    }
    if (e->g_tg || e->g_wd || e->g_snow || e->g_ps) {
        e->tg_miss = grab(e, 4, &fail);
        e->tg_sum = grab(e, 8, &fail);
        e->gdd5 = grab(e, 8, &fail);
        e->tsum = grab(e, 8, &fail);
        e->tsum_doy = grab(e, 2, &fail);
        e->gsl_start = grab(e, 2, &fail);
        e->gsl_end = grab(e, 2, &fail);
        e->gsl_run = grab(e, 1, &fail);
        e->hug_miss = grab(e, 4, &fail);
        e->hug_sum = grab(e, 8, &fail);
        e->hug_k = grab(e, 4, &fail);
        e->wink_miss = grab(e, 4, &fail);
        e->wink_sum = grab(e, 8, &fail);
        e->tgbuf = grab(e, 4, &fail);
    }
    if (e->g_wd) {
        e->wd_miss = grab(e, 4, &fail);
        e->wd_sum = grab(e, 8, &fail);
    }
    if (e->g_hug || e->g_wd) {
        e->sinlat = grab(e, 8, &fail);
        e->coslat = grab(e, 8, &fail);
        e->tanlat = grab(e, 8, &fail);
    }
    if (e->g_pr) {
        e->pr_miss = grab(e, 4, &fail);
        e->r20 = grab(e, 4, &fail);
        e->rx1 = grab(e, 4, &fail);
        e->rx5 = grab(e, 4, &fail);
        e->prcptot = grab(e, 8, &fail);
        e->cdd_run = grab(e, 4, &fail);
        e->cdd_max = grab(e, 4, &fail);
        for (int k = 0; k < 4; k++)
            e->ring[k] = grab(e, 4, &fail);
    }
    if (e->g_ps || e->g_snow) {
        e->ps_miss = grab(e, 4, &fail);
        e->ps_sum = grab(e, 8, &fail);
        e->snow_miss = grab(e, 4, &fail);
        e->snow_days = grab(e, 4, &fail);
        e->swe = grab(e, 4, &fail);
        e->swe_max = grab(e, 4, &fail);
        e->psbuf = grab(e, 4, &fail);
    }
    e->nanbuf = grab(e, 4, &fail);
    e->out = grab(e, 4, &fail);
    e->outfull = grab(e, 4, &fail);
    e->perm = grab(e, sizeof(size_t), &fail);
    e->inactive = grab(e, sizeof(size_t), &fail);
    e->seen = grab(e, 1, &fail);
    e->run_src = grab(e, sizeof(size_t), &fail);
    e->run_dst = grab(e, sizeof(size_t), &fail);
    e->run_len = grab(e, sizeof(size_t), &fail);
    for (int k = 0; k < CR_IN_COUNT; k++)
        if (o->have[k])
            e->gin[k] = grab(e, 4, &fail);
    if (e->g_wd)
        e->rabuf = grab(e, 4, &fail);
    if (e->g_hug || e->g_wd)
        e->lat = grab(e, 8, &fail);
    if (fail) {
        cr_engine_free(e);
        return cr_err_set(err, CR_EINTERNAL, "out of memory for the indicator state of %zu cells",
                          ncells);
    }
    for (size_t i = 0; i < ncells; i++) {
        e->nanbuf[i] = NAN;
        e->outfull[i] = NAN;
        e->inactive[i] = i;
    }
    e->ninactive = ncells;
    e->na = 0;
    if (e->g_hug || e->g_wd) {
        for (size_t i = 0; i < ncells; i++) {
            double phi = lat[i] * 3.14159265358979323846 / 180.0;
            e->lat[i] = lat[i];
            e->sinlat[i] = sin(phi);
            e->coslat[i] = cos(phi);
            e->tanlat[i] = tan(phi);
        }
    }
    if (e->g_pr)
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < ncells; i++)
                e->ring[k][i] = NAN; /* the first 4 days of a series have no 5-day window */
    e->year = first_year;
    reset_year(e);
    reset_snow(e);
    e->snow_open = 0;
    *out = e;
    return CR_OK;
}

static void fill_f(float *p, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = v;
}

static void reset_year(struct cr_engine *e)
{
    size_t n = e->n;
    e->nd_year = e->nd_aprsep = e->nd_aproct = e->nd_sep = e->nd_aprmay = e->nd_junaug = 0;
    if (e->g_tn) {
        memset(e->tn_miss, 0, n * 4);
        memset(e->tr, 0, n * 4);
        memset(e->fd, 0, n * 4);
        memset(e->cni_miss, 0, n * 4);
        memset(e->cni_sum, 0, n * 8);
        memset(e->sf, 0, n * 4);
        memset(e->sf_miss, 0, n * 4);
    }
    if (e->g_tx) {
        memset(e->tx_miss, 0, n * 4);
        memset(e->su, 0, n * 4);
        memset(e->tx35, 0, n * 4);
        fill_f(e->txx, n, -INFINITY);
    }
    if (e->tg_miss) {
        memset(e->tg_miss, 0, n * 4);
        memset(e->tg_sum, 0, n * 8);
        memset(e->gdd5, 0, n * 8);
        memset(e->tsum, 0, n * 8);
        memset(e->tsum_doy, 0, n * 2);
        memset(e->gsl_start, 0, n * 2);
        memset(e->gsl_end, 0, n * 2);
        memset(e->gsl_run, 0, n);
        memset(e->hug_miss, 0, n * 4);
        memset(e->hug_sum, 0, n * 8);
        memset(e->wink_miss, 0, n * 4);
        memset(e->wink_sum, 0, n * 8);
    }
    if (e->g_wd) {
        memset(e->wd_miss, 0, n * 4);
        memset(e->wd_sum, 0, n * 8);
    }
    if (e->g_pr) {
        memset(e->pr_miss, 0, n * 4);
        memset(e->r20, 0, n * 4);
        memset(e->prcptot, 0, n * 8);
        memset(e->cdd_run, 0, n * 4); /* dry spells are cut at 1 January */
        memset(e->cdd_max, 0, n * 4);
        fill_f(e->rx1, n, -INFINITY);
        fill_f(e->rx5, n, -INFINITY);
    }
}

static void reset_snow(struct cr_engine *e)
{
    size_t n = e->n;
    e->nd_snow = 0;
    e->snow_open = 1;
    if (e->ps_miss) {
        memset(e->ps_miss, 0, n * 4);
        memset(e->ps_sum, 0, n * 8);
        memset(e->snow_miss, 0, n * 4);
        memset(e->snow_days, 0, n * 4);
        memset(e->swe, 0, n * 4); /* the snow pack starts empty on 1 August */
        memset(e->swe_max, 0, n * 4);
    }
}

/* Ra of every cell on day-of-year doy (cached: it depends on doy only). */
static const float *ra_of_day(struct cr_engine *e, struct cr_date d, int doy)
{
    if (e->ra[doy])
        return e->ra[doy];
    float *ra = malloc(e->n * sizeof *ra);
    if (!ra)
        return NULL;
    double J = cr_fao56_day(e->cal, d);
    for (size_t i = 0; i < e->n; i++) {
        /* cr_fao56_ra per cell, with the latitude terms precomputed. */
        double x = 2.0 * 3.14159265358979323846 * J / 365.0;
        double dr = 1.0 + 0.033 * cos(x), delta = 0.409 * sin(x - 1.39);
        double c = -e->tanlat[i] * tan(delta);
        double ws = c >= 1.0 ? 0.0 : c <= -1.0 ? 3.14159265358979323846 : acos(c);
        double v = 24.0 * 60.0 / 3.14159265358979323846 * 0.0820 * dr *
                   (ws * e->sinlat[i] * sin(delta) + e->coslat[i] * cos(delta) * sin(ws));
        ra[i] = (float)(v > 0 ? v : 0);
    }
    e->ra[doy] = ra;
    return ra;
}

static inline float nz(float x)
{
    return isnan(x) ? 0.0f : x;
}

/* ---- one day ------------------------------------------------------------ */

static void day_tx(struct cr_engine *e, const float *restrict tx)
{
    size_t n = e->na;
    int32_t *restrict miss = e->tx_miss, *restrict su = e->su, *restrict t35 = e->tx35;
    float *restrict txx = e->txx;
    for (size_t c = 0; c < n; c++) {
        float x = tx[c];
        miss[c] += isnan(x);
        su[c] += x > 25.0f;
        t35[c] += x > 35.0f;
        txx[c] = x > txx[c] ? x : txx[c];
    }
}

static void day_tn(struct cr_engine *e, const float *restrict tn, int in_sep, int in_aprmay)
{
    size_t n = e->na;
    int32_t *restrict miss = e->tn_miss, *restrict tr = e->tr, *restrict fd = e->fd;
    for (size_t c = 0; c < n; c++) {
        float x = tn[c];
        miss[c] += isnan(x);
        tr[c] += x > 20.0f;
        fd[c] += x < 0.0f;
    }
    if (in_sep) {
        int32_t *restrict cm = e->cni_miss;
        double *restrict cs = e->cni_sum;
        for (size_t c = 0; c < n; c++) {
            cm[c] += isnan(tn[c]);
            cs[c] += nz(tn[c]);
        }
    }
    if (in_aprmay) {
        int32_t *restrict sm = e->sf_miss, *restrict sf = e->sf;
        for (size_t c = 0; c < n; c++) {
            sm[c] += isnan(tn[c]);
            sf[c] += tn[c] < 0.0f;
        }
    }
}

static void day_tg(struct cr_engine *e, const float *restrict tg, const float *restrict tx, int doy,
                   int second_half, int in_aprsep, int in_aproct)
{
    size_t n = e->na;
    int32_t *restrict miss = e->tg_miss;
    double *restrict sum = e->tg_sum, *restrict gdd = e->gdd5;
    for (size_t c = 0; c < n; c++) {
        float x = tg[c];
        miss[c] += isnan(x);
        sum[c] += nz(x);
        gdd[c] += x > 5.0f ? x - 5.0f : 0.0f;
    }
    if (e->g_tsum) {
        double *restrict ts = e->tsum;
        int16_t *restrict tdoy = e->tsum_doy;
        for (size_t c = 0; c < n; c++) {
            float x = tg[c];
            ts[c] += x > 0.0f ? x : 0.0f;
            /* first day the sum reaches 200 */
            tdoy[c] = (tdoy[c] == 0 && ts[c] >= 200.0) ? (int16_t)doy : tdoy[c];
        }
    }
    if (e->g_gsl) {
        uint8_t *restrict run = e->gsl_run;
        int16_t *restrict st = e->gsl_start, *restrict en = e->gsl_end;
        if (!second_half) {
            /* ETCCDI/climdex: the first run of 6 days with TG > 5 lying
             * within 1 Jan-30 Jun starts the season. */
            for (size_t c = 0; c < n; c++) {
                int r = tg[c] > 5.0f ? run[c] + 1 : 0;
                run[c] = (uint8_t)(r > 6 ? 6 : r);
                st[c] = (st[c] == 0 && r == 6) ? (int16_t)(doy - 5) : st[c];
            }
        } else {
            /* From 1 July, the first run of 6 days with TG < 5 ends it
             * (the day before the run). */
            for (size_t c = 0; c < n; c++) {
                int r = tg[c] < 5.0f ? run[c] + 1 : 0;
                run[c] = (uint8_t)(r > 6 ? 6 : r);
                en[c] = (en[c] == 0 && r == 6) ? (int16_t)(doy - 5) : en[c];
            }
        }
    }
    if (in_aprsep && e->g_hug) {
        int32_t *restrict hm = e->hug_miss;
        double *restrict hs = e->hug_sum;
        for (size_t c = 0; c < n; c++) {
            float v = (tg[c] + tx[c]) * 0.5f - 10.0f;
            hm[c] += isnan(v);
            hs[c] += v > 0.0f ? v : 0.0f;
        }
    }
    if (in_aproct && e->g_wink) {
        int32_t *restrict wm = e->wink_miss;
        double *restrict ws = e->wink_sum;
        for (size_t c = 0; c < n; c++) {
            float x = tg[c];
            wm[c] += isnan(x);
            ws[c] += x > 10.0f ? x - 10.0f : 0.0f;
        }
    }
}

static void day_wd(struct cr_engine *e, const float *restrict ra, const float *restrict tn,
                   const float *restrict tx, const float *restrict tg, const float *restrict pr)
{
    size_t n = e->na;
    int32_t *restrict wm = e->wd_miss;
    double *restrict ws = e->wd_sum;
    for (size_t c = 0; c < n; c++) {
        float dtr = tx[c] - tn[c];
        float pet = 0.0023f * (ra[c] * 0.4f) * (tg[c] + 17.8f) * sqrtf(dtr > 0.0f ? dtr : 0.0f);
        pet = pet > 0.0f ? pet : 0.0f;
        float v = pet - pr[c];
        /* NaN if any input is: dtr, tg or pr carries it */
        int m = isnan(dtr) | isnan(tg[c]) | isnan(pr[c]);
        wm[c] += m;
        ws[c] += m ? 0.0f : v;
    }
}

static void day_pr(struct cr_engine *e, const float *restrict pr, int slot)
{
    size_t n = e->na;
    int32_t *restrict miss = e->pr_miss, *restrict r20 = e->r20;
    float *restrict rx1 = e->rx1;
    double *restrict tot = e->prcptot;
    for (size_t c = 0; c < n; c++) {
        float x = pr[c];
        miss[c] += isnan(x);
        r20[c] += x >= 20.0f;
        tot[c] += x >= 1.0f ? x : 0.0f;
        rx1[c] = x > rx1[c] ? x : rx1[c];
    }
    if (e->g_rx5) {
        float *restrict r0 = e->ring[0], *restrict r1 = e->ring[1], *restrict r2 = e->ring[2],
                        *restrict r3 = e->ring[3], *restrict rx5 = e->rx5;
        float *restrict mine = e->ring[slot];
        /* The window ending today: NaN (skipped) if any of its days is. */
        for (size_t c = 0; c < n; c++) {
            float s = pr[c] + r0[c] + r1[c] + r2[c] + r3[c];
            rx5[c] = s > rx5[c] ? s : rx5[c];
        }
        for (size_t c = 0; c < n; c++)
            mine[c] = pr[c];
    }
    if (e->g_cdd) {
        int32_t *restrict run = e->cdd_run, *restrict mx = e->cdd_max;
        for (size_t c = 0; c < n; c++) {
            int32_t r = pr[c] < 1.0f ? run[c] + 1 : 0;
            run[c] = r;
            mx[c] = r > mx[c] ? r : mx[c];
        }
    }
}

static void day_snow(struct cr_engine *e, const float *restrict s, const float *restrict tg)
{
    size_t n = e->na;
    float f = (float)e->o.snow_melt_factor, cover = (float)e->o.snow_cover_threshold;
    int32_t *restrict pm = e->ps_miss, *restrict sm = e->snow_miss, *restrict sd = e->snow_days;
    double *restrict ps = e->ps_sum;
    float *restrict swe = e->swe, *restrict smax = e->swe_max;
    for (size_t c = 0; c < n; c++) {
        float x = s[c];
        pm[c] += isnan(x);
        ps[c] += nz(x);
    }
    if (!e->g_snow)
        return;
    for (size_t c = 0; c < n; c++) {
        float x = s[c], t = tg[c];
        int ok = !isnan(x) && !isnan(t);
        float avail = swe[c] + (ok ? x : 0.0f);
        float pot = f * (t > 0.0f ? t : 0.0f);
        float melt = ok ? (pot < avail ? pot : avail) : 0.0f;
        float w = avail - melt;
        swe[c] = w;
        sm[c] += !ok;
        sd[c] += ok && w >= cover;
        smax[c] = w > smax[c] ? w : smax[c];
    }
}

/* ---- closing periods ----------------------------------------------------- */

static int too_many(const struct cr_engine *e, int32_t miss, int expected)
{
    return (double)miss > e->o.max_missing_fraction * expected;
}

/* Scatter the packed values of e->out to the grid (NaN off the active
 * cells) and hand them out. */
static int emit_one(struct cr_engine *e, enum cr_ind id, int year, cr_engine_emit_fn emit,
                    void *user, struct cr_err *err)
{
    if (!emit)
        return CR_OK;
    const size_t *perm = e->perm;
    for (size_t j = 0; j < e->na; j++)
        e->outfull[perm[j]] = e->out[j];
    return emit(user, id, year, e->outfull, err);
}

static int close_year(struct cr_engine *e, cr_engine_emit_fn emit, void *user, struct cr_err *err)
{
    size_t n = e->na;
    float *o = e->out;
    int y = e->year, rc = CR_OK;
    unsigned long c = e->computes;
#define EMIT(id)                                                                                   \
    do {                                                                                           \
        if (rc == CR_OK)                                                                           \
            rc = emit_one(e, id, y, emit, user, err);                                              \
    } while (0)
    if (c & BIT(CR_IND_TG_MEAN)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tg_miss[i], e->nd_year)
                       ? NAN
                       : (float)(e->tg_sum[i] / (e->nd_year - e->tg_miss[i]));
        EMIT(CR_IND_TG_MEAN);
    }
    if (c & BIT(CR_IND_TXX)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tx_miss[i], e->nd_year) || isinf(e->txx[i]) ? NAN : e->txx[i];
        EMIT(CR_IND_TXX);
    }
    if (c & BIT(CR_IND_SU)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tx_miss[i], e->nd_year) ? NAN : (float)e->su[i];
        EMIT(CR_IND_SU);
    }
    if (c & BIT(CR_IND_TX35)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tx_miss[i], e->nd_year) ? NAN : (float)e->tx35[i];
        EMIT(CR_IND_TX35);
    }
    if (c & BIT(CR_IND_TR)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tn_miss[i], e->nd_year) ? NAN : (float)e->tr[i];
        EMIT(CR_IND_TR);
    }
    if (c & BIT(CR_IND_FD)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tn_miss[i], e->nd_year) ? NAN : (float)e->fd[i];
        EMIT(CR_IND_FD);
    }
    if (c & BIT(CR_IND_GSL)) {
        for (size_t i = 0; i < n; i++) {
            int st = e->gsl_start[i], en = e->gsl_end[i];
            float v = st == 0 ? 0.0f : en == 0 ? (float)(e->nd_year - st + 1) : (float)(en - st);
            o[i] = too_many(e, e->tg_miss[i], e->nd_year) ? NAN : v;
        }
        EMIT(CR_IND_GSL);
    }
    if (c & BIT(CR_IND_HUGLIN)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->hug_miss[i], e->nd_aprsep) ? NAN
                                                             : (float)(e->hug_sum[i] * e->hug_k[i]);
        EMIT(CR_IND_HUGLIN);
    }
    if (c & BIT(CR_IND_WINKLER)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->wink_miss[i], e->nd_aproct) ? NAN : (float)e->wink_sum[i];
        EMIT(CR_IND_WINKLER);
    }
    if (c & BIT(CR_IND_CNI)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->cni_miss[i], e->nd_sep)
                       ? NAN
                       : (float)(e->cni_sum[i] / (e->nd_sep - e->cni_miss[i]));
        EMIT(CR_IND_CNI);
    }
    if (c & BIT(CR_IND_SPRING_FROST)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->sf_miss[i], e->nd_aprmay) ? NAN : (float)e->sf[i];
        EMIT(CR_IND_SPRING_FROST);
    }
    if (c & BIT(CR_IND_GDD5)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tg_miss[i], e->nd_year) ? NAN : (float)e->gdd5[i];
        EMIT(CR_IND_GDD5);
    }
    if (c & BIT(CR_IND_TSUM200)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->tg_miss[i], e->nd_year) || e->tsum_doy[i] == 0
                       ? NAN
                       : (float)e->tsum_doy[i];
        EMIT(CR_IND_TSUM200);
    }
    if (c & BIT(CR_IND_WATER_DEFICIT)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->wd_miss[i], e->nd_junaug) ? NAN : (float)e->wd_sum[i];
        EMIT(CR_IND_WATER_DEFICIT);
    }
    if (c & BIT(CR_IND_RX1DAY)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->pr_miss[i], e->nd_year) || isinf(e->rx1[i]) ? NAN : e->rx1[i];
        EMIT(CR_IND_RX1DAY);
    }
    if (c & BIT(CR_IND_RX5DAY)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->pr_miss[i], e->nd_year) || isinf(e->rx5[i]) ? NAN : e->rx5[i];
        EMIT(CR_IND_RX5DAY);
    }
    if (c & BIT(CR_IND_R20MM)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->pr_miss[i], e->nd_year) ? NAN : (float)e->r20[i];
        EMIT(CR_IND_R20MM);
    }
    if (c & BIT(CR_IND_PRCPTOT)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->pr_miss[i], e->nd_year) ? NAN : (float)e->prcptot[i];
        EMIT(CR_IND_PRCPTOT);
    }
    if (c & BIT(CR_IND_CDD)) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->pr_miss[i], e->nd_year) ? NAN : (float)e->cdd_max[i];
        EMIT(CR_IND_CDD);
    }
#undef EMIT
    return rc;
}

static int close_snow(struct cr_engine *e, cr_engine_emit_fn emit, void *user, struct cr_err *err)
{
    size_t n = e->na;
    float *o = e->out;
    int rc = CR_OK, y = e->snow_year, nd = e->nd_snow;
    unsigned long c = e->computes;
    /* Only years of the output's year axis are emitted (the snow year
     * before the first calendar year is incomplete by construction). */
    if (y < e->first_year || y > e->last_year)
        return CR_OK;
    if ((c & BIT(CR_IND_PRSN_TOTAL)) && rc == CR_OK) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->ps_miss[i], nd) ? NAN : (float)e->ps_sum[i];
        rc = emit_one(e, CR_IND_PRSN_TOTAL, y, emit, user, err);
    }
    if ((c & BIT(CR_IND_SNOW_DAYS)) && rc == CR_OK) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->snow_miss[i], nd) ? NAN : (float)e->snow_days[i];
        rc = emit_one(e, CR_IND_SNOW_DAYS, y, emit, user, err);
    }
    if ((c & BIT(CR_IND_SWE_MAX)) && rc == CR_OK) {
        for (size_t i = 0; i < n; i++)
            o[i] = too_many(e, e->snow_miss[i], nd) ? NAN : e->swe_max[i];
        rc = emit_one(e, CR_IND_SWE_MAX, y, emit, user, err);
    }
    return rc;
}

/* ---- feeding ------------------------------------------------------------- */

/* A cell gets its first value today: give it a packed slot whose
 * counters say that every earlier day of the open periods was missing. */
static void activate(struct cr_engine *e, size_t cell)
{
    size_t j = e->na++;
    e->perm[j] = cell;
    if (e->tn_miss) {
        e->tn_miss[j] = e->nd_year;
        e->cni_miss[j] = e->nd_sep;
        e->sf_miss[j] = e->nd_aprmay;
    }
    if (e->tx_miss)
        e->tx_miss[j] = e->nd_year;
    if (e->tg_miss) {
        e->tg_miss[j] = e->nd_year;
        e->hug_miss[j] = e->nd_aprsep;
        e->wink_miss[j] = e->nd_aproct;
        if (e->lat) {
            /* Huglin (1978) latitude coefficient, xclim "smoothed" form,
             * clamped at 50 degrees instead of NaN. */
            double f = (fabs(e->lat[cell]) - 40.0) / 10.0;
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            e->hug_k[j] = (float)(1.0 + 0.06 * f);
        }
    }
    if (e->wd_miss)
        e->wd_miss[j] = e->nd_junaug;
    if (e->pr_miss) {
        e->pr_miss[j] = e->nd_year;
        for (int k = 0; k < 4; k++)
            e->ring[k][j] = NAN;
    }
    if (e->ps_miss) {
        e->ps_miss[j] = e->nd_snow;
        e->snow_miss[j] = e->nd_snow;
    }
}

static int one_day(struct cr_engine *e, struct cr_date d, const float *const full[CR_IN_COUNT],
                   cr_engine_emit_fn emit, void *user, struct cr_err *err)
{
    int m = d.month;
    int doy = cr_cal_doy(e->cal, d);
    int last_of_month = d.day == cr_cal_days_in_month(e->cal, d.year, m);
    int in_aprsep = m >= 4 && m <= 9, in_aproct = m >= 4 && m <= 10, in_sep = m == 9,
        in_aprmay = m == 4 || m == 5, in_junaug = m >= 6 && m <= 8, second_half = m >= 7;

    if (m == 8 && d.day == 1) {
        reset_snow(e);
        e->snow_year = d.year;
    }
    if (m == 7 && d.day == 1 && e->g_gsl)
        memset(e->gsl_run, 0, e->n); /* the end spell is searched from 1 July */

    /* Cells with a first value today join the active set: a contiguous
     * (vectorised) pass marks the cells with a value, then the inactive
     * list is checked against the marks. */
    if (e->ninactive) {
        uint8_t *restrict seen = e->seen;
        size_t ncell = e->n;
        memset(seen, 0, ncell);
        for (int k = 0; k < CR_IN_COUNT; k++) {
            if (!full[k])
                continue;
            const float *restrict f = full[k];
            for (size_t c = 0; c < ncell; c++)
                seen[c] |= (uint8_t)(f[c] == f[c]);
        }
        size_t w = 0, before = e->na;
        for (size_t i = 0; i < e->ninactive; i++) {
            size_t c = e->inactive[i];
            if (seen[c])
                activate(e, c);
            else
                e->inactive[w++] = c;
        }
        e->ninactive = w;
        if (e->na != before) {
            /* the packed order as runs of consecutive grid cells, so the
             * daily gather is a few hundred memcpy */
            e->nruns = 0;
            for (size_t j = 0; j < e->na; j++) {
                if (e->nruns && e->perm[j] == e->perm[j - 1] + 1) {
                    e->run_len[e->nruns - 1]++;
                    continue;
                }
                e->run_src[e->nruns] = e->perm[j];
                e->run_dst[e->nruns] = j;
                e->run_len[e->nruns] = 1;
                e->nruns++;
            }
        }
    }
    e->nd_year++;
    e->nd_aprsep += in_aprsep;
    e->nd_aproct += in_aproct;
    e->nd_sep += in_sep;
    e->nd_aprmay += in_aprmay;
    e->nd_junaug += in_junaug;
    e->nd_snow++;

    size_t n = e->na;
    const size_t *perm = e->perm;
    const float *in[CR_IN_COUNT] = {NULL};
    for (int k = 0; k < CR_IN_COUNT; k++) {
        if (!full[k])
            continue;
        float *g = e->gin[k];
        const float *f = full[k];
        for (size_t r = 0; r < e->nruns; r++)
            memcpy(g + e->run_dst[r], f + e->run_src[r], e->run_len[r] * sizeof *g);
        in[k] = g;
    }
    const float *tn = in[CR_IN_TN], *tx = in[CR_IN_TX], *tg = in[CR_IN_TG], *pr = in[CR_IN_PR],
                *ps = in[CR_IN_PS];

    /* TG falls back on (TN + TX) / 2. */
    if (e->tgbuf && !tg && tn && tx) {
        for (size_t c = 0; c < n; c++)
            e->tgbuf[c] = (tn[c] + tx[c]) * 0.5f;
        tg = e->tgbuf;
    }
    if (e->g_tx)
        day_tx(e, tx);
    if (e->g_tn)
        day_tn(e, tn, in_sep, in_aprmay);
    if (e->g_tg)
        day_tg(e, tg, tx, doy, second_half, in_aprsep, in_aproct);
    if (e->g_wd && in_junaug) {
        const float *ra = ra_of_day(e, d, doy);
        if (!ra)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        for (size_t j = 0; j < n; j++)
            e->rabuf[j] = ra[perm[j]];
        day_wd(e, e->rabuf, tn, tx, tg, pr);
    }
    if (e->g_pr)
        day_pr(e, pr, (int)(e->fed % 4));
    if ((e->g_ps || e->g_snow) && e->snow_open) {
        const float *s = ps;
        if (!s) {
            /* No prsn: precipitation on days with TG <= threshold is snow. */
            float thr = (float)e->o.snow_rain_temperature;
            for (size_t c = 0; c < n; c++)
                e->psbuf[c] = tg[c] <= thr ? pr[c] : (isnan(tg[c]) ? NAN : 0.0f * pr[c]);
            s = e->psbuf;
        }
        day_snow(e, s, tg);
    }
    e->fed++;

    int rc = CR_OK;
    if (m == 7 && last_of_month && e->snow_open) {
        rc = close_snow(e, emit, user, err);
        e->snow_open = 0;
    }
    if (rc == CR_OK && m == 12 && last_of_month) {
        rc = close_year(e, emit, user, err);
        e->year = d.year + 1;
        reset_year(e);
    }
    return rc;
}

int cr_engine_feed(struct cr_engine *e, struct cr_date start, size_t ndays,
                   const float *const in[CR_IN_COUNT], cr_engine_emit_fn emit, void *user,
                   struct cr_err *err)
{
    if (e->done)
        return cr_err_set(err, CR_EINTERNAL, "engine: fed after finish");
    if (start.year != e->next.year || start.month != e->next.month || start.day != e->next.day)
        return cr_err_set(err, CR_EINTERNAL,
                          "engine: expected the block to start on %04d-%02d-%02d, got "
                          "%04d-%02d-%02d",
                          e->next.year, e->next.month, e->next.day, start.year, start.month,
                          start.day);
    for (int k = 0; k < CR_IN_COUNT; k++)
        if (e->o.have[k] && !in[k])
            return cr_err_set(err, CR_EINTERNAL, "engine: input %d declared but not fed", k);
    size_t n = e->n;
    struct cr_date d = start;
    for (size_t i = 0; i < ndays; i++) {
        if (d.year > e->last_year)
            return cr_err_set(err, CR_EINTERNAL, "engine: day %04d-%02d-%02d after the last year",
                              d.year, d.month, d.day);
        const float *p[CR_IN_COUNT];
        for (int k = 0; k < CR_IN_COUNT; k++)
            p[k] = e->o.have[k] ? in[k] + i * n : NULL;
        int rc = one_day(e, d, p, emit, user, err);
        if (rc)
            return rc;
        d = cr_cal_add_days(e->cal, d, 1);
    }
    e->next = d;
    return CR_OK;
}

int cr_engine_finish(struct cr_engine *e, cr_engine_emit_fn emit, void *user, struct cr_err *err)
{
    if (e->done)
        return CR_OK;
    const float *nan = e->nanbuf;
    while (e->next.year <= e->last_year) {
        const float *p[CR_IN_COUNT];
        for (int k = 0; k < CR_IN_COUNT; k++)
            p[k] = e->o.have[k] ? nan : NULL;
        int rc = one_day(e, e->next, p, emit, user, err);
        if (rc)
            return rc;
        e->next = cr_cal_add_days(e->cal, e->next, 1);
    }
    e->done = 1;
    if (e->snow_open) {
        /* The last snow year runs past the data: its remaining days are
         * missing. */
        struct cr_date a = {e->snow_year, 8, 1}, b = {e->snow_year + 1, 8, 1};
        int expected = (int)(cr_cal_day_number(e->cal, b) - cr_cal_day_number(e->cal, a));
        int extra = expected - e->nd_snow;
        if (e->ps_miss)
            for (size_t i = 0; i < e->na; i++) {
                e->ps_miss[i] += extra;
                e->snow_miss[i] += extra;
            }
        e->nd_snow = expected;
        int rc = close_snow(e, emit, user, err);
        e->snow_open = 0;
        if (rc)
            return rc;
    }
    return CR_OK;
}
