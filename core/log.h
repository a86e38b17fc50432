/* log.h — progress and log lines on stderr, with timings.
 *
 * Log lines look like `climrisk   12.3s info  synth: wrote 15 files` and go to
 * stderr so stdout stays clean for data (inspect, plan, psql). The level and
 * the start time are process-wide: they are set once by main() before any
 * thread starts, and only read afterwards. A long loop reports through a
 * struct cr_progress: a redrawn bar with an ETA when stderr is a terminal,
 * one plain line per tenth of the work otherwise (cron mails, CI logs). */
#ifndef CR_LOG_H
#define CR_LOG_H

#include <stdint.h>

enum cr_log_level { CR_LOG_ERROR = 0, CR_LOG_WARN = 1, CR_LOG_INFO = 2, CR_LOG_DEBUG = 3 };

/* Set the level and remember now as time zero. Call once from main(). */
void cr_log_init(enum cr_log_level level);
enum cr_log_level cr_log_level(void);

/* Seconds on a monotonic clock, and seconds since cr_log_init(). */
double cr_now(void);
double cr_elapsed(void);

void cr_log(enum cr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cr_error(...) cr_log(CR_LOG_ERROR, __VA_ARGS__)
#define cr_warn(...)  cr_log(CR_LOG_WARN, __VA_ARGS__)
#define cr_info(...)  cr_log(CR_LOG_INFO, __VA_ARGS__)
#define cr_debug(...) cr_log(CR_LOG_DEBUG, __VA_ARGS__)

struct cr_progress {
    char label[64];
    uint64_t total;
    uint64_t done;
    double start;
    double last_draw;
    int tty;
    int last_tenth; /* last tenth logged in plain mode */
};

/* Start reporting a step of `total` units (files, cells, years...). */
void cr_progress_begin(struct cr_progress *p, const char *label, uint64_t total);
/* Record n more units done; redraws at most ten times a second. */
void cr_progress_add(struct cr_progress *p, uint64_t n);
/* Finish the step: clears the bar and logs one line with the duration. */
void cr_progress_end(struct cr_progress *p);

#endif
