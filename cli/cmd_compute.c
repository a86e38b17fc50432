/* cmd_compute.c — `climrisk compute`: annual indicators of simulations. */
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fsutil.h"
#include "../core/log.h"
#include "../indicators/compute.h"
#include "../ingest/dsname.h"
#include "../indicators/simset.h"
#include "../scenarios/scenarios.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: climrisk compute [options]\n"
        "       climrisk compute --tasmin FILE... --tasmax FILE... [--tas FILE...]\n"
        "                        [--pr FILE...] [--prsn FILE...] --out PATH\n"
        "\n"
        "Compute the annual value of every requested indicator (docs/indicators.md) for\n"
        "each simulation, in one streaming pass over its daily files, and write one\n"
        "annual file per simulation (docs/formats.md): <workdir>/annual/<model>_<experiment>.nc\n"
        "by default. Without file options the inputs come from the config: [inputs]\n"
        "source = synth reads <workdir>/data, source = directory reads [inputs] directory;\n"
        "files are grouped into simulations by their DRIAS/CORDEX names.\n"
        "\n"
        "options:\n"
        "  -c, --config FILE        run configuration (defaults: built-in)\n"
        "      --tasmin FILE...     daily minimum temperature files of one simulation\n"
        "      --tasmax FILE...     daily maximum temperature\n"
        "      --tas FILE...        daily mean temperature (else (tasmin+tasmax)/2)\n"
        "      --pr FILE...         daily precipitation\n"
        "      --prsn FILE...       daily snowfall (else pr on days with TG <= 1 degC)\n"
        "      --model GCM_RCM      label of the simulation given by files (else from names)\n"
        "      --experiment EXP     its experiment (historical, rcp26, rcp45, rcp85)\n"
        "  -d, --dir DIR            compute every simulation found in DIR\n"
        "  -i, --indicators LIST    indicator codes, comma-separated, or all (default: config)\n"
        "  -o, --out PATH           output file (.nc or .csv) for one simulation, or a\n"
        "                           directory for several (default <workdir>/annual)\n"
        "  -j, --jobs N             simulations computed in parallel threads\n"
        "                           (default: [run] jobs, 0 = one per CPU)\n"
        "      --block-days N       days read per block (default 32)\n"
        "  -n, --dry-run            list the simulations and their files, compute nothing\n"
        "  -h, --help               this help\n"
        "\n"
        "Indicators whose inputs are absent are left out with a warning when all are\n"
        "asked for, and are an error when asked for by name.\n");
}

/* Progress over all simulations, shared by the computing threads. */
struct shared_progress {
    pthread_mutex_t m;
    struct cr_progress p;
};

static void on_days(void *user, size_t days)
{
    struct shared_progress *sp = user;
    pthread_mutex_lock(&sp->m);
    cr_progress_add(&sp->p, days);
    pthread_mutex_unlock(&sp->m);
}

static const char *var_options[CR_IN_COUNT] = {"--tasmin", "--tasmax", "--tas", "--pr", "--prsn"};

/* Take --tasmin FILE... (and the other variable options) out of argv: each
 * takes every following argument up to the next option. */
static int take_file_options(int *argc, char **argv, struct cr_strlist files[CR_IN_COUNT])
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        int k = -1;
        const char *inline_value = NULL;
        for (int v = 0; v < CR_IN_COUNT; v++) {
            size_t len = strlen(var_options[v]);
            if (strncmp(argv[i], var_options[v], len) == 0 &&
                (argv[i][len] == '\0' || argv[i][len] == '=')) {
                k = v;
                inline_value = argv[i][len] == '=' ? argv[i] + len + 1 : NULL;
            }
        }
        if (k < 0) {
            argv[out++] = argv[i];
            continue;
        }
        if (inline_value && cr_strlist_push(&files[k], inline_value))
            return -1;
        int n = inline_value ? 1 : 0;
        while (i + 1 < *argc && argv[i + 1][0] != '-') {
            if (cr_strlist_push(&files[k], argv[++i]))
                return -1;
            n++;
        }
        if (n == 0) {
            cli_usage_error("compute", "%s needs at least one file", var_options[k]);
            return -2;
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

static int parse_indicators(const struct cr_strlist *l, unsigned long *mask, int *all)
{
    *mask = 0;
    *all = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], "all") == 0) {
            *mask = (1UL << CR_IND_COUNT) - 1;
            *all = 1;
            continue;
        }
        int id = cr_engine_indicator_id(l->items[i]);
        if (id < 0)
            return cli_usage_error("compute",
                                   "unknown indicator '%s' (see docs/indicators.md; e.g. su, fd, "
                                   "gsl, huglin, rx1day, swe_max, or all)",
                                   l->items[i]);
        *mask |= 1UL << id;
    }
    return *mask ? CR_OK : cli_usage_error("compute", "no indicators given");
}

