/* datadir.c — locate shipped data files; see datadir.h. */
#include "datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include <unistd.h>

#include "fsutil.h"

#ifndef CR_DATADIR
#define CR_DATADIR "/usr/local/share/climrisk"
#endif

static int has_scenarios(const char *dir)
{
    char probe[CR_PATH_MAX];
    if (cr_path_join(probe, sizeof probe, dir, "scenarios") != 0)
        return 0;
    return cr_is_dir(probe);
}

int cr_datadir(char *out, size_t size, struct cr_err *err)
{
    const char *env = getenv("CLIMRISK_DATADIR");
    if (env && *env) {
        if (!has_scenarios(env))
            return cr_err_set(err, CR_EUSAGE,
                              "CLIMRISK_DATADIR='%s' has no scenarios/ folder; unset it or point "
                              "it at the climrisk source or share directory",
                              env);
        cr_strlcpy(out, env, size);
        return CR_OK;
    }
    char exe[CR_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char bindir[CR_PATH_MAX], cand[CR_PATH_MAX];
        cr_dirname(exe, bindir, sizeof bindir);
        const char *rel[] = {"../share/climrisk", ".."};
        for (size_t i = 0; i < 2; i++) {
            if (cr_path_join(cand, sizeof cand, bindir, rel[i]) != 0)
                continue;
            char real[PATH_MAX];
            if (realpath(cand, real) && has_scenarios(real)) {
                cr_strlcpy(out, real, size);
                return CR_OK;
            }
        }
    }
    if (has_scenarios(CR_DATADIR)) {
        cr_strlcpy(out, CR_DATADIR, size);
        return CR_OK;
    }
    return cr_err_set(err, CR_EUSAGE,
                      "cannot find climrisk's data directory (scenarios/, sql/); set "
                      "CLIMRISK_DATADIR or run 'make install'");
}

int cr_datafile(const char *rel, char *out, size_t size, struct cr_err *err)
{
    char dir[CR_PATH_MAX];
    int rc = cr_datadir(dir, sizeof dir, err);
    if (rc)
        return rc;
    if (cr_path_join(out, size, dir, rel) != 0)
        return cr_err_set(err, CR_EUSAGE, "path too long: %s/%s", dir, rel);
    return CR_OK;
}
