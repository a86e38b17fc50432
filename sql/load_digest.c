/* load_digest.c — per-indicator digests of a unit, and the choice between
 * replacing a unit whole and patching the indicators that changed; see
 * load_unit.h and sql/migrations/005_unit_digests.sql.
 *
 * The digests are taken over the maps as the loader reads them (land cells
 * in cell_id order, NaN for missing), not over the file's bytes: a file
 * rewritten by an incremental run (ncmerge) has new bytes but the same maps
 * for the indicators it did not recompute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strutil.h"
#include "load_unit.h"
#include "pgutil.h"

static void hash_ints(struct cr_sha256 *h, const char *label, const int *v, size_t n)
{
    cr_sha256_update(h, label, strlen(label) + 1);
    if (v && n)
        cr_sha256_update(h, v, n * sizeof *v);
}

static void hash_names(struct cr_sha256 *h, const char *label, const char *names, size_t width,
                       size_t n)
{
    cr_sha256_update(h, label, strlen(label) + 1);
    for (size_t i = 0; names && i < n; i++)
        cr_sha256_update(h, names + i * width, strlen(names + i * width) + 1);
}

/* What every indicator of the unit shares: a change here means the maps
 * are laid out or labelled differently, so the unit is replaced whole. */
static int shared_digest(const struct dm_unit *u, char hex[CR_SHA256_HEX], struct cr_err *err)
{
    const struct cr_nc_file *f = &u->nc;
    struct cr_sha256 h;
    int rc = cr_sha256_init(&h, err);
    if (rc)
        return rc;
    char head[512];
    int n = snprintf(head, sizeof head, "%s\n%s\n%s\n%s\n%s\n%s\n",
                     f->kind == CR_NC_STATS ? "stats" : "annual", u->scenario, f->model, f->gcm,
                     f->rcm, f->member);
    cr_sha256_update(&h, head, (size_t)n);
    if (f->kind == CR_NC_ANNUAL) {
        hash_ints(&h, "years", f->years, (size_t)f->nyears);
    } else {
        size_t nmh = (size_t)f->nmodels * (size_t)f->nhorizons;
        hash_names(&h, "models", f->models ? f->models[0] : NULL, sizeof *f->models,
                   (size_t)f->nmodels);
        hash_names(&h, "horizons", f->horizons ? f->horizons[0] : NULL, sizeof *f->horizons,
                   (size_t)f->nhorizons);
        hash_names(&h, "horizon_types", f->horizon_types ? f->horizon_types[0] : NULL,
                   sizeof *f->horizon_types, (size_t)f->nhorizons);
        hash_names(&h, "stats", f->stats ? f->stats[0] : NULL, sizeof *f->stats, (size_t)f->nstats);
        hash_ints(&h, "first_year", f->first_year, nmh);
        hash_ints(&h, "last_year", f->last_year, nmh);
        hash_ints(&h, "ens_nmodels", f->ens_nmodels, (size_t)f->nhorizons);
    }
    cr_sha256_final(&h, hex);
    return CR_OK;
}

int dm_unit_digest(struct dm_unit *u, struct cr_err *err)
{
    struct cr_nc_file *f = &u->nc;
    u->nind = 0;
    int rc = shared_digest(u, u->shared_digest, err);
    if (rc)
        return rc;
    /* one digest per variable, then per indicator over its variables */
    char(*var_hex)[CR_SHA256_HEX] = calloc((size_t)f->nvars + 1, sizeof *var_hex);
    if (!var_hex)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    float *data = NULL;
    size_t cap = 0;
    for (int v = 0; rc == CR_OK && v < f->nvars; v++) {
        size_t outer, inner;
        if ((rc = cr_nc_read_var_grow(f, &f->vars[v], &data, &cap, &outer, &inner, err)))
            break;
        rc = cr_sha256_buf(data, outer * inner * CR_SAFRAN_NLAND * sizeof *data, var_hex[v], err);
    }
    free(data);
    for (int v = 0; rc == CR_OK && v < f->nvars; v++) {
        int k = 0;
        while (k < u->nind && strcmp(u->ind_code[k], f->vars[v].indicator) != 0)
            k++;
        if (k == u->nind) {
            if (u->nind == DM_MAX_UNIT_INDICATORS) {
                rc = cr_err_set(err, CR_EDATA, "%s: more than %d indicators", f->path,
                                DM_MAX_UNIT_INDICATORS);
                break;
            }
            cr_strlcpy(u->ind_code[u->nind++], f->vars[v].indicator, sizeof u->ind_code[0]);
        }
    }
    for (int k = 0; rc == CR_OK && k < u->nind; k++) {
        struct cr_sha256 h;
        if ((rc = cr_sha256_init(&h, err)))
            break;
        for (int v = 0; v < f->nvars; v++) {
            const struct cr_nc_var *var = &f->vars[v];
            if (strcmp(var->indicator, u->ind_code[k]) != 0)
                continue;
            char line[256];
            int n = snprintf(line, sizeof line, "%s\t%s\t%d\t%s\n", var->name, var->quantity,
                             var->ensemble, var_hex[v]);
            cr_sha256_update(&h, line, n > 0 ? (size_t)n : 0);
        }
        cr_sha256_final(&h, u->ind_digest[k]);
    }
    free(var_hex);
    return rc;
}

