/* scenarios.c — read the scenarios/ INI files (libinih); see scenarios.h. */
#include "scenarios.h"

#include <dirent.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/datadir.h"
#include "../core/strutil.h"

struct parse {
    struct cr_scenarios *s;
    const char *file;
    int failed;
    char msg[512];
    struct cr_ensemble *ens; /* the ensemble file being read */
};

static int fail(struct parse *p, const char *fmt, const char *a, const char *b)
{
    if (!p->failed) {
        snprintf(p->msg, sizeof p->msg, fmt, a, b);
        p->failed = 1;
    }
    return 0;
}

static int set_label(struct cr_labels *l, const char *key, const char *value)
{
    if (strcmp(key, "label_en") == 0)
        return cr_strlcpy(l->en, value, sizeof l->en) < sizeof l->en ? 1 : -1;
    if (strcmp(key, "label_fr") == 0)
        return cr_strlcpy(l->fr, value, sizeof l->fr) < sizeof l->fr ? 1 : -1;
    return 0;
}

/* Split a comma list into fixed slots; -1 when too many or too long. */
static int split_into(const char *value, char (*slots)[16], int max, int *n)
{
    struct cr_strlist l;
    if (cr_strlist_split(&l, value) != 0)
        return -1;
    int ok = l.n > 0 && (int)l.n <= max;
    for (size_t i = 0; ok && i < l.n; i++)
        ok = cr_strlcpy(slots[i], l.items[i], 16) < 16;
    *n = ok ? (int)l.n : 0;
    cr_strlist_free(&l);
    return ok ? 0 : -1;
}

static int on_experiment(void *user, const char *section, const char *key, const char *value)
{
    struct parse *p = user;
    struct cr_scenarios *s = p->s;
    if (p->failed)
        return 1;
    struct cr_experiment *e = NULL;
    for (size_t i = 0; i < s->nexperiments; i++)
        if (strcmp(s->experiments[i].id, section) == 0)
            e = &s->experiments[i];
    if (!e) {
        if (s->nexperiments >= CR_SCN_MAX_ITEMS || strlen(section) >= sizeof e->id)
            return fail(p, "too many experiments, or name too long: [%s]%s", section, "");
        e = &s->experiments[s->nexperiments++];
        strcpy(e->id, section);
    }
    int l = set_label(&e->label, key, value);
    if (l)
        return l > 0 ? 1 : fail(p, "[%s] %s: value too long", section, key);
    if (strcmp(key, "type") == 0) {
        if (strcmp(value, "historical") != 0 && strcmp(value, "scenario") != 0)
            return fail(p, "[%s] type: '%s' is not historical or scenario", section, value);
        e->is_historical = strcmp(value, "historical") == 0;
        return 1;
    }
    if (strcmp(key, "aliases") == 0)
        return split_into(value, e->aliases, 4, &e->naliases) == 0
                   ? 1
                   : fail(p, "[%s] aliases: at most 4 names of 15 characters ('%s')", section,
                          value);
    return fail(p, "[%s]: unknown key '%s' (known: type, aliases, label_en, label_fr)", section,
                key);
}

static int on_period(void *user, const char *section, const char *key, const char *value)
{
    struct parse *p = user;
    struct cr_scenarios *s = p->s;
    if (p->failed)
        return 1;
    struct cr_period *per = NULL;
    for (size_t i = 0; i < s->nperiods; i++)
        if (strcmp(s->periods[i].code, section) == 0)
            per = &s->periods[i];
    if (!per) {
        if (s->nperiods >= CR_SCN_MAX_ITEMS || strlen(section) >= sizeof per->code)
            return fail(p, "too many periods, or code too long: [%s]%s", section, "");
        per = &s->periods[s->nperiods++];
        strcpy(per->code, section);
    }
    int l = set_label(&per->label, key, value);
    if (l)
        return l > 0 ? 1 : fail(p, "[%s] %s: value too long", section, key);
    if (strcmp(key, "years") == 0)
        return cr_parse_year_range(value, &per->first_year, &per->last_year) == 0
                   ? 1
                   : fail(p, "[%s] years: '%s' is not a range like 1976-2005", section, value);
    if (strcmp(key, "experiments") == 0)
        return split_into(value, per->experiments, CR_SCN_MAX_EXP, &per->nexperiments) == 0
                   ? 1
                   : fail(p, "[%s] experiments: bad list '%s'", section, value);
    if (strcmp(key, "reference") == 0)
        return cr_parse_bool(value, &per->is_reference) == 0
                   ? 1
                   : fail(p, "[%s] reference: '%s' is not yes or no", section, value);
    return fail(p,
                "[%s]: unknown key '%s' (known: years, experiments, reference, label_en, label_fr)",
                section, key);
}

