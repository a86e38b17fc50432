/* load_unit.h — one unit of a datamart load (internal to sql/load*.c).
 *
 * A unit is one input file and the partition it replaces. Building it
 * streams the file's maps into a fresh table and its slice rows into the
 * slice table; swapping puts the fresh table in place of the old partition.
 * Both run inside the caller's transaction. When the previous load of the
 * unit recorded per-indicator digests and only some indicators' maps
 * differ, the unit is patched instead: those maps are replaced in place. */
#ifndef CR_LOAD_UNIT_H
#define CR_LOAD_UNIT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "../core/error.h"
#include "../core/sha256.h"
#include "load_nc.h"

/* code -> smallint id of one catalogue table */
struct dm_dict {
    int n;
    char (*code)[128];
    int *id;
};

struct dm_catalog {
    struct dm_dict ind, scn, hor, stat, qty, mdl;
};

int dm_catalog_load(PGconn *conn, struct dm_catalog *cat, struct cr_err *err);
void dm_catalog_free(struct dm_catalog *cat);
int dm_dict_id(const struct dm_dict *d, const char *code); /* -1 if absent */
/* Id of a model, inserting it (with what is known of it) when missing. */
int dm_model_id(PGconn *conn, struct dm_catalog *cat, const char *model, const char *gcm,
                const char *rcm, const char *member, int *id, struct cr_err *err);

#define DM_MAX_UNIT_INDICATORS 64

struct dm_unit {
    struct cr_nc_file nc;
    char sha[CR_SHA256_HEX];
    char scenario[32]; /* normalised experiment id */
    int scn;           /* scenario id */
    int mdl;           /* annual: model id */
    int part;          /* partition value */
    char table[64];    /* stat_fact_<part> or annual_fact_<part> */
    int skip;          /* unchanged since the last load */
    int built;
    uint64_t rows;
    uint32_t slices;
    int first_year, last_year;
    double copy_seconds, index_seconds;
    /* digests of the file (dm_unit_digest) */
    int nind;
    char ind_code[DM_MAX_UNIT_INDICATORS][48];
    char ind_digest[DM_MAX_UNIT_INDICATORS][CR_SHA256_HEX];
    char shared_digest[CR_SHA256_HEX];
    /* patch: only the indicators of `stale` (bit i: ind_code[i]) change;
     * their maps are deleted and copied again in the live partition */
    int patch;
    unsigned long long stale;
    int nstale;
    uint32_t slice_base;   /* slices are numbered slice_base + 1, ... */
    uint64_t rows_deleted; /* patch: fact rows of the replaced maps */
};

/* Stream the unit into datamart.<table>_new with its slices; or, when
 * u->patch, replace the stale indicators' maps in the live partition. */
int dm_unit_build(PGconn *conn, struct dm_catalog *cat, struct dm_unit *u, struct cr_err *err);
/* Replace the old partition by the new table (not when patched) and record
 * the unit and its digests. */
int dm_unit_swap(PGconn *conn, struct dm_unit *u, long long run_id, struct cr_err *err);

/* load_digest.c: the digests of what the unit's file holds, per indicator
 * and shared (datamart.unit_digest, sql/migrations/005_unit_digests.sql). */
int dm_unit_digest(struct dm_unit *u, struct cr_err *err);
/* Compare them with those recorded for the unit's partition: set u->patch
 * and u->stale when only some indicators changed. */
int dm_unit_plan_patch(PGconn *conn, struct dm_unit *u, struct cr_err *err);
/* Record the unit's digests (replacing the partition's old ones). */
int dm_unit_record_digests(PGconn *conn, const struct dm_unit *u, struct cr_err *err);

#endif
