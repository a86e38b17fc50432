/* h5chunk.h — whole-map chunks of a NetCDF-4 variable, read raw through
 * HDF5 and inflated with libdeflate.
 *
 * Reading a DRIAS file is mostly inflating its chunks: in `climrisk
 * compute`, zlib (called by HDF5's deflate filter) took 57 % of the CPU.
 * libdeflate (Debian's libdeflate) inflates the same stream about twice as
 * fast, but HDF5 1.10 refuses to let a program replace its predefined
 * deflate filter. So for the layout DRIAS and `synth` use (time first,
 * each chunk spanning the whole map, float32, shuffle and/or deflate and
 * nothing else) this module fetches each chunk's stored bytes with
 * H5Dread_chunk and undoes deflate and shuffle itself. Any other layout,
 * filter or type is "not eligible" and the caller reads through netCDF.
 *
 * Values come out raw (fill values as stored, no scale/offset): the caller
 * decodes them as it does netCDF's. A handle is used by one thread at a
 * time, and callers hold the process's netCDF lock (indicators/nclock.h)
 * around every call, as for netCDF: HDF5 is called from the caller's thread
 * only. With threads > 1, a read of several one-step chunks inflates them
 * on that many threads (started and joined inside the call): one reader
 * then keeps more than one core busy. Chunks read, and chunks written by
 * the writer below, leave the page cache (core/dropbehind.h). */
#ifndef CR_H5CHUNK_H
#define CR_H5CHUNK_H

#include <stddef.h>

#include "../core/error.h"

#define CR_H5CHUNK_MAX_THREADS 8

struct cr_h5chunk;

/* The variable `var_name` of the NetCDF-4 file at path, opened for direct
 * chunk reads; NULL when it is not eligible (or not NetCDF-4), which is not
 * an error. The dataset must have the shape netCDF reported (ndims, dimlen,
 * time first), so a name HDF5 resolves differently is never read. `threads`
 * (1..CR_H5CHUNK_MAX_THREADS) decode one read. `why` (may be NULL) gets a
 * short reason for the debug log. */
struct cr_h5chunk *cr_h5chunk_open(const char *path, const char *var_name, int ndims,
                                   const size_t *dimlen, int threads, const char **why);

/* nt time steps from t0 into out (nt * cells-per-step floats). Returns 0,
 * or -1 when a chunk cannot be read or decoded (a damaged file): the caller
 * then reads through netCDF, which reports the error in its own words. */
int cr_h5chunk_read(struct cr_h5chunk *c, size_t t0, size_t nt, float *out);

void cr_h5chunk_close(struct cr_h5chunk *c);

/* ---- writing (climrisk synth) ----------------------------------------------
 * The same shortcut the other way: HDF5 would deflate each chunk with zlib,
 * allocating and freeing the codec's state every time (half of synth's
 * time went to zlib, a third to the kernel remapping those buffers). The
 * writer shuffles and deflates each map itself, with reused buffers (at
 * level 1 a run-length deflate, ingest/rle_deflate.h, five times
 * libdeflate's speed, files within 6 % of its size; libdeflate at higher
 * levels), and stores it with H5Dwrite_chunk.
 *
 * Use: define the file with netCDF (the variable chunked one step by the
 * whole map, shuffle and/or deflate or no filter, float32), write every
 * other variable, including the time coordinate, close it with nc_close;
 * then open the writer, write each step once, close. The level is the one
 * netCDF stored in the variable's deflate filter. */
struct cr_h5chunk_writer;

/* Open var_name of the closed NetCDF-4 file at path and extend it to ntime
 * steps (its time dimension must be unlimited or already that long). */
int cr_h5chunk_writer_open(struct cr_h5chunk_writer **out, const char *path, const char *var_name,
                           size_t ntime, struct cr_err *err);
/* Store one map (the chunk of step t). */
int cr_h5chunk_write(struct cr_h5chunk_writer *w, size_t t, const float *map, struct cr_err *err);
/* Flush and close; an error means the file is incomplete (discard it).
 * Also releases w after an error. */
int cr_h5chunk_writer_close(struct cr_h5chunk_writer *w, struct cr_err *err);

#endif
