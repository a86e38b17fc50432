/* synth.c — generator of realistic DRIAS-format daily projections.
 *
 * How the climate is made (all per land cell of the SAFRAN grid):
 *
 *   TG = T0(lat, lon, altitude) - A cos(2 pi (doy - 20) / L)   seasonal cycle
 *        + model bias + dT(scenario, year, season) * sensitivity
 *        + sd(season) * a                                      weather
 *   TN = TG - DTR/2, TX = TG + DTR/2, DTR >= 0.8 degC
 *
 * where `a` is a large-scale anomaly field (AR(1) in time on a coarse node
 * grid, bilinearly interpolated, so neighbouring cells and consecutive days
 * are correlated). Precipitation uses a finer latent Gaussian field z: a
 * cell is wet when z exceeds the quantile of its monthly wet-day
 * probability, and the amount is a skewed variate (Weibull body, exponential
 * tail) drawn from the same z, so storms are spatially coherent. Heavier tails in the
 * Cévennes and mountains, summer drying and winter wetting that grow with
 * warming, extremes +6 % per degC. Snowfall is the part of precipitation
 * falling with TG below ~1.5 degC (so prsn <= pr by construction).
 *
 * Values are written as DRIAS does: K and kg m-2 s-1, float32, one full map
 * per chunk, deflate, _FillValue 1e20 outside the 8981 land cells.
 * Parallelism is across runs (model x scenario), in worker processes: the
 * netCDF/HDF5 libraries of Debian are not thread-safe. */
#include "synth.h"

#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/stop.h"
#include "grid.h"
#include "h5chunk.h"

#define FILL_VALUE 1.0e20f
#define BLOCK_DAYS 30
#define NVARS      5

enum var_id { V_TASMIN, V_TASMAX, V_TAS, V_PR, V_PRSN };

static const struct var_meta {
    const char *name;
    const char *standard_name;
    const char *long_name;
    const char *units;
    const char *cell_methods;
} var_meta[NVARS] = {
    {"tasminAdjust", "air_temperature", "Bias-adjusted daily minimum near-surface air temperature",
     "K", "time: minimum"},
    {"tasmaxAdjust", "air_temperature", "Bias-adjusted daily maximum near-surface air temperature",
     "K", "time: maximum"},
    {"tasAdjust", "air_temperature", "Bias-adjusted daily mean near-surface air temperature", "K",
     "time: mean"},
    {"prtotAdjust", "precipitation_flux", "Bias-adjusted total precipitation (rain and snow)",
     "kg m-2 s-1", "time: mean"},
    {"prsnAdjust", "snowfall_flux", "Bias-adjusted snowfall", "kg m-2 s-1", "time: mean"},
};

static const struct experiment {
    const char *id;
    const char *drias; /* portal spelling in file names */
    /* France-mean warming (degC) against 1976-2005 at the years below. */
    double dT[7];
} experiments[] = {
    /*                        1950   1990  2005  2035  2055  2085  2100 */
    {"historical", "Historical", {-0.35, 0.0, 0.45, 0.45, 0.45, 0.45, 0.45}},
    {"rcp26", "rcp2.6", {-0.35, 0.0, 0.45, 1.05, 1.20, 1.20, 1.15}},
    {"rcp45", "rcp4.5", {-0.35, 0.0, 0.45, 1.20, 1.75, 2.30, 2.45}},
    {"rcp85", "rcp8.5", {-0.35, 0.0, 0.45, 1.40, 2.30, 3.90, 4.60}},
};
static const int traj_years[7] = {1950, 1990, 2005, 2035, 2055, 2085, 2100};
#define NEXPERIMENTS (sizeof experiments / sizeof experiments[0])

const char *cr_synth_drias_experiment(const char *scenario)
{
    for (size_t e = 0; e < NEXPERIMENTS; e++)
        if (strcmp(experiments[e].id, scenario) == 0)
            return experiments[e].drias;
    return NULL;
}

static const struct experiment *find_experiment(const char *id)
{
    for (size_t e = 0; e < NEXPERIMENTS; e++)
        if (strcmp(experiments[e].id, id) == 0)
            return &experiments[e];
    return NULL;
}

static int var_index(const char *name)
{
    for (int v = 0; v < NVARS; v++)
        if (strcmp(var_meta[v].name, name) == 0)
            return v;
    return -1;
}

/* Split "GCM_RCM" at its single underscore. */
static int split_model(const char *model, char *gcm, size_t gsize, char *rcm, size_t rsize)
{
    const char *us = strchr(model, '_');
    if (!us || us == model || !us[1] || strchr(us + 1, '_'))
        return -1;
    size_t n = (size_t)(us - model);
    if (n >= gsize || strlen(us + 1) >= rsize)
        return -1;
    memcpy(gcm, model, n);
    gcm[n] = '\0';
    strcpy(rcm, us + 1);
    return 0;
}