static int is_table_path(const char *p)
{
    size_t n = strlen(p);
    return (n > 3 && strcmp(p + n - 3, ".nc") == 0) || (n > 4 && strcmp(p + n - 4, ".csv") == 0);
}

/* Days a simulation covers according to its file names (for the progress
 * display only; 0 when the names do not say). */
static uint64_t name_days(const struct cr_simfiles *sf)
{
    int y0 = 99999, y1 = -99999;
    for (int k = 0; k < CR_IN_COUNT; k++)
        for (size_t f = 0; f < sf->files[k].n; f++) {
            struct cr_dsname dn;
            int a, b;
            if (cr_dsname_parse(sf->files[k].items[f], &dn) == 0 &&
                sscanf(dn.period, "%4d%*4d-%4d", &a, &b) == 2) {
                y0 = a < y0 ? a : y0;
                y1 = b > y1 ? b : y1;
            }
        }
    return y1 >= y0 ? (uint64_t)(y1 - y0 + 1) * 36525 / 100 : 0;
}

/* Member of a model from the configured ensemble, when the names do not say. */
static void member_from_ensemble(const struct cr_config *cfg, struct cr_simset *set)
{
    struct cr_scenarios scn;
    struct cr_err err;
    if (cr_scenarios_load(&scn, cfg->scenarios_dir, &err) != CR_OK)
        return;
    for (size_t i = 0; i < set->n; i++) {
        if (set->s[i].member[0])
            continue;
        for (size_t e = 0; e < scn.nensembles; e++)
            for (size_t m = 0; m < scn.ensembles[e].nmembers; m++)
                if (strcmp(scn.ensembles[e].members[m].model, set->s[i].model) == 0 &&
                    !set->s[i].member[0])
                    cr_strlcpy(set->s[i].member, scn.ensembles[e].members[m].member,
                               sizeof set->s[i].member);
    }
    cr_scenarios_free(&scn);
}

