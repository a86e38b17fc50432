/* engine.h — every indicator of the catalogue, computed in one streaming
 * pass over the days of one simulation.
 *
 * The caller feeds consecutive days (a block of days x all cells, day-major,
 * in canonical units: degC, mm/day) from 1 January of the first year; the
 * engine updates the per-cell accumulators of every requested indicator for
 * each cell-day, and hands out a year's map of each indicator as soon as the
 * year closes (31 December; 31 July for snow-year indicators, labelled by
 * the year the snow year starts in). State is a few flat arrays per
 * indicator (structure of arrays, one value per cell), so memory depends on
 * the number of cells only, never on the number of years.
 *
 * Conventions (docs/indicators.md has the full definitions and references):
 * a day is missing for an indicator when one of the inputs it needs is NaN;
 * a period value is NaN when more than max_missing_fraction of the period's
 * days are missing. Day windows (1 Apr-30 Sep, ...) are taken from the
 * calendar's month and day, so they hold 183 days in standard/noleap years
 * and 180 in 360_day years. The engine does no I/O and no allocation per
 * day; it is not thread-safe, but independent engines are. */
#ifndef CR_ENGINE_H
#define CR_ENGINE_H

#include <stddef.h>

#include "../core/error.h"
#include "../ingest/calendar.h"

/* The engine's own identifiers, in catalogue order (indicators/catalog.c);
 * cr_engine_indicator_id() maps a catalogue code to one. */
enum cr_ind {
    CR_IND_TG_MEAN,
    CR_IND_TXX,
    CR_IND_SU,
    CR_IND_TX35,
    CR_IND_TR,
    CR_IND_FD,
    CR_IND_GSL,
    CR_IND_HUGLIN,
    CR_IND_WINKLER,
    CR_IND_CNI,
    CR_IND_SPRING_FROST,
    CR_IND_GDD5,
    CR_IND_TSUM200,
    CR_IND_WATER_DEFICIT,
    CR_IND_RX1DAY,
    CR_IND_RX5DAY,
    CR_IND_R20MM,
    CR_IND_PRCPTOT,
    CR_IND_CDD,
    CR_IND_PRSN_TOTAL,
    CR_IND_SNOW_DAYS,
    CR_IND_SWE_MAX,
    CR_IND_COUNT
};

/* Catalogue code -> id; -1 when the engine does not know the code. */
int cr_engine_indicator_id(const char *code);
/* id -> catalogue code. */
const char *cr_engine_indicator_code(enum cr_ind id);

/* The parameters of struct cr_engine_opts an indicator's values depend on
 * (besides max_missing_fraction, which they all read): an incremental run
 * recomputes an indicator when one of these changes, and only then. */
enum {
    CR_PARAM_SNOW_MELT = 1 << 0,      /* snow_melt_factor */
    CR_PARAM_SNOW_COVER = 1 << 1,     /* snow_cover_threshold */
    CR_PARAM_SNOW_RAIN_TEMP = 1 << 2, /* snow_rain_temperature (no prsn file) */
};
unsigned cr_engine_indicator_params(enum cr_ind id);

/* Daily inputs, by position in the `in` array of cr_engine_feed. */
enum cr_input { CR_IN_TN, CR_IN_TX, CR_IN_TG, CR_IN_PR, CR_IN_PS, CR_IN_COUNT };

struct cr_engine_opts {
    unsigned long indicators; /* bit (1UL << id) per requested indicator */
    int have[CR_IN_COUNT];    /* which inputs will be fed (TG and PS may fall back) */
    double max_missing_fraction;
    double snow_melt_factor;      /* mm per degC per day */
    double snow_cover_threshold;  /* SWE (mm) counted as snow cover */
    double snow_rain_temperature; /* TG at or below which PR is snow (no PS) */
};

/* Defaults of the config file ([compute], [indicators]); no indicators. */
void cr_engine_opts_defaults(struct cr_engine_opts *o);

/* The inputs an indicator set needs, given what is available: fills
 * missing[] with 1 for each input that is required but absent (TG needs TN
 * and TX when tas is absent; PS needs PR and TG when prsn is absent).
 * Returns the number of missing inputs. */
int cr_engine_missing_inputs(unsigned long indicators, const int have[CR_IN_COUNT],
                             int missing[CR_IN_COUNT]);

/* A year's map of one indicator: values[ncells], NaN where undefined. The
 * callback returns CR_OK or an error code (filled into err), which stops the
 * engine. */
typedef int (*cr_engine_emit_fn)(void *user, enum cr_ind id, int year, const float *values,
                                 struct cr_err *err);

struct cr_engine;

/* An engine for ncells cells over calendar years first_year..last_year.
 * lat (degrees, ncells values) is needed by huglin and water_deficit, and
 * may be NULL otherwise. When tas is not fed but TN and TX are, tg_mean is
 * always computed too (TG is then (TN+TX)/2), so callers can derive the
 * France-mean temperature; cr_engine_computes() says what is computed. */
int cr_engine_new(struct cr_engine **out, const struct cr_engine_opts *o, enum cr_calendar cal,
                  int first_year, int last_year, size_t ncells, const double *lat,
                  struct cr_err *err);
void cr_engine_free(struct cr_engine *e);

/* Bit set of the indicators this engine computes. */
unsigned long cr_engine_computes(const struct cr_engine *e);

/* Feed ndays consecutive days starting at `start` (the first call starts on
 * 1 January of first_year, each next call where the previous one ended).
 * in[k] holds ndays * ncells values (day-major) for each input that is
 * `have`, NULL otherwise. Years that close during the block are emitted. */
int cr_engine_feed(struct cr_engine *e, struct cr_date start, size_t ndays,
                   const float *const in[CR_IN_COUNT], cr_engine_emit_fn emit, void *user,
                   struct cr_err *err);

/* Feed missing days up to 31 December of last_year, then close the last
 * snow year (its missing days after that date count as missing). */
int cr_engine_finish(struct cr_engine *e, cr_engine_emit_fn emit, void *user, struct cr_err *err);

/* The next day the engine expects. */
struct cr_date cr_engine_next_day(const struct cr_engine *e);

#endif
