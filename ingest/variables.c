/* variables.c — canonical variables and the names files give them; see
 * reader.h. */
#include <string.h>

#include "../core/strutil.h"
#include "reader.h"

static const char *const names_tasmin[] = {"tasminAdjust", "tasmin", "tasminAdj", NULL};
static const char *const names_tasmax[] = {"tasmaxAdjust", "tasmax", "tasmaxAdj", NULL};
static const char *const names_tas[] = {"tasAdjust", "tas", "tasAdj", NULL};
static const char *const names_pr[] = {"prtotAdjust", "pr", "prAdjust", "prtot", NULL};
static const char *const names_prsn[] = {"prsnAdjust", "prsn", NULL};
static const char *const names_snw[] = {"snw", "snwAdjust", NULL};

static const struct {
    const char *name;
    const char *units;
    const char *const *file_names;
} vars[CR_VAR_COUNT] = {
    [CR_VAR_TASMIN] = {"tasmin", "degC", names_tasmin},
    [CR_VAR_TASMAX] = {"tasmax", "degC", names_tasmax},
    [CR_VAR_TAS] = {"tas", "degC", names_tas},
    [CR_VAR_PR] = {"pr", "mm/day", names_pr},
    [CR_VAR_PRSN] = {"prsn", "mm/day", names_prsn},
    [CR_VAR_SNW] = {"snw", "kg m-2", names_snw},
};

const char *cr_var_name(enum cr_var v)
{
    return (unsigned)v < CR_VAR_COUNT ? vars[v].name : "?";
}

const char *cr_var_units(enum cr_var v)
{
    return (unsigned)v < CR_VAR_COUNT ? vars[v].units : "?";
}

const char *const *cr_var_file_names(enum cr_var v)
{
    static const char *const none[] = {NULL};
    return (unsigned)v < CR_VAR_COUNT ? vars[v].file_names : none;
}

int cr_var_parse(const char *name, enum cr_var *v)
{
    if (!name)
        return -1;
    for (int k = 0; k < CR_VAR_COUNT; k++) {
        for (const char *const *n = vars[k].file_names; *n; n++) {
            if (cr_strieq(name, *n)) {
                *v = (enum cr_var)k;
                return 0;
            }
        }
    }
    return -1;
}

/* The method applied over time in a cell_methods string such as
 * "time: maximum" or "area: mean time: minimum within days". */
static const char *time_method(const char *cell_methods)
{
    if (!cell_methods)
        return "";
    const char *p = strstr(cell_methods, "time:");
    if (!p)
        return "";
    p += 5;
    while (*p == ' ')
        p++;
    return p;
}

int cr_var_from_standard_name(const char *standard_name, const char *cell_methods, enum cr_var *v)
{
    static const struct {
        const char *sn;
        enum cr_var var;
    } table[] = {
        {"precipitation_flux", CR_VAR_PR},     {"precipitation_amount", CR_VAR_PR},
        {"lwe_precipitation_rate", CR_VAR_PR}, {"lwe_thickness_of_precipitation_amount", CR_VAR_PR},
        {"snowfall_flux", CR_VAR_PRSN},        {"snowfall_amount", CR_VAR_PRSN},
        {"lwe_snowfall_rate", CR_VAR_PRSN},    {"lwe_thickness_of_snowfall_amount", CR_VAR_PRSN},
        {"surface_snow_amount", CR_VAR_SNW},   {"lwe_thickness_of_surface_snow_amount", CR_VAR_SNW},
    };
    if (!standard_name)
        return -1;
    if (strcmp(standard_name, "air_temperature") == 0) {
        const char *m = time_method(cell_methods);
        if (strncmp(m, "minimum", 7) == 0)
            *v = CR_VAR_TASMIN;
        else if (strncmp(m, "maximum", 7) == 0)
            *v = CR_VAR_TASMAX;
        else
            *v = CR_VAR_TAS;
        return 0;
    }
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(standard_name, table[i].sn) == 0) {
            *v = table[i].var;
            return 0;
        }
    }
    return -1;
}
