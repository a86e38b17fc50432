# bench/tiles.sh — pre-rendering speed of `climrisk tiles` against the
# tools a user would otherwise run, on the same data in the same run:
#
#   vector  the whole MVT pyramid (zoom 0-10) of one scenario x horizon,
#           cell layer with the 22 indicators' ensemble-median mean and
#           anomaly (44 properties), vs `ogr2ogr -f MVT` (GDAL's MVT
#           writer, MBTiles output) on the same cells exported to a
#           GeoPackage (EPSG:27572 squares, same properties) beforehand
#   raster  the PNG pyramid (zoom 0-9) of one indicator map, vs
#           `gdal2tiles.py --xyz -r near -x` on the same map coloured with the
#           same legend as an RGBA GeoTIFF beforehand (gdal2tiles needs Byte
#           bands); and the cost per map when a run renders 44 maps
#
# One worker on both sides (climrisk -j 1, gdal2tiles --processes=1,
# ogr2ogr is single-threaded); MBTiles output on both vector sides. The
# input is a fixture statistics file of DRIAS size (tests/unit/support/
# nc_fixture.h: 3 models, REF/H1/H2/H3, the whole catalogue). Timings are
# wall clock on a shared 2-core machine: read them with the load average.
# The serving rows (served tiles/s and p99 under wrk vs nginx, live
# ST_AsMVT p95 at zoom 8) belong to `climrisk serve` (bench/serve.sh).
set -eu
W="$BENCH_DATA/tiles-bench"
FX="$BUILD/tests/tools/dm_fixture"
PY=/usr/bin/python3
[ -x "$FX" ] || { echo "bench/tiles: $FX missing (make bench builds it)"; exit 1; }
for t in ogr2ogr gdal2tiles.py; do
    command -v $t >/dev/null || { echo "bench/tiles: $t missing (gdal-bin, python3-gdal)"; exit 1; }
done
trap 'rm -rf "$W"' EXIT
rm -rf "$W"
mkdir -p "$W/stats"
"$FX" stats "$W/stats/rcp85.nc" --experiment rcp85 \
    --models CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009,IPSL-IPSL-CM5A-MR_IPSL-WRF381P \
    --horizons REF,H1,H2,H3 >/dev/null

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

# --- vector: climrisk (whole run: NetCDF read, legends, pyramid, archive)
t0=$(now)
"$CLIMRISK" -q tiles --stats "$W/stats" --out "$W/cr" --no-raster --no-datamart --horizons H3 \
    --format mbtiles -j 1
t1=$(now)
cr_v=$(elapsed "$t0" "$t1")
cr_vtiles=$($PY "$SRC/tests/integration/lib/tiles_check.py" counts "$W/cr/vector/rcp85-H3-median.mbtiles" |
    $PY -c 'import json,sys; print(sum(json.load(sys.stdin).values()))')
cr_vsize=$(stat -c %s "$W/cr/vector/rcp85-H3-median.mbtiles")

# --- vector: ogr2ogr -f MVT on the same cells
$PY "$SRC/bench/tiles_prep.py" vector "$W/stats/rcp85.nc" H3 "$W/cells.gpkg" >/dev/null
t0=$(now)
ogr2ogr -f MVT "$W/ogr.mbtiles" "$W/cells.gpkg" -dsco FORMAT=MBTILES -dsco MINZOOM=0 \
    -dsco MAXZOOM=10 2>"$W/ogr.log"
t1=$(now)
ogr_v=$(elapsed "$t0" "$t1")
ogr_vtiles=$($PY "$SRC/tests/integration/lib/tiles_check.py" counts "$W/ogr.mbtiles" |
    $PY -c 'import json,sys; print(sum(json.load(sys.stdin).values()))')
ogr_vsize=$(stat -c %s "$W/ogr.mbtiles")

# --- raster: climrisk, one map (reprojection of the grid included)
t0=$(now)
"$CLIMRISK" -q tiles --stats "$W/stats" --out "$W/cr" --no-vector -i tg_mean --quantities mean \
    --horizons H3 --raster-maxzoom 9 --format mbtiles -j 1
