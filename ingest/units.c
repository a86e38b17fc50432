/* units.c — the units table; see units.h. */
#include "units.h"

#include <ctype.h>
#include <string.h>

enum quantity { Q_TEMPERATURE, Q_PRECIPITATION, Q_SWE };

struct unit_row {
    const char *spelling; /* normalised (cr_units_normalize) */
    double scale, offset;
};

/* Kelvin offset: 0 degC = 273.15 K exactly (SI). */
#define K0 273.15

static const struct unit_row temperature[] = {
    {"k", 1, -K0},
    {"kelvin", 1, -K0},
    {"kelvins", 1, -K0},
    {"degk", 1, -K0},
    {"deg_k", 1, -K0},
    {"degree_kelvin", 1, -K0},
    {"degrees_kelvin", 1, -K0},
    {"degc", 1, 0},
    {"deg_c", 1, 0},
    {"deg c", 1, 0},
    {"celsius", 1, 0},
    {"degree_celsius", 1, 0},
    {"degrees_celsius", 1, 0},
    {"degree celsius", 1, 0},
    {"degrees celsius", 1, 0},
    {"degree_c", 1, 0},
    {"degrees_c", 1, 0},
    {"degrees c", 1, 0},
    {"\xc2\xb0"
     "c",
     1, 0}, /* °C */
    {"\xc2\xba"
     "c",
     1, 0}, /* ºC (masculine ordinal, a common typo) */
    {"degf", 5.0 / 9.0, -32.0 * 5.0 / 9.0},
    {"fahrenheit", 5.0 / 9.0, -32.0 * 5.0 / 9.0},
    {"\xc2\xb0"
     "f",
     5.0 / 9.0, -32.0 * 5.0 / 9.0}, /* °F */
    {NULL, 0, 0},
};

/* Daily values: a flux averaged over the day, or the day's amount. One
 * kg m-2 of water is one mm. */
static const struct unit_row precipitation[] = {
    /* mass flux, per second */
    {"kg m-2 s-1", 86400, 0},
    {"kg s-1 m-2", 86400, 0},
    {"kg/m2/s", 86400, 0},
    {"kg/m2s", 86400, 0},
    {"kg/m2 s", 86400, 0},
    {"kg/(m2 s)", 86400, 0},
    {"kg m-2/s", 86400, 0},
    {"mm s-1", 86400, 0},
    {"mm/s", 86400, 0},
    {"mm/sec", 86400, 0},
    /* per day, or the daily amount */
    {"mm day-1", 1, 0},
    {"mm d-1", 1, 0},
    {"mm/day", 1, 0},
    {"mm/d", 1, 0},
    {"mm/24h", 1, 0},
    {"mm per day", 1, 0},
    {"mm", 1, 0},
    {"kg m-2", 1, 0},
    {"kg/m2", 1, 0},
    {"kg m-2 day-1", 1, 0},
    {"kg m-2 d-1", 1, 0},
    {"kg/m2/day", 1, 0},
    {"kg/m2/d", 1, 0},
    /* per hour (a daily mean of an hourly rate) */
    {"mm h-1", 24, 0},
    {"mm hr-1", 24, 0},
    {"mm/h", 24, 0},
    {"mm/hr", 24, 0},
    {"kg m-2 h-1", 24, 0},
    /* liquid water equivalent thickness, in metres or centimetres */
    {"m s-1", 86400000, 0},
    {"m/s", 86400000, 0},
    {"m", 1000, 0},
    {"m day-1", 1000, 0},
    {"m d-1", 1000, 0},
    {"m/day", 1000, 0},
    {"m/d", 1000, 0},
    {"cm", 10, 0},
    {"cm day-1", 10, 0},
    {"cm/day", 10, 0},
    {NULL, 0, 0},
};

static const struct unit_row swe[] = {
    {"kg m-2", 1, 0}, {"kg/m2", 1, 0}, {"mm", 1, 0}, {"m", 1000, 0}, {"cm", 10, 0}, {NULL, 0, 0},
};

static enum quantity quantity_of(enum cr_var var)
{
    switch (var) {
    case CR_VAR_TASMIN:
    case CR_VAR_TASMAX:
    case CR_VAR_TAS:
        return Q_TEMPERATURE;
    case CR_VAR_SNW:
        return Q_SWE;
    default:
        return Q_PRECIPITATION;
    }
}

/* Past the characters cr_units_normalize drops: '^' and "**" (carets may
 * sit between the two stars). */
static const char *skip_carets(const char *q)
{
    while (*q == '^')
        q++;
    return q;
}

static const char *skip_dropped(const char *q)
{
    for (;;) {
        if (*q == '^')
            q++;
        else if (*q == '*' && *skip_carets(q + 1) == '*')
            q = skip_carets(q + 1) + 1;
        else
            return q;
    }
}

void cr_units_normalize(const char *units, char *out, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return;
    const char *p = units ? units : "";
    while (isspace((unsigned char)*p))
        p++;
    for (; *p && n + 1 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '^')
            continue;
        if (c == '*' && *skip_carets(p + 1) == '*') {
            p = skip_carets(p + 1);
            continue;
        }
        /* '.' or '*' between two factors is a product: "kg.m-2.s-1". The
         * next factor is looked for past what is dropped, so that
         * normalising twice gives the same spelling (fuzz_units). */
        if ((c == '.' || c == '*') && n > 0 && isalnum((unsigned char)out[n - 1]) &&
            isalpha((unsigned char)*skip_dropped(p + 1)))
            c = ' ';
        if (isspace(c)) {
            if (n > 0 && out[n - 1] != ' ')
                out[n++] = ' ';
            continue;
        }
        out[n++] = (char)tolower(c);
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

int cr_units_conversion(enum cr_var var, const char *units, struct cr_unit_conv *conv)
{
    char key[128];
    cr_units_normalize(units, key, sizeof key);
    const struct unit_row *rows;
    switch (quantity_of(var)) {
    case Q_TEMPERATURE:
        rows = temperature;
        break;
    case Q_SWE:
        rows = swe;
        break;
    default:
        rows = precipitation;
        break;
    }
    for (const struct unit_row *r = rows; r->spelling; r++) {
        if (strcmp(key, r->spelling) == 0) {
            conv->scale = r->scale;
            conv->offset = r->offset;
            return 0;
        }
    }
    return -1;
}

const char *cr_units_accepted(enum cr_var var)
{
    switch (quantity_of(var)) {
    case Q_TEMPERATURE:
        return "K, degC, Celsius, deg_C, degree_Celsius, \xc2\xb0"
               "C, degF";
    case Q_SWE:
        return "kg m-2, kg/m2, mm, cm, m";
    default:
        return "kg m-2 s-1, kg/m2/s, mm/s, mm day-1, mm/day, mm/d, mm, kg m-2, mm/h, m, m s-1";
    }
}
