/* cfgrid.c — grid shape, CRS and per-cell lat/lon of a CF variable; see
 * cfgrid.h.
 *
 * CRS sources, most trusted first: an `epsg` / `EPSG_code` attribute on the
 * grid-mapping variable (DRIAS writes one), a `crs_wkt` or `spatial_ref`
 * WKT, then the CF grid-mapping parameters turned into a PROJ string. The
 * EPSG code of a CRS built from parameters is asked of PROJ
 * (proj_identify). */
#include "cfgrid.h"

#include <math.h>
#include <netcdf.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/log.h"
#include "../core/strutil.h"
#include "ncutil.h"

#define COORD_TOLERANCE 1e-4 /* degrees; float-stored coordinates differ by ~1e-6 */

struct crs_def {
    char def[8192]; /* what proj_create accepts */
    int epsg;       /* given by the file */
    int known;      /* def is usable */
};

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

/* "27572", "EPSG:27572" or a number. */
static int epsg_attribute(int ncid, int varid)
{
    static const char *const names[] = {"epsg", "EPSG", "epsg_code", "EPSG_code", NULL};
    for (const char *const *n = names; *n; n++) {
        char text[64];
        double v;
        if (cr_nc_text_att(ncid, varid, *n, text, sizeof text) == 0) {
            const char *p = text;
            if (strncasecmp(p, "EPSG:", 5) == 0)
                p += 5;
            long code;
            if (cr_parse_long(cr_trim((char *)p), &code) == 0 && code > 0 && code < 1000000)
                return (int)code;
        } else if (cr_nc_double_att(ncid, varid, *n, &v) == 0 && v > 0 && v < 1e6) {
            return (int)v;
        }
    }
    return 0;
}

/* Earth shape from CF attributes, WGS84 when the file does not say. */
static void earth_shape(int ncid, int gm, char *out, size_t size)
{
    double a, b, rf, r;
    if (cr_nc_double_att(ncid, gm, "earth_radius", &r) == 0)
        snprintf(out, size, " +R=%.10g", r);
    else if (cr_nc_double_att(ncid, gm, "semi_major_axis", &a) == 0 &&
             cr_nc_double_att(ncid, gm, "inverse_flattening", &rf) == 0)
        snprintf(out, size, " +a=%.10g +rf=%.16g", a, rf);
    else if (cr_nc_double_att(ncid, gm, "semi_major_axis", &a) == 0 &&
             cr_nc_double_att(ncid, gm, "semi_minor_axis", &b) == 0)
        snprintf(out, size, " +a=%.10g +b=%.10g", a, b);
    else
        snprintf(out, size, " +datum=WGS84");
}

static double att_or(int ncid, int varid, const char *name, double def)
{
    double v;
    return cr_nc_double_att(ncid, varid, name, &v) == 0 ? v : def;
}

