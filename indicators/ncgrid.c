/* ncgrid.c — copying an input's grid into outputs; see ncgrid.h. */
#include "ncgrid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strutil.h"

#define NCX(call, msg)                                                                             \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR)                                                                       \
            return cr_err_set(err, CR_EINTERNAL, "writing %s: %s: %s", what, msg,                  \
                              nc_strerror(st_));                                                   \
    } while (0)

static int has_var(const struct cr_ncgrid_copy *c, int varid)
{
    for (int i = 0; i < c->n; i++)
        if (c->in_varid[i] == varid)
            return 1;
    return 0;
}

/* Keep varid if every dimension it has is spatial (time-dependent
 * variables are not grid variables). */
static void consider(int in, int varid, const int *in_dims, int nsp, struct cr_ncgrid_copy *c)
{
    int nd;
    if (varid < 0 || has_var(c, varid) || c->n >= 16 || nc_inq_varndims(in, varid, &nd) != NC_NOERR)
        return;
    int dims[NC_MAX_VAR_DIMS];
    nc_inq_vardimid(in, varid, dims);
    for (int k = 0; k < nd; k++) {
        int ok = 0;
        for (int s = 0; s < nsp; s++)
            ok |= dims[k] == in_dims[s];
        if (!ok)
            return;
    }
    c->in_varid[c->n++] = varid;
}

int cr_ncgrid_define(int in, const char *var, const char dim_names[][64], int nsp_names, int out,
                     const int *out_dims, struct cr_ncgrid_copy *c, const char *what,
                     struct cr_err *err)
{
    memset(c, 0, sizeof *c);
    int dvar, in_dims[2], nsp = 0;
    NCX(nc_inq_varid(in, var, &dvar), "finding the source's data variable");
    for (int s = 0; s < nsp_names; s++) {
        if (!dim_names[s][0])
            continue;
        NCX(nc_inq_dimid(in, dim_names[s], &in_dims[nsp]), "finding a spatial dimension");
        nsp++;
    }
    for (int s = 0; s < nsp; s++) {
        int v;
        char name[NC_MAX_NAME + 1];
        nc_inq_dimname(in, in_dims[s], name);
        if (nc_inq_varid(in, name, &v) == NC_NOERR)
            consider(in, v, in_dims, nsp, c);
    }
    char coords[512] = "";
    size_t len;
    if (nc_inq_attlen(in, dvar, "coordinates", &len) == NC_NOERR && len < sizeof coords) {
        nc_get_att_text(in, dvar, "coordinates", coords);
        coords[len] = '\0';
    }
    char copy[512];
    cr_strlcpy(copy, coords, sizeof copy);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int v;
        if (nc_inq_varid(in, tok, &v) == NC_NOERR)
            consider(in, v, in_dims, nsp, c);
    }
    if (nc_inq_attlen(in, dvar, "grid_mapping", &len) == NC_NOERR && len < sizeof c->grid_mapping) {
        nc_get_att_text(in, dvar, "grid_mapping", c->grid_mapping);
        c->grid_mapping[len] = '\0';
        int v;
        if (nc_inq_varid(in, c->grid_mapping, &v) == NC_NOERR)
            consider(in, v, in_dims, nsp, c);
        else
            c->grid_mapping[0] = '\0';
    }
    /* the `coordinates` attribute lists only what was copied */
    cr_strlcpy(copy, coords, sizeof copy);
    save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int v;
        if (nc_inq_varid(in, tok, &v) == NC_NOERR && has_var(c, v)) {
            size_t l = strlen(c->coordinates);
            snprintf(c->coordinates + l, sizeof c->coordinates - l, "%s%s", l ? " " : "", tok);
        }
    }
    for (int i = 0; i < c->n; i++) {
        char name[NC_MAX_NAME + 1];
        nc_type type;
        int nd, dims[NC_MAX_VAR_DIMS], natts, od[NC_MAX_VAR_DIMS];
        NCX(nc_inq_var(in, c->in_varid[i], name, &type, &nd, dims, &natts), "a grid variable");
        for (int k = 0; k < nd; k++)
            for (int s = 0; s < nsp; s++)
                if (dims[k] == in_dims[s])
                    od[k] = out_dims[s];
        NCX(nc_def_var(out, name, type, nd, od, &c->out_varid[i]), "defining a grid variable");
        for (int a = 0; a < natts; a++) {
            char aname[NC_MAX_NAME + 1];
            nc_inq_attname(in, c->in_varid[i], a, aname);
            NCX(nc_copy_att(in, c->in_varid[i], aname, out, c->out_varid[i]),
                "copying a grid attribute");
        }
    }
    return CR_OK;
}

