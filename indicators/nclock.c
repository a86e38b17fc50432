/* nclock.c — see nclock.h. */
#include "nclock.h"

#include <hdf5.h>
#include <pthread.h>

static pthread_mutex_t netcdf_mutex = PTHREAD_MUTEX_INITIALIZER;

void cr_netcdf_lock(void)
{
    pthread_mutex_lock(&netcdf_mutex);
}

void cr_netcdf_unlock(void)
{
    pthread_mutex_unlock(&netcdf_mutex);
}

void cr_netcdf_thread_init(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