/* A CRS from CF grid-mapping parameters. */
static void crs_from_parameters(int ncid, int gm, const char *mapping, struct crs_def *c)
{
    char shape[128];
    earth_shape(ncid, gm, shape, sizeof shape);
    double fe = att_or(ncid, gm, "false_easting", 0), fn = att_or(ncid, gm, "false_northing", 0);
    c->known = 1;
    if (strcmp(mapping, "latitude_longitude") == 0) {
        snprintf(c->def, sizeof c->def, "EPSG:4326");
    } else if (strcmp(mapping, "rotated_latitude_longitude") == 0) {
        double plat = att_or(ncid, gm, "grid_north_pole_latitude", NAN);
        double plon = att_or(ncid, gm, "grid_north_pole_longitude", NAN);
        double gl = att_or(ncid, gm, "north_pole_grid_longitude", 0);
        if (isnan(plat) || isnan(plon)) {
            c->known = 0;
            return;
        }
        snprintf(c->def, sizeof c->def,
                 "+proj=ob_tran +o_proj=longlat +o_lon_p=%.10g +o_lat_p=%.10g +lon_0=%.10g "
                 "+datum=WGS84 +no_defs +type=crs",
                 gl, plat, 180.0 + plon);
    } else if (strcmp(mapping, "lambert_conformal_conic") == 0) {
        double sp[2];
        int nsp = cr_nc_double_atts(ncid, gm, "standard_parallel", sp, 2);
        double lon0 = att_or(ncid, gm, "longitude_of_central_meridian", 0);
        double lat0 = att_or(ncid, gm, "latitude_of_projection_origin", nsp ? sp[0] : 0);
        double k0 = att_or(ncid, gm, "scale_factor_at_projection_origin", 1);
        if (nsp == 0) {
            c->known = 0;
            return;
        }
        /* Lambert II étendu written with CF parameters (our generator,
         * GDAL's export): take the EPSG definition and its datum shift. */
        if (nsp == 1 && near(sp[0], 46.8, 1e-6) && near(lon0, 2.337229166666667, 1e-6) &&
            near(fe, 600000, 1e-3) && near(fn, 2200000, 1e-3)) {
            c->epsg = 27572;
            snprintf(c->def, sizeof c->def, "EPSG:27572");
            return;
        }
        if (nsp == 2)
            snprintf(c->def, sizeof c->def,
                     "+proj=lcc +lat_1=%.12g +lat_2=%.12g +lat_0=%.12g +lon_0=%.12g +x_0=%.10g "
                     "+y_0=%.10g%s +units=m +no_defs +type=crs",
                     sp[0], sp[1], lat0, lon0, fe, fn, shape);
        else
            snprintf(c->def, sizeof c->def,
                     "+proj=lcc +lat_1=%.12g +lat_0=%.12g +lon_0=%.12g +k_0=%.12g +x_0=%.10g "
                     "+y_0=%.10g%s +units=m +no_defs +type=crs",
                     sp[0], lat0, lon0, k0, fe, fn, shape);
    } else if (strcmp(mapping, "lambert_conformal_conic_1SP") == 0) {
        /* DRIAS files: latitude_of_origin = 52 and central_meridian = 0 are
         * grads on the Paris meridian, i.e. NTF Lambert II étendu. */
        double lat0 = att_or(ncid, gm, "latitude_of_origin", NAN);
        double lon0 = att_or(ncid, gm, "central_meridian", 0);
        double k0 = att_or(ncid, gm, "scale_factor", 1);
        if (near(lat0, 52, 1e-6) && near(lon0, 0, 1e-9) && near(fe, 600000, 1e-3) &&
            near(fn, 2200000, 1e-3)) {
            c->epsg = 27572;
            snprintf(c->def, sizeof c->def, "EPSG:27572");
            return;
        }
        if (isnan(lat0)) {
            c->known = 0;
            return;
        }
        snprintf(c->def, sizeof c->def,
                 "+proj=lcc +lat_1=%.12g +lat_0=%.12g +lon_0=%.12g +k_0=%.12g +x_0=%.10g "
                 "+y_0=%.10g%s +units=m +no_defs +type=crs",
                 lat0, lat0, lon0, k0, fe, fn, shape);
    } else if (strcmp(mapping, "lambert_azimuthal_equal_area") == 0) {
        snprintf(c->def, sizeof c->def,
                 "+proj=laea +lat_0=%.12g +lon_0=%.12g +x_0=%.10g +y_0=%.10g%s +units=m "
                 "+no_defs +type=crs",
                 att_or(ncid, gm, "latitude_of_projection_origin", 0),
                 att_or(ncid, gm, "longitude_of_projection_origin", 0), fe, fn, shape);
    } else if (strcmp(mapping, "transverse_mercator") == 0) {
        snprintf(c->def, sizeof c->def,
                 "+proj=tmerc +lat_0=%.12g +lon_0=%.12g +k_0=%.12g +x_0=%.10g +y_0=%.10g%s "
                 "+units=m +no_defs +type=crs",
                 att_or(ncid, gm, "latitude_of_projection_origin", 0),
                 att_or(ncid, gm, "longitude_of_central_meridian", 0),
                 att_or(ncid, gm, "scale_factor_at_central_meridian", 1), fe, fn, shape);
    } else {
        c->known = 0;
    }
}