int cr_ncgrid_copy_data(int in, int out, const struct cr_ncgrid_copy *c, const char *what,
                        struct cr_err *err)
{
    for (int i = 0; i < c->n; i++) {
        nc_type type;
        int nd, dims[NC_MAX_VAR_DIMS];
        NCX(nc_inq_vartype(in, c->in_varid[i], &type), "a grid variable");
        if (type == NC_STRING || type >= NC_FIRSTUSERTYPEID)
            continue; /* never a grid coordinate in practice */
        NCX(nc_inq_varndims(in, c->in_varid[i], &nd), "a grid variable");
        NCX(nc_inq_vardimid(in, c->in_varid[i], dims), "a grid variable");
        size_t n = 1, tsize;
        for (int k = 0; k < nd; k++) {
            size_t len;
            nc_inq_dimlen(in, dims[k], &len);
            n *= len;
        }
        NCX(nc_inq_type(in, type, NULL, &tsize), "a grid variable's type");
        void *buf = malloc(n * tsize + 1);
        if (!buf)
            return cr_err_set(err, CR_EINTERNAL, "out of memory");
        int st = nc_get_var(in, c->in_varid[i], buf);
        if (st == NC_NOERR)
            st = nc_put_var(out, c->out_varid[i], buf);
        free(buf);
        NCX(st, "copying a grid variable");
    }
    return CR_OK;
}

static int read_axis(int ncid, const char *dimname, double **v, size_t *n)
{
    int dim, var;
    if (nc_inq_dimid(ncid, dimname, &dim) != NC_NOERR || nc_inq_dimlen(ncid, dim, n) != NC_NOERR ||
        *n < 2 || nc_inq_varid(ncid, dimname, &var) != NC_NOERR)
        return -1;
    *v = malloc(sizeof **v * *n);
    if (!*v || nc_get_var_double(ncid, var, *v) != NC_NOERR) {
        free(*v);
        *v = NULL;
        return -1;
    }
    return 0;
}

/* Equal steps within 1e-6 of the step. */
static int regular(const double *v, size_t n, double *step)
{
    *step = v[1] - v[0];
    if (*step == 0)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (fabs((v[i] - v[i - 1]) - *step) > 1e-6 * fabs(*step))
            return 0;
    return 1;
}

int cr_ncgrid_geo(int ncid, const char *ydim, const char *xdim, const char *gm, double gt[6],
                  int *flip, char *wkt, size_t wkt_size)
{
    double *x = NULL, *y = NULL;
    size_t nx, ny;
    double dx, dy;
    int ok = read_axis(ncid, xdim, &x, &nx) == 0 && read_axis(ncid, ydim, &y, &ny) == 0 &&
             regular(x, nx, &dx) && regular(y, ny, &dy);
    if (ok) {
        gt[0] = x[0] - dx / 2;
        gt[1] = dx;
        gt[2] = 0;
        gt[4] = 0;
        *flip = dy > 0;
        double ytop = dy > 0 ? y[ny - 1] : y[0];
        gt[3] = ytop + fabs(dy) / 2;
        gt[5] = -fabs(dy);
    }
    free(x);
    free(y);
    if (!ok)
        return -1;
    wkt[0] = '\0';
    int gv;
    if (gm && gm[0] && nc_inq_varid(ncid, gm, &gv) == NC_NOERR) {
        const char *names[2] = {"crs_wkt", "spatial_ref"};
        for (int k = 0; k < 2 && !wkt[0]; k++) {
            size_t len;
            nc_type t;
            if (nc_inq_att(ncid, gv, names[k], &t, &len) == NC_NOERR && t == NC_CHAR &&
                len < wkt_size) {
                nc_get_att_text(ncid, gv, names[k], wkt);
                wkt[len] = '\0';
            }
        }
    } else if (gm && strcmp(gm, "") == 0) {
        /* no grid mapping: plain longitude/latitude axes */
    }
    return 0;
}
