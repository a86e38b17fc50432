/* cache.h — the local store of fetched files, and how later stages find them.
 *
 * Layout of a cache directory (docs/fetch.md):
 *   sha256/<2 hex>/<64 hex>.nc   each file once, named by its content hash;
 *                                a file appears here only complete and verified
 *   by-sim/<model>/<scenario>/<variable>/<name>   symlinks for people and tools
 *   tmp/                         partial downloads (resumed by the next run)
 *   index.tsv                    one line per fetched file: what it holds and
 *                                where it is (the resolved manifest)
 *   lock                         held by the climrisk fetch that writes here
 * The index is replaced atomically, so a reader (the compute stage) always
 * sees a consistent list, and only lists files whose object exists. Objects
 * are content-addressed, so the same file listed by two manifests is stored
 * once and a rerun finds it without a network request. */
#ifndef CR_CACHE_H
#define CR_CACHE_H

#include <stddef.h>

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../core/sha256.h"

struct cr_cache_entry {
    char model[192];
    char scenario[16];
    char variable[64];
    char period[40];            /* from the file name, "" when unknown */
    char kind[8];               /* "file" (in the cache) or "opendap" (read remotely) */
    long long size;             /* bytes; -1 for opendap */
    char sha256[CR_SHA256_HEX]; /* "" for opendap */
    char name[256];             /* the file's original name */
    char source[2048];          /* where it came from: URL without credentials, or path */
    char stamp[64];             /* local sources: "<size>:<mtime ns>" when copied, else "" */
    char rel[2048];             /* as stored: object path relative to the cache, or the URL */
    char path[CR_PATH_MAX];     /* absolute object path, or the URL: what to open */
};

struct cr_cache {
    char dir[CR_PATH_MAX];
    struct cr_cache_entry *e;
    size_t n, cap;
};

/* Read <dir>/index.tsv (a missing index is an empty cache). Malformed lines
 * are errors naming the index and the line. */
int cr_cache_load(struct cr_cache *c, const char *dir, struct cr_err *err);
void cr_cache_free(struct cr_cache *c);

/* Write index.tsv atomically (temporary name + rename), sorted. */
int cr_cache_save(const struct cr_cache *c, struct cr_err *err);

/* Add or replace the entry with the same model, scenario, variable and name
 * (e->rel must be set; path is computed). *changed (may be NULL) tells
 * whether the index differs from before, i.e. needs saving. */
int cr_cache_put(struct cr_cache *c, const struct cr_cache_entry *e, int *changed,
                 struct cr_err *err);

/* Entry fetched earlier from this source (redacted URL or path) under this
 * name, or NULL. */
const struct cr_cache_entry *cr_cache_find_source(const struct cr_cache *c, const char *source,
                                                  const char *name);

/* "sha256/ab/abcd....nc" (relative) for a hash and the file's name (its
 * extension is kept so tools recognise the file). */
int cr_cache_object_rel(const char *sha256, const char *name, char *out, size_t size);

/* Point by-sim/<model>/<scenario>/<variable>/<name> at the entry's object
 * (atomically replaced). Nothing for opendap entries. */
int cr_cache_link(const struct cr_cache *c, const struct cr_cache_entry *e, struct cr_err *err);

/* The files of one variable of one simulation, sorted by period then name,
 * for the compute stage: fills out[0..max) and returns how many match (which
 * may exceed max). scenario may be spelled like DRIAS (rcp4.5, Historical);
 * variable must match the name in the index (tasmaxAdjust, tasmin...) and
 * NULL matches every variable. Open e->path (a file, or an OPeNDAP URL). */
size_t cr_fetch_lookup(const struct cr_cache *c, const char *model, const char *scenario,
                       const char *variable, const struct cr_cache_entry **out, size_t max);

#endif
