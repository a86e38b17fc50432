/* seed_catalog.c — the datamart's catalogue tables from the indicator
 * catalogue and scenarios/; see datamart.h.
 *
 * Rows are upserted by code, so ids (used by the facts) never change, a
 * label edited in scenarios/ reaches the datamart at the next migrate or
 * load, and an entry removed from the files stays (facts may use it). */
#include <stdio.h>
#include <string.h>

#include "../core/strutil.h"
#include "../indicators/catalog.h"
#include "../scenarios/scenarios.h"
#include "datamart.h"
#include "pgutil.h"

/* A text[] literal: {"a","b"} with quotes and backslashes escaped. */
static void array_literal(char *out, size_t size, char (*items)[16], int n)
{
    struct cr_sb b;
    cr_sb_init(&b);
    cr_sb_add(&b, "{");
    for (int k = 0; k < n; k++) {
        cr_sb_add(&b, k ? ",\"" : "\"");
        for (const char *p = items[k]; *p; p++) {
            char c[3] = {*p, 0, 0};
            if (*p == '"' || *p == '\\') {
                c[0] = '\\';
                c[1] = *p;
            }
            cr_sb_add(&b, c);
        }
        cr_sb_add(&b, "\"");
    }
    cr_sb_add(&b, "}");
    cr_strlcpy(out, cr_sb_failed(&b) ? "{}" : b.s, size);
    cr_sb_free(&b);
}

static const char *kind_name(enum cr_ind_kind k)
{
    return k == CR_KIND_LEVEL ? "level" : k == CR_KIND_COUNT ? "count" : "sum";
}

static int seed_indicators(PGconn *conn, struct cr_err *err)
{
    size_t n;
    const struct cr_indicator_def *cat = cr_indicator_catalog(&n);
    const char *sql =
        "INSERT INTO datamart.indicator (code, name_en, name_fr, unit, category, kind, ratio, "
        "year_type, cell_methods, definition, reference, sort_order) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (code) DO UPDATE SET name_en = EXCLUDED.name_en, name_fr = "
        "EXCLUDED.name_fr, unit = EXCLUDED.unit, category = EXCLUDED.category, kind = "
        "EXCLUDED.kind, ratio = EXCLUDED.ratio, year_type = EXCLUDED.year_type, cell_methods = "
        "EXCLUDED.cell_methods, definition = EXCLUDED.definition, reference = "
        "EXCLUDED.reference, sort_order = EXCLUDED.sort_order "
        "WHERE (indicator.name_en, indicator.name_fr, indicator.unit, indicator.category, "
        "indicator.kind, indicator.ratio, indicator.year_type, indicator.cell_methods, "
        "indicator.definition, indicator.reference, indicator.sort_order) IS DISTINCT FROM "
        "(EXCLUDED.name_en, EXCLUDED.name_fr, EXCLUDED.unit, EXCLUDED.category, EXCLUDED.kind, "
        "EXCLUDED.ratio, EXCLUDED.year_type, EXCLUDED.cell_methods, EXCLUDED.definition, "
        "EXCLUDED.reference, EXCLUDED.sort_order)";
    for (size_t i = 0; i < n; i++) {
        const struct cr_indicator_def *d = &cat[i];
        char order[24];
        snprintf(order, sizeof order, "%zu", i + 1);
        const char *p[] = {d->code,
                           d->name_en,
                           d->name_fr,
                           d->units,
                           cr_category_name(d->category),
                           kind_name(d->kind),
                           d->ratio ? "true" : "false",
                           d->year == CR_YEAR_SNOW ? "snow" : "calendar",
                           d->cell_methods,
                           d->definition,
                           d->reference,
                           order};
        int rc = cr_pg_execp(conn, sql, 12, p, NULL, "filling datamart.indicator", err);
        if (rc)
            return rc;
    }
    return CR_OK;
}

static int seed_experiments(PGconn *conn, const struct cr_scenarios *s, struct cr_err *err)
{
    const char *sql =
        "INSERT INTO datamart.scenario (code, label_en, label_fr, is_historical, aliases, "
        "sort_order) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (code) DO UPDATE SET label_en = EXCLUDED.label_en, label_fr = "
        "EXCLUDED.label_fr, is_historical = EXCLUDED.is_historical, aliases = EXCLUDED.aliases, "
        "sort_order = EXCLUDED.sort_order "
        "WHERE (scenario.label_en, scenario.label_fr, scenario.is_historical, scenario.aliases, "
        "scenario.sort_order) IS DISTINCT FROM (EXCLUDED.label_en, EXCLUDED.label_fr, "
        "EXCLUDED.is_historical, EXCLUDED.aliases, EXCLUDED.sort_order)";
    for (size_t i = 0; i < s->nexperiments; i++) {
        const struct cr_experiment *e = &s->experiments[i];
        char aliases[256], order[24];
        array_literal(aliases, sizeof aliases, (char(*)[16])e->aliases, e->naliases);
        snprintf(order, sizeof order, "%zu", i + 1);
        const char *p[] = {e->id,
                           e->label.en[0] ? e->label.en : e->id,
                           e->label.fr[0] ? e->label.fr : e->id,
                           e->is_historical ? "true" : "false",
                           aliases,
                           order};
        int rc = cr_pg_execp(conn, sql, 6, p, NULL, "filling datamart.scenario", err);
        if (rc)
            return rc;
    }
    return CR_OK;
}

