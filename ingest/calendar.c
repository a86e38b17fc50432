/* calendar.c — CF calendar arithmetic; see calendar.h.
 *
 * Day numbers: Julian Day Numbers for the real-world calendars (standard
 * switches from Julian to Gregorian at JDN 2299161 = 1582-10-15), and plain
 * year * length + offset for the model calendars. */
#include "calendar.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/strutil.h"

static const int cum_days[2][13] = {
    {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
    {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
};

int cr_calendar_parse(const char *name, enum cr_calendar *cal)
{
    static const struct {
        const char *name;
        enum cr_calendar cal;
    } names[] = {
        {"standard", CR_CAL_STANDARD},
        {"gregorian", CR_CAL_STANDARD},
        {"proleptic_gregorian", CR_CAL_PROLEPTIC},
        {"noleap", CR_CAL_NOLEAP},
        {"365_day", CR_CAL_NOLEAP},
        {"all_leap", CR_CAL_ALL_LEAP},
        {"366_day", CR_CAL_ALL_LEAP},
        {"360_day", CR_CAL_360},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (cr_strieq(name, names[i].name)) {
            *cal = names[i].cal;
            return 0;
        }
    }
    return -1;
}

const char *cr_calendar_name(enum cr_calendar cal)
{
    switch (cal) {
    case CR_CAL_STANDARD:
        return "standard";
    case CR_CAL_PROLEPTIC:
        return "proleptic_gregorian";
    case CR_CAL_NOLEAP:
        return "noleap";
    case CR_CAL_ALL_LEAP:
        return "all_leap";
    case CR_CAL_360:
        return "360_day";
    }
    return "?";
}

static int gregorian_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cr_cal_is_leap(enum cr_calendar cal, int year)
{
    switch (cal) {
    case CR_CAL_STANDARD:
        return year < 1583 ? year % 4 == 0 : gregorian_leap(year);
    case CR_CAL_PROLEPTIC:
        return gregorian_leap(year);
    case CR_CAL_ALL_LEAP:
        return 1;
    default:
        return 0;
    }
}

int cr_cal_days_in_year(enum cr_calendar cal, int year)
{
    if (cal == CR_CAL_360)
        return 360;
    if (cal == CR_CAL_STANDARD && year == 1582)
        return 355; /* 1582-10-05 .. 1582-10-14 do not exist */
    return cr_cal_is_leap(cal, year) ? 366 : 365;
}

int cr_cal_days_in_month(enum cr_calendar cal, int year, int month)
{
    if (month < 1 || month > 12)
        return 0;
    if (cal == CR_CAL_360)
        return 30;
    int leap = cr_cal_is_leap(cal, year);
    return cum_days[leap][month] - cum_days[leap][month - 1];
}

int cr_cal_valid(enum cr_calendar cal, struct cr_date d)
{
    if (d.month < 1 || d.month > 12 || d.day < 1)
        return 0;
    if (d.day > cr_cal_days_in_month(cal, d.year, d.month))
        return 0;
    if (cal == CR_CAL_STANDARD && d.year == 1582 && d.month == 10 && d.day > 4 && d.day < 15)
        return 0;
    return 1;
}

/* Floor division: the day-number formulas below must also hold for dates
 * before year -4800 and for model calendars with negative years. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Julian Day Numbers (Fliegel & Van Flandern, with floor division). */
static int64_t jdn_gregorian(int y, int m, int d)
{
    int64_t a = (14 - m) / 12, yy = (int64_t)y + 4800 - a, mm = m + 12 * a - 3;
    return d + (153 * mm + 2) / 5 + 365 * yy + floor_div(yy, 4) - floor_div(yy, 100) +
           floor_div(yy, 400) - 32045;
}

static int64_t jdn_julian(int y, int m, int d)
{
    int64_t a = (14 - m) / 12, yy = (int64_t)y + 4800 - a, mm = m + 12 * a - 3;
    return d + (153 * mm + 2) / 5 + 365 * yy + floor_div(yy, 4) - 32083;
}

static struct cr_date from_jdn_gregorian(int64_t j)
{
    int64_t a = j + 32044, b = floor_div(4 * a + 3, 146097), c = a - floor_div(146097 * b, 4);
    int64_t d = floor_div(4 * c + 3, 1461), e = c - floor_div(1461 * d, 4),
            m = floor_div(5 * e + 2, 153);
    struct cr_date r = {(int)(100 * b + d - 4800 + m / 10), (int)(m + 3 - 12 * (m / 10)),
                        (int)(e - (153 * m + 2) / 5 + 1)};
    return r;
}

static struct cr_date from_jdn_julian(int64_t j)
{
    int64_t c = j + 32082, d = floor_div(4 * c + 3, 1461), e = c - floor_div(1461 * d, 4),
            m = floor_div(5 * e + 2, 153);
    struct cr_date r = {(int)(d - 4800 + m / 10), (int)(m + 3 - 12 * (m / 10)),
                        (int)(e - (153 * m + 2) / 5 + 1)};
    return r;
}

#define GREGORIAN_START_JDN 2299161 /* 1582-10-15 */

int64_t cr_cal_day_number(enum cr_calendar cal, struct cr_date d)
{
    switch (cal) {
    case CR_CAL_STANDARD: {
        int64_t g = jdn_gregorian(d.year, d.month, d.day);
        return g >= GREGORIAN_START_JDN ? g : jdn_julian(d.year, d.month, d.day);
    }
    case CR_CAL_PROLEPTIC:
        return jdn_gregorian(d.year, d.month, d.day);
    case CR_CAL_NOLEAP:
        return (int64_t)d.year * 365 + cum_days[0][d.month - 1] + d.day - 1;
    case CR_CAL_ALL_LEAP:
        return (int64_t)d.year * 366 + cum_days[1][d.month - 1] + d.day - 1;
    case CR_CAL_360:
        return (int64_t)d.year * 360 + (d.month - 1) * 30 + d.day - 1;
    }
    return 0;
}

static struct cr_date from_fixed_year(int64_t n, int len, const int *cum)
{
    int64_t y = floor_div(n, len);
    int r = (int)(n - y * len);
    int m = 1;
    while (m < 12 && r >= cum[m])
        m++;
    struct cr_date d = {(int)y, m, r - cum[m - 1] + 1};
    return d;
}

struct cr_date cr_cal_from_day_number(enum cr_calendar cal, int64_t n)
{
    switch (cal) {
    case CR_CAL_STANDARD:
        return n >= GREGORIAN_START_JDN ? from_jdn_gregorian(n) : from_jdn_julian(n);
    case CR_CAL_PROLEPTIC:
        return from_jdn_gregorian(n);
    case CR_CAL_NOLEAP:
        return from_fixed_year(n, 365, cum_days[0]);
    case CR_CAL_ALL_LEAP:
        return from_fixed_year(n, 366, cum_days[1]);
    case CR_CAL_360: {
        int64_t y = floor_div(n, 360);
        int r = (int)(n - y * 360);
        struct cr_date d = {(int)y, r / 30 + 1, r % 30 + 1};
        return d;
    }
    }
    struct cr_date zero = {0, 1, 1};
    return zero;
}

struct cr_date cr_cal_add_days(enum cr_calendar cal, struct cr_date d, int64_t n)
{
    return cr_cal_from_day_number(cal, cr_cal_day_number(cal, d) + n);
}

int cr_cal_doy(enum cr_calendar cal, struct cr_date d)
{
    struct cr_date jan1 = {d.year, 1, 1};
    return (int)(cr_cal_day_number(cal, d) - cr_cal_day_number(cal, jan1)) + 1;
}

/* Read an unsigned integer of 1..maxdigits digits at *p. */
static int read_int(const char **p, int maxdigits, int *out)
{
    int v = 0, n = 0;
    while (isdigit((unsigned char)**p) && n < maxdigits) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n == 0)
        return -1;
    *out = v;
    return 0;
}

int cr_time_units_parse(const char *units, struct cr_time_units *tu, char *why, size_t why_size)
{
    static const struct {
        const char *name;
        double seconds;
    } unit_names[] = {
        {"days", 86400}, {"day", 86400}, {"d", 86400},   {"hours", 3600}, {"hour", 3600},
        {"hrs", 3600},   {"hr", 3600},   {"h", 3600},    {"minutes", 60}, {"minute", 60},
        {"mins", 60},    {"min", 60},    {"seconds", 1}, {"second", 1},   {"secs", 1},
        {"sec", 1},      {"s", 1},
    };
    memset(tu, 0, sizeof *tu);
    const char *p = units;
    while (isspace((unsigned char)*p))
        p++;
    const char *word = p;
    while (isalpha((unsigned char)*p))
        p++;
    size_t wlen = (size_t)(p - word);
    int found = 0;
    for (size_t i = 0; i < sizeof unit_names / sizeof unit_names[0]; i++) {
        if (strlen(unit_names[i].name) == wlen &&
            strncasecmp(word, unit_names[i].name, wlen) == 0) {
            tu->seconds_per_unit = unit_names[i].seconds;
            found = 1;
            break;
        }
    }
    if (!found) {
        snprintf(
            why, why_size,
            "time units '%s': unknown unit (expected days, hours, minutes or seconds since a date)",
            units);
        return -1;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "since", 5) != 0) {
        snprintf(why, why_size, "time units '%s': expected '<unit> since <date>'", units);
        return -1;
    }
    p += 5;
    while (isspace((unsigned char)*p))
        p++;
    struct cr_date d;
    int negative = 0;
    if (*p == '-') { /* years before 0 occur in some model calendars */
        negative = 1;
        p++;
    }
    if (read_int(&p, 6, &d.year) || *p++ != '-' || read_int(&p, 2, &d.month) || *p++ != '-' ||
        read_int(&p, 2, &d.day)) {
        snprintf(why, why_size, "time units '%s': the reference date is not YYYY-MM-DD", units);
        return -1;
    }
    if (negative)
        d.year = -d.year;
    double secs = 0;
    if (*p == 'T' || *p == ' ') {
        const char *q = p + 1;
        while (isspace((unsigned char)*q))
            q++;
        int hh, mm = 0;
        double ss = 0;
        if (read_int(&q, 2, &hh) == 0) {
            if (*q == ':') {
                q++;
                if (read_int(&q, 2, &mm)) {
                    snprintf(why, why_size, "time units '%s': bad time of day", units);
                    return -1;
                }
                if (*q == ':') {
                    q++;
                    char *end;
                    ss = strtod(q, &end);
                    q = end;
                }
            }
            secs = hh * 3600.0 + mm * 60.0 + ss;
            p = q;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    /* Accept a UTC marker; other offsets would shift dates, so refuse them. */
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)
        p += 3;
    else if (strncmp(p, "+00:00", 6) == 0 || strncmp(p, "+0000", 5) == 0)
        p += (p[3] == ':') ? 6 : 5;
    else if (strncmp(p, "+0", 2) == 0 && p[2] == '\0')
        p += 2;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0') {
        snprintf(why, why_size, "time units '%s': unexpected '%s' after the reference date", units,
                 p);
        return -1;
    }
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || secs < 0 || secs >= 86400) {
        snprintf(why, why_size, "time units '%s': the reference date is not a valid date", units);
        return -1;
    }
    tu->epoch = d;
    tu->epoch_seconds = secs;
    return 0;
}

struct cr_date cr_time_to_date(enum cr_calendar cal, const struct cr_time_units *tu, double value,
                               double *seconds_of_day)
{
    double total = value * tu->seconds_per_unit + tu->epoch_seconds;
    /* Round to the millisecond so 0.9999999 days of float noise stays on its day. */
    total = floor(total * 1000.0 + 0.5) / 1000.0;
    double days = floor(total / 86400.0);
    if (seconds_of_day)
        *seconds_of_day = total - days * 86400.0;
    return cr_cal_add_days(cal, tu->epoch, (int64_t)days);
}

double cr_date_to_time(enum cr_calendar cal, const struct cr_time_units *tu, struct cr_date d,
                       double seconds_of_day)
{
    double days = (double)(cr_cal_day_number(cal, d) - cr_cal_day_number(cal, tu->epoch));
    return (days * 86400.0 + seconds_of_day - tu->epoch_seconds) / tu->seconds_per_unit;
}
