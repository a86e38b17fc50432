/* fsutil.c — atomic publication of outputs and path helpers; see fsutil.h. */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cr_mkdir_p(const char *path, struct cr_err *err)
{
    char buf[CR_PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return cr_err_set(err, CR_EUSAGE, "invalid directory path '%s'", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return cr_err_set(err, CR_EINTERNAL, "cannot create directory '%s': %s", buf,
                              strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return cr_err_set(err, CR_EINTERNAL, "cannot create directory '%s': %s", buf,
                          strerror(errno));
    if (!cr_is_dir(buf))
        return cr_err_set(err, CR_EINTERNAL, "'%s' exists and is not a directory", buf);
    return CR_OK;
}

int cr_part_path(const char *final_path, char *tmp, size_t size, struct cr_err *err)
{
    int n = snprintf(tmp, size, "%s.part-%ld", final_path, (long)getpid());
    if (n < 0 || (size_t)n >= size)
        return cr_err_set(err, CR_EUSAGE, "path too long: '%s'", final_path);
    return CR_OK;
}

static void fsync_dir_of(const char *path)
{
    char dir[CR_PATH_MAX];
    cr_dirname(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int cr_publish(const char *tmp, const char *final_path, struct cr_err *err)
{
    int fd = open(tmp, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        unlink(tmp);
        return cr_err_set(err, CR_EINTERNAL, "cannot open '%s' to publish it: %s", tmp,
                          strerror(e));
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return cr_err_set(err, CR_EINTERNAL, "cannot write '%s' to disk: %s", final_path,
                          strerror(e));
    }
    close(fd);
    if (rename(tmp, final_path) != 0) {
        int e = errno;
        unlink(tmp);
        return cr_err_set(err, CR_EINTERNAL, "cannot rename '%s' to '%s': %s", tmp, final_path,
                          strerror(e));
    }
    fsync_dir_of(final_path);
    return CR_OK;
}

int cr_atomic_open(struct cr_atomic_file *af, const char *final_path, struct cr_err *err)
{
    memset(af, 0, sizeof *af);
    if (strlen(final_path) >= sizeof af->final_path)
        return cr_err_set(err, CR_EUSAGE, "path too long: '%s'", final_path);
    strcpy(af->final_path, final_path);
    int rc = cr_part_path(final_path, af->tmp_path, sizeof af->tmp_path, err);
    if (rc)
        return rc;
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp)
        return cr_err_set(err, CR_EINTERNAL,
                          "cannot create '%s': %s (check the directory exists and is writable)",
                          af->tmp_path, strerror(errno));
    return CR_OK;
}

int cr_atomic_commit(struct cr_atomic_file *af, struct cr_err *err)
{
    if (!af->fp)
        return cr_err_set(err, CR_EINTERNAL, "'%s' is not open", af->final_path);
    int bad = ferror(af->fp);
    if (fflush(af->fp) != 0)
        bad = 1;
    int e = errno;
    if (fclose(af->fp) != 0)
        bad = 1;
    af->fp = NULL;
    if (bad) {
        unlink(af->tmp_path);
        return cr_err_set(err, CR_EINTERNAL, "cannot write '%s': %s (disk full?)", af->final_path,
                          strerror(e));
    }
    return cr_publish(af->tmp_path, af->final_path, err);
}

void cr_atomic_abort(struct cr_atomic_file *af)
{
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
        unlink(af->tmp_path);
    }
}

/* Is pid a live process? A zombie (killed, not yet reaped) is not. */
static int process_alive(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')'); /* "pid (comm) S ..." */
    return !(close && close[1] == ' ' && close[2] == 'Z');
}

int cr_remove_stale_parts(const char *dir)
{
    return cr_remove_parts(dir, 0);
}

int cr_remove_parts(const char *dir, int all)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *mark = strstr(de->d_name, ".part-");
        if (!mark)
            continue;
        char *end;
        long pid = strtol(mark + 6, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        if (!all && process_alive(pid))
            continue; /* its writer is still running */
        char path[CR_PATH_MAX];
        if (cr_path_join(path, sizeof path, dir, de->d_name) == 0 && unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int cr_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int cr_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

long long cr_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

int cr_path_join(char *out, size_t size, const char *a, const char *b)
{
    int n;
    if (b[0] == '/' || a[0] == '\0')
        n = snprintf(out, size, "%s", b);
    else if (a[strlen(a) - 1] == '/')
        n = snprintf(out, size, "%s%s", a, b);
    else
        n = snprintf(out, size, "%s/%s", a, b);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

void cr_dirname(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, size, ".");
        return;
    }
    if (slash == path) {
        snprintf(out, size, "/");
        return;
    }
    snprintf(out, size, "%.*s", (int)(slash - path), path);
}

const char *cr_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int cr_read_file(const char *path, char **out, size_t *len, struct cr_err *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cr_err_set(err, CR_EUSAGE, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return cr_err_set(err, CR_EINTERNAL, "out of memory reading '%s'", path);
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                fclose(fp);
                return cr_err_set(err, CR_EINTERNAL, "out of memory reading '%s'", path);
            }
            buf = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return cr_err_set(err, CR_EUSAGE, "cannot read '%s'", path);
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return CR_OK;
}