/* The CRS of a grid-mapping variable. */
static void crs_of_mapping(int ncid, int gm, const char *mapping, struct crs_def *c)
{
    memset(c, 0, sizeof *c);
    c->epsg = epsg_attribute(ncid, gm);
    if (c->epsg) {
        snprintf(c->def, sizeof c->def, "EPSG:%d", c->epsg);
        c->known = 1;
        return;
    }
    if (cr_nc_text_att(ncid, gm, "crs_wkt", c->def, sizeof c->def) == 0 ||
        cr_nc_text_att(ncid, gm, "spatial_ref", c->def, sizeof c->def) == 0) {
        c->known = 1;
        return;
    }
    crs_from_parameters(ncid, gm, mapping, c);
}

/* Fill label and epsg from a PROJ object; identify the EPSG code when the
 * file did not give it. */
static void describe_crs(PJ_CONTEXT *ctx, PJ *crs, struct cr_grid *g, int given_epsg)
{
    const char *name = proj_get_name(crs);
    if (name && strcmp(name, "unknown") != 0 && strcmp(name, "unnamed") != 0)
        cr_strlcpy(g->crs_label, name, sizeof g->crs_label);
    g->epsg = given_epsg;
    if (!g->epsg) {
        const char *auth = proj_get_id_auth_name(crs, 0), *code = proj_get_id_code(crs, 0);
        if (auth && code && strcmp(auth, "EPSG") == 0)
            g->epsg = atoi(code);
    }
    if (!g->epsg) {
        int *conf = NULL;
        PJ_OBJ_LIST *l = proj_identify(ctx, crs, "EPSG", NULL, &conf);
        if (l && proj_list_get_count(l) > 0 && conf && conf[0] >= 70) {
            PJ *best = proj_list_get(ctx, l, 0);
            const char *code = best ? proj_get_id_code(best, 0) : NULL;
            if (code)
                g->epsg = atoi(code);
            if (best && !g->crs_label[0])
                cr_strlcpy(g->crs_label, proj_get_name(best), sizeof g->crs_label);
            proj_destroy(best);
        }
        proj_list_destroy(l);
        proj_int_list_destroy(conf);
    }
}

static int is_latitude(int ncid, int v)
{
    char sn[64], units[64], name[NC_MAX_NAME + 1];
    if (cr_nc_text_att(ncid, v, "standard_name", sn, sizeof sn) == 0)
        return strcmp(sn, "latitude") == 0;
    if (cr_nc_text_att(ncid, v, "units", units, sizeof units) == 0)
        return cr_strieq(units, "degrees_north") || cr_strieq(units, "degree_north") ||
               cr_strieq(units, "degrees_N") || cr_strieq(units, "degree_N") ||
               cr_strieq(units, "degreesN") || cr_strieq(units, "degreeN");
    nc_inq_varname(ncid, v, name);
    return strcmp(name, "lat") == 0 || strcmp(name, "latitude") == 0 ||
           strcmp(name, "nav_lat") == 0;
}

static int is_longitude(int ncid, int v)
{
    char sn[64], units[64], name[NC_MAX_NAME + 1];
    if (cr_nc_text_att(ncid, v, "standard_name", sn, sizeof sn) == 0)
        return strcmp(sn, "longitude") == 0;
    if (cr_nc_text_att(ncid, v, "units", units, sizeof units) == 0)
        return cr_strieq(units, "degrees_east") || cr_strieq(units, "degree_east") ||
               cr_strieq(units, "degrees_E") || cr_strieq(units, "degree_E") ||
               cr_strieq(units, "degreesE") || cr_strieq(units, "degreeE");
    nc_inq_varname(ncid, v, name);
    return strcmp(name, "lon") == 0 || strcmp(name, "longitude") == 0 ||
           strcmp(name, "nav_lon") == 0;
}