static int on_level(void *user, const char *section, const char *key, const char *value)
{
    struct parse *p = user;
    struct cr_scenarios *s = p->s;
    if (p->failed)
        return 1;
    if (strcmp(section, "reference") == 0) {
        if (strcmp(key, "period") == 0)
            return cr_strlcpy(s->reference_period, value, sizeof s->reference_period) <
                           sizeof s->reference_period
                       ? 1
                       : fail(p, "[reference] period: '%s' too long%s", value, "");
        if (strcmp(key, "preindustrial_to_reference") == 0)
            return cr_parse_double(value, &s->preindustrial_to_reference) == 0
                       ? 1
                       : fail(p, "[reference] preindustrial_to_reference: '%s' is not a number%s",
                              value, "");
        return fail(p, "[reference]: unknown key '%s'%s", key, "");
    }
    struct cr_warming_level *w = NULL;
    for (size_t i = 0; i < s->nlevels; i++)
        if (strcmp(s->levels[i].code, section) == 0)
            w = &s->levels[i];
    if (!w) {
        if (s->nlevels >= CR_SCN_MAX_ITEMS || strlen(section) >= sizeof w->code)
            return fail(p, "too many levels, or code too long: [%s]%s", section, "");
        w = &s->levels[s->nlevels++];
        strcpy(w->code, section);
    }
    int l = set_label(&w->label, key, value);
    if (l)
        return l > 0 ? 1 : fail(p, "[%s] %s: value too long", section, key);
    long year;
    if (strcmp(key, "france_warming") == 0)
        return cr_parse_double(value, &w->france_warming) == 0
                   ? 1
                   : fail(p, "[%s] france_warming: '%s' is not a number", section, value);
    if (strcmp(key, "experiment") == 0)
        return cr_strlcpy(w->experiment, value, sizeof w->experiment) < sizeof w->experiment
                   ? 1
                   : fail(p, "[%s] experiment: '%s' too long", section, value);
    if (strcmp(key, "tracc_year") == 0) {
        if (cr_parse_long(value, &year) != 0)
            return fail(p, "[%s] tracc_year: '%s' is not a year", section, value);
        w->tracc_year = (int)year;
        return 1;
    }
    return fail(p,
                "[%s]: unknown key '%s' (known: france_warming, experiment, tracc_year, label_en, "
                "label_fr)",
                section, key);
}

static int on_statistic(void *user, const char *section, const char *key, const char *value)
{
    struct parse *p = user;
    struct cr_scenarios *s = p->s;
    if (p->failed)
        return 1;
    struct cr_statistic *st = NULL;
    for (size_t i = 0; i < s->nstats; i++)
        if (strcmp(s->stats[i].code, section) == 0)
            st = &s->stats[i];
    if (!st) {
        if (s->nstats >= CR_SCN_MAX_ITEMS || strlen(section) >= sizeof st->code)
            return fail(p, "too many statistics, or code too long: [%s]%s", section, "");
        st = &s->stats[s->nstats++];
        strcpy(st->code, section);
        st->q = -1;
    }
    int l = set_label(&st->label, key, value);
    if (l)
        return l > 0 ? 1 : fail(p, "[%s] %s: value too long", section, key);
    if (strcmp(key, "type") == 0) {
        static const char *names[] = {"quantile", "min", "max", "agreement"};
        for (int t = 0; t < 4; t++)
            if (strcmp(value, names[t]) == 0) {
                st->type = (enum cr_stat_type)t;
                return 1;
            }
        return fail(p, "[%s] type: '%s' is not quantile, min, max or agreement", section, value);
    }
    if (strcmp(key, "q") == 0)
        return cr_parse_double(value, &st->q) == 0 && st->q >= 0 && st->q <= 1
                   ? 1
                   : fail(p, "[%s] q: '%s' is not a number in [0, 1]", section, value);
    return fail(p, "[%s]: unknown key '%s' (known: type, q, label_en, label_fr)", section, key);
}

