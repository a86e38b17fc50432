/* simset.c — grouping input files into simulations; see simset.h. */
#include "simset.h"

#include <stdlib.h>
#include <string.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../ingest/dsname.h"
#include "../ingest/manifest.h"
#include "../ingest/reader.h"

int cr_simset_input_of(const char *variable)
{
    enum cr_var v;
    if (cr_var_parse(variable, &v) != 0)
        return -1;
    switch (v) {
    case CR_VAR_TASMIN:
        return CR_IN_TN;
    case CR_VAR_TASMAX:
        return CR_IN_TX;
    case CR_VAR_TAS:
        return CR_IN_TG;
    case CR_VAR_PR:
        return CR_IN_PR;
    case CR_VAR_PRSN:
        return CR_IN_PS;
    default:
        return -1;
    }
}

const char *cr_simset_input_name(enum cr_input in)
{
    static const char *names[CR_IN_COUNT] = {"tasmin", "tasmax", "tas", "pr", "prsn"};
    return (unsigned)in < CR_IN_COUNT ? names[in] : "?";
}

static struct cr_simfiles *find_or_add(struct cr_simset *set, const char *model,
                                       const char *experiment)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->s[i].model, model) == 0 && strcmp(set->s[i].experiment, experiment) == 0)
            return &set->s[i];
    struct cr_simfiles *bigger = realloc(set->s, (set->n + 1) * sizeof *bigger);
    if (!bigger)
        return NULL;
    set->s = bigger;
    struct cr_simfiles *f = &set->s[set->n++];
    memset(f, 0, sizeof *f);
    cr_strlcpy(f->model, model, sizeof f->model);
    cr_strlcpy(f->experiment, experiment, sizeof f->experiment);
    return f;
}

int cr_simset_add_file(struct cr_simset *set, const char *path, const char *variable,
                       const char *model, const char *experiment, struct cr_err *err)
{
    struct cr_dsname dn;
    int named = cr_dsname_parse(path, &dn) == 0;
    if (!named)
        memset(&dn, 0, sizeof dn);
    const char *var = variable ? variable : dn.variable;
    if (!var || !*var)
        return cr_err_set(err, CR_EUSAGE,
                          "%s: the file name does not say which variable it holds; give it with "
                          "--tasmin/--tasmax/--tas/--pr/--prsn",
                          path);
    int in = cr_simset_input_of(var);
    if (in < 0)
        return cr_err_set(err, CR_EUSAGE,
                          "%s: variable '%s' is not one the indicators use (tasmin, tasmax, tas, "
                          "pr, prsn)",
                          path, var);
    char exp[16] = "";
    const char *e = experiment && *experiment ? experiment : dn.scenario;
    if (e && *e && cr_scenario_normalize(e, exp, sizeof exp) != 0)
        cr_strlcpy(exp, e, sizeof exp);
    struct cr_simfiles *f = find_or_add(set, model && *model ? model : dn.model, exp);
    if (!f || cr_strlist_push(&f->files[in], path) != 0)
        return cr_err_set(err, CR_EINTERNAL, "out of memory");
    if (!f->member[0] && dn.member[0])
        cr_strlcpy(f->member, dn.member, sizeof f->member);
    return CR_OK;
}

int cr_simset_add_dir(struct cr_simset *set, const char *dir, size_t *skipped, struct cr_err *err)
{
    struct cr_manifest m;
    cr_manifest_init(&m);
    int rc = cr_manifest_add_dir(&m, dir, err);
    size_t skip = 0;
    for (size_t i = 0; rc == CR_OK && i < m.n; i++) {
        const struct cr_manifest_entry *e = &m.e[i];
        if (!e->model[0] || !e->scenario[0] || cr_simset_input_of(e->variable) < 0) {
            cr_debug("compute: skipping %s (no model, experiment or usable variable in its name)",
                     e->src);
            skip++;
            continue;
        }
        rc = cr_simset_add_file(set, e->src, e->variable, e->model, e->scenario, err);
    }
    cr_manifest_free(&m);
    if (skipped)
        *skipped = skip;
    return rc;
}

static int exp_rank(const char *e)
{
    return strcmp(e, "historical") == 0 ? 0 : 1;
}

static int cmp_sim(const void *a, const void *b)
{
    const struct cr_simfiles *x = a, *y = b;
    int c = strcmp(x->model, y->model);
    if (c)
        return c;
    c = exp_rank(x->experiment) - exp_rank(y->experiment);
    return c ? c : strcmp(x->experiment, y->experiment);
}

void cr_simset_sort(struct cr_simset *set)
{
    if (set->n > 1)
        qsort(set->s, set->n, sizeof *set->s, cmp_sim);
}

void cr_simset_free(struct cr_simset *set)
{
    for (size_t i = 0; i < set->n; i++)
        for (int k = 0; k < CR_IN_COUNT; k++)
            cr_strlist_free(&set->s[i].files[k]);
    free(set->s);
    set->s = NULL;
    set->n = 0;
}