static const char *horizon_sql =
    "INSERT INTO datamart.horizon (code, type, first_year, last_year, label_en, label_fr, "
    "is_reference, experiments, france_warming, above_reference, tracc_year, sort_order) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
    "ON CONFLICT (code) DO UPDATE SET type = EXCLUDED.type, first_year = EXCLUDED.first_year, "
    "last_year = EXCLUDED.last_year, label_en = EXCLUDED.label_en, label_fr = EXCLUDED.label_fr, "
    "is_reference = EXCLUDED.is_reference, experiments = EXCLUDED.experiments, france_warming = "
    "EXCLUDED.france_warming, above_reference = EXCLUDED.above_reference, tracc_year = "
    "EXCLUDED.tracc_year, sort_order = EXCLUDED.sort_order "
    "WHERE (horizon.type, horizon.first_year, horizon.last_year, horizon.label_en, "
    "horizon.label_fr, horizon.is_reference, horizon.experiments, horizon.france_warming, "
    "horizon.above_reference, horizon.tracc_year, horizon.sort_order) IS DISTINCT FROM "
    "(EXCLUDED.type, EXCLUDED.first_year, EXCLUDED.last_year, EXCLUDED.label_en, "
    "EXCLUDED.label_fr, EXCLUDED.is_reference, EXCLUDED.experiments, EXCLUDED.france_warming, "
    "EXCLUDED.above_reference, EXCLUDED.tracc_year, EXCLUDED.sort_order)";

