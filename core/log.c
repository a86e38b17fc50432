/* log.c — stderr logging and progress display; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Process-wide by design (see log.h): written once by main(), read after. */
static enum cr_log_level log_level = CR_LOG_INFO;
static double log_t0;

double cr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cr_log_init(enum cr_log_level level)
{
    log_level = level;
    log_t0 = cr_now();
}

enum cr_log_level cr_log_level(void)
{
    return log_level;
}

double cr_elapsed(void)
{
    if (log_t0 == 0)
        log_t0 = cr_now();
    return cr_now() - log_t0;
}

static const char *level_names[] = {"error", "warn ", "info ", "debug"};

void cr_log(enum cr_log_level level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char line[2048];
    int n = snprintf(line, sizeof line, "climrisk %7.1fs %s ", cr_elapsed(), level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line so lines of concurrent workers do not interleave. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    fputs(line, stderr);
}

void cr_progress_begin(struct cr_progress *p, const char *label, uint64_t total)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->start = cr_now();
    p->tty = isatty(STDERR_FILENO) && log_level >= CR_LOG_INFO;
    p->last_tenth = 0;
    if (!p->tty)
        cr_info("%s: started (%llu to do)", p->label, (unsigned long long)total);
}

static void format_duration(double s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

void cr_progress_add(struct cr_progress *p, uint64_t n)
{
    p->done += n;
    if (p->done > p->total)
        p->total = p->done;
    double now = cr_now();
    if (p->tty) {
        if (now - p->last_draw < 0.1 && p->done < p->total)
            return;
        p->last_draw = now;
        double frac = p->total ? (double)p->done / (double)p->total : 1.0;
        char eta[32] = "--:--";
        if (p->done > 0 && frac < 1.0)
            format_duration((now - p->start) * (1.0 - frac) / frac, eta, sizeof eta);
        char bar[31];
        int filled = (int)(frac * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[30] = '\0';
        fprintf(stderr, "\r%-24.24s [%s] %3d%% %llu/%llu ETA %s ", p->label, bar, (int)(frac * 100),
                (unsigned long long)p->done, (unsigned long long)p->total, eta);
        fflush(stderr);
        return;
    }
    int tenth = p->total ? (int)(p->done * 10 / p->total) : 10;
    if (tenth > p->last_tenth && tenth < 10) {
        p->last_tenth = tenth;
        char eta[32];
        double frac = (double)p->done / (double)p->total;
        format_duration((now - p->start) * (1.0 - frac) / frac, eta, sizeof eta);
        cr_info("%s: %d%% (%llu/%llu), ETA %s", p->label, (int)(frac * 100),
                (unsigned long long)p->done, (unsigned long long)p->total, eta);
    }
}

void cr_progress_end(struct cr_progress *p)
{
    if (p->tty)
        fprintf(stderr, "\r%*s\r", 80, "");
    cr_info("%s: done %llu in %.1f s", p->label, (unsigned long long)p->done, cr_now() - p->start);
}