static int on_ensemble(void *user, const char *section, const char *key, const char *value)
{
    struct parse *p = user;
    struct cr_ensemble *e = p->ens;
    if (p->failed)
        return 1;
    if (strcmp(section, "ensemble") == 0) {
        int l = set_label(&e->label, key, value);
        if (l)
            return l > 0 ? 1 : fail(p, "[ensemble] %s: value too long%s", key, "");
        if (strcmp(key, "name") == 0)
            return cr_strlcpy(e->name, value, sizeof e->name) < sizeof e->name
                       ? 1
                       : fail(p, "[ensemble] name: '%s' too long%s", value, "");
        return fail(p, "[ensemble]: unknown key '%s'%s", key, "");
    }
    struct cr_ensemble_member *m = NULL;
    for (size_t i = 0; i < e->nmembers; i++)
        if (strcmp(e->members[i].model, section) == 0)
            m = &e->members[i];
    if (!m) {
        const char *us = strchr(section, '_');
        if (!us || us == section || !us[1] || strchr(us + 1, '_') ||
            strlen(section) >= sizeof m->model || (size_t)(us - section) >= sizeof m->gcm ||
            strlen(us + 1) >= sizeof m->rcm)
            return fail(p, "[%s]: a model section must be named GCM_RCM (one underscore)%s",
                        section, "");
        struct cr_ensemble_member *bigger =
            realloc(e->members, (e->nmembers + 1) * sizeof *e->members);
        if (!bigger)
            return fail(p, "out of memory%s%s", "", "");
        e->members = bigger;
        m = &e->members[e->nmembers++];
        memset(m, 0, sizeof *m);
        strcpy(m->model, section);
        memcpy(m->gcm, section, (size_t)(us - section));
        strcpy(m->rcm, us + 1);
    }
    if (strcmp(key, "member") == 0)
        return cr_strlcpy(m->member, value, sizeof m->member) < sizeof m->member
                   ? 1
                   : fail(p, "[%s] member: '%s' too long", section, value);
    if (strcmp(key, "experiments") == 0)
        return split_into(value, m->experiments, CR_SCN_MAX_EXP, &m->nexperiments) == 0
                   ? 1
                   : fail(p, "[%s] experiments: bad list '%s'", section, value);
    return fail(p, "[%s]: unknown key '%s' (known: member, experiments)", section, key);
}

static int parse_file(struct parse *p, const char *dir, const char *name, ini_handler h,
                      struct cr_err *err)
{
    char path[CR_PATH_MAX];
    if (cr_path_join(path, sizeof path, dir, name) != 0)
        return cr_err_set(err, CR_EUSAGE, "path too long: %s/%s", dir, name);
    p->file = path;
    p->failed = 0;
    int rc = ini_parse(path, h, p);
    if (rc == -1)
        return cr_err_set(err, CR_EUSAGE, "cannot open scenario file '%s'", path);
    if (rc == -2)
        return cr_err_set(err, CR_EINTERNAL, "out of memory reading '%s'", path);
    if (rc > 0)
        return cr_err_set(err, CR_EUSAGE, "%s:%d: %s", path, rc,
                          p->failed ? p->msg : "syntax error (expected [section] or key = value)");
    return CR_OK;
}

