/* simulation.c — file -> simulation identity, and directory scans; see
 * simulation.h. Name parsing itself is ingest/dsname.c (shared with the
 * download manifest). */
#include "simulation.h"

#include <dirent.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "cffile.h"
#include "dsname.h"
#include "ncutil.h"

#define MAX_DEPTH 8

/* "20060101-21001231", "200601-210012" or "2006-2100" into dates. */
static void parse_period(struct cr_simulation_id *id)
{
    const char *p = id->period, *dash = strchr(p, '-');
    if (!dash)
        return;
    size_t len = (size_t)(dash - p);
    int a[3] = {0, 1, 1}, b[3] = {0, 12, 31};
    const char *parts[2] = {p, dash + 1};
    int *out[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        char buf[16];
        if (len >= sizeof buf || len < 4)
            return;
        memcpy(buf, parts[k], len);
        buf[len] = '\0';
        int y = 0, m = 0, d = 0;
        if (len == 8 && sscanf(buf, "%4d%2d%2d", &y, &m, &d) == 3) {
            out[k][0] = y, out[k][1] = m, out[k][2] = d;
        } else if (len == 6 && sscanf(buf, "%4d%2d", &y, &m) == 2) {
            out[k][0] = y, out[k][1] = m;
            if (k == 1)
                out[k][2] = cr_cal_days_in_month(CR_CAL_PROLEPTIC, y, m);
        } else if (len == 4 && sscanf(buf, "%4d", &y) == 1) {
            out[k][0] = y;
        } else {
            return;
        }
    }
    id->first = (struct cr_date){a[0], a[1], a[2]};
    id->last = (struct cr_date){b[0], b[1], b[2]};
}

static void set_model(struct cr_simulation_id *id)
{
    if (id->gcm[0] && id->rcm[0])
        snprintf(id->model, sizeof id->model, "%s_%s", id->gcm, id->rcm);
}

int cr_simulation_parse_name(const char *path, struct cr_simulation_id *id)
{
    memset(id, 0, sizeof *id);
    struct cr_dsname dn;
    if (cr_dsname_parse(path, &dn) != 0)
        return -1;
    cr_strlcpy(id->file_var, dn.variable, sizeof id->file_var);
    id->var_known = cr_var_parse(dn.variable, &id->var) == 0;
    cr_strlcpy(id->experiment, dn.scenario, sizeof id->experiment);
    cr_strlcpy(id->member, dn.member, sizeof id->member);
    cr_strlcpy(id->period, dn.period, sizeof id->period);
    parse_period(id);
    const char *us = strchr(dn.model, '_');
    if (us) {
        size_t n = (size_t)(us - dn.model);
        if (n < sizeof id->gcm && strlen(us + 1) < sizeof id->rcm) {
            memcpy(id->gcm, dn.model, n);
            id->gcm[n] = '\0';
            cr_strlcpy(id->rcm, us + 1, sizeof id->rcm);
            set_model(id);
        }
    }
    cr_strlcpy(id->source, "file name", sizeof id->source);
    return 0;
}

/* Fill what the name left empty from global attributes; returns 1 when an
 * attribute was used. */
static int from_attributes(int ncid, struct cr_simulation_id *id)
{
    int used = 0;
    char text[128];
    if (!id->gcm[0] &&
        cr_nc_text_att(ncid, NC_GLOBAL, "driving_model_id", text, sizeof text) == 0 && text[0] &&
        !strchr(text, '_')) {
        cr_strlcpy(id->gcm, cr_trim(text), sizeof id->gcm);
        used = 1;
    }
    if (!id->rcm[0] && cr_nc_text_att(ncid, NC_GLOBAL, "model_id", text, sizeof text) == 0 &&
        text[0] && !strchr(text, '_')) {
        cr_strlcpy(id->rcm, cr_trim(text), sizeof id->rcm);
        used = 1;
    }
    static const char *const exp_atts[] = {"experiment_id", "driving_experiment_name", "experiment",
                                           NULL};
    for (const char *const *a = exp_atts; *a && !id->experiment[0]; a++) {
        char norm[16];
        if (cr_nc_text_att(ncid, NC_GLOBAL, *a, text, sizeof text) == 0 &&
            cr_scenario_normalize(cr_trim(text), norm, sizeof norm) == 0) {
            cr_strlcpy(id->experiment, norm, sizeof id->experiment);
            used = 1;
        }
    }
    if (!id->member[0] &&
        cr_nc_text_att(ncid, NC_GLOBAL, "driving_model_ensemble_member", text, sizeof text) == 0 &&
        text[0]) {
        cr_strlcpy(id->member, cr_trim(text), sizeof id->member);
        used = 1;
    }
    set_model(id);
    return used;
}

