/* fuzz_units.c — CF units strings (ingest/units.h): normalisation and the
 * per-variable conversion table. Input: one byte selecting the variable,
 * then the units attribute. Normalising is idempotent and bounded; an
 * accepted unit gives a finite, positive scale and a finite offset. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum cr_var var = (enum cr_var)(data[0] % CR_VAR_COUNT);
    char *units = malloc(size);
    if (!units)
        return 0;
    memcpy(units, data + 1, size - 1);
    units[size - 1] = '\0';
    char a[64], b[64], small[4];
    cr_units_normalize(units, a, sizeof a);
    cr_units_normalize(a, b, sizeof b);
    if (strlen(a) >= sizeof a || strcmp(a, b) != 0)
        abort();
    cr_units_normalize(units, small, sizeof small);
    if (strlen(small) >= sizeof small)
        abort();
    struct cr_unit_conv conv;
    if (cr_units_conversion(var, units, &conv) == 0) {
        if (!isfinite(conv.scale) || !(conv.scale > 0) || !isfinite(conv.offset))
            abort();
        /* the spelling the table matched is accepted as normalised too */
        struct cr_unit_conv again;
        if (cr_units_conversion(var, a, &again) != 0 || again.scale != conv.scale ||
            again.offset != conv.offset)
            abort();
    }
    if (!cr_units_accepted(var))
        abort();
    free(units);
    return 0;
}