t1=$(now)
cr_r=$(elapsed "$t0" "$t1")
cr_rtiles=$($PY "$SRC/tests/integration/lib/tiles_check.py" counts "$W/cr/raster/tg_mean-rcp85-H3-mean-median.mbtiles" |
    $PY -c 'import json,sys; print(sum(json.load(sys.stdin).values()))')

# --- raster: gdal2tiles on the same map, same colours
$PY "$SRC/bench/tiles_prep.py" raster "$W/stats/rcp85.nc" H3 tg_mean mean \
    "$W/cr/legends/tg_mean-mean.json" "$W/tg_mean.tif"
t0=$(now)
$PY "$(command -v gdal2tiles.py)" --xyz -z 0-9 -r near -x --processes=1 -w none -q "$W/tg_mean.tif" "$W/g2t"
t1=$(now)
g2t_r=$(elapsed "$t0" "$t1")
g2t_tiles=$(find "$W/g2t" -name '*.png' | wc -l)

# --- raster: 44 maps (22 indicators x mean/anom) in one run
t0=$(now)
"$CLIMRISK" -q tiles --stats "$W/stats" --out "$W/cr44" --no-vector --horizons H3 --raster-maxzoom 9 -j 1
t1=$(now)
cr_r44=$(elapsed "$t0" "$t1")
maps44=$(ls "$W/cr44/raster"/*.pmtiles | wc -l)

awk -v crv="$cr_v" -v ogrv="$ogr_v" -v crvt="$cr_vtiles" -v ogrvt="$ogr_vtiles" \
    -v crvs="$cr_vsize" -v ogrvs="$ogr_vsize" -v crr="$cr_r" -v g2t="$g2t_r" -v crrt="$cr_rtiles" \
    -v g2tt="$g2t_tiles" -v cr44="$cr_r44" -v n44="$maps44" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
BEGIN {
    printf "%-66s %12s\n", "measure", "value"
    printf "%-66s %11.2fs\n", "vector z0-10, 1 scenario x horizon: climrisk tiles (-j 1)", crv
    printf "%-66s %12s\n", "  tiles, size", sprintf("%d, %.1f MB", crvt, crvs / 1e6)
    printf "%-66s %11.2fs\n", "vector z0-10, same cells: ogr2ogr -f MVT", ogrv
    printf "%-66s %12s\n", "  tiles, size", sprintf("%d, %.1f MB", ogrvt, ogrvs / 1e6)
    printf "%-66s %11.1fx\n", "ratio ogr2ogr / climrisk (target >= 5x)", ogrv / crv
    printf "%-66s %11.2fs\n", "raster z0-9, 1 map: climrisk tiles (-j 1, reprojection included)", crr
    printf "%-66s %12d\n", "  tiles", crrt
    printf "%-66s %11.2fs\n", "raster z0-9, same map: gdal2tiles.py -r near -x --processes=1", g2t
    printf "%-66s %12d\n", "  tiles", g2tt
    printf "%-66s %11.1fx\n", "ratio gdal2tiles / climrisk, 1 map (target >= 5x)", g2t / crr
    printf "%-66s %11.2fs\n", "raster z0-9, " n44 " maps in one run: climrisk tiles (-j 1)", cr44
    printf "%-66s %11.3fs\n", "  per map", cr44 / n44
    printf "%-66s %11.1fx\n", "ratio gdal2tiles / climrisk, per map of a full run", g2t / (cr44 / n44)
    printf "%-66s %12s\n", "served tiles/s, p99 under wrk vs nginx (target >= 0.5x)", "bench/serve"
    printf "%-66s %12s\n", "live ST_AsMVT tile p95 at zoom 8 (target < 50 ms)", "bench/serve"
    printf "%-66s %12s\n", "load average 1/5/15 min (2 cores, shared machine)", load
}'
