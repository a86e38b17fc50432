/* calendar.h — CF calendars and time units.
 *
 * Climate models count days in several calendars (CF conventions §4.4.1):
 * standard/gregorian (Julian before 1582-10-15, Gregorian after),
 * proleptic_gregorian, noleap/365_day, all_leap/366_day and 360_day. This
 * module turns a CF time value ("days since 1950-01-01", "hours since ...")
 * into a calendar date and back, and answers calendar questions (days in a
 * year or month, day of year) without ever converting between calendars. */
#ifndef CR_CALENDAR_H
#define CR_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

enum cr_calendar { CR_CAL_STANDARD, CR_CAL_PROLEPTIC, CR_CAL_NOLEAP, CR_CAL_ALL_LEAP, CR_CAL_360 };

struct cr_date {
    int year, month, day; /* month 1..12, day 1..31 */
};

/* Parse a CF calendar attribute (case-insensitive); a missing attribute
 * means "standard" and is the caller's business. Returns 0 or -1. */
int cr_calendar_parse(const char *name, enum cr_calendar *cal);
const char *cr_calendar_name(enum cr_calendar cal);

int cr_cal_is_leap(enum cr_calendar cal, int year);
int cr_cal_days_in_year(enum cr_calendar cal, int year);
int cr_cal_days_in_month(enum cr_calendar cal, int year, int month);
int cr_cal_valid(enum cr_calendar cal, struct cr_date d);
/* Day of year, 1-based. */
int cr_cal_doy(enum cr_calendar cal, struct cr_date d);

/* A day count that increases by one per day of the calendar (its origin is
 * arbitrary but fixed); differences between two dates are exact. */
int64_t cr_cal_day_number(enum cr_calendar cal, struct cr_date d);
struct cr_date cr_cal_from_day_number(enum cr_calendar cal, int64_t n);
/* The date n days after d (n may be negative). */
struct cr_date cr_cal_add_days(enum cr_calendar cal, struct cr_date d, int64_t n);

/* Parsed CF time units: "<unit> since <date>[ <time>][ <tz>]". */
struct cr_time_units {
    double seconds_per_unit; /* 86400 for days, 3600 for hours, ... */
    struct cr_date epoch;
    double epoch_seconds; /* time of day of the epoch, seconds */
};

/* Parse units such as "days since 1950-01-01 00:00:00",
 * "hours since 1949-12-01T00:00:00Z", "days since 1950-1-1". Returns 0 or -1
 * with a reason in why. */
int cr_time_units_parse(const char *units, struct cr_time_units *tu, char *why, size_t why_size);

/* The calendar date (and seconds into the day) of a time value. */
struct cr_date cr_time_to_date(enum cr_calendar cal, const struct cr_time_units *tu, double value,
                               double *seconds_of_day);
/* The time value of midnight + seconds_of_day on date d. */
double cr_date_to_time(enum cr_calendar cal, const struct cr_time_units *tu, struct cr_date d,
                       double seconds_of_day);

#endif
