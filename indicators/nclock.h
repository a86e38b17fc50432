/* nclock.h — one lock around every netCDF-C/HDF5 call of the process.
 *
 * Debian builds netCDF-C and HDF5 without thread safety: two threads inside
 * the library at once corrupt its state. `climrisk compute --jobs N` runs
 * simulations in threads, so every netCDF call made while other threads
 * may run (the series reader's open/read/close, the annual-file writers,
 * the coordinate copy) goes through this lock, and the indicator arithmetic
 * stays outside it. The lock is process-wide because the library's state
 * is. Single-threaded tools (synth, inspect) do not need it. */
#ifndef CR_NCLOCK_H
#define CR_NCLOCK_H

void cr_netcdf_lock(void);
void cr_netcdf_unlock(void);

/* Call first in every thread (other than main) that makes netCDF calls:
 * Debian's HDF5 is built thread-safe, so its error-stack printing is set
 * per thread, and netCDF silences it only in the thread that initialised
 * the library; without this, expected lookups of absent attributes print
 * HDF5-DIAG traces from worker threads. */
void cr_netcdf_thread_init(void);

#endif
