/* fuzz_time_units.c — CF time units, calendar names and time decoding.
 * Input: "<calendar>\n<units>\n" followed by 8 bytes of a double. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    const char *calname = "standard", *units = text;
    if (nl) {
        *nl = '\0';
        calname = text;
        units = nl + 1;
        char *nl2 = strchr(nl + 1, '\n');
        if (nl2)
            *nl2 = '\0';
    }
    double value = 0;
    if (size >= 8)
        memcpy(&value, data + size - 8, 8);
    enum cr_calendar cal = CR_CAL_STANDARD;
    if (cr_calendar_parse(calname, &cal) != 0)
        cal = CR_CAL_STANDARD;
    struct cr_time_units tu;
    char why[256];
    if (cr_time_units_parse(units, &tu, why, sizeof why) == 0 && isfinite(value) &&
        fabs(value * tu.seconds_per_unit) < 1e13) {
        double sod;
        struct cr_date d = cr_time_to_date(cal, &tu, value, &sod);
        if (!cr_cal_valid(cal, d) || sod < 0 || sod >= 86400)
            abort();
        /* The date maps back to the same time, to the millisecond. */
        double back = cr_date_to_time(cal, &tu, d, sod);
        double total = fabs(value * tu.seconds_per_unit) + tu.epoch_seconds;
        if (fabs(back - value) * tu.seconds_per_unit > 0.002 + total * 1e-15)
            abort();
    }
    free(text);
    return 0;
}