/* Which spatial axis (0 or 1) a dimension is, or -1. */
static int spatial_axis(const int *spatial_dims, int nspatial, int dimid)
{
    for (int k = 0; k < nspatial; k++)
        if (spatial_dims[k] == dimid)
            return k;
    return -1;
}

/* How a candidate coordinate variable covers the spatial dimensions:
 * 2 = both (axes in file order or swapped), 1 = one axis, 0 = not usable. */
struct coord_fit {
    int varid;
    int ndims;
    int axis[2]; /* spatial axis of each of the variable's dimensions */
};

static int coord_fits(int ncid, int v, const int *spatial_dims, int nspatial, struct coord_fit *f)
{
    int nd, dims[NC_MAX_VAR_DIMS];
    nc_type type;
    if (nc_inq_var(ncid, v, NULL, &type, &nd, dims, NULL) != NC_NOERR)
        return 0;
    if (type == NC_CHAR || type == NC_STRING || nd < 1 || nd > 2 || nd > nspatial)
        return 0;
    f->varid = v;
    f->ndims = nd;
    for (int k = 0; k < nd; k++) {
        f->axis[k] = spatial_axis(spatial_dims, nspatial, dims[k]);
        if (f->axis[k] < 0)
            return 0;
    }
    if (nd == 2 && f->axis[0] == f->axis[1])
        return 0;
    return nd;
}

/* Read a coordinate variable (as double, fill values -> NaN). */
static int read_coord(int ncid, int v, size_t n, double **out)
{
    double *buf = malloc(sizeof(double) * (n ? n : 1));
    if (!buf)
        return -1;
    if (nc_get_var_double(ncid, v, buf) != NC_NOERR) {
        free(buf);
        return -1;
    }
    double fill;
    int no_fill = 1;
    if (cr_nc_double_att(ncid, v, "_FillValue", &fill) == 0)
        no_fill = 0;
    for (size_t k = 0; k < n; k++)
        if (!no_fill && buf[k] == fill)
            buf[k] = NAN;
    *out = buf;
    return 0;
}

/* Spread a coordinate variable over the cells. */
static void spread(const struct cr_grid *g, const struct coord_fit *f, const double *v, double *out)
{
    size_t shape[2] = {g->ny, g->nx};
    for (size_t j = 0; j < g->ny; j++) {
        for (size_t i = 0; i < g->nx; i++) {
            size_t idx[2] = {j, i};
            size_t src;
            if (f->ndims == 1)
                src = idx[g->nspatial == 2 ? f->axis[0] : 1];
            else if (f->axis[0] == 0)
                src = j * g->nx + i;
            else
                src = i * shape[0] + j; /* stored (x, y) */
            out[j * g->nx + i] = v[src];
        }
    }
}

static double wrap_lon(double lon)
{
    if (isnan(lon))
        return lon;
    lon = fmod(lon + 180.0, 360.0);
    if (lon < 0)
        lon += 360.0;
    return lon - 180.0;
}

