/* palette.c — IPCC AR6 palettes, class breaks and legend files.
 *
 * Colour data: IPCC-WG1/colormaps (https://github.com/IPCC-WG1/colormaps),
 * discrete_colormaps_rgb_0-255/<family>_disc.txt, the 10-class row of each
 * family ("temp_div_10", ...), from the IPCC AR6 WGI visual style guide.
 * Copied as numbers, unchanged; the legend JSON carries the attribution. */
#include "palette.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/strutil.h"
#include "bytes.h"
#include "png.h"

struct palette_def {
    const char *name;
    unsigned char rgb[CR_LEGEND_CLASSES][3];
};

static const struct palette_def palettes[] = {
    {"temp_seq",
     {{254, 254, 203},
      {251, 235, 153},
      {244, 204, 104},
      {235, 167, 84},
      {228, 134, 80},
      {209, 98, 76},
      {164, 70, 66},
      {114, 55, 46},
      {66, 40, 24},
      {25, 25, 0}}},
    {"temp_div",
     {{5, 48, 97},
      {39, 102, 151},
      {80, 154, 199},
      {147, 192, 219},
      {215, 230, 238},
      {242, 220, 217},
      {229, 163, 153},
      {216, 107, 89},
      {164, 53, 56},
      {103, 0, 31}}},
    {"prec_seq",
     {{255, 255, 229},
      {217, 235, 213},
      {180, 216, 197},
      {142, 197, 181},
      {105, 177, 165},
      {67, 158, 149},
      {44, 135, 127},
      {29, 110, 100},
      {14, 85, 74},
      {0, 60, 48}}},
    {"prec_div",
     {{84, 48, 5},
      {143, 93, 27},
      {195, 137, 60},
      {216, 182, 135},
      {238, 226, 211},
      {212, 230, 229},
      {140, 194, 190},
      {67, 158, 150},
      {29, 110, 100},
      {0, 60, 48}}},
    {"cryo_seq",
     {{0, 1, 0},
      {13, 26, 41},
      {19, 50, 80},
      {30, 76, 123},
      {56, 104, 168},
      {100, 137, 198},
      {136, 160, 201},
      {170, 182, 202},
      {211, 213, 218},
      {254, 255, 254}}},
    {"cryo_div",
     {{38, 38, 0},
      {86, 85, 39},
      {140, 140, 85},
      {196, 196, 142},
      {232, 232, 210},
      {206, 218, 229},
      {138, 166, 194},
      {74, 117, 159},
      {40, 68, 119},
      {43, 25, 76}}},
};

/* Which family an indicator uses (docs/tiles.md, "Palettes"). */
struct family {
    const char *codes; /* space-separated indicator codes */
    const char *seq;
    int seq_reversed;
    const char *div;
    int div_reversed;
};

static const struct family families[] = {
    {"tsum200", "temp_seq", 0, "temp_div", 1},
    {"rx1day rx5day r20mm prcptot", "prec_seq", 0, "prec_div", 0},
    {"water_deficit cdd", "temp_seq", 0, "prec_div", 1},
    {"fd spring_frost prsn_total snow_days swe_max", "cryo_seq", 1, "cryo_div", 0},
};
static const struct family default_family = {"", "temp_seq", 0, "temp_div", 0};

static int has_word(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static const struct family *family_of(const char *code)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (has_word(families[i].codes, code))
            return &families[i];
    return &default_family;
}

const char *cr_palette_source(const char *palette)
{
    static const char *const src[] = {
        "temp_seq",
        "IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/temp_seq_disc.txt (temp_seq_10)",
        "temp_div",
        "IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/temp_div_disc.txt (temp_div_10)",
        "prec_seq",
        "IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/prec_seq_disc.txt (prec_seq_10)",
        "prec_div",
        "IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/prec_div_disc.txt (prec_div_10)",
        "cryo_seq",
        "IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/cryo_seq_disc.txt (cryo_seq_10)",
        "cryo_div",
        "IPCC-WG1/colormaps discrete_colormaps_rgb_0-255/cryo_div_disc.txt (cryo_div_10)",
    };
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i += 2)
        if (strcmp(src[i], palette) == 0)
            return src[i + 1];
    return "";
}

