/* manifest.h — the list of files a run needs and where to get them.
 *
 * A manifest is a hand-editable text file (docs/fetch.md): one source per
 * line — an http(s) URL, a file:// URL, a local path, a directory of files,
 * or an OPeNDAP URL — followed by optional key=value fields: sha256=, size=,
 * model=, scenario=, variable=, name=, kind=. Lines starting with '@' set a
 * base for relative sources (@base) or defaults for the lines below
 * (@default). When model, scenario or variable are not written, they come
 * from the DRIAS/CORDEX file name (dsname.h), so a list of download links
 * pasted from a DRIAS order or an ESGF search is already a valid manifest.
 *
 * Parsing resolves everything that does not need the network: relative
 * paths (against the manifest's directory), directories (expanded to their
 * *.nc files, recursively), metadata from names, duplicates. Every error
 * names the manifest file and line, and what to write instead. */
#ifndef CR_MANIFEST_H
#define CR_MANIFEST_H

#include <stdio.h>

#include "../core/error.h"
#include "../core/fsutil.h"
#include "../core/sha256.h"

enum cr_src_kind {
    CR_SRC_HTTP,   /* downloaded with libcurl */
    CR_SRC_FILE,   /* a local file, copied into the cache */
    CR_SRC_OPENDAP /* a remote dataset that netCDF-C opens directly */
};

struct cr_manifest_entry {
    enum cr_src_kind kind;
    char src[2048];             /* URL as written (may hold credentials) or absolute path */
    char name[256];             /* file name: name=, else the last path segment */
    char sha256[CR_SHA256_HEX]; /* lowercase hex, "" = not given */
    long long size;             /* bytes, -1 = not given */
    char model[192];            /* GCM_RCM */
    char scenario[16];          /* historical, rcp26, rcp45, rcp85 */
    char variable[64];          /* as in the file name or manifest (tasmaxAdjust, tasmin...) */
    char period[40];            /* from the file name, "" when absent */
    const char *file;           /* manifest path, for messages (owned by the manifest) */
    int line;                   /* line of the manifest (0 for --from-dir) */
};

struct cr_manifest {
    struct cr_manifest_entry *e;
    size_t n, cap;
    char **files; /* paths of the manifests read, owned */
    size_t nfiles;
};

void cr_manifest_init(struct cr_manifest *m);
void cr_manifest_free(struct cr_manifest *m);

/* Read a manifest file and append its entries. */
int cr_manifest_load(struct cr_manifest *m, const char *path, struct cr_err *err);

/* Parse manifest text; name is used in messages, relative paths resolve
 * against base_dir. */
int cr_manifest_parse(struct cr_manifest *m, const char *text, const char *name,
                      const char *base_dir, struct cr_err *err);

/* Append every *.nc file under dir (recursively, sorted), with metadata from
 * their names; as `climrisk fetch --from-dir DIR`. */
int cr_manifest_add_dir(struct cr_manifest *m, const char *dir, struct cr_err *err);

/* Print entries as manifest lines, with every derived field written out and
 * credentials removed from URLs (climrisk fetch --dry-run). */
void cr_manifest_print(const struct cr_manifest *m, FILE *out);

/* "manifest.tsv:12" or "dir/file.nc" for messages about entry e. */
void cr_manifest_where(const struct cr_manifest_entry *e, char *out, size_t size);

#endif