int cr_simulation_identify(const char *path, struct cr_simulation_id *id, struct cr_err *err)
{
    int named = cr_simulation_parse_name(path, id) == 0;
    if (named && id->model[0] && id->experiment[0] && id->member[0] && id->var_known)
        return CR_OK;
    int ncid, st = nc_open(path, NC_NOWRITE, &ncid);
    if (st != NC_NOERR)
        return cr_cffile_open_error(path, st, err);
    int used = from_attributes(ncid, id);
    nc_close(ncid);
    if (!named || !id->file_var[0]) {
        /* The variable from the file's data variable. */
        struct cr_cffile f;
        int rc = cr_cffile_open(&f, path, NULL, err);
        if (rc)
            return rc;
        cr_strlcpy(id->file_var, f.var_name, sizeof id->file_var);
        id->var = f.var;
        id->var_known = 1;
        if (!id->period[0]) {
            id->first = cr_cal_from_day_number(f.cal, f.first_day);
            id->last = cr_cal_from_day_number(f.cal, f.last_day);
            snprintf(id->period, sizeof id->period, "%04d%02d%02d-%04d%02d%02d", id->first.year,
                     id->first.month, id->first.day, id->last.year, id->last.month, id->last.day);
        }
        cr_cffile_free(&f);
        used = 1;
    }
    cr_strlcpy(id->source,
               named && used ? "file name + attributes"
               : named       ? "file name"
                             : "attributes",
               sizeof id->source);
    if (!id->model[0] || !id->experiment[0])
        return cr_err_set(err, CR_EDATA,
                          "'%s': cannot tell its simulation: the name does not follow the DRIAS "
                          "or CORDEX pattern and the global attributes lack %s%s%s; rename it "
                          "like <var>_France_<GCM>_<RCM>_<rcp4.5>_..._day_<start>-<end>.nc",
                          path, id->gcm[0] ? "" : "driving_model_id ",
                          id->rcm[0] ? "" : "model_id ", id->experiment[0] ? "" : "experiment_id");
    return CR_OK;
}

/* ---- scans ------------------------------------------------------------- */

static int is_netcdf_name(const char *name)
{
    if (name[0] == '.' || strstr(name, ".part-"))
        return 0;
    size_t n = strlen(name);
    return (n > 3 && strcmp(name + n - 3, ".nc") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".nc4") == 0);
}

static int collect(const char *dir, int depth, struct cr_strlist *out, struct cr_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return cr_err_set(err, CR_EUSAGE, "cannot read directory '%s': %m", dir);
    struct dirent *e;
    int rc = CR_OK;
    while (rc == CR_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[CR_PATH_MAX];
        if (cr_path_join(path, sizeof path, dir, e->d_name) != 0)
            continue;
        if (cr_is_dir(path)) {
            if (depth < MAX_DEPTH)
                rc = collect(path, depth + 1, out, err);
        } else if (is_netcdf_name(e->d_name) && cr_strlist_push(out, path) != 0) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
        }
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_sim(const void *pa, const void *pb)
{
    const struct cr_simulation *a = pa, *b = pb;
    int c = strcmp(a->model, b->model);
    return c ? c : strcmp(a->experiment, b->experiment);
}

static struct cr_simulation *group_of(struct cr_simulation_set *set,
                                      const struct cr_simulation_id *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->sims[i].model, id->model) == 0 &&
            strcmp(set->sims[i].experiment, id->experiment) == 0)
            return &set->sims[i];
    struct cr_simulation *n = realloc(set->sims, sizeof *n * (set->n + 1));
    if (!n)
        return NULL;
    set->sims = n;
    struct cr_simulation *s = &set->sims[set->n++];
    memset(s, 0, sizeof *s);
    cr_strlcpy(s->model, id->model, sizeof s->model);
    cr_strlcpy(s->gcm, id->gcm, sizeof s->gcm);
    cr_strlcpy(s->rcm, id->rcm, sizeof s->rcm);
    cr_strlcpy(s->experiment, id->experiment, sizeof s->experiment);
    return s;
}