double cr_legend_step(double min, double max, int n, int diverging)
{
    static const double mult[] = {1, 2, 2.5, 5};
    double span;
    if (diverging) {
        double m = fmax(fabs(min), fabs(max));
        span = m > 0 ? 2 * m : 2;
    } else {
        span = max - min;
        if (!(span > 0))
            span = fabs(max) > 0 ? fabs(max) * 0.2 : 1;
    }
    double raw = span / n;
    double p = pow(10, floor(log10(raw)));
    for (int e = 0; e < 3; e++, p *= 10)
        for (int k = 0; k < 4; k++) {
            double s = mult[k] * p;
            if (s < raw * (1 - 1e-12))
                continue;
            if (diverging) {
                if ((n / 2) * s >= fmax(fabs(min), fabs(max)) - 1e-9 * s)
                    return s;
            } else {
                double start = floor(min / s) * s;
                if (start + n * s >= max - 1e-9 * s)
                    return s;
            }
        }
    return raw * 10; /* not reached for finite input */
}

void cr_legend_make(struct cr_legend *lg, const struct cr_indicator_def *def, const char *quantity,
                    double min, double max)
{
    memset(lg, 0, sizeof *lg);
    cr_strlcpy(lg->indicator, def->code, sizeof lg->indicator);
    cr_strlcpy(lg->quantity, quantity, sizeof lg->quantity);
    cr_strlcpy(lg->unit, def->units, sizeof lg->unit);
    const struct family *f = family_of(def->code);
    int div = strcmp(quantity, "mean") != 0;
    lg->kind = div ? CR_LEGEND_DIVERGING : CR_LEGEND_SEQUENTIAL;
    cr_strlcpy(lg->palette, div ? f->div : f->seq, sizeof lg->palette);
    lg->reversed = div ? f->div_reversed : f->seq_reversed;
    lg->nclasses = CR_LEGEND_CLASSES;
    lg->data_min = min;
    lg->data_max = max;
    double lo = isfinite(min) ? min : 0, hi = isfinite(max) ? max : (div ? 1 : 10);
    if (!isfinite(min) && !div)
        lo = 0;
    double s = cr_legend_step(lo, hi, lg->nclasses, div);
    double start = div ? -(lg->nclasses / 2) * s : floor(lo / s) * s;
    long n0 = lround(start / s);
    for (int i = 0; i <= lg->nclasses; i++) {
        double b = (double)(n0 + i) * s;
        /* print-exact: 0.1 * 3 -> 0.3 */
        char t[64];
        snprintf(t, sizeof t, "%.12g", b);
        lg->breaks[i] = strtod(t, NULL);
        if (lg->breaks[i] == 0)
            lg->breaks[i] = 0; /* no -0 */
    }
    const struct palette_def *p = &palettes[0];
    for (size_t i = 0; i < sizeof palettes / sizeof palettes[0]; i++)
        if (strcmp(palettes[i].name, lg->palette) == 0)
            p = &palettes[i];
    for (int i = 0; i < lg->nclasses; i++) {
        int k = lg->reversed ? lg->nclasses - 1 - i : i;
        memcpy(lg->rgb[i], p->rgb[k], 3);
    }
}

int cr_legend_class(const struct cr_legend *lg, double v)
{
    if (isnan(v))
        return -1;
    int n = lg->nclasses;
    if (v < lg->breaks[1])
        return 0;
    if (v >= lg->breaks[n - 1])
        return n - 1;
    int lo = 1, hi = n - 1; /* breaks[lo] <= v < breaks[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (v >= lg->breaks[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ------------------------------------------------------------- labels */

static int decimals_of(const struct cr_legend *lg)
{
    int d = 0;
    for (int i = 0; i <= lg->nclasses; i++)
        for (int k = 0; k <= 8; k++) {
            double v = lg->breaks[i] * pow(10, k);
            if (fabs(v - round(v)) < 1e-6 * fmax(1, fabs(v))) {
                if (k > d)
                    d = k;
                break;
            }
        }
    return d;
}

static void fmt_num(char *out, size_t size, double v, int decimals, int plus, int comma)
{
    snprintf(out, size, "%s%.*f", plus && v > 0 ? "+" : "", decimals, v);
    if (comma)
        for (char *p = out; *p; p++)
            if (*p == '.')
                *p = ',';
}

static void unit_label(const char *unit, const char **en, const char **fr)
{
    static const char *const map[][3] = {
        {"degC", "°C", "°C"},
        {"days", "days", "jours"},
        {"degC days", "°C·days", "°C·jours"},
        {"day of year", "day of year", "jour de l'année"},
        {"mm", "mm", "mm"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], unit) == 0) {
            *en = map[i][1];
            *fr = map[i][2];
            return;
        }
    *en = *fr = unit;
}