/* lat/lon from the file's own latitude and longitude variables. */
static int latlon_from_variables(int ncid, int varid, const int *spatial_dims, int nspatial,
                                 struct cr_grid *g)
{
    int nvars;
    nc_inq_nvars(ncid, &nvars);
    struct coord_fit best_lat = {-1, 0, {0, 0}}, best_lon = {-1, 0, {0, 0}};
    (void)varid;
    for (int v = 0; v < nvars; v++) {
        struct coord_fit f;
        int fit;
        if (is_latitude(ncid, v) && (fit = coord_fits(ncid, v, spatial_dims, nspatial, &f)) &&
            fit > best_lat.ndims)
            best_lat = f;
        else if (is_longitude(ncid, v) && (fit = coord_fits(ncid, v, spatial_dims, nspatial, &f)) &&
                 fit > best_lon.ndims)
            best_lon = f;
    }
    if (best_lat.varid < 0 || best_lon.varid < 0)
        return -1;
    /* Two 1-D coordinates must span different axes of a 2-D grid. */
    if (g->nspatial == 2 && best_lat.ndims == 1 && best_lon.ndims == 1 &&
        best_lat.axis[0] == best_lon.axis[0])
        return -1;
    if (best_lat.ndims != best_lon.ndims)
        return -1;
    size_t nlat = best_lat.ndims == 2 ? g->ncells : (best_lat.axis[0] == 0 ? g->ny : g->nx);
    size_t nlon = best_lon.ndims == 2 ? g->ncells : (best_lon.axis[0] == 0 ? g->ny : g->nx);
    if (g->nspatial == 1)
        nlat = nlon = g->nx;
    double *la = NULL, *lo = NULL;
    if (read_coord(ncid, best_lat.varid, nlat, &la) != 0 ||
        read_coord(ncid, best_lon.varid, nlon, &lo) != 0) {
        free(la);
        free(lo);
        return -1;
    }
    spread(g, &best_lat, la, g->lat);
    spread(g, &best_lon, lo, g->lon);
    for (size_t c = 0; c < g->ncells; c++)
        g->lon[c] = wrap_lon(g->lon[c]);
    free(la);
    free(lo);
    const char *source = g->nspatial == 1      ? "lat/lon per location"
                         : best_lat.ndims == 2 ? "2-D lat/lon"
                                               : "1-D lat/lon";
    cr_strlcpy(g->latlon_source, source, sizeof g->latlon_source);
    return 0;
}

/* X or Y role of a spatial coordinate variable: 'X', 'Y' or 0. */
static int xy_role(int ncid, int v)
{
    char text[64];
    if (cr_nc_text_att(ncid, v, "axis", text, sizeof text) == 0 &&
        (text[0] == 'X' || text[0] == 'Y'))
        return text[0];
    if (cr_nc_text_att(ncid, v, "standard_name", text, sizeof text) == 0) {
        if (strcmp(text, "projection_x_coordinate") == 0 || strcmp(text, "grid_longitude") == 0)
            return 'X';
        if (strcmp(text, "projection_y_coordinate") == 0 || strcmp(text, "grid_latitude") == 0)
            return 'Y';
    }
    return 0;
}

/* Metres per unit of a projection coordinate (1 for degrees of a rotated
 * grid, which PROJ takes as they are). */
static double xy_factor(int ncid, int v)
{
    char units[64];
    if (cr_nc_text_att(ncid, v, "units", units, sizeof units) != 0)
        return 1;
    if (cr_strieq(units, "km") || cr_strieq(units, "kilometre") || cr_strieq(units, "kilometer") ||
        cr_strieq(units, "kilometres") || cr_strieq(units, "kilometers"))
        return 1000;
    return 1;
}

