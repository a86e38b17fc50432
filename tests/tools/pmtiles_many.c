/* pmtiles_many.c — write a PMTiles archive with many tiles, so that the
 * writer must split its directory into leaves (tests/integration/
 * tiles_leaves.sh reads it back with the pmtiles npm package).
 *
 *   pmtiles_many OUT.pmtiles N LIST.txt
 *
 * N tiles with increasing tile ids and pseudo-random gaps (zoom 12 on);
 * each tile's bytes are "z/x/y;" repeated a varying number of times, every
 * 7th tile repeating its predecessor's bytes (stored once) and every 11th
 * the tile id right after its predecessor with the same bytes (a run).
 * LIST.txt gets "z x y content" per tile. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/pmtiles.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pmtiles_many OUT.pmtiles N LIST.txt\n");
        return 1;
    }
    long n = strtol(argv[2], NULL, 10);
    FILE *list = fopen(argv[3], "w");
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_pmtw *w;
    if (!list || cr_pmtw_new(&w, &err) != CR_OK)
        return 1;
    unsigned long long s = 42;
    char prev[256] = "", buf[256];
    uint64_t id = cr_pmtw_tile_id(12, 0, 0);
    for (long i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int run = i % 11 == 0 && i > 0; /* next id, same bytes: a run */
        id += run ? 1 : 2 + (s >> 33) % 40;
        int z;
        uint32_t x, y;
        cr_pmtw_tile_zxy(id, &z, &x, &y);
        if (run || (i % 7 == 0 && i > 0)) {
            strcpy(buf, prev); /* same bytes as the previous tile: stored once */
        } else {
            int reps = 1 + (int)((s >> 50) % 5);
            buf[0] = '\0';
            for (int r = 0; r < reps; r++) {
                size_t l = strlen(buf);
                snprintf(buf + l, sizeof buf - l, "%d/%u/%u;", z, x, y);
            }
        }
        if (cr_pmtw_add(w, z, x, y, buf, strlen(buf), &err) != CR_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        fprintf(list, "%d %u %u %s\n", z, x, y, buf);
        strcpy(prev, buf);
    }
    struct cr_pmtw_info info = {
        CR_PMTW_TYPE_PNG, CR_PMTW_COMP_NONE, 12, 14, -180, -85, 180, 85, 12, 0, 0};
    int rc = cr_pmtw_write(w, argv[1], &info, "{\"name\":\"many\"}", &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    cr_pmtw_free(w);
    fclose(list);
    return rc ? 1 : 0;
}