static int check(struct cr_scenarios *s, struct cr_err *err)
{
    for (size_t i = 0; i < s->nperiods; i++) {
        const struct cr_period *per = &s->periods[i];
        if (!per->first_year || !per->nexperiments)
            return cr_err_set(err, CR_EUSAGE, "%s/periods.ini: [%s] needs years and experiments",
                              s->dir, per->code);
        for (int k = 0; k < per->nexperiments; k++)
            if (!cr_scenarios_experiment(s, per->experiments[k]))
                return cr_err_set(err, CR_EUSAGE,
                                  "%s/periods.ini: [%s] names experiment '%s', which "
                                  "experiments.ini does not declare",
                                  s->dir, per->code, per->experiments[k]);
    }
    if (!s->reference_period[0]) {
        for (size_t i = 0; i < s->nperiods; i++)
            if (s->periods[i].is_reference)
                strcpy(s->reference_period, s->periods[i].code);
    }
    const struct cr_period *ref = cr_scenarios_reference(s);
    if (!ref)
        return cr_err_set(err, CR_EUSAGE,
                          "%s: no reference period (mark one period 'reference = yes')", s->dir);
    for (size_t i = 0; i < s->nlevels; i++) {
        struct cr_warming_level *w = &s->levels[i];
        if (w->france_warming <= 0 || !cr_scenarios_experiment(s, w->experiment))
            return cr_err_set(err, CR_EUSAGE,
                              "%s/warming_levels.ini: [%s] needs france_warming > 0 and a "
                              "declared experiment",
                              s->dir, w->code);
        w->above_reference = w->france_warming - s->preindustrial_to_reference;
    }
    for (size_t i = 0; i < s->nstats; i++)
        if (s->stats[i].type == CR_STAT_QUANTILE && s->stats[i].q < 0)
            return cr_err_set(err, CR_EUSAGE, "%s/statistics.ini: [%s] is a quantile without q",
                              s->dir, s->stats[i].code);
    return CR_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cr_scenarios_load(struct cr_scenarios *s, const char *dir, struct cr_err *err)
{
    memset(s, 0, sizeof *s);
    int rc;
    if (dir && *dir)
        cr_strlcpy(s->dir, dir, sizeof s->dir);
    else if ((rc = cr_datafile("scenarios", s->dir, sizeof s->dir, err)))
        return rc;
    struct parse p;
    memset(&p, 0, sizeof p);
    p.s = s;
    if ((rc = parse_file(&p, s->dir, "experiments.ini", on_experiment, err)) ||
        (rc = parse_file(&p, s->dir, "periods.ini", on_period, err)) ||
        (rc = parse_file(&p, s->dir, "warming_levels.ini", on_level, err)) ||
        (rc = parse_file(&p, s->dir, "statistics.ini", on_statistic, err)))
        return rc;

    char ens_dir[CR_PATH_MAX];
    cr_path_join(ens_dir, sizeof ens_dir, s->dir, "ensembles");
    DIR *d = opendir(ens_dir);
    if (d) {
        char *names[CR_SCN_MAX_ITEMS];
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < CR_SCN_MAX_ITEMS) {
            size_t len = strlen(de->d_name);
            if (len > 4 && strcmp(de->d_name + len - 4, ".ini") == 0)
                names[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name); /* same order on every machine */
        for (size_t i = 0; i < n; i++) {
            if (rc == CR_OK && names[i]) {
                p.ens = &s->ensembles[s->nensembles++];
                rc = parse_file(&p, ens_dir, names[i], on_ensemble, err);
                if (rc == CR_OK && !p.ens->name[0])
                    rc = cr_err_set(err, CR_EUSAGE, "%s/%s: [ensemble] name is missing", ens_dir,
                                    names[i]);
            }
            free(names[i]);
        }
        if (rc)
            return rc;
    }
    return check(s, err);
}

void cr_scenarios_free(struct cr_scenarios *s)
{
    for (size_t i = 0; i < s->nensembles; i++)
        free(s->ensembles[i].members);
    s->nensembles = 0;
}

const struct cr_period *cr_scenarios_period(const struct cr_scenarios *s, const char *code)
{
    for (size_t i = 0; i < s->nperiods; i++)
        if (strcmp(s->periods[i].code, code) == 0)
            return &s->periods[i];
    return NULL;
}

const struct cr_period *cr_scenarios_reference(const struct cr_scenarios *s)
{
    return s->reference_period[0] ? cr_scenarios_period(s, s->reference_period) : NULL;
}

const struct cr_experiment *cr_scenarios_experiment(const struct cr_scenarios *s, const char *name)
{
    for (size_t i = 0; i < s->nexperiments; i++) {
        const struct cr_experiment *e = &s->experiments[i];
        if (strcmp(e->id, name) == 0)
            return e;
        for (int a = 0; a < e->naliases; a++)
            if (strcmp(e->aliases[a], name) == 0)
                return e;
    }
    return NULL;
}

const struct cr_warming_level *cr_scenarios_level(const struct cr_scenarios *s, const char *code)
{
    for (size_t i = 0; i < s->nlevels; i++)
        if (strcmp(s->levels[i].code, code) == 0)
            return &s->levels[i];
    return NULL;
}

const struct cr_ensemble *cr_scenarios_ensemble(const struct cr_scenarios *s, const char *name)
{
    for (size_t i = 0; i < s->nensembles; i++)
        if (strcmp(s->ensembles[i].name, name) == 0)
            return &s->ensembles[i];
    return NULL;
}

int cr_period_uses(const struct cr_period *p, const char *experiment)
{
    for (int i = 0; i < p->nexperiments; i++)
        if (strcmp(p->experiments[i], experiment) == 0)
            return 1;
    return 0;
}