/* lat/lon computed with PROJ from 1-D x/y coordinates and the CRS. */
static int latlon_from_projection(int ncid, const int *spatial_dims, PJ_CONTEXT *ctx, PJ *crs,
                                  struct cr_grid *g, char *why, size_t why_size)
{
    if (g->nspatial != 2) {
        snprintf(why, why_size, "no lat/lon variables for the locations");
        return -1;
    }
    int cv[2] = {cr_nc_coord_var(ncid, spatial_dims[0]), cr_nc_coord_var(ncid, spatial_dims[1])};
    if (cv[0] < 0 || cv[1] < 0) {
        snprintf(why, why_size, "no lat/lon variables and no x/y coordinate variables");
        return -1;
    }
    /* CF order is (y, x); roles from axis/standard_name when given. */
    int xaxis = 1;
    if (xy_role(ncid, cv[0]) == 'X' || xy_role(ncid, cv[1]) == 'Y')
        xaxis = 0;
    double *c0 = NULL, *c1 = NULL;
    if (read_coord(ncid, cv[0], g->ny, &c0) != 0 || read_coord(ncid, cv[1], g->nx, &c1) != 0) {
        free(c0);
        free(c1);
        snprintf(why, why_size, "cannot read the x/y coordinate variables");
        return -1;
    }
    double f0 = xy_factor(ncid, cv[0]), f1 = xy_factor(ncid, cv[1]);
    PJ *wgs = proj_create(ctx, "EPSG:4326");
    PJ *raw = wgs ? proj_create_crs_to_crs_from_pj(ctx, crs, wgs, NULL, NULL) : NULL;
    PJ *pj = raw ? proj_normalize_for_visualization(ctx, raw) : NULL;
    int rc = 0;
    if (!pj) {
        snprintf(why, why_size, "PROJ cannot transform the grid's CRS to EPSG:4326: %s",
                 proj_context_errno_string(ctx, proj_context_errno(ctx)));
        rc = -1;
    }
    for (size_t j = 0; rc == 0 && j < g->ny; j++) {
        for (size_t i = 0; i < g->nx; i++) {
            double a = c0[j] * f0, b = c1[i] * f1;
            PJ_COORD in = xaxis == 1 ? proj_coord(b, a, 0, 0) : proj_coord(a, b, 0, 0);
            PJ_COORD out = proj_trans(pj, PJ_FWD, in);
            size_t c = j * g->nx + i;
            if (out.xy.x == HUGE_VAL || isnan(out.xy.x)) {
                g->lon[c] = g->lat[c] = NAN;
            } else {
                g->lon[c] = wrap_lon(out.xy.x);
                g->lat[c] = out.xy.y;
            }
        }
    }
    proj_destroy(pj);
    proj_destroy(raw);
    proj_destroy(wgs);
    free(c0);
    free(c1);
    if (rc == 0)
        cr_strlcpy(g->latlon_source, "PROJ from x/y", sizeof g->latlon_source);
    return rc;
}

int cr_grid_read(int ncid, int varid, const int *spatial_dims, int nspatial, const char *path,
                 struct cr_grid *g, struct cr_err *err)
{
    memset(g, 0, sizeof *g);
    char vname[NC_MAX_NAME + 1] = "";
    nc_inq_varname(ncid, varid, vname);
    g->nspatial = nspatial;
    g->ny = g->nx = 1;
    for (int k = 0; k < nspatial; k++) {
        size_t len;
        char name[NC_MAX_NAME + 1];
        nc_inq_dim(ncid, spatial_dims[k], name, &len);
        int slot = nspatial == 2 ? k : 1;
        cr_strlcpy(g->dim_names[slot], name, sizeof g->dim_names[slot]);
        if (slot == 0)
            g->ny = len;
        else
            g->nx = len;
    }
    g->ncells = g->ny * g->nx;
    g->lat = malloc(sizeof(double) * g->ncells);
    g->lon = malloc(sizeof(double) * g->ncells);
    if (!g->lat || !g->lon) {
        cr_grid_free(g);
        return cr_err_set(err, CR_EINTERNAL, "out of memory for the grid of '%s'", path);
    }
    for (size_t c = 0; c < g->ncells; c++)
        g->lat[c] = g->lon[c] = NAN;

    /* The CRS. */
    struct crs_def cd;
    memset(&cd, 0, sizeof cd);
    char gmname[NC_MAX_NAME + 1];
    char mapping[64] = "";
    if (cr_nc_text_att(ncid, varid, "grid_mapping", gmname, sizeof gmname) == 0) {
        /* CF 1.7 allows "name: coords"; the first word is the variable. */
        char *colon = strchr(gmname, ':');
        if (colon)
            *colon = '\0';
        cr_trim(gmname);
        int gm;
        if (nc_inq_varid(ncid, gmname, &gm) != NC_NOERR) {
            cr_grid_free(g);
            return cr_err_set(err, CR_EDATA,
                              "'%s': variable %s names grid_mapping '%s', which the file does "
                              "not have (a damaged or hand-edited file?)",
                              path, vname, gmname);
        }
        if (cr_nc_text_att(ncid, gm, "grid_mapping_name", mapping, sizeof mapping) != 0)
            cr_strlcpy(mapping, "", sizeof mapping);
        crs_of_mapping(ncid, gm, mapping, &cd);
        cr_strlcpy(g->crs_name, mapping[0] ? mapping : gmname, sizeof g->crs_name);
    }