int dm_unit_plan_patch(PGconn *conn, struct dm_unit *u, struct cr_err *err)
{
    u->patch = 0;
    u->stale = 0;
    u->nstale = 0;
    char part[16];
    snprintf(part, sizeof part, "%d", u->part);
    const char *p[] = {u->nc.kind == CR_NC_STATS ? "stats" : "annual", part};
    PGresult *res = NULL;
    int rc = cr_pg_execp(conn,
                         "SELECT item, digest FROM datamart.unit_digest WHERE kind = $1 AND "
                         "part = $2",
                         2, p, &res, "reading datamart.unit_digest", err);
    if (rc)
        return rc;
    int rows = PQntuples(res), shared_same = 0, recorded_elsewhere = 0;
    unsigned long long same = 0;
    for (int r = 0; r < rows; r++) {
        const char *item = PQgetvalue(res, r, 0), *digest = PQgetvalue(res, r, 1);
        if (strcmp(item, "*") == 0) {
            shared_same = strcmp(digest, u->shared_digest) == 0;
            continue;
        }
        int k = 0;
        while (k < u->nind && strcmp(u->ind_code[k], item) != 0)
            k++;
        if (k == u->nind)
            recorded_elsewhere = 1; /* the file no longer has it: replace whole */
        else if (strcmp(u->ind_digest[k], digest) == 0)
            same |= 1ULL << k;
    }
    PQclear(res);
    /* A patch is only safe when the layout is unchanged, and only pays when
     * most indicators are the same: a patched row costs about three times a
     * row of a whole rebuild (delete, WAL, index kept up to date), so past
     * half the indicators the unit is rebuilt whole. */
    if (!shared_same || recorded_elsewhere)
        return CR_OK;
    unsigned long long stale = 0;
    int nstale = 0;
    for (int k = 0; k < u->nind; k++)
        if (!(same & (1ULL << k))) {
            stale |= 1ULL << k;
            nstale++;
        }
    if (2 * nstale > u->nind)
        return CR_OK;
    u->stale = stale;
    u->nstale = nstale;
    u->patch = 1;
    return CR_OK;
}

int dm_unit_record_digests(PGconn *conn, const struct dm_unit *u, struct cr_err *err)
{
    char part[16];
    snprintf(part, sizeof part, "%d", u->part);
    const char *kind = u->nc.kind == CR_NC_STATS ? "stats" : "annual";
    const char *p[] = {kind, part};
    int rc = cr_pg_execp(conn, "DELETE FROM datamart.unit_digest WHERE kind = $1 AND part = $2", 2,
                         p, NULL, "replacing the unit's digests", err);
    for (int k = -1; rc == CR_OK && k < u->nind; k++) {
        const char *q[] = {kind, part, k < 0 ? "*" : u->ind_code[k],
                           k < 0 ? u->shared_digest : u->ind_digest[k]};
        rc = cr_pg_execp(conn,
                         "INSERT INTO datamart.unit_digest (kind, part, item, digest) VALUES ($1, "
                         "$2, $3, $4)",
                         4, q, NULL, "recording the unit's digests", err);
    }
    return rc;
}