int cr_synth_file_name(char *out, size_t size, const char *variable, const char *model,
                       const char *scenario, struct cr_date first, struct cr_date last)
{
    char gcm[128], rcm[128];
    const char *exp = cr_synth_drias_experiment(scenario);
    if (split_model(model, gcm, sizeof gcm, rcm, sizeof rcm) != 0 || !exp)
        return -1;
    int n = snprintf(out, size,
                     "%s_France_%s_%s_%s_METEO-FRANCE_ADAMONT-France_SAFRAN_day_%04d%02d%02d-"
                     "%04d%02d%02d.nc",
                     variable, gcm, rcm, exp, first.year, first.month, first.day, last.year,
                     last.month, last.day);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int cr_synth_validate(const struct cr_synth_opts *o, struct cr_err *err)
{
    if (o->models.n == 0 || o->scenarios.n == 0 || o->variables.n == 0)
        return cr_err_set(err, CR_EUSAGE, "at least one model, scenario and variable is needed");
    for (size_t m = 0; m < o->models.n; m++) {
        char gcm[128], rcm[128];
        if (split_model(o->models.items[m], gcm, sizeof gcm, rcm, sizeof rcm) != 0)
            return cr_err_set(err, CR_EUSAGE,
                              "model '%s' is not GCM_RCM (e.g. "
                              "CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63: one underscore)",
                              o->models.items[m]);
    }
    for (size_t s = 0; s < o->scenarios.n; s++)
        if (!find_experiment(o->scenarios.items[s]))
            return cr_err_set(err, CR_EUSAGE,
                              "unknown scenario '%s' (use historical, rcp26, rcp45, rcp85)",
                              o->scenarios.items[s]);
    for (size_t v = 0; v < o->variables.n; v++)
        if (var_index(o->variables.items[v]) < 0)
            return cr_err_set(err, CR_EUSAGE,
                              "unknown variable '%s' (use tasminAdjust, tasmaxAdjust, tasAdjust, "
                              "prtotAdjust, prsnAdjust)",
                              o->variables.items[v]);
    if (o->hist_first < 1850 || o->hist_last > 2100 || o->hist_first > o->hist_last ||
        o->scen_first < 1850 || o->scen_last > 2300 || o->scen_first > o->scen_last)
        return cr_err_set(err, CR_EUSAGE, "year ranges must be increasing, within 1850-2300");
    if (o->deflate < 0 || o->deflate > 9)
        return cr_err_set(err, CR_EUSAGE, "deflate level must be 0..9");
    if (o->jobs < 1)
        return cr_err_set(err, CR_EUSAGE, "jobs must be at least 1");
    if (o->years_per_file < 0)
        return cr_err_set(err, CR_EUSAGE, "years per file must be 0 (one file) or more");
    return CR_OK;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---------------- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    if (h == 0)
        h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double rng_uniform(struct rng *r) /* (0, 1) */
{
    return ((double)(rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double rng_normal(struct rng *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Inverse of the standard normal CDF (Acklam's rational approximation,
 * relative error < 1.2e-9). */
static double normal_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p <= 0)
        return -1e9;
    if (p >= 1)
        return 1e9;
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
        double q = sqrt(-2 * log(1 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* Per-cell noise, where millions of normal variates are needed a day:
 * the normal quantiles of 65536 equiprobable bins, indexed by 16 random
 * bits, so one 64-bit draw gives four variates (tails cut at 4.2 sd). */
#define NORMAL_BINS 65536

/* log P(Z > z) for a standard normal Z, sampled every 1/128 on [-2, 8] and
 * read by linear interpolation, in place of an erfc and a log per wet
 * cell-day. The function is concave, so the interpolation stays below it,
 * by less than 1e-5; it is decreasing, so an amount's e (see generate_day)
 * is never negative. Wet days have z above a threshold >= -1.29, and from
 * z = 8 on, e is at its cap whatever the threshold. */
#define TAIL_Z0   (-2.0)
#define TAIL_STEP 128
#define TAIL_N    (10 * TAIL_STEP + 1)

/* Tables shared, read-only, by every run. */
struct noise_tables {
    float normal[NORMAL_BINS]; /* normal quantiles of equiprobable bins */
    float log_tail[TAIL_N];    /* log P(Z > z), see TAIL_Z0 */
};

static void noise_tables_init(struct noise_tables *t)
{
    for (int b = 0; b < NORMAL_BINS; b++)
        t->normal[b] = (float)normal_quantile((b + 0.5) / NORMAL_BINS);
    for (int k = 0; k < TAIL_N; k++)
        t->log_tail[k] = (float)log(0.5 * erfc((TAIL_Z0 + (double)k / TAIL_STEP) / M_SQRT2));
}

static inline float log_tail_at(const float *table, float z)
{
    float x = (z - (float)TAIL_Z0) * TAIL_STEP;
    x = x < 0 ? 0 : x > TAIL_N - 1.001f ? TAIL_N - 1.001f : x;
    int k = (int)x;
    return table[k] + (x - (float)k) * (table[k + 1] - table[k]);
}

/* ---- smooth random fields --------------------------------------------- */

/* An AR(1)-in-time Gaussian field on a coarse node grid; cells read it by
 * bilinear interpolation, renormalised so every cell sees unit variance.
 * A cell's weights depend only on its position within its node square
 * (its slot), so cells carry a node index and a slot, not four weights. */
struct field {
    int spacing; /* in grid cells */
    int nnx, nny;
    double phi;         /* lag-1 autocorrelation, daily */
    double *nodes;      /* the AR(1) state, nnx * nny */
    float *now;         /* today's nodes, as the cells read them */
    int32_t *base;      /* per land cell: its lower-left node */
    uint16_t *slot;     /* per land cell: (j % spacing) * spacing + i % spacing */
    float (*weight)[4]; /* per slot, divided by the interpolated value's sd */
};

static int field_init(struct field *f, int spacing, double phi, struct rng *r)
{
    f->spacing = spacing;
    f->phi = phi;
    f->nnx = CR_SAFRAN_NX / spacing + 2;
    f->nny = CR_SAFRAN_NY / spacing + 2;
    size_t nodes = (size_t)(f->nnx * f->nny);
    f->nodes = malloc(sizeof *f->nodes * nodes);
    f->now = malloc(sizeof *f->now * nodes);
    f->base = malloc(sizeof *f->base * CR_SAFRAN_NLAND);
    f->slot = malloc(sizeof *f->slot * CR_SAFRAN_NLAND);
    f->weight = malloc(sizeof *f->weight * (size_t)(spacing * spacing));
    if (!f->nodes || !f->now || !f->base || !f->slot || !f->weight)
        return -1;
    for (size_t k = 0; k < nodes; k++) {
        f->nodes[k] = rng_normal(r);
        f->now[k] = (float)f->nodes[k];
    }
    for (int sy = 0; sy < spacing; sy++)
        for (int sx = 0; sx < spacing; sx++) {
            double wx = (double)sx / spacing, wy = (double)sy / spacing;
            double w[4] = {(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy};
            double norm = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2] + w[3] * w[3]);
            for (int k = 0; k < 4; k++)
                f->weight[sy * spacing + sx][k] = (float)(w[k] / norm);
        }
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cr_safran_point *pt = &cr_safran_grid_points[p];
        f->base[p] = (pt->j / spacing) * f->nnx + pt->i / spacing;
        f->slot[p] = (uint16_t)((pt->j % spacing) * spacing + pt->i % spacing);
    }
    return 0;
}

static void field_step(struct field *f, struct rng *r, const float *normal)
{
    double innov = sqrt(1 - f->phi * f->phi);
    uint64_t bits = 0;
    for (int k = 0; k < f->nnx * f->nny; k++) {
        if (k % 4 == 0)
            bits = rng_next(r);
        f->nodes[k] = f->phi * f->nodes[k] + innov * normal[bits & 0xffff];
        f->now[k] = (float)f->nodes[k];
        bits >>= 16;
    }
}

static inline float field_at(const struct field *f, int p)
{
    const float *w = f->weight[f->slot[p]], *n = f->now + f->base[p];
    return w[0] * n[0] + w[1] * n[1] + w[2] * n[f->nnx] + w[3] * n[f->nnx + 1];
}

static void field_free(struct field *f)
{
    free(f->nodes);
    free(f->now);
    free(f->base);
    free(f->slot);
    free(f->weight);
}

/* ---- climatology of a land cell --------------------------------------- */

struct cell_clim {
    float t0;         /* annual mean TG, degC */
    float amp;        /* half range of the seasonal cycle */
    float dtr;        /* mean diurnal range */
    float dtr_amp;    /* its seasonal half range (larger in summer) */
    float shape;      /* shape of wet-day amounts (< 1: skewed; smaller = heavier) */
    float summer_dry; /* share of the summer drying this cell gets */
    float pwet[12];   /* wet-day probability per month */
    float scale[12];  /* scale of wet-day amounts, mm/day */
};

/* Wet-day amount in units of the cell's scale, from e = -ln(u) with u
 * uniform: a stretched exponential (Weibull, shape k < 1: many small and a
 * few large amounts) below e = 1, continued linearly (an exponential tail,
 * as a gamma distribution has) above, so that the maxima over millions of
 * cell-days stay within observed French records instead of exploding. */
static inline float wet_amount_unit(float e, float inv_k)
{
    return e <= 1 ? powf(e, inv_k) : 1 + (e - 1) * inv_k;
}

/* Mean of wet_amount_unit for e ~ Exp(1), in closed form: the body
 * integrates to the lower incomplete gamma function g(1 + 1/k, 1), whose
 * series sum_n 1 / (s (s+1) ... (s+n)) times e^-1 converges in a few
 * terms; the linear tail integrates to e^-1 (1 + 1/k). */
static double wet_amount_mean(double k)
{
    double s = 1 + 1 / k, term = 1 / s, sum = term;
    for (int n = 1; term > 1e-17 * sum; n++) {
        term /= s + n;
        sum += term;
    }
    return exp(-1.0) * (sum + s);
}

static double gauss2(double lon, double lat, double lon0, double lat0, double r)
{
    double dx = (lon - lon0) * cos(lat0 * M_PI / 180), dy = lat - lat0;
    return exp(-(dx * dx + dy * dy) / (2 * r * r));
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void make_climatology(struct cell_clim *c, const struct cr_safran_point *pt)
{
    double lon = pt->lon, lat = pt->lat, alt = pt->altitude;
    double med = gauss2(lon, lat, 4.5, 43.3, 1.3) + gauss2(lon, lat, 9.1, 42.2, 0.8);
    double atlantic = clampd((-0.5 - lon) / 4.0, 0, 1);
    double continental = clampd((lon - 2.0) / 5.0, 0, 1);
    double mountain = clampd((alt - 600) / 1500, 0, 1);
    double cevennes = gauss2(lon, lat, 3.9, 44.3, 0.45);
    double pyrenees_w = gauss2(lon, lat, -1.0, 43.2, 0.7);

    c->t0 = (float)(12.2 - 0.62 * (lat - 48.0) - 0.0060 * alt + 1.3 * med - 0.4 * continental);
    c->amp = (float)(7.6 + 2.2 * continental - 1.8 * atlantic - 0.8 * mountain + 0.5 * med);
    c->dtr = (float)(9.2 + 1.5 * continental - 1.5 * atlantic + 1.0 * med - 0.8 * mountain);
    c->dtr_amp = (float)(2.6 + 0.6 * continental);

    double annual_mm =
        650 + 0.55 * alt + 450 * atlantic + 350 * pyrenees_w + 700 * cevennes - 80 * med;
    double pwet_base = 0.33 + 0.15 * atlantic - 0.12 * med + 0.10 * mountain;
    c->shape = (float)(0.80 - 0.12 * cevennes - 0.06 * med - 0.04 * mountain);
    c->summer_dry = (float)(0.6 + 0.6 * med);
    double unit_mean = wet_amount_mean(c->shape);
    double pwet_sum = 0;
    for (int m = 0; m < 12; m++) {
        /* Winter-wet Atlantic and Mediterranean regimes; dry Mediterranean
         * summer; autumn episodes in the south-east. */
        double season = cos(2 * M_PI * (m - 0.5) / 12.0); /* +1 in Jan, -1 in Jul */
        double p = pwet_base * (1 + 0.18 * season) * (1 - 0.55 * med * (season < 0 ? -season : 0));
        c->pwet[m] = (float)clampd(p, 0.05, 0.8);
        pwet_sum += c->pwet[m] * 30.4;
    }
    double mean_wet = annual_mm / pwet_sum;
    for (int m = 0; m < 12; m++) {
        double autumn = (m >= 8 && m <= 10) ? 1.0 : 0.0;
        double factor = 1 + autumn * (0.6 * cevennes + 0.3 * med) + (m >= 5 && m <= 7 ? 0.2 : 0);
        c->scale[m] = (float)(mean_wet * factor / unit_mean);
    }
}

/* ---- one run (model x scenario) ---------------------------------------- */

struct model_traits {
    double bias;     /* degC */
    double sens;     /* multiplies the scenario warming */
    double pfac;     /* multiplies precipitation */
    double dtr_bias; /* degC */
};

static double unit_hash(uint64_t h, int salt)
{
    uint64_t x = h + (uint64_t)salt * 0x9e3779b97f4a7c15ULL;
    return (double)(splitmix64(&x) >> 11) * (1.0 / 9007199254740992.0);
}

static struct model_traits traits_of(const char *model, uint64_t seed)
{
    uint64_t h = fnv1a(seed * 0x9e3779b97f4a7c15ULL + 1, model);
    struct model_traits t = {
        .bias = -0.6 + 1.2 * unit_hash(h, 1),
        .sens = 0.78 + 0.5 * unit_hash(h, 2),
        .pfac = 0.9 + 0.2 * unit_hash(h, 3),
        .dtr_bias = -0.5 + unit_hash(h, 4),
    };
    return t;
}

static double warming(const struct experiment *e, double year)
{
    if (year <= traj_years[0])
        return e->dT[0];
    for (int k = 1; k < 7; k++) {
        if (year <= traj_years[k]) {
            double f = (year - traj_years[k - 1]) / (traj_years[k] - traj_years[k - 1]);
            return e->dT[k - 1] + f * (e->dT[k] - e->dT[k - 1]);
        }
    }
    return e->dT[6];
}

struct run_ctx {
    const struct cr_synth_opts *o;
    const char *model;
    const char *scenario;
    const struct experiment *exp;
    struct model_traits traits;
    const struct cell_clim *clim;
    const struct noise_tables *tables;
    const double *lon2d, *lat2d; /* 143 x 134 */
    const char *crs_wkt;
};

/* A file is defined and its coordinates written through netCDF, then
 * closed and its maps stored by an h5chunk writer (ingest/h5chunk.h). */
struct out_file {
    int active;
    int ncid, varid; /* ncid -1 once netCDF has closed it */
    struct cr_h5chunk_writer *maps;
    char final_path[CR_PATH_MAX];
    char tmp_path[CR_PATH_MAX];
};

#define NC_TRY(call, what)                                                                         \
    do {                                                                                           \
        int nc_status_ = (call);                                                                   \
        if (nc_status_ != NC_NOERR)                                                                \
            return cr_err_set(err, CR_EINTERNAL, "writing '%s': %s: %s", path, what,               \
                              nc_strerror(nc_status_));                                            \
    } while (0)

static int put_text(int ncid, int varid, const char *name, const char *value)
{
    return nc_put_att_text(ncid, varid, name, strlen(value), value);
}

static int define_file(const struct run_ctx *rc, int v, const char *path, struct cr_date first,
                       struct cr_date last, int *ncid_out, int *varid_out, struct cr_err *err)
{
    const struct cr_synth_opts *o = rc->o;
    char gcm[128], rcm[128];
    split_model(rc->model, gcm, sizeof gcm, rcm, sizeof rcm);
    int ncid, dt, dy, dx, vt, vx, vy, vlat, vlon, vcrs, var;
    NC_TRY(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid), "create");
    *ncid_out = ncid;
    NC_TRY(nc_def_dim(ncid, "time", NC_UNLIMITED, &dt), "time dimension");
    NC_TRY(nc_def_dim(ncid, "y", CR_SAFRAN_NY, &dy), "y dimension");
    NC_TRY(nc_def_dim(ncid, "x", CR_SAFRAN_NX, &dx), "x dimension");
    NC_TRY(nc_def_var(ncid, "time", NC_DOUBLE, 1, &dt, &vt), "time");
    put_text(ncid, vt, "standard_name", "time");
    put_text(ncid, vt, "long_name", "time");
    put_text(ncid, vt, "units", "days since 1950-01-01 00:00:00");
    put_text(ncid, vt, "calendar", cr_calendar_name(o->calendar));
    put_text(ncid, vt, "axis", "T");
    NC_TRY(nc_def_var(ncid, "x", NC_DOUBLE, 1, &dx, &vx), "x");
    put_text(ncid, vx, "standard_name", "projection_x_coordinate");
    put_text(ncid, vx, "long_name", "x coordinate of projection");
    put_text(ncid, vx, "units", "m");
    put_text(ncid, vx, "axis", "X");
    NC_TRY(nc_def_var(ncid, "y", NC_DOUBLE, 1, &dy, &vy), "y");
    put_text(ncid, vy, "standard_name", "projection_y_coordinate");
    put_text(ncid, vy, "long_name", "y coordinate of projection");
    put_text(ncid, vy, "units", "m");
    put_text(ncid, vy, "axis", "Y");
    int yx[2] = {dy, dx};
    NC_TRY(nc_def_var(ncid, "lon", NC_DOUBLE, 2, yx, &vlon), "lon");
    put_text(ncid, vlon, "standard_name", "longitude");
    put_text(ncid, vlon, "long_name", "longitude coordinate");
    put_text(ncid, vlon, "units", "degrees_east");
    put_text(ncid, vlon, "_CoordinateAxisType", "Lon");
    NC_TRY(nc_def_var(ncid, "lat", NC_DOUBLE, 2, yx, &vlat), "lat");
    put_text(ncid, vlat, "standard_name", "latitude");
    put_text(ncid, vlat, "long_name", "latitude coordinate");
    put_text(ncid, vlat, "units", "degrees_north");
    put_text(ncid, vlat, "_CoordinateAxisType", "Lat");

    /* The grid mapping: CF-valid lambert_conformal_conic parameters (DRIAS's
     * own "_1SP" name and grad values are not CF and GDAL does not read
     * them), plus the EPSG WKT that GDAL prefers, plus DRIAS's epsg tag. */
    NC_TRY(nc_def_var(ncid, "LambertParisII", NC_INT, 0, NULL, &vcrs), "grid mapping");
    put_text(ncid, vcrs, "grid_mapping_name", "lambert_conformal_conic");
    double sp = 46.8, lon0 = 2.337229166666667, lat0 = 46.8, fe = 600000, fn = 2200000;
    double k0 = 0.99987742, a = 6378249.2, inv_f = 293.4660212936269;
    nc_put_att_double(ncid, vcrs, "standard_parallel", NC_DOUBLE, 1, &sp);
    nc_put_att_double(ncid, vcrs, "longitude_of_central_meridian", NC_DOUBLE, 1, &lon0);
    nc_put_att_double(ncid, vcrs, "latitude_of_projection_origin", NC_DOUBLE, 1, &lat0);
    nc_put_att_double(ncid, vcrs, "scale_factor_at_projection_origin", NC_DOUBLE, 1, &k0);
    nc_put_att_double(ncid, vcrs, "false_easting", NC_DOUBLE, 1, &fe);
    nc_put_att_double(ncid, vcrs, "false_northing", NC_DOUBLE, 1, &fn);
    nc_put_att_double(ncid, vcrs, "semi_major_axis", NC_DOUBLE, 1, &a);
    nc_put_att_double(ncid, vcrs, "inverse_flattening", NC_DOUBLE, 1, &inv_f);
    put_text(ncid, vcrs, "crs_wkt", rc->crs_wkt);
    put_text(ncid, vcrs, "spatial_ref", rc->crs_wkt);
    put_text(ncid, vcrs, "epsg", "27572");
    put_text(ncid, vcrs, "references",
             "https://spatialreference.org/ref/epsg/ntf-paris-lambert-zone-ii/");

    int dims[3] = {dt, dy, dx};
    NC_TRY(nc_def_var(ncid, var_meta[v].name, NC_FLOAT, 3, dims, &var), "data variable");
    size_t chunk[3] = {1, CR_SAFRAN_NY, CR_SAFRAN_NX};
    NC_TRY(nc_def_var_chunking(ncid, var, NC_CHUNKED, chunk), "chunking");
    if (o->deflate > 0)
        NC_TRY(nc_def_var_deflate(ncid, var, 1, 1, o->deflate), "deflate");
    float fill = FILL_VALUE;
    NC_TRY(nc_def_var_fill(ncid, var, 0, &fill), "fill value");
    nc_put_att_float(ncid, var, "missing_value", NC_FLOAT, 1, &fill);
    put_text(ncid, var, "standard_name", var_meta[v].standard_name);
    put_text(ncid, var, "long_name", var_meta[v].long_name);
    put_text(ncid, var, "units", var_meta[v].units);
    put_text(ncid, var, "cell_methods", var_meta[v].cell_methods);
    put_text(ncid, var, "grid_mapping", "LambertParisII");
    put_text(ncid, var, "coordinates", "lat lon");

    char text[512];
    put_text(ncid, NC_GLOBAL, "Conventions", "CF-1.6");
    snprintf(text, sizeof text,
             "SYNTHETIC %s for France in the DRIAS-2020 format (not Météo-France data)",
             var_meta[v].name);
    put_text(ncid, NC_GLOBAL, "title", text);
    put_text(ncid, NC_GLOBAL, "institution", "climrisk synthetic data generator");
    snprintf(text, sizeof text, "climrisk synth %s: statistical weather generator, seed %lu",
             CR_VERSION, o->seed);
    put_text(ncid, NC_GLOBAL, "source", text);
    put_text(ncid, NC_GLOBAL, "comment",
             "Synthetic data with a realistic climate on the real SAFRAN 8 km grid, for tests, "
             "demonstrations and benchmarks. Do not use for decisions.");
    put_text(ncid, NC_GLOBAL, "synthetic", "true");
    put_text(ncid, NC_GLOBAL, "project_id", "DRIAS-2020 (synthetic)");
    put_text(ncid, NC_GLOBAL, "domain", "France");
    put_text(ncid, NC_GLOBAL, "driving_model_id", gcm);
    put_text(ncid, NC_GLOBAL, "driving_model_ensemble_member", "r1i1p1");
    put_text(ncid, NC_GLOBAL, "model_id", rcm);
    put_text(ncid, NC_GLOBAL, "experiment_id", rc->scenario);
    put_text(ncid, NC_GLOBAL, "driving_experiment_name", rc->scenario);
    put_text(ncid, NC_GLOBAL, "frequency", "day");
    put_text(ncid, NC_GLOBAL, "bias_correction", "ADAMONT-France (imitated)");
    put_text(ncid, NC_GLOBAL, "grid", "SAFRAN 8 km, Lambert II etendu (EPSG:27572), 143 x 134");
    snprintf(text, sizeof text, "%04d-%02d-%02d", first.year, first.month, first.day);
    put_text(ncid, NC_GLOBAL, "period_start", text);
    snprintf(text, sizeof text, "%04d-%02d-%02d", last.year, last.month, last.day);
    put_text(ncid, NC_GLOBAL, "period_end", text);
    NC_TRY(nc_enddef(ncid), "end of definitions");

    double xs[CR_SAFRAN_NX], ys[CR_SAFRAN_NY];
    for (int i = 0; i < CR_SAFRAN_NX; i++)
        xs[i] = CR_SAFRAN_X0 + CR_SAFRAN_STEP * i;
    for (int j = 0; j < CR_SAFRAN_NY; j++)
        ys[j] = CR_SAFRAN_Y0 + CR_SAFRAN_STEP * j;
    NC_TRY(nc_put_var_double(ncid, vx, xs), "x values");
    NC_TRY(nc_put_var_double(ncid, vy, ys), "y values");
    NC_TRY(nc_put_var_double(ncid, vlon, rc->lon2d), "lon values");
    NC_TRY(nc_put_var_double(ncid, vlat, rc->lat2d), "lat values");
    *varid_out = var;
    return CR_OK;
}
#undef NC_TRY

static void close_and_discard(struct out_file *f)
{
    if (!f->active)
        return;
    if (f->ncid >= 0)
        nc_close(f->ncid);
    struct cr_err ignored;
    cr_h5chunk_writer_close(f->maps, &ignored);
    f->maps = NULL;
    unlink(f->tmp_path);
    f->active = 0;
}

/* Generation state that persists across days (and across split files). */
struct weather {
    struct rng rng;
    struct field ft; /* temperature anomaly, large scale */
    struct field fd; /* diurnal range anomaly */
    struct field fp; /* precipitation latent field, smaller scale */
    /* Month-major ([month * CR_SAFRAN_NLAND + cell]), the order the day
     * loop reads them in: */
    float *zthr;     /* wet-day threshold on z, this year */
    float *log_pwet; /* the log of the wet-day probability it stands for */
    float *scale;    /* cell_clim.scale */
    /* Per land cell, one array each (the day loop streams through them;
     * cell_clim's per-month arrays would spread a cell over two cache
     * lines): */
    int32_t *cell; /* its index in a map */
    float *t0, *amp, *dtr, *dtr_amp, *inv_shape;
    /* Today's wet cells, handled after the loop over all cells (a branch
     * on wet or dry, taken at random, would stall it): */
    int32_t *wet_cell;
    float *wet_z, *wet_snow;
    int zthr_year;
};

static int weather_alloc(struct weather *w)
{
    size_t n = CR_SAFRAN_NLAND;
    w->zthr = malloc(sizeof(float) * n * 12);
    w->log_pwet = malloc(sizeof(float) * n * 12);
    w->scale = malloc(sizeof(float) * n * 12);
    w->cell = malloc(sizeof(int32_t) * n);
    w->wet_cell = malloc(sizeof(int32_t) * n);
    float **per_cell[] = {&w->t0,        &w->amp,   &w->dtr,     &w->dtr_amp,
                          &w->inv_shape, &w->wet_z, &w->wet_snow};
    int ok = w->zthr && w->log_pwet && w->scale && w->cell && w->wet_cell;
    for (size_t k = 0; k < sizeof per_cell / sizeof per_cell[0]; k++)
        ok &= (*per_cell[k] = malloc(sizeof(float) * n)) != NULL;
    return ok ? 0 : -1;
}

static void weather_free(struct weather *w)
{
    void *arrays[] = {w->zthr, w->log_pwet, w->scale,   w->cell,      w->wet_cell, w->t0,
                      w->amp,  w->dtr,      w->dtr_amp, w->inv_shape, w->wet_z,    w->wet_snow};
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++)
        free(arrays[k]);
}

static void update_thresholds(struct weather *w, const struct run_ctx *rc, int year)
{
    double dT = warming(rc->exp, year) * rc->traits.sens;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cell_clim *c = &rc->clim[p];
        for (int m = 0; m < 12; m++) {
            /* Fewer wet days in summer and more in winter as it warms. */
            double season = cos(2 * M_PI * (m - 0.5) / 12.0);
            double change =
                season > 0 ? 1 + 0.02 * dT * season : 1 + 0.045 * dT * season * c->summer_dry;
            double p_wet = clampd(c->pwet[m] * change, 0.02, 0.9);
            double thr = normal_quantile(1 - p_wet);
            w->zthr[m * CR_SAFRAN_NLAND + p] = (float)thr;
            w->log_pwet[m * CR_SAFRAN_NLAND + p] = log_tail_at(rc->tables->log_tail, (float)thr);
        }
    }
    w->zthr_year = year;
}

/* Fill one day of every variable (land cells only) at offset `slot`. */
static void generate_day(struct weather *w, const struct run_ctx *rc, struct cr_date d, int doy,
                         int ylen, float *out[NVARS], size_t slot)
{
    const float *normal = rc->tables->normal, *log_tail = rc->tables->log_tail;
    field_step(&w->ft, &w->rng, normal);
    field_step(&w->fd, &w->rng, normal);
    field_step(&w->fp, &w->rng, normal);
    if (w->zthr_year != d.year)
        update_thresholds(w, rc, d.year);
    double phase = 2 * M_PI * (doy - 20.0) / ylen;
    double year_frac = d.year + (doy - 0.5) / ylen;
    double dT = warming(rc->exp, year_frac) * rc->traits.sens;
    float season = (float)-cos(phase); /* -1 mid-January, +1 mid-July */
    float base = (float)(rc->traits.bias + dT * (1 + 0.22 * season)); /* summers warm faster */
    float sd = 3.0f - 0.55f * season;                                 /* weather noise, degC */
    float dtr_base = (float)rc->traits.dtr_bias;
    float wet_cooling = 0.8f * season;       /* cloudy: cooler summer days, milder winter ones */
    float extreme_gain = (float)(0.06 * dT); /* +6 % per degC on heavy amounts */
    float pf = (float)rc->traits.pfac;
    int m = d.month - 1;
    float *day[NVARS];
    for (int v = 0; v < NVARS; v++)
        day[v] = out[v] + slot * CR_SAFRAN_NCELL;
    const float *zthr = w->zthr + m * CR_SAFRAN_NLAND,
                *log_pwet = w->log_pwet + m * CR_SAFRAN_NLAND;
    const float *scale = w->scale + m * CR_SAFRAN_NLAND;

    int nwet = 0;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        uint64_t bits = rng_next(&w->rng);
        float z = 0.866f * field_at(&w->fp, p) + 0.5f * normal[bits & 0xffff];
        int wet = z > zthr[p];
        float tg = w->t0[p] + w->amp[p] * season + base + sd * field_at(&w->ft, p) +
                   0.35f * normal[(bits >> 16) & 0xffff] - (wet ? wet_cooling : 0);
        float dtr = w->dtr[p] + w->dtr_amp[p] * season + dtr_base + 1.4f * field_at(&w->fd, p) -
                    (wet ? 2.5f : 0);
        dtr = dtr < 0.8f ? 0.8f : dtr;
        float snow_frac = (1.5f - tg) * (1.0f / 3.0f);
        snow_frac = snow_frac < 0 ? 0 : snow_frac > 1 ? 1 : snow_frac;
        int32_t k = w->cell[p];
        day[V_TAS][k] = tg + 273.15f;
        day[V_TASMIN][k] = tg - 0.5f * dtr + 273.15f;
        day[V_TASMAX][k] = tg + 0.5f * dtr + 273.15f;
        day[V_PR][k] = 0;
        day[V_PRSN][k] = 0;
        /* written always, kept when wet */
        w->wet_cell[nwet] = p;
        w->wet_z[nwet] = z;
        w->wet_snow[nwet] = snow_frac;
        nwet += wet;
    }
    for (int q = 0; q < nwet; q++) {
        int p = w->wet_cell[q];
        /* e = -log(u), u = P(Z > z | Z > thr) uniform on wet days, capped
         * at u = 1e-12 */
        float e = log_pwet[p] - log_tail_at(log_tail, w->wet_z[q]);
        e = e > 27.631021115928547f ? 27.631021115928547f : e;
        float pr = scale[p] * wet_amount_unit(e, w->inv_shape[p]) * pf;
        pr *= 1 + extreme_gain * (e > 2.3f ? 1.0f : 0.3f);
        int32_t k = w->cell[p];
        day[V_PR][k] = pr * (1.0f / 86400.0f);
        day[V_PRSN][k] = pr * w->wet_snow[q] * (1.0f / 86400.0f);
    }
}

/* Write one file set (all requested variables) covering [first, last]. */
static int write_segment(const struct run_ctx *rc, struct weather *w, struct cr_date first,
                         struct cr_date last, float *buf[NVARS], long long *values,
                         struct cr_synth_report *rep, struct cr_err *err)
{
    const struct cr_synth_opts *o = rc->o;
    enum cr_calendar cal = o->calendar;
    struct out_file files[NVARS];
    memset(files, 0, sizeof files);
    int rc_status = CR_OK;
    for (size_t i = 0; i < o->variables.n; i++) {
        int v = var_index(o->variables.items[i]);
        struct out_file *f = &files[v];
        char name[512];
        if (cr_synth_file_name(name, sizeof name, var_meta[v].name, rc->model, rc->scenario, first,
                               last) != 0 ||
            cr_path_join(f->final_path, sizeof f->final_path, o->out_dir, name) != 0) {
            rc_status = cr_err_set(err, CR_EUSAGE, "output path too long in '%s'", o->out_dir);
            goto fail;
        }
        if ((rc_status = cr_part_path(f->final_path, f->tmp_path, sizeof f->tmp_path, err)))
            goto fail;
        f->active = 1;
        f->ncid = -1;
        if ((rc_status = define_file(rc, v, f->tmp_path, first, last, &f->ncid, &f->varid, err)))
            goto fail;
    }

    int64_t n0 = cr_cal_day_number(cal, first), n1 = cr_cal_day_number(cal, last);
    size_t ndays = (size_t)(n1 - n0 + 1);
    struct cr_time_units tu = {86400, {1950, 1, 1}, 0};
    double *times = malloc(sizeof *times * ndays);
    if (!times) {
        rc_status = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < ndays; k++)
        times[k] = cr_date_to_time(cal, &tu, cr_cal_from_day_number(cal, n0 + (int64_t)k), 43200.0);
    for (int v = 0; v < NVARS && rc_status == CR_OK; v++) {
        struct out_file *f = &files[v];
        if (!f->active)
            continue;
        size_t start[1] = {0}, cnt[1] = {ndays};
        int tvar, st = nc_inq_varid(f->ncid, "time", &tvar);
        if (st == NC_NOERR)
            st = nc_put_vara_double(f->ncid, tvar, start, cnt, times);
        int closed = nc_close(f->ncid);
        f->ncid = -1;
        if (st == NC_NOERR)
            st = closed;
        if (st != NC_NOERR)
            rc_status = cr_err_set(err, CR_EINTERNAL, "writing '%s': %s (disk full?)", f->tmp_path,
                                   nc_strerror(st));
        else
            rc_status = cr_h5chunk_writer_open(&f->maps, f->tmp_path, var_meta[v].name, ndays, err);
    }
    free(times);
    if (rc_status)
        goto fail;

    for (int64_t n = n0; n <= n1;) {
        if (cr_stop_requested()) {
            rc_status = cr_err_set(err, CR_EINTERRUPT, "interrupted while generating %s %s",
                                   rc->model, rc->scenario);
            goto fail;
        }
        size_t count = 0;
        for (; count < BLOCK_DAYS && n <= n1; count++, n++) {
            struct cr_date d = cr_cal_from_day_number(cal, n);
            generate_day(w, rc, d, cr_cal_doy(cal, d), cr_cal_days_in_year(cal, d.year), buf,
                         count);
        }
        size_t t0 = (size_t)(n - (int64_t)count - n0);
        for (int v = 0; v < NVARS; v++) {
            struct out_file *f = &files[v];
            if (!f->active)
                continue;
            for (size_t k = 0; k < count; k++)
                if ((rc_status =
                         cr_h5chunk_write(f->maps, t0 + k, buf[v] + k * CR_SAFRAN_NCELL, err)))
                    goto fail;
            *values += (long long)count * CR_SAFRAN_NLAND;
        }
    }
    for (int v = 0; v < NVARS; v++) {
        struct out_file *f = &files[v];
        if (!f->active)
            continue;
        rc_status = cr_h5chunk_writer_close(f->maps, err);
        f->maps = NULL;
        f->active = 0;
        if (rc_status) {
            unlink(f->tmp_path);
            goto fail;
        }
        if ((rc_status = cr_publish(f->tmp_path, f->final_path, err)))
            goto fail;
        rep->files++;
        rep->bytes += cr_file_size(f->final_path);
    }
    return CR_OK;
fail:
    for (int v = 0; v < NVARS; v++)
        close_and_discard(&files[v]);
    return rc_status;
}

static int run_one(const struct run_ctx *rc, struct cr_synth_report *rep, struct cr_err *err)
{
    const struct cr_synth_opts *o = rc->o;
    int historical = strcmp(rc->scenario, "historical") == 0;
    int y0 = historical ? o->hist_first : o->scen_first;
    int y1 = historical ? o->hist_last : o->scen_last;
    struct weather w;
    memset(&w, 0, sizeof w);
    uint64_t seed = fnv1a(fnv1a(o->seed * 0x9e3779b97f4a7c15ULL + 7, rc->model), rc->scenario);
    rng_seed(&w.rng, seed);
    float *buf[NVARS] = {0};
    int status = CR_OK;
    if (weather_alloc(&w) || field_init(&w.ft, 24, 0.82, &w.rng) ||
        field_init(&w.fd, 16, 0.6, &w.rng) || field_init(&w.fp, 5, 0.35, &w.rng)) {
        status = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    for (int p = 0; p < CR_SAFRAN_NLAND; p++) {
        const struct cr_safran_point *pt = &cr_safran_grid_points[p];
        const struct cell_clim *c = &rc->clim[p];
        w.cell[p] = pt->j * CR_SAFRAN_NX + pt->i;
        w.t0[p] = c->t0;
        w.amp[p] = c->amp;
        w.dtr[p] = c->dtr;
        w.dtr_amp[p] = c->dtr_amp;
        w.inv_shape[p] = 1 / c->shape;
        for (int m = 0; m < 12; m++)
            w.scale[m * CR_SAFRAN_NLAND + p] = rc->clim[p].scale[m];
    }
    for (int v = 0; v < NVARS; v++) {
        buf[v] = malloc(sizeof(float) * BLOCK_DAYS * CR_SAFRAN_NCELL);
        if (!buf[v]) {
            status = cr_err_set(err, CR_EINTERNAL, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < (size_t)BLOCK_DAYS * CR_SAFRAN_NCELL; k++)
            buf[v][k] = FILL_VALUE;
    }
    long long values = 0;
    int step = o->years_per_file > 0 ? o->years_per_file : y1 - y0 + 1;
    for (int ya = y0; ya <= y1 && status == CR_OK; ya += step) {
        int yb = ya + step - 1 < y1 ? ya + step - 1 : y1;
        struct cr_date first = {ya, 1, 1};
        struct cr_date last = {yb, 12, o->calendar == CR_CAL_360 ? 30 : 31};
        status = write_segment(rc, &w, first, last, buf, &values, rep, err);
    }
    rep->values += values;
done:
    for (int v = 0; v < NVARS; v++)
        free(buf[v]);
    weather_free(&w);
    field_free(&w.ft);
    field_free(&w.fd);
    field_free(&w.fp);
    return status;
}

/* ---- orchestration: worker processes ----------------------------------- */

struct job {
    const char *model;
    const char *scenario;
    pid_t pid;
    int pipe_fd; /* child's error message and report */
};

struct child_result {
    int status;
    struct cr_synth_report rep;
    char msg[CR_ERR_MSG_MAX];
};

static int wait_one(struct job *jobs, size_t njobs, struct cr_synth_report *rep, struct cr_err *err,
                    int *first_failure)
{
    int wstatus;
    pid_t pid = waitpid(-1, &wstatus, 0);
    if (pid < 0)
        return -1;
    for (size_t k = 0; k < njobs; k++) {
        if (jobs[k].pid != pid)
            continue;
        struct child_result res;
        memset(&res, 0, sizeof res);
        ssize_t got = read(jobs[k].pipe_fd, &res, sizeof res);
        close(jobs[k].pipe_fd);
        jobs[k].pid = 0;
        if (got != (ssize_t)sizeof res) {
            res.status = CR_EINTERNAL;
            snprintf(res.msg, sizeof res.msg, "worker for %s %s died (signal %d)", jobs[k].model,
                     jobs[k].scenario, WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        }
        rep->files += res.rep.files;
        rep->bytes += res.rep.bytes;
        rep->values += res.rep.values;
        if (res.status != CR_OK && *first_failure == CR_OK) {
            *first_failure = res.status;
            cr_err_set(err, res.status, "%s", res.msg);
        } else if (res.status == CR_OK) {
            cr_info("synth: %s %s done", jobs[k].model, jobs[k].scenario);
        }
        return 0;
    }
    return 0;
}

int cr_synth_run(const struct cr_synth_opts *o, struct cr_synth_report *rep, struct cr_err *err)
{
    memset(rep, 0, sizeof *rep);
    int status = cr_synth_validate(o, err);
    if (status)
        return status;
    if ((status = cr_mkdir_p(o->out_dir, err)))
        return status;
    cr_remove_stale_parts(o->out_dir);

    struct cell_clim *clim = malloc(sizeof *clim * CR_SAFRAN_NLAND);
    struct noise_tables *tables = malloc(sizeof *tables);
    double *lon2d = malloc(sizeof(double) * CR_SAFRAN_NCELL);
    double *lat2d = malloc(sizeof(double) * CR_SAFRAN_NCELL);
    char *wkt = NULL;
    size_t njobs = o->models.n * o->scenarios.n;
    struct job *jobs = calloc(njobs, sizeof *jobs);
    if (!clim || !tables || !lon2d || !lat2d || !jobs) {
        status = cr_err_set(err, CR_EINTERNAL, "out of memory");
        goto done;
    }
    if ((status = cr_safran_lonlat(lon2d, lat2d, err)) || (status = cr_safran_crs_wkt(&wkt, err)))
        goto done;
    for (int p = 0; p < CR_SAFRAN_NLAND; p++)
        make_climatology(&clim[p], &cr_safran_grid_points[p]);
    noise_tables_init(tables);

    /* Longest runs first, so that workers finish together. */
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t m = 0; m < o->models.n; m++)
            for (size_t s = 0; s < o->scenarios.n; s++) {
                int hist = strcmp(o->scenarios.items[s], "historical") == 0;
                int hist_longer = o->hist_last - o->hist_first > o->scen_last - o->scen_first;
                if ((hist == hist_longer) != (pass == 0))
                    continue;
                jobs[k].model = o->models.items[m];
                jobs[k].scenario = o->scenarios.items[s];
                k++;
            }

    /* A single run is reported by its caller (climrisk run); several get a
     * progress display of their own. */
    struct cr_progress prog;
    int show = njobs > 1;
    if (show)
        cr_progress_begin(&prog, "synth runs", njobs);
    if (o->jobs <= 1) {
        for (k = 0; k < njobs && status == CR_OK; k++) {
            struct run_ctx rc = {o,
                                 jobs[k].model,
                                 jobs[k].scenario,
                                 find_experiment(jobs[k].scenario),
                                 traits_of(jobs[k].model, o->seed),
                                 clim,
                                 tables,
                                 lon2d,
                                 lat2d,
                                 wkt};
            status = run_one(&rc, rep, err);
            if (status == CR_OK)
                if (show)
                    cr_progress_add(&prog, 1);
        }
    } else {
        int failure = CR_OK;
        size_t running = 0;
        fflush(NULL);
        for (k = 0; k < njobs && failure == CR_OK && !cr_stop_requested(); k++) {
            while (running >= (size_t)o->jobs) {
                wait_one(jobs, njobs, rep, err, &failure);
                running--;
                if (show)
                    cr_progress_add(&prog, 1);
            }
            if (failure != CR_OK)
                break;
            int fds[2];
            if (pipe(fds) != 0) {
                failure = cr_err_set(err, CR_EINTERNAL, "pipe: %s", strerror(errno));
                break;
            }
            pid_t pid = fork();
            if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                failure = cr_err_set(err, CR_EINTERNAL, "fork: %s", strerror(errno));
                break;
            }
            if (pid == 0) {
                close(fds[0]);
                struct child_result res;
                memset(&res, 0, sizeof res);
                struct cr_err cerr;
                cr_err_clear(&cerr);
                struct run_ctx rc = {o,
                                     jobs[k].model,
                                     jobs[k].scenario,
                                     find_experiment(jobs[k].scenario),
                                     traits_of(jobs[k].model, o->seed),
                                     clim,
                                     tables,
                                     lon2d,
                                     lat2d,
                                     wkt};
                res.status = run_one(&rc, &res.rep, &cerr);
                memcpy(res.msg, cerr.msg, sizeof res.msg);
                ssize_t wr = write(fds[1], &res, sizeof res);
                _exit(wr == (ssize_t)sizeof res ? 0 : 1);
            }
            close(fds[1]);
            jobs[k].pid = pid;
            jobs[k].pipe_fd = fds[0];
            running++;
        }
        while (running > 0) {
            wait_one(jobs, njobs, rep, err, &failure);
            running--;
            if (show)
                cr_progress_add(&prog, 1);
        }
        status = failure;
        if (status == CR_OK && cr_stop_requested())
            status = cr_err_set(err, CR_EINTERRUPT, "interrupted");
    }
    if (show)
        cr_progress_end(&prog);
done:
    free(jobs);
    free(wkt);
    free(clim);
    free(tables);
    free(lon2d);
    free(lat2d);
    return status;
}