    int have_latlon = latlon_from_variables(ncid, varid, spatial_dims, nspatial, g) == 0;
    if (!cd.known && !g->crs_name[0] && have_latlon &&
        strcmp(g->latlon_source, "1-D lat/lon") == 0) {
        /* (time, lat, lon) without a grid mapping: plain geographic. */
        cr_strlcpy(g->crs_name, "latitude_longitude", sizeof g->crs_name);
        snprintf(cd.def, sizeof cd.def, "EPSG:4326");
        cd.known = 1;
    }

    PJ_CONTEXT *ctx = proj_context_create();
    proj_log_level(ctx, PJ_LOG_NONE);
    PJ *crs = cd.known ? proj_create(ctx, cd.def) : NULL;
    if (cd.known && !crs)
        cr_warn("'%s': PROJ cannot build the CRS of %s (%s): %s", path, vname, g->crs_name,
                proj_context_errno_string(ctx, proj_context_errno(ctx)));
    if (crs)
        describe_crs(ctx, crs, g, cd.epsg);
    else if (g->crs_name[0])
        snprintf(g->crs_label, sizeof g->crs_label, "%s (not understood)", g->crs_name);
    if (strcmp(g->crs_name, "rotated_latitude_longitude") == 0 && crs)
        cr_strlcpy(g->crs_label, "rotated pole", sizeof g->crs_label);

    if (!have_latlon) {
        char why[256] = "no lat/lon variables and no grid mapping";
        if (!crs || latlon_from_projection(ncid, spatial_dims, ctx, crs, g, why, sizeof why) != 0) {
            cr_strlcpy(g->latlon_source, "none", sizeof g->latlon_source);
            cr_debug("'%s': no latitude/longitude for %s: %s", path, vname, why);
        }
    }
    proj_destroy(crs);
    proj_context_destroy(ctx);
    return CR_OK;
}

int cr_grid_compare(const struct cr_grid *a, const struct cr_grid *b, char *why, size_t size)
{
    if (a->nspatial != b->nspatial || a->ny != b->ny || a->nx != b->nx) {
        snprintf(why, size, "grid sizes differ: %zu x %zu (%s, %s) vs %zu x %zu (%s, %s)", a->ny,
                 a->nx, a->dim_names[0], a->dim_names[1], b->ny, b->nx, b->dim_names[0],
                 b->dim_names[1]);
        return -1;
    }
    if (a->epsg && b->epsg && a->epsg != b->epsg) {
        snprintf(why, size, "CRS differ: EPSG:%d vs EPSG:%d", a->epsg, b->epsg);
        return -1;
    }
    if (strcmp(a->crs_name, b->crs_name) != 0 && a->crs_name[0] && b->crs_name[0]) {
        snprintf(why, size, "grid mappings differ: %s vs %s", a->crs_name, b->crs_name);
        return -1;
    }
    for (size_t c = 0; c < a->ncells; c++) {
        double dlat = a->lat[c] - b->lat[c];
        double dlon = wrap_lon(a->lon[c] - b->lon[c]);
        if (isnan(a->lat[c]) != isnan(b->lat[c]) && strcmp(a->latlon_source, "none") != 0 &&
            strcmp(b->latlon_source, "none") != 0) {
            snprintf(why, size, "cell %zu has coordinates in one file and not in the other", c);
            return -1;
        }
        if (fabs(dlat) > COORD_TOLERANCE || fabs(dlon) > COORD_TOLERANCE) {
            snprintf(why, size,
                     "cell %zu (row %zu, column %zu) is at lat %.5f lon %.5f in one and lat %.5f "
                     "lon %.5f in the other",
                     c, c / a->nx, c % a->nx, a->lat[c], a->lon[c], b->lat[c], b->lon[c]);
            return -1;
        }
    }
    return 0;
}

void cr_grid_free(struct cr_grid *g)
{
    free(g->lat);
    free(g->lon);
    g->lat = g->lon = NULL;
}