static int skip(struct cr_simulation_set *set, const char *path, const char *reason)
{
    char line[CR_PATH_MAX + 1100];
    snprintf(line, sizeof line, "%s: %s", path, reason);
    cr_warn("skipping %s", line);
    return cr_strlist_push(&set->skipped, line);
}

int cr_simulation_scan_paths(const char *const *paths, size_t npaths, struct cr_simulation_set *set,
                             struct cr_err *err)
{
    memset(set, 0, sizeof *set);
    int rc = CR_OK;
    for (size_t k = 0; k < npaths && rc == CR_OK; k++) {
        struct cr_simulation_id id;
        struct cr_err e2;
        cr_err_clear(&e2);
        if (cr_simulation_identify(paths[k], &id, &e2) != CR_OK) {
            /* A file whose name says which simulation and variable it holds
             * but which cannot be read is a damaged input of that simulation:
             * computing without it would silently drop its indicators. */
            if (id.var_known && id.model[0] && id.experiment[0]) {
                rc = cr_err_set(err, e2.code ? e2.code : CR_EDATA, "%s", e2.msg);
                break;
            }
            /* The message already names the file; keep only the reason. */
            const char *msg = e2.msg;
            size_t plen = strlen(paths[k]);
            if (msg[0] == '\'' && strncmp(msg + 1, paths[k], plen) == 0 && msg[plen + 1] == '\'')
                msg += plen + 2 + (msg[plen + 2] == ':' ? 2 : 1);
            if (skip(set, paths[k], msg))
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            continue;
        }
        if (!id.var_known) {
            char why[160];
            snprintf(why, sizeof why, "variable %s is not one climrisk reads", id.file_var);
            if (skip(set, paths[k], why))
                rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            continue;
        }
        struct cr_simulation *s = group_of(set, &id);
        if (!s) {
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
            break;
        }
        if (id.member[0] && s->member[0] && strcmp(id.member, s->member) != 0) {
            const char *other = NULL;
            for (int v = 0; v < CR_VAR_COUNT && !other; v++)
                if (s->files[v].n)
                    other = s->files[v].items[0];
            rc = cr_err_set(err, CR_EDATA,
                            "%s %s mixes ensemble members %s ('%s') and %s ('%s'): keep one "
                            "member per simulation (separate directories)",
                            s->model, s->experiment, s->member, other ? other : "?", id.member,
                            paths[k]);
            break;
        }
        if (!s->member[0])
            cr_strlcpy(s->member, id.member, sizeof s->member);
        if (cr_strlist_push(&s->files[id.var], paths[k]) != 0)
            rc = cr_err_set(err, CR_EINTERNAL, "out of memory");
    }
    if (rc != CR_OK) {
        cr_simulation_set_free(set);
        return rc;
    }
    for (size_t i = 0; i < set->n; i++)
        for (int v = 0; v < CR_VAR_COUNT; v++)
            if (set->sims[i].files[v].n > 1)
                qsort(set->sims[i].files[v].items, set->sims[i].files[v].n, sizeof(char *),
                      cmp_str);
    if (set->n > 1)
        qsort(set->sims, set->n, sizeof *set->sims, cmp_sim);
    return CR_OK;
}

int cr_simulation_scan_dir(const char *dir, struct cr_simulation_set *set, struct cr_err *err)
{
    memset(set, 0, sizeof *set);
    struct cr_strlist paths = {0};
    int rc = collect(dir, 0, &paths, err);
    if (rc == CR_OK) {
        if (paths.n > 1)
            qsort(paths.items, paths.n, sizeof(char *), cmp_str);
        rc = cr_simulation_scan_paths((const char *const *)paths.items, paths.n, set, err);
        if (rc == CR_OK)
            cr_info("%s: %zu NetCDF file(s), %zu simulation(s), %zu skipped", dir, paths.n, set->n,
                    set->skipped.n);
    }
    cr_strlist_free(&paths);
    return rc;
}

const struct cr_simulation *cr_simulation_find(const struct cr_simulation_set *set,
                                               const char *model, const char *experiment)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->sims[i].model, model) == 0 &&
            strcmp(set->sims[i].experiment, experiment) == 0)
            return &set->sims[i];
    return NULL;
}

void cr_simulation_set_free(struct cr_simulation_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        for (int v = 0; v < CR_VAR_COUNT; v++)
            cr_strlist_free(&set->sims[i].files[v]);
    free(set->sims);
    cr_strlist_free(&set->skipped);
    memset(set, 0, sizeof *set);
}
