/* scenarios.h — experiments, periods, warming levels, ensemble statistics
 * and model ensembles, as declared in the scenarios/ folder.
 *
 * Analysts read and extend these INI files (scenarios/README.md documents
 * them); no stage hard-codes a horizon, a model list or a statistic. Every
 * stage that needs them loads them through this module. */
#ifndef CR_SCENARIOS_H
#define CR_SCENARIOS_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/fsutil.h"

#define CR_SCN_MAX_ITEMS 32
#define CR_SCN_MAX_EXP   8

struct cr_labels {
    char en[128];
    char fr[128];
};

struct cr_experiment {
    char id[16]; /* historical, rcp26, rcp45, rcp85 */
    int is_historical;
    char aliases[4][16];
    int naliases;
    struct cr_labels label;
};

/* A fixed horizon (REF, H1, H2, H3). */
struct cr_period {
    char code[16];
    int first_year, last_year;
    char experiments[CR_SCN_MAX_EXP][16];
    int nexperiments;
    int is_reference;
    struct cr_labels label;
};

/* A TRACC warming level (RWL20, RWL27, RWL40): a horizon found per model. */
struct cr_warming_level {
    char code[16];
    double france_warming;  /* degC above pre-industrial */
    double above_reference; /* degC above the model's reference mean */
    char experiment[16];    /* runs it is computed on */
    int tracc_year;
    struct cr_labels label;
};

enum cr_stat_type { CR_STAT_QUANTILE, CR_STAT_MIN, CR_STAT_MAX, CR_STAT_AGREEMENT };

struct cr_statistic {
    char code[16]; /* median, p05, p95, min, max, agreement */
    enum cr_stat_type type;
    double q; /* CR_STAT_QUANTILE */
    struct cr_labels label;
};

struct cr_ensemble_member {
    char model[128]; /* GCM_RCM */
    char gcm[64];
    char rcm[64];
    char member[16];
    char experiments[CR_SCN_MAX_EXP][16];
    int nexperiments;
};

struct cr_ensemble {
    char name[64];
    struct cr_labels label;
    struct cr_ensemble_member *members;
    size_t nmembers;
};

struct cr_scenarios {
    char dir[CR_PATH_MAX];
    struct cr_experiment experiments[CR_SCN_MAX_ITEMS];
    size_t nexperiments;
    struct cr_period periods[CR_SCN_MAX_ITEMS];
    size_t nperiods;
    char reference_period[16];
    double preindustrial_to_reference;
    struct cr_warming_level levels[CR_SCN_MAX_ITEMS];
    size_t nlevels;
    struct cr_statistic stats[CR_SCN_MAX_ITEMS];
    size_t nstats;
    struct cr_ensemble ensembles[CR_SCN_MAX_ITEMS];
    size_t nensembles;
};

/* Load every file of dir (NULL or "" = the shipped scenarios/ folder, see
 * core/datadir.h). Errors name the file, line and key. */
int cr_scenarios_load(struct cr_scenarios *s, const char *dir, struct cr_err *err);
void cr_scenarios_free(struct cr_scenarios *s);

/* The reference period (REF). Never NULL after a successful load. */
const struct cr_period *cr_scenarios_reference(const struct cr_scenarios *s);
/* Experiment by id or alias ("rcp4.5", "Historical"); NULL if unknown. */
const struct cr_experiment *cr_scenarios_experiment(const struct cr_scenarios *s, const char *name);
const struct cr_period *cr_scenarios_period(const struct cr_scenarios *s, const char *code);
const struct cr_warming_level *cr_scenarios_level(const struct cr_scenarios *s, const char *code);
const struct cr_ensemble *cr_scenarios_ensemble(const struct cr_scenarios *s, const char *name);
/* Does period p draw on runs of experiment id? */
int cr_period_uses(const struct cr_period *p, const char *experiment);

#endif
