/* dsname.h — what a DRIAS or CORDEX file name says about its contents.
 *
 * Hand-written manifests and plain directories of downloads rarely say which
 * model, scenario and variable each file holds, but the names do: DRIAS and
 * EURO-CORDEX files follow the CORDEX data reference syntax. Three families
 * are recognised (../shared/research/drias-data.md §1.1):
 *   (a) CNRM server / data.gouv bucket and ESGF CORDEX files,
 *       <var>_<domain>_<GCM>_<exp>_<member>_<RCM>_<ver>[_<bc>]_day_<start>-<end>[_<sfx>].nc
 *   (b) DRIAS portal orders,
 *       <var>_France_<GCM>_<RCM>_<Historical|rcp4.5>_METEO-FRANCE_..._day_<start>-<end>.nc
 *   (c) DRIAS 2014, <var>_metro_<inst>_<model>_<rcp2.6>_..._<start>-<end>.nc, which
 *       gives the variable and scenario but no GCM_RCM pair.
 * The variable comes out as written (tasmaxAdjust, tasmin); the scenario is
 * normalised to historical, rcp26, rcp45 or rcp85. */
#ifndef CR_DSNAME_H
#define CR_DSNAME_H

#include <stddef.h>

enum cr_dsname_family {
    CR_DSNAME_NONE,
    CR_DSNAME_CORDEX,
    CR_DSNAME_DRIAS_PORTAL,
    CR_DSNAME_DRIAS2014
};

struct cr_dsname {
    enum cr_dsname_family family;
    char variable[64];
    char model[192]; /* "GCM_RCM", "" when the name does not give it */
    char scenario[16];
    char member[32]; /* r1i1p1, "" when absent */
    char period[40]; /* "20060101-21001231" as in the name, "" when absent */
};

/* Parse a file name (a path is accepted; only its last component counts).
 * Returns 0 when the name belongs to a family above, -1 otherwise; fields the
 * name does not give are left empty. */
int cr_dsname_parse(const char *name, struct cr_dsname *out);

/* Normalise an experiment name: historical/Historical -> historical,
 * rcp4.5/RCP45/rcp45 -> rcp45 (also rcp26, rcp85). Returns -1 when unknown. */
int cr_scenario_normalize(const char *s, char *out, size_t size);

/* A model id is "GCM_RCM": two non-empty parts, one underscore, no blanks. */
int cr_model_valid(const char *model);

#endif
