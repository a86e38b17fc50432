/* png.c — palette PNG encoding with libpng into a memory buffer. */
#include "png.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct sink {
    struct cr_bytes *out;
};

static void write_fn(png_structp png, png_bytep data, png_size_t len)
{
    struct sink *s = png_get_io_ptr(png);
    cr_bytes_add(s->out, data, len);
}

static void flush_fn(png_structp png)
{
    (void)png;
}

int cr_png_encode_indexed(const uint8_t *pixels, int width, int height,
                          const struct cr_png_palette *pal, struct cr_bytes *out,
                          struct cr_err *err)
{
    if (pal->n < 1 || pal->n > 256 || width <= 0 || height <= 0)
        return cr_err_set(err, CR_EINTERNAL, "PNG: bad image %dx%d or palette %d", width, height,
                          pal->n);
    int depth = pal->n <= 16 ? 4 : 8;
    size_t rowbytes = depth == 4 ? (size_t)(width + 1) / 2 : (size_t)width;
    unsigned char *rows = malloc(rowbytes * (size_t)height);
    png_bytep *rowp = malloc(sizeof *rowp * (size_t)height);
    if (!rows || !rowp) {
        free(rows);
        free(rowp);
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    for (int y = 0; y < height; y++) {
        const uint8_t *src = pixels + (size_t)y * width;
        unsigned char *dst = rows + (size_t)y * rowbytes;
        if (depth == 8) {
            memcpy(dst, src, (size_t)width);
        } else {
            for (int x = 0; x < width; x += 2)
                dst[x / 2] = (unsigned char)((src[x] << 4) | (x + 1 < width ? src[x + 1] : 0));
        }
        rowp[y] = dst;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    /* volatile: modified between setjmp and a possible longjmp */
    volatile int rc = CR_OK;
    if (!png || !info) {
        rc = cr_err_set(err, CR_EINTERNAL, "libpng: cannot create a writer");
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        rc = cr_err_set(err, CR_EINTERNAL, "libpng: encoding failed");
        goto done;
    }
    struct sink s = {out};
    png_set_write_fn(png, &s, write_fn, flush_fn);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, depth, PNG_COLOR_TYPE_PALETTE,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color colors[256];
    int ntrans = 0;
    for (int i = 0; i < pal->n; i++) {
        colors[i].red = pal->rgb[i][0];
        colors[i].green = pal->rgb[i][1];
        colors[i].blue = pal->rgb[i][2];
        if (pal->alpha[i] != 255)
            ntrans = i + 1;
    }
    png_set_PLTE(png, info, colors, pal->n);
    if (ntrans)
        png_set_tRNS(png, info, pal->alpha, ntrans, NULL);
    /* Palette images compress best unfiltered (libpng's own advice). */
    png_set_filter(png, 0, PNG_FILTER_NONE);
    png_set_compression_level(png, 1);
    png_set_rows(png, info, rowp);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    if (cr_bytes_failed(out))
        rc = cr_err_set(err, CR_EINTERNAL, "out of memory writing PNG");
done:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(rows);
    free(rowp);
    return rc;
}
