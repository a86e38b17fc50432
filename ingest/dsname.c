/* dsname.c — DRIAS/CORDEX file-name parsing; see dsname.h. */
#include "dsname.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../core/strutil.h"

#define MAX_TOKENS 24

int cr_scenario_normalize(const char *s, char *out, size_t size)
{
    static const char *const known[] = {"historical", "rcp26", "rcp45", "rcp85"};
    char buf[32];
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.')
            continue;
        if (n + 1 >= sizeof buf)
            return -1;
        buf[n++] = (char)tolower((unsigned char)*p);
    }
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(buf, known[i]) == 0) {
            if (strlen(known[i]) >= size)
                return -1;
            strcpy(out, known[i]);
            return 0;
        }
    }
    return -1;
}

int cr_model_valid(const char *model)
{
    const char *us = strchr(model, '_');
    if (!us || us == model || us[1] == '\0' || strchr(us + 1, '_'))
        return 0;
    for (const char *p = model; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

/* r1i1p1, r12i1p1 */
static int is_member(const char *t)
{
    int parts = 0;
    for (const char *want = "rip"; *want; want++) {
        if (*t++ != *want || !isdigit((unsigned char)*t))
            return 0;
        while (isdigit((unsigned char)*t))
            t++;
        parts++;
    }
    return parts == 3 && *t == '\0';
}

/* "20060101-21001231", "200601-210012" or "2006-2100": two digit runs of the
 * same length around one dash. */
static int is_period(const char *t)
{
    const char *dash = strchr(t, '-');
    if (!dash)
        return 0;
    size_t a = (size_t)(dash - t), b = strlen(dash + 1);
    if (a != b || a < 4 || a > 12)
        return 0;
    for (size_t i = 0; i < a; i++)
        if (!isdigit((unsigned char)t[i]) || !isdigit((unsigned char)dash[1 + i]))
            return 0;
    return 1;
}

static void set_model(struct cr_dsname *o, const char *gcm, const char *rcm)
{
    snprintf(o->model, sizeof o->model, "%s_%s", gcm, rcm);
    if (!cr_model_valid(o->model))
        o->model[0] = '\0';
}

int cr_dsname_parse(const char *name, struct cr_dsname *out)
{
    memset(out, 0, sizeof *out);
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char buf[512];
    if (cr_strlcpy(buf, base, sizeof buf) >= sizeof buf)
        return -1;
    char *dot = strrchr(buf, '.');
    if (dot && (strcmp(dot, ".nc") == 0 || strcmp(dot, ".nc4") == 0))
        *dot = '\0';
    char *tok[MAX_TOKENS];
    size_t n = 0;
    for (char *p = buf; n < MAX_TOKENS;) {
        tok[n++] = p;
        char *us = strchr(p, '_');
        if (!us)
            break;
        *us = '\0';
        p = us + 1;
    }
    if (n < 4 || tok[0][0] == '\0' || strlen(tok[0]) >= sizeof out->variable)
        return -1;
    for (size_t i = n; i-- > 1;) {
        if (is_period(tok[i])) {
            cr_strlcpy(out->period, tok[i], sizeof out->period);
            break;
        }
    }
    char scen[16];
    if (n >= 7 && is_member(tok[4]) && cr_scenario_normalize(tok[3], scen, sizeof scen) == 0) {
        out->family = CR_DSNAME_CORDEX;
        set_model(out, tok[2], tok[5]);
        cr_strlcpy(out->member, tok[4], sizeof out->member);
    } else if (n >= 5 && strcmp(tok[1], "France") == 0 &&
               cr_scenario_normalize(tok[4], scen, sizeof scen) == 0) {
        out->family = CR_DSNAME_DRIAS_PORTAL;
        set_model(out, tok[2], tok[3]);
    } else if (strcmp(tok[1], "metro") == 0) {
        size_t i = 2;
        while (i < n && cr_scenario_normalize(tok[i], scen, sizeof scen) != 0)
            i++;
        if (i == n)
            return -1;
        out->family = CR_DSNAME_DRIAS2014;
    } else {
        out->period[0] = '\0';
        return -1;
    }
    cr_strlcpy(out->variable, tok[0], sizeof out->variable);
    cr_strlcpy(out->scenario, scen, sizeof out->scenario);
    return 0;
}
