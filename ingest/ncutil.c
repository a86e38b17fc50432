/* ncutil.c — netCDF attribute helpers; see ncutil.h. */
#include "ncutil.h"

#include <netcdf.h>
#include <stdlib.h>
#include <string.h>

int cr_nc_text_att(int ncid, int varid, const char *name, char *out, size_t size)
{
    nc_type type;
    size_t len;
    if (size == 0)
        return -1;
    out[0] = '\0';
    if (nc_inq_att(ncid, varid, name, &type, &len) != NC_NOERR)
        return -1;
    if (type == NC_CHAR) {
        if (len >= size)
            return -1;
        if (nc_get_att_text(ncid, varid, name, out) != NC_NOERR)
            return -1;
        out[len] = '\0';
        /* Some writers count the terminating NUL in the length. */
        return 0;
    }
    if (type == NC_STRING && len == 1) {
        char *s = NULL;
        if (nc_get_att_string(ncid, varid, name, &s) != NC_NOERR)
            return -1;
        int rc = -1;
        if (s && strlen(s) < size) {
            strcpy(out, s);
            rc = 0;
        }
        nc_free_string(1, &s);
        return rc;
    }
    return -1;
}

int cr_nc_double_atts(int ncid, int varid, const char *name, double *out, int max)
{
    nc_type type;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &type, &len) != NC_NOERR)
        return 0;
    if (type == NC_CHAR || type == NC_STRING || len == 0 || len > 64)
        return 0;
    double buf[64];
    if (nc_get_att_double(ncid, varid, name, buf) != NC_NOERR)
        return 0;
    int n = (int)len < max ? (int)len : max;
    memcpy(out, buf, sizeof(double) * (size_t)n);
    return n;
}

int cr_nc_double_att(int ncid, int varid, const char *name, double *out)
{
    return cr_nc_double_atts(ncid, varid, name, out, 1) == 1 ? 0 : -1;
}

int cr_nc_coord_var(int ncid, int dimid)
{
    char name[NC_MAX_NAME + 1];
    int varid, nd, dim;
    if (nc_inq_dimname(ncid, dimid, name) != NC_NOERR)
        return -1;
    if (nc_inq_varid(ncid, name, &varid) != NC_NOERR)
        return -1;
    if (nc_inq_varndims(ncid, varid, &nd) != NC_NOERR || nd != 1)
        return -1;
    if (nc_inq_vardimid(ncid, varid, &dim) != NC_NOERR || dim != dimid)
        return -1;
    return varid;
}
