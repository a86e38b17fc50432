/* png.h — palette PNG images in memory through libpng: the raster tiles
 * and the legend images.
 *
 * Palette ("indexed colour") PNGs hold one byte or less per pixel and a
 * colour table, which suits classed maps: a tile is a few hundred bytes to
 * a few KB. Entries with alpha 0 (tRNS) are transparent. */
#ifndef CR_PNG_H
#define CR_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "bytes.h"

struct cr_png_palette {
    int n; /* 1..256 entries */
    unsigned char rgb[256][3];
    unsigned char alpha[256]; /* 0 = transparent, 255 = opaque */
};

/* Encode a width x height image of palette indices (one byte per pixel,
 * row-major) and append the PNG file bytes to out. Uses 4-bit pixels when
 * the palette has at most 16 entries. */
int cr_png_encode_indexed(const uint8_t *pixels, int width, int height,
                          const struct cr_png_palette *pal, struct cr_bytes *out,
                          struct cr_err *err);

#endif