int cr_legend_write_json(const struct cr_legend *lg, const struct cr_indicator_def *def,
                         const char *path, struct cr_err *err)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "indicator", json_object_new_string(lg->indicator));
    json_object_object_add(o, "quantity", json_object_new_string(lg->quantity));
    json_object_object_add(o, "unit", json_object_new_string(lg->unit));
    const char *uen, *ufr;
    unit_label(lg->unit, &uen, &ufr);
    json_object *ul = json_object_new_object();
    json_object_object_add(ul, "en", json_object_new_string(uen));
    json_object_object_add(ul, "fr", json_object_new_string(ufr));
    json_object_object_add(o, "unit_label", ul);
    int anom = strcmp(lg->quantity, "anom") == 0;
    char ten[256], tfr[256];
    snprintf(ten, sizeof ten, "%s — %s", def->name_en,
             anom ? "change vs 1976-2005" : "horizon mean");
    snprintf(tfr, sizeof tfr, "%s — %s", def->name_fr,
             anom ? "écart à 1976-2005" : "moyenne sur l'horizon");
    json_object *title = json_object_new_object();
    json_object_object_add(title, "en", json_object_new_string(ten));
    json_object_object_add(title, "fr", json_object_new_string(tfr));
    json_object_object_add(o, "title", title);
    json_object_object_add(
        o, "kind",
        json_object_new_string(lg->kind == CR_LEGEND_DIVERGING ? "diverging" : "sequential"));
    json_object *pal = json_object_new_object();
    json_object_object_add(pal, "name", json_object_new_string(lg->palette));
    json_object_object_add(pal, "classes", json_object_new_int(lg->nclasses));
    json_object_object_add(pal, "reversed", json_object_new_boolean(lg->reversed));
    json_object_object_add(pal, "source", json_object_new_string(cr_palette_source(lg->palette)));
    json_object_object_add(o, "palette", pal);
    json_object *br = json_object_new_array();
    for (int i = 0; i <= lg->nclasses; i++)
        json_object_array_add(br, json_object_new_double(lg->breaks[i]));
    json_object_object_add(o, "breaks", br);
    json_object *co = json_object_new_array();
    for (int i = 0; i < lg->nclasses; i++) {
        char hex[8];
        snprintf(hex, sizeof hex, "#%02x%02x%02x", lg->rgb[i][0], lg->rgb[i][1], lg->rgb[i][2]);
        json_object_array_add(co, json_object_new_string(hex));
    }
    json_object_object_add(o, "colors", co);
    int d = decimals_of(lg);
    json_object *len = json_object_new_array(), *lfr = json_object_new_array();
    for (int i = 0; i < lg->nclasses; i++) {
        char a[32], b[32], s[96];
        fmt_num(a, sizeof a, lg->breaks[i], d, anom, 0);
        fmt_num(b, sizeof b, lg->breaks[i + 1], d, anom, 0);
        snprintf(s, sizeof s, "%s – %s", a, b);
        json_object_array_add(len, json_object_new_string(s));
        fmt_num(a, sizeof a, lg->breaks[i], d, anom, 1);
        fmt_num(b, sizeof b, lg->breaks[i + 1], d, anom, 1);
        snprintf(s, sizeof s, "%s – %s", a, b);
        json_object_array_add(lfr, json_object_new_string(s));
    }
    json_object *labels = json_object_new_object();
    json_object_object_add(labels, "en", len);
    json_object_object_add(labels, "fr", lfr);
    json_object_object_add(o, "labels", labels);
    json_object *range = json_object_new_object();
    json_object_object_add(range, "min",
                           isfinite(lg->data_min) ? json_object_new_double(lg->data_min) : NULL);
    json_object_object_add(range, "max",
                           isfinite(lg->data_max) ? json_object_new_double(lg->data_max) : NULL);
    json_object_object_add(o, "range", range);
    json_object_object_add(o, "nodata", json_object_new_string("transparent"));
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = text ? cr_write_file_atomic(path, text, strlen(text), err)
                  : cr_err_set(err, CR_EINTERNAL, "out of memory");
    json_object_put(o);
    return rc;
}