static int seed_horizons(PGconn *conn, const struct cr_scenarios *s, struct cr_err *err)
{
    int order = 0;
    for (size_t i = 0; i < s->nperiods; i++) {
        const struct cr_period *per = &s->periods[i];
        char first[16], last[16], exps[256], ord[16];
        snprintf(first, sizeof first, "%d", per->first_year);
        snprintf(last, sizeof last, "%d", per->last_year);
        snprintf(ord, sizeof ord, "%d", ++order);
        array_literal(exps, sizeof exps, (char(*)[16])per->experiments, per->nexperiments);
        const char *p[] = {per->code,
                           "period",
                           first,
                           last,
                           per->label.en[0] ? per->label.en : per->code,
                           per->label.fr[0] ? per->label.fr : per->code,
                           per->is_reference ? "true" : "false",
                           exps,
                           NULL,
                           NULL,
                           NULL,
                           ord};
        int rc = cr_pg_execp(conn, horizon_sql, 12, p, NULL, "filling datamart.horizon", err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < s->nlevels; i++) {
        const struct cr_warming_level *w = &s->levels[i];
        char fw[32], ar[32], ty[16], exps[64], ord[16];
        char one[1][16];
        cr_strlcpy(one[0], w->experiment, sizeof one[0]);
        array_literal(exps, sizeof exps, one, 1);
        snprintf(fw, sizeof fw, "%.3f", w->france_warming);
        snprintf(ar, sizeof ar, "%.3f", w->above_reference);
        snprintf(ty, sizeof ty, "%d", w->tracc_year);
        snprintf(ord, sizeof ord, "%d", ++order);
        const char *p[] = {w->code,
                           "warming_level",
                           NULL,
                           NULL,
                           w->label.en[0] ? w->label.en : w->code,
                           w->label.fr[0] ? w->label.fr : w->code,
                           "false",
                           exps,
                           fw,
                           ar,
                           w->tracc_year ? ty : NULL,
                           ord};
        int rc = cr_pg_execp(conn, horizon_sql, 12, p, NULL, "filling datamart.horizon", err);
        if (rc)
            return rc;
    }
    return CR_OK;
}

static const char *stat_type(enum cr_stat_type t)
{
    switch (t) {
    case CR_STAT_QUANTILE:
        return "quantile";
    case CR_STAT_MIN:
        return "min";
    case CR_STAT_MAX:
        return "max";
    case CR_STAT_AGREEMENT:
        return "agreement";
    }
    return "?";
}

static int seed_statistics(PGconn *conn, const struct cr_scenarios *s, struct cr_err *err)
{
    const char *sql =
        "INSERT INTO datamart.statistic (code, label_en, label_fr, type, q, sort_order) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (code) DO UPDATE SET label_en = EXCLUDED.label_en, label_fr = "
        "EXCLUDED.label_fr, type = EXCLUDED.type, q = EXCLUDED.q, sort_order = "
        "EXCLUDED.sort_order "
        "WHERE (statistic.label_en, statistic.label_fr, statistic.type, statistic.q, "
        "statistic.sort_order) IS DISTINCT FROM (EXCLUDED.label_en, EXCLUDED.label_fr, "
        "EXCLUDED.type, EXCLUDED.q, EXCLUDED.sort_order)";
    for (size_t i = 0; i < s->nstats; i++) {
        const struct cr_statistic *st = &s->stats[i];
        char q[32], ord[24];
        snprintf(q, sizeof q, "%.4f", st->q);
        snprintf(ord, sizeof ord, "%zu", i + 1);
        const char *p[] = {st->code,
                           st->label.en[0] ? st->label.en : st->code,
                           st->label.fr[0] ? st->label.fr : st->code,
                           stat_type(st->type),
                           st->type == CR_STAT_QUANTILE ? q : NULL,
                           ord};
        int rc = cr_pg_execp(conn, sql, 6, p, NULL, "filling datamart.statistic", err);
        if (rc)
            return rc;
    }
    return CR_OK;
}

static int seed_ensembles(PGconn *conn, const struct cr_scenarios *s, struct cr_err *err)
{
    for (size_t e = 0; e < s->nensembles; e++) {
        const struct cr_ensemble *ens = &s->ensembles[e];
        const char *pe[] = {ens->name, ens->label.en[0] ? ens->label.en : ens->name,
                            ens->label.fr[0] ? ens->label.fr : ens->name};
        int rc = cr_pg_execp(
            conn,
            "INSERT INTO datamart.ensemble (code, label_en, label_fr) VALUES ($1, $2, $3) "
            "ON CONFLICT (code) DO UPDATE SET label_en = EXCLUDED.label_en, label_fr = "
            "EXCLUDED.label_fr WHERE (ensemble.label_en, ensemble.label_fr) IS DISTINCT FROM "
            "(EXCLUDED.label_en, EXCLUDED.label_fr)",
            3, pe, NULL, "filling datamart.ensemble", err);
        if (rc)
            return rc;
        for (size_t m = 0; m < ens->nmembers; m++) {
            const struct cr_ensemble_member *mb = &ens->members[m];
            const char *pm[] = {mb->model, mb->gcm[0] ? mb->gcm : NULL, mb->rcm[0] ? mb->rcm : NULL,
                                mb->member[0] ? mb->member : NULL};
            rc = cr_pg_execp(conn,
                             "INSERT INTO datamart.model (model, gcm, rcm, member) "
                             "VALUES ($1, $2, $3, $4) ON CONFLICT (model) DO UPDATE SET "
                             "gcm = coalesce(EXCLUDED.gcm, model.gcm), rcm = "
                             "coalesce(EXCLUDED.rcm, model.rcm), member = "
                             "coalesce(EXCLUDED.member, model.member) "
                             "WHERE (model.gcm, model.rcm, model.member) IS DISTINCT FROM "
                             "(coalesce(EXCLUDED.gcm, model.gcm), coalesce(EXCLUDED.rcm, "
                             "model.rcm), coalesce(EXCLUDED.member, model.member))",
                             4, pm, NULL, "filling datamart.model", err);
            if (rc)
                return rc;
            char exps[256];
            array_literal(exps, sizeof exps, (char(*)[16])mb->experiments, mb->nexperiments);
            const char *pl[] = {ens->name, mb->model, exps};
            rc = cr_pg_execp(
                conn,
                "INSERT INTO datamart.ensemble_member (ensemble_id, model_id, experiments) "
                "SELECT e.id, m.id, $3 FROM datamart.ensemble e, datamart.model m "
                "WHERE e.code = $1 AND m.model = $2 "
                "ON CONFLICT (ensemble_id, model_id) DO UPDATE SET experiments = "
                "EXCLUDED.experiments WHERE ensemble_member.experiments IS DISTINCT FROM "
                "EXCLUDED.experiments",
                3, pl, NULL, "filling datamart.ensemble_member", err);
            if (rc)
                return rc;
        }
    }
    return CR_OK;
}

int cr_dm_seed_catalog(PGconn *conn, const char *scenarios_dir, struct cr_err *err)
{
    struct cr_scenarios s;
    int rc = cr_scenarios_load(&s, scenarios_dir, err);
    if (rc)
        return rc;
    if ((rc = seed_indicators(conn, err)) == CR_OK &&
        (rc = seed_experiments(conn, &s, err)) == CR_OK &&
        (rc = seed_horizons(conn, &s, err)) == CR_OK &&
        (rc = seed_statistics(conn, &s, err)) == CR_OK)
        rc = seed_ensembles(conn, &s, err);
    cr_scenarios_free(&s);
    return rc;
}
