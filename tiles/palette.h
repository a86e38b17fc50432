/* palette.h — the colour classes of the maps: IPCC AR6 palettes, class
 * breaks per indicator, and the legend files (JSON and PNG).
 *
 * One legend per indicator × quantity serves every scenario, horizon and
 * statistic, with breaks from the value range of all of them, so that a
 * colour means the same value on every map. Horizon means get a sequential
 * palette, anomalies a diverging one centred on 0. The RGB values are the
 * 10-class discrete palettes of IPCC-WG1/colormaps (docs/tiles.md says
 * which family each indicator uses and why). */
#ifndef CR_PALETTE_H
#define CR_PALETTE_H

#include <stddef.h>

#include "../core/error.h"
#include "../indicators/catalog.h"

#define CR_LEGEND_CLASSES 10

enum cr_legend_kind { CR_LEGEND_SEQUENTIAL, CR_LEGEND_DIVERGING };

struct cr_legend {
    char indicator[48];
    char quantity[16]; /* mean | anom */
    char unit[32];
    enum cr_legend_kind kind;
    char palette[16]; /* temp_seq, prec_div, ... */
    int reversed;
    int nclasses;
    double breaks[CR_LEGEND_CLASSES + 1];
    unsigned char rgb[CR_LEGEND_CLASSES][3];
    double data_min, data_max; /* NaN when no value was seen */
};

/* Build the legend of indicator def and quantity ("mean" or "anom") for
 * values in [min, max] (NaN, NaN when there are none). */
void cr_legend_make(struct cr_legend *lg, const struct cr_indicator_def *def, const char *quantity,
                    double min, double max);

/* Class of v: 0..nclasses-1, clamped to the end classes; -1 for NaN. */
int cr_legend_class(const struct cr_legend *lg, double v);

/* "Nice" step (1, 2, 2.5 or 5 x 10^n) of n classes covering [min, max]:
 * sequential breaks start at floor(min/step)*step; diverging breaks are
 * symmetric around 0 (exposed for tests). */
double cr_legend_step(double min, double max, int n, int diverging);

/* The palette table name and its attribution line. */
const char *cr_palette_source(const char *palette);

/* Write the legend JSON (docs/tiles.md) and the legend PNG. */
int cr_legend_write_json(const struct cr_legend *lg, const struct cr_indicator_def *def,
                         const char *path, struct cr_err *err);
int cr_legend_write_png(const struct cr_legend *lg, const char *path, struct cr_err *err);

#endif