/* ------------------------------------------------------------- image */

/* 5x7 glyphs, one byte per row, bit 4 = leftmost column. */
static const struct {
    char c;
    unsigned char rows[7];
} glyphs[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {'-', {0x00, 0x00, 0x00, 0x0E, 0x00, 0x00, 0x00}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
};

enum { PX_TRANSPARENT = 0, PX_WHITE = 1, PX_BLACK = 2, PX_CLASS0 = 3 };

static void draw_text(uint8_t *img, int w, int h, int cx, int top, const char *s)
{
    int len = (int)strlen(s);
    int x = cx - (len * 6 - 1) / 2;
    for (; *s; s++, x += 6) {
        for (size_t g = 0; g < sizeof glyphs / sizeof glyphs[0]; g++) {
            if (glyphs[g].c != *s)
                continue;
            for (int r = 0; r < 7; r++)
                for (int c = 0; c < 5; c++)
                    if (glyphs[g].rows[r] & (0x10 >> c)) {
                        int px = x + c, py = top + r;
                        if (px >= 0 && px < w && py >= 0 && py < h)
                            img[py * w + px] = PX_BLACK;
                    }
        }
    }
}

int cr_legend_write_png(const struct cr_legend *lg, const char *path, struct cr_err *err)
{
    const int sw = 48, margin = 24, top = 6, bar = 20;
    int n = lg->nclasses, w = 2 * margin + n * sw, h = top + bar + 4 + 2 + 7 + 6;
    uint8_t img[(2 * 24 + CR_LEGEND_CLASSES * 48) * 45];
    if ((size_t)(w * h) > sizeof img)
        return cr_err_set(err, CR_EINTERNAL, "legend image too large");
    memset(img, PX_WHITE, (size_t)(w * h));
    for (int k = 0; k < n; k++)
        for (int y = top; y < top + bar; y++)
            for (int x = margin + k * sw; x < margin + (k + 1) * sw; x++)
                img[y * w + x] = (uint8_t)(PX_CLASS0 + k);
    /* frame and ticks */
    for (int x = margin; x <= margin + n * sw; x++) {
        img[(top - 1) * w + x] = PX_BLACK;
        img[(top + bar) * w + x] = PX_BLACK;
    }
    int d = decimals_of(lg), anom = strcmp(lg->quantity, "anom") == 0;
    for (int k = 0; k <= n; k++) {
        int x = margin + k * sw;
        for (int y = top - 1; y < top + bar + 4; y++)
            img[y * w + (x < w ? x : w - 1)] = PX_BLACK;
        char t[32];
        fmt_num(t, sizeof t, lg->breaks[k], d, anom, 0);
        draw_text(img, w, h, x, top + bar + 6, t);
    }
    struct cr_png_palette pal;
    memset(&pal, 0, sizeof pal);
    pal.n = PX_CLASS0 + n;
    pal.alpha[PX_TRANSPARENT] = 0;
    pal.alpha[PX_WHITE] = pal.alpha[PX_BLACK] = 255;
    memset(pal.rgb[PX_WHITE], 255, 3);
    for (int k = 0; k < n; k++) {
        memcpy(pal.rgb[PX_CLASS0 + k], lg->rgb[k], 3);
        pal.alpha[PX_CLASS0 + k] = 255;
    }
    struct cr_bytes out;
    cr_bytes_init(&out);
    int rc = cr_png_encode_indexed(img, w, h, &pal, &out, err);
    if (!rc)
        rc = cr_write_file_atomic(path, out.p, out.len, err);
    cr_bytes_free(&out);
    return rc;
}
