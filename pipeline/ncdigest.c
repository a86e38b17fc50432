/* ncdigest.c — see ncdigest.h. */
#include "ncdigest.h"

#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../indicators/nclock.h"

/* Which variables are hashed: those whose name starts with prefix, or
 * those named in names[0..nnames). */
struct selection {
    const char *prefix;
    const char *const *names;
    size_t nnames;
};

static int selected(const struct selection *sel, const char *name)
{
    if (sel->prefix)
        return strncmp(name, sel->prefix, strlen(sel->prefix)) == 0;
    for (size_t i = 0; i < sel->nnames; i++)
        if (strcmp(name, sel->names[i]) == 0)
            return 1;
    return 0;
}

static int digest(int nc, const char *path, const struct selection *sel, struct cr_sha256 *h,
                  int *matched, struct cr_err *err)
{
    int nvars;
    if (nc_inq_nvars(nc, &nvars) != NC_NOERR)
        return cr_err_set(err, CR_EDATA, "%s: cannot list its variables", path);
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        nc_type type;
        int ndims, dims[NC_MAX_VAR_DIMS];
        if (nc_inq_var(nc, v, name, &type, &ndims, dims, NULL) != NC_NOERR)
            return cr_err_set(err, CR_EDATA, "%s: cannot read variable %d", path, v);
        if (!selected(sel, name) || type == NC_STRING || type == NC_CHAR)
            continue;
        size_t count = 1, size;
        char shape[256];
        int n = snprintf(shape, sizeof shape, "%s:%d:", name, (int)type);
        for (int d = 0; d < ndims; d++) {
            size_t len;
            nc_inq_dimlen(nc, dims[d], &len);
            count *= len;
            n += snprintf(shape + n, sizeof shape - (size_t)n, "%zu,", len);
        }
        cr_sha256_update(h, shape, strlen(shape));
        (*matched)++;
        if (nc_inq_type(nc, type, NULL, &size) != NC_NOERR)
            return cr_err_set(err, CR_EDATA, "%s: %s: unknown type", path, name);
        void *buf = malloc(count > 0 ? count * size : 1);
        if (!buf)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        if (count && nc_get_var(nc, v, buf) != NC_NOERR) {
            free(buf);
            return cr_err_set(err, CR_EDATA, "%s: cannot read %s", path, name);
        }
        cr_sha256_update(h, buf, count * size);
        free(buf);
    }
    return CR_OK;
}

static int digest_file(const char *path, const struct selection *sel, char hex[CR_SHA256_HEX],
                       int *matched, struct cr_err *err)
{
    *matched = 0;
    struct cr_sha256 h;
    int rc = cr_sha256_init(&h, err);
    if (rc)
        return rc;
    int nc;
    cr_netcdf_lock();
    if (nc_open(path, NC_NOWRITE, &nc) != NC_NOERR) {
        cr_netcdf_unlock();
        cr_sha256_free(&h);
        return cr_err_set(err, CR_EDATA, "%s: cannot open it as NetCDF", path);
    }
    rc = digest(nc, path, sel, &h, matched, err);
    nc_close(nc);
    cr_netcdf_unlock();
    if (rc) {
        cr_sha256_free(&h);
        return rc;
    }
    cr_sha256_final(&h, hex);
    return CR_OK;
}

int cr_nc_digest_vars(const char *path, const char *prefix, char hex[CR_SHA256_HEX], int *matched,
                      struct cr_err *err)
{
    struct selection sel = {prefix, NULL, 0};
    return digest_file(path, &sel, hex, matched, err);
}

int cr_nc_digest_named(const char *path, const char *const *names, size_t nnames,
                       char hex[CR_SHA256_HEX], int *matched, struct cr_err *err)
{
    struct selection sel = {NULL, names, nnames};
    return digest_file(path, &sel, hex, matched, err);
}