int cmd_compute(int argc, char **argv)
{
    enum { O_MODEL = 256, O_EXP, O_BLOCK };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},
        {"dir", required_argument, 0, 'd'},
        {"indicators", required_argument, 0, 'i'},
        {"out", required_argument, 0, 'o'},
        {"jobs", required_argument, 0, 'j'},
        {"model", required_argument, 0, O_MODEL},
        {"experiment", required_argument, 0, O_EXP},
        {"block-days", required_argument, 0, O_BLOCK},
        {"dry-run", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct cr_strlist files[CR_IN_COUNT];
    memset(files, 0, sizeof files);
    struct cr_simset set = {0};
    struct cr_config cfg;
    int cfg_loaded = 0;
    struct cr_compute_job *jobs = NULL;
    char(*outs)[CR_PATH_MAX] = NULL;
    int status = CR_OK;
    int rc = take_file_options(&argc, argv, files);
    if (rc == -1) {
        fprintf(stderr, "climrisk compute: out of memory\n");
        status = CR_EINTERNAL;
        goto done;
    }
    if (rc == -2) {
        status = CR_EUSAGE;
        goto done;
    }
    const char *config_path = NULL, *dir = NULL, *indicators = NULL, *out = NULL;
    const char *model = NULL, *experiment = NULL;
    long jobs_opt = -1, block = 0;
    int dry = 0, c;
    while ((c = getopt_long(argc, argv, "c:d:i:o:j:nh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'i':
            indicators = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'j':
            if (cr_parse_long(optarg, &jobs_opt) || jobs_opt < 0 || jobs_opt > 256) {
                status = cli_usage_error("compute", "--jobs: '%s' is not 0..256", optarg);
                goto done;
            }
            break;
        case O_MODEL:
            model = optarg;
            break;
        case O_EXP:
            experiment = optarg;
            break;
        case O_BLOCK:
            if (cr_parse_long(optarg, &block) || block < 1 || block > 3660) {
                status = cli_usage_error("compute", "--block-days: '%s' is not 1..3660", optarg);
                goto done;
            }
            break;
        case 'n':
            dry = 1;
            break;
        case 'h':
            usage(stdout);
            goto done;
        default:
            status = cli_usage_error("compute", "invalid option");
            goto done;
        }
    }
    if (optind < argc) {
        status = cli_usage_error("compute", "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    struct cr_err err;
    cr_err_clear(&err);
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        status = cli_fail("compute", &err);
        goto done;
    }
    cfg_loaded = 1;

    /* Which indicators. */
    struct cr_strlist ilist = {0};
    if (indicators && cr_strlist_split(&ilist, indicators) != 0) {
        status = CR_EINTERNAL;
        goto done;
    }
    unsigned long mask;
    int all;
    status = parse_indicators(indicators ? &ilist : &cfg.indicators, &mask, &all);
    cr_strlist_free(&ilist);
    if (status)
        goto done;

    /* Which simulations. */
    int explicit_files = 0;
    for (int k = 0; k < CR_IN_COUNT; k++)
        explicit_files |= files[k].n > 0;
    if (explicit_files && dir) {
        status = cli_usage_error("compute", "give either --dir or files, not both");
        goto done;
    }
    if (explicit_files) {
        for (int k = 0; k < CR_IN_COUNT && status == CR_OK; k++)
            for (size_t i = 0; i < files[k].n && status == CR_OK; i++)
                if (cr_simset_add_file(&set, files[k].items[i],
                                       cr_simset_input_name((enum cr_input)k), model, experiment,
                                       &err) != CR_OK)
                    status = cli_fail("compute", &err);
        if (status)
            goto done;
        if (set.n > 1) {
            /* Names disagree (e.g. tasmin of one model, tasmax of another):
             * the user said these files are one simulation. */
            cr_warn("compute: the file names point to %zu simulations; computing them as one (%s "
                    "%s) since they were given together",
                    set.n, set.s[0].model, set.s[0].experiment);
            for (size_t i = 1; i < set.n; i++)
                for (int k = 0; k < CR_IN_COUNT; k++) {
                    for (size_t f = 0; f < set.s[i].files[k].n; f++)
                        cr_strlist_push(&set.s[0].files[k], set.s[i].files[k].items[f]);
                    cr_strlist_free(&set.s[i].files[k]);
                }
            set.n = 1;
        }
    } else {
        char from[CR_PATH_MAX];
        if (dir) {
            cr_strlcpy(from, dir, sizeof from);
        } else if (strcmp(cfg.source, "synth") == 0) {
            cr_path_join(from, sizeof from, cfg.workdir, "data");
        } else if (strcmp(cfg.source, "directory") == 0) {
            cr_strlcpy(from, cfg.input_dir, sizeof from);
        } else {
            status = cli_usage_error(
                "compute",
                "[inputs] source = %s: give the downloaded files with --dir DIR (the fetch "
                "cache) or per variable with --tasmin/--tasmax/...; `climrisk run` handles "
                "manifests",
                cfg.source);
            goto done;
        }
        if (!cr_is_dir(from)) {
            status = cli_usage_error("compute", "input directory '%s' does not exist%s", from,
                                     strcmp(cfg.source, "synth") == 0 && !dir
                                         ? " (generate it with `climrisk synth --out` or "
                                           "`climrisk run`)"
                                         : "");
            goto done;
        }
        size_t skipped = 0;
        if (cr_simset_add_dir(&set, from, &skipped, &err) != CR_OK) {
            status = cli_fail("compute", &err);
            goto done;
        }
        if (skipped)
            cr_warn("compute: %zu files in %s left aside (names without model, experiment or a "
                    "usable variable)",
                    skipped, from);
        if (set.n == 0) {
            status = cli_usage_error("compute", "no DRIAS/CORDEX-named NetCDF files in %s", from);
            goto done;
        }
    }
    cr_simset_sort(&set);
    member_from_ensemble(&cfg, &set);

    /* Where outputs go. */
    outs = calloc(set.n, sizeof *outs);
    jobs = calloc(set.n, sizeof *jobs);
    if (!outs || !jobs) {
        status = CR_EINTERNAL;
        goto done;
    }
    int single_file = out && is_table_path(out);
    if (single_file && set.n > 1) {
        status = cli_usage_error("compute",
                                 "--out %s names one file but %zu simulations were found; give a "
                                 "directory",
                                 out, set.n);
        goto done;
    }
    char outdir[CR_PATH_MAX];
    if (out && !single_file)
        cr_strlcpy(outdir, out, sizeof outdir);
    else
        cr_path_join(outdir, sizeof outdir, cfg.workdir, "annual");
    for (size_t i = 0; i < set.n; i++) {
        const struct cr_simfiles *sf = &set.s[i];
        if (single_file)
            cr_strlcpy(outs[i], out, CR_PATH_MAX);
        else {
            char name[300];
            snprintf(name, sizeof name, "%s_%s.nc", sf->model[0] ? sf->model : "unknown",
                     sf->experiment[0] ? sf->experiment : "unknown");
            cr_path_join(outs[i], CR_PATH_MAX, outdir, name);
        }
        if (!single_file && (!sf->model[0] || !sf->experiment[0])) {
            status = cli_usage_error("compute",
                                     "cannot tell the model or experiment of the files of %s; "
                                     "give --model and --experiment, or --out FILE",
                                     sf->files[0].n ? sf->files[0].items[0] : "a simulation");
            goto done;
        }
    }
    if (dry) {
        for (size_t i = 0; i < set.n; i++) {
            printf("%s %s -> %s\n", set.s[i].model, set.s[i].experiment, outs[i]);
            for (int k = 0; k < CR_IN_COUNT; k++)
                for (size_t f = 0; f < set.s[i].files[k].n; f++)
                    printf("  %-6s %s\n", cr_simset_input_name((enum cr_input)k),
                           set.s[i].files[k].items[f]);
        }
        goto done;
    }
    /* A compute killed earlier (SIGKILL, power cut) left its .part-<pid>
     * files; remove those of processes that no longer run. */
    {
        char partdir[CR_PATH_MAX];
        cr_strlcpy(partdir, single_file ? out : outdir, sizeof partdir);
        if (single_file) {
            char *slash = strrchr(partdir, '/');
            if (slash)
                *slash = '\0';
            else
                cr_strlcpy(partdir, ".", sizeof partdir);
        }
        int removed = cr_is_dir(partdir) ? cr_remove_stale_parts(partdir) : 0;
        if (removed > 0)
            cr_info("compute: removed %d unfinished file(s) of an interrupted compute in %s",
                    removed, partdir);
    }

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    long njobs = jobs_opt >= 0 ? jobs_opt : cfg.jobs;
    if (njobs == 0)
        njobs = ncpu > 0 ? ncpu : 1;
    struct shared_progress sp;
    pthread_mutex_init(&sp.m, NULL);
    uint64_t total_days = 0;
    for (size_t i = 0; i < set.n; i++) {
        struct cr_compute_job *j = &jobs[i];
        j->model = set.s[i].model;
        j->experiment = set.s[i].experiment;
        j->member = set.s[i].member;
        j->files = set.s[i].files;
        cr_strlcpy(j->out_path, outs[i], sizeof j->out_path);
        j->indicators = mask;
        cr_engine_opts_defaults(&j->params);
        j->params.max_missing_fraction = cfg.max_missing_fraction;
        j->max_invalid_fraction = cfg.max_invalid_fraction;
        j->max_invalid_set = 1;
        j->params.snow_melt_factor = cfg.snow_melt_factor;
        j->params.snow_cover_threshold = cfg.snow_cover_threshold;
        j->params.snow_rain_temperature = cfg.snow_rain_temperature;
        j->block_days = (size_t)block;
        j->skip_unavailable = all;
        j->progress = on_days;
        j->progress_user = &sp;
        total_days += name_days(&set.s[i]);
    }
    if ((size_t)njobs > set.n)
        njobs = (long)set.n;
    cr_info("compute: %zu simulation%s, %d indicator%s, %ld thread%s", set.n, set.n > 1 ? "s" : "",
            __builtin_popcountl(mask), __builtin_popcountl(mask) > 1 ? "s" : "", njobs,
            njobs > 1 ? "s" : "");
    cr_progress_begin(&sp.p, "compute", total_days);
    struct cr_compute_report *reps = calloc(set.n, sizeof *reps);
    int *st = calloc(set.n, sizeof *st);
    struct cr_err *errs = calloc(set.n, sizeof *errs);
    if (!reps || !st || !errs) {
        free(reps);
        free(st);
        free(errs);
        status = CR_EINTERNAL;
        goto done;
    }
    double t0 = cr_now();
    size_t failed = cr_compute_parallel(jobs, set.n, (int)njobs, reps, st, errs);
    cr_progress_end(&sp.p);
    pthread_mutex_destroy(&sp.m);
    long long cell_days = 0;
    for (size_t i = 0; i < set.n; i++) {
        cell_days += reps[i].cell_days;
        if (st[i] != CR_OK && st[i] != CR_EINTERRUPT)
            fprintf(stderr, "climrisk compute: %s %s: error (%s): %s\n", jobs[i].model,
                    jobs[i].experiment, cr_status_name(st[i]), errs[i].msg);
    }
    cr_info("compute: %zu of %zu simulations done, %.3g cell-days in %.1f s%s", set.n - failed,
            set.n, (double)cell_days, cr_now() - t0, failed ? "" : "");
    if (failed) {
        /* the first failure's class is the exit code; interruption wins */
        status = CR_OK;
        for (size_t i = 0; i < set.n; i++)
            if (st[i] == CR_EINTERRUPT) {
                status = CR_EINTERRUPT;
                fprintf(stderr, "climrisk compute: interrupted; finished files are kept, "
                                "unfinished ones were removed\n");
                break;
            }
        for (size_t i = 0; i < set.n && status == CR_OK; i++)
            if (st[i] != CR_OK)
                status = st[i];
    }
    free(reps);
    free(st);
    free(errs);
done:
    for (int k = 0; k < CR_IN_COUNT; k++)
        cr_strlist_free(&files[k]);
    cr_simset_free(&set);
    if (cfg_loaded)
        cr_config_free(&cfg);
    free(jobs);
    free(outs);
    return status;
}
