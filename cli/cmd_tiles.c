/* cmd_tiles.c — `climrisk tiles`: vector and raster tiles, legends and
 * catalog.json from the statistics files and the datamart (tiles/tiles.h,
 * docs/tiles.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../sql/pgcluster.h"
#include "../tiles/tiles.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: climrisk tiles [--config FILE] [--stats DIR|FILE]... [--out DIR] [options]\n"
            "\n"
            "Pre-render map tiles of the horizon statistics (docs/tiles.md):\n"
            "  vector  MVT 2.1 tiles, one PMTiles archive per scenario x horizon x statistic,\n"
            "          layers cells (SAFRAN 8 km cells, merged at low zooms), departements and\n"
            "          communes (datamart.area_stat), <indicator>_mean/_anom properties\n"
            "  raster  256 px PNG tiles per indicator x scenario x horizon x quantity, coloured\n"
            "          with IPCC AR6 palettes, transparent outside France\n"
            "plus a legend (JSON + PNG) per indicator x quantity and <out>/catalog.json.\n"
            "Without a reachable datamart the cell layers are still written (a warning says\n"
            "so). No tile is larger than --max-tile-bytes: low zooms are generalised further\n"
            "when needed.\n"
            "\n"
            "options:\n"
            "  -c, --config FILE         run configuration ([tiles], [run] workdir/jobs,\n"
            "                            [datamart], [scenarios] dir)\n"
            "  -s, --stats PATH          statistics file stats/<experiment>.nc or directory\n"
            "                            of them (repeatable; default <workdir>/stats)\n"
            "  -o, --out DIR             output folder (default [tiles] dir, else\n"
            "                            <workdir>/tiles)\n"
            "      --scenarios LIST      experiments to tile (default: every file)\n"
            "      --horizons LIST       horizon codes (default: every horizon with models)\n"
            "  -i, --indicators LIST     indicator codes (default: all in the files)\n"
            "      --statistics LIST     ensemble statistics (default median)\n"
            "      --quantities LIST     mean (horizon mean), anom (change vs REF); default both\n"
            "      --no-vector           no vector tilesets\n"
            "      --no-raster           no raster tilesets\n"
            "  -f, --format FMT          pmtiles (default), mbtiles or both\n"
            "      --vector-maxzoom N    highest vector zoom (default [tiles] vector_maxzoom)\n"
            "      --raster-maxzoom N    highest raster zoom (default [tiles] raster_maxzoom)\n"
            "      --max-tile-bytes N    size limit of an uncompressed vector tile (500000)\n"
            "      --commune-minzoom N   first zoom with communes instead of departements (8)\n"
            "      --no-datamart         do not read communes/departements from the datamart\n"
            "  -j, --jobs N              worker threads (default [run] jobs, 0 = one per CPU)\n"
            "  -h, --help                this help\n"
            "\n"
            "exit codes: 0 ok, 1 usage, 2 bad or missing statistics files, 4 cannot write\n"
            "(or a tile over the limit at every generalisation), 130 interrupted.\n");
}

static int zoom_arg(const char *v, int max, int *out)
{
    long n;
    if (cr_parse_long(v, &n) != 0 || n < 0 || n > max)
        return -1;
    *out = (int)n;
    return 0;
}

int cmd_tiles(int argc, char **argv)
{
    enum {
        O_SCN = 256,
        O_HOR,
        O_STAT,
        O_QTY,
        O_NOVEC,
        O_NORAS,
        O_VMAX,
        O_RMAX,
        O_MAXB,
        O_CMIN,
        O_NODM
    };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},
        {"stats", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},
        {"scenarios", required_argument, 0, O_SCN},
        {"horizons", required_argument, 0, O_HOR},
        {"indicators", required_argument, 0, 'i'},
        {"statistics", required_argument, 0, O_STAT},
        {"quantities", required_argument, 0, O_QTY},
        {"no-vector", no_argument, 0, O_NOVEC},
        {"no-raster", no_argument, 0, O_NORAS},
        {"format", required_argument, 0, 'f'},
        {"vector-maxzoom", required_argument, 0, O_VMAX},
        {"raster-maxzoom", required_argument, 0, O_RMAX},
        {"max-tile-bytes", required_argument, 0, O_MAXB},
        {"commune-minzoom", required_argument, 0, O_CMIN},
        {"no-datamart", no_argument, 0, O_NODM},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *short_opts = "c:s:o:i:f:j:h";
    const char *config_path = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, short_opts, opts, NULL)) != -1) {
        if (c == 'c')
            config_path = optarg;
        if (c == 'h') {
            usage(stdout);
            return CR_OK;
        }
    }
    struct cr_err err;
    cr_err_clear(&err);
    struct cr_config cfg;
    if (cli_load_config(config_path, &cfg, &err) != CR_OK) {
        cr_config_free(&cfg);
        return cli_fail("tiles", &err);
    }
    struct cr_tiles_opts o;
    cr_tiles_opts_init(&o);
    o.vector_maxzoom = (int)cfg.vector_maxzoom;
    o.raster_maxzoom = (int)cfg.raster_maxzoom;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cfg.jobs > 0 ? (int)cfg.jobs : (int)(ncpu > 0 ? ncpu : 1);
    cr_strlcpy(o.schema, cfg.db_schema, sizeof o.schema);
    cr_strlcpy(o.scenarios_dir, cfg.scenarios_dir, sizeof o.scenarios_dir);
    const char *out = NULL;
    int status = CR_OK;
    optind = 1;
    opterr = 1;
    while (status == CR_OK && (c = getopt_long(argc, argv, short_opts, opts, NULL)) != -1) {
        long v;
        switch (c) {
        case 'c':
            break;
        case 's':
            cr_strlist_push(&o.inputs, optarg);
            break;
        case 'o':
            out = optarg;
            break;
        case O_SCN:
            cr_strlist_free(&o.scenarios);
            cr_strlist_split(&o.scenarios, optarg);
            break;
        case O_HOR:
            cr_strlist_free(&o.horizons);
            cr_strlist_split(&o.horizons, optarg);
            break;
        case 'i':
            cr_strlist_free(&o.indicators);
            cr_strlist_split(&o.indicators, optarg);
            break;
        case O_STAT:
            cr_strlist_free(&o.statistics);
            cr_strlist_split(&o.statistics, optarg);
            break;
        case O_QTY:
            cr_strlist_free(&o.quantities);
            cr_strlist_split(&o.quantities, optarg);
            for (size_t k = 0; k < o.quantities.n && status == CR_OK; k++)
                if (strcmp(o.quantities.items[k], "mean") && strcmp(o.quantities.items[k], "anom"))
                    status = cli_usage_error("tiles", "--quantities: '%s' is not mean or anom",
                                             o.quantities.items[k]);
            break;
        case O_NOVEC:
            o.vector = 0;
            break;
        case O_NORAS:
            o.raster = 0;
            break;
        case 'f':
            if (strcmp(optarg, "pmtiles") == 0) {
                o.pmtiles = 1;
                o.mbtiles = 0;
            } else if (strcmp(optarg, "mbtiles") == 0) {
                o.pmtiles = 0;
                o.mbtiles = 1;
            } else if (strcmp(optarg, "both") == 0) {
                o.pmtiles = o.mbtiles = 1;
            } else {
                status = cli_usage_error("tiles", "--format: '%s' is not pmtiles, mbtiles or both",
                                         optarg);
            }
            break;
        case O_VMAX:
            if (zoom_arg(optarg, 16, &o.vector_maxzoom))
                status = cli_usage_error("tiles", "--vector-maxzoom: '%s' is not 0..16", optarg);
            break;
        case O_RMAX:
            if (zoom_arg(optarg, 14, &o.raster_maxzoom))
                status = cli_usage_error("tiles", "--raster-maxzoom: '%s' is not 0..14", optarg);
            break;
        case O_MAXB:
            if (cr_parse_long(optarg, &v) != 0 || v < 1000)
                status = cli_usage_error("tiles", "--max-tile-bytes: '%s' is not >= 1000", optarg);
            else
                o.max_tile_bytes = (size_t)v;
            break;
        case O_CMIN:
            if (zoom_arg(optarg, 30, &o.commune_minzoom))
                status = cli_usage_error("tiles", "--commune-minzoom: '%s' is not a zoom", optarg);
            break;
        case O_NODM:
            o.datamart = 0;
            break;
        case 'j':
            if (cr_parse_long(optarg, &v) != 0 || v < 0 || v > 256)
                status = cli_usage_error("tiles", "--jobs: '%s' is not 0..256", optarg);
            else
                o.jobs = v ? (int)v : (int)(ncpu > 0 ? ncpu : 1);
            break;
        default:
            status = cli_usage_error("tiles", "invalid option");
        }
    }
    if (status == CR_OK && optind < argc)
        status = cli_usage_error("tiles",
                                 "unexpected argument '%s' (statistics files go after "
                                 "--stats)",
                                 argv[optind]);
    if (status == CR_OK && !o.vector && !o.raster)
        status = cli_usage_error("tiles", "--no-vector and --no-raster: nothing to do");
    if (status == CR_OK) {
        char p[CR_PATH_MAX];
        if (o.inputs.n == 0 && cr_path_join(p, sizeof p, cfg.workdir, "stats") == 0)
            cr_strlist_push(&o.inputs, p);
        if (out)
            cr_strlcpy(o.out_dir, out, sizeof o.out_dir);
        else if (cfg.tiles_dir[0])
            cr_strlcpy(o.out_dir, cfg.tiles_dir, sizeof o.out_dir);
        else
            cr_path_join(o.out_dir, sizeof o.out_dir, cfg.workdir, "tiles");
        if (o.vector && o.datamart) {
            struct cr_err dsn_err;
            cr_err_clear(&dsn_err);
            if (cr_db_resolve_dsn(&cfg, o.dsn, sizeof o.dsn, &dsn_err) != CR_OK) {
                cr_warn("tiles: %s; vector tiles without commune/département layers", dsn_err.msg);
                o.dsn[0] = '\0';
            }
        }
    }
    cr_config_free(&cfg);
    if (status == CR_OK) {
        struct cr_tiles_report rep;
        status = cr_tiles_run(&o, &rep, &err);
        if (status != CR_OK)
            cli_fail("tiles", &err);
        else
            cr_info("tiles: %zu vector and %zu raster tilesets, %zu legends, %zu tiles, %.1f MB%s "
                    "in %.1f s -> %s/catalog.json",
                    rep.vector_tilesets, rep.raster_tilesets, rep.legends, rep.tiles,
                    rep.bytes / 1e6, rep.admin_layers ? "" : " (cell layers only)", rep.seconds,
                    o.out_dir);
    }
    cr_tiles_opts_free(&o);
    return status;
}
