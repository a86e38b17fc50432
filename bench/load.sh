# bench/load.sh — how fast `climrisk load` fills the datamart, against
# ogr2ogr (GDAL's loader, PG_USE_COPY=YES) loading the same rows from CSV in
# the same run, and how fast datamart.indicator_at answers.
#
# Inputs are fixture files of DRIAS size (tests/unit/support/nc_fixture.h):
# one model's annual series of the 22 indicators over LOAD_BENCH_YEARS years
# (default 25: ~4.8 M rows) and one experiment's horizon statistics of
# LOAD_BENCH_STAT_INDICATORS (2 models, 6 ensemble statistics, REF/H1-H3:
# ~2.4 M rows). climrisk load is timed end to end (NetCDF reading, COPY,
# index builds, partition swap, commit); ogr2ogr gets the same rows already
# exported to CSV (with .csvt column types) and is timed for the load
# alone. indicator_at: 1000 random points inside land cells, one psql
# session, client-side \timing (loopback round trip included).
set -eu
W="$BENCH_DATA/load-bench"
FX="$BUILD/tests/tools/dm_fixture"
YEARS=${LOAD_BENCH_YEARS:-25}
SIND=${LOAD_BENCH_STAT_INDICATORS:-spring_frost,r20mm,tg_mean}
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
M2=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
[ -x "$FX" ] || { echo "bench/load: $FX missing (make bench builds it)"; exit 1; }
command -v ogr2ogr >/dev/null || { echo "bench/load: ogr2ogr missing (gdal-bin)"; exit 1; }

started_db=0
"$CLIMRISK" db status >/dev/null 2>&1 || started_db=1
"$CLIMRISK" -q db start >/dev/null
ADMIN=$("$CLIMRISK" db dsn)
DB=climrisk_bench_load
DSN="${ADMIN/dbname=climrisk/dbname=$DB}"
cleanup() {
    psql "$ADMIN" -XAtqc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
    rm -rf "$W"
    [ $started_db = 1 ] && "$CLIMRISK" -q db stop >/dev/null 2>&1
    return 0
}
trap cleanup EXIT
psql "$ADMIN" -XAtqc "drop database if exists $DB with (force)" >/dev/null
psql "$ADMIN" -XAtqc "create database $DB" >/dev/null
export CLIMRISK_DSN="$DSN"
"$CLIMRISK" -q db migrate --no-admin >/dev/null

rm -rf "$W"
mkdir -p "$W/annual" "$W/stats"
"$FX" annual "$W/annual/${M1}_rcp85.nc" --experiment rcp85 --model $M1 --years 2031-$((2030 + YEARS))
"$FX" stats "$W/stats/rcp85.nc" --experiment rcp85 --models $M1,$M2 --indicators "$SIND"

# --- climrisk load, end to end
t0=$(date +%s.%N)
"$CLIMRISK" load --no-admin --annual "$W/annual" --stats "$W/stats" >"$W/load.out" 2>"$W/load.log"
t1=$(date +%s.%N)
rows=$(awk '/^run [0-9]+:/ { print $3 }' "$W/load.out")
copy_s=$(awk '/copied in/ { for (i = 1; i <= NF; i++) if ($i == "in" && $(i - 1) == "copied") s += $(i + 1) } END { print s + 0 }' "$W/load.log")
index_s=$(awk '/indexed in/ { for (i = 1; i <= NF; i++) if ($i == "in" && $(i - 1) == "indexed") s += $(i + 1) } END { print s + 0 }' "$W/load.log")

# --- the same rows as CSV, loaded by ogr2ogr with COPY
psql "$DSN" -XAtq -c "\\copy (select indicator, scenario, model, year, cell_id, value from datamart.annual_value) to '$W/annual.csv' csv header"
psql "$DSN" -XAtq -c "\\copy (select indicator, scenario, horizon, model, statistic, quantity, cell_id, value from datamart.cell_stat) to '$W/stats.csv' csv header"
echo '"String","String","String","Integer","Integer","Real"' >"$W/annual.csvt"
echo '"String","String","String","String","String","String","Integer","Real"' >"$W/stats.csvt"
csv_rows=$(( $(wc -l <"$W/annual.csv") + $(wc -l <"$W/stats.csv") - 2 ))
PGDB="PG:dbname=$DB host=$(echo "$DSN" | sed -E 's/.*host=([^ ]+).*/\1/') port=$(echo "$DSN" | sed -E 's/.*port=([0-9]+).*/\1/') user=postgres"
t2=$(date +%s.%N)
for t in annual stats; do
    ogr2ogr --config PG_USE_COPY YES -f PostgreSQL "$PGDB" "$W/$t.csv" -nln "public.ogr_$t" \
        -lco SPATIAL_INDEX=NONE -gt unlimited -overwrite
done
t3=$(date +%s.%N)
ogr_rows=$(psql "$DSN" -XAtqc "select (select count(*) from public.ogr_annual) + (select count(*) from public.ogr_stats)")

# --- indicator_at latency
tail -n +2 "$SRC/ingest/data/grilleSafran_utile_drias2021.csv" | tr -d ' ' |
    awk -F';' -v q="'" 'BEGIN { srand(42) } { lon[NR] = $8; lat[NR] = $9; n = NR }
        END { print "\\timing on"
              for (k = 0; k < 1000; k++) { r = int(rand() * n) + 1
                  printf "select * from datamart.indicator_at(%.6f, %.6f, %sspring_frost%s, %srcp85%s, %sH2%s);\n",
                      lon[r] + (rand() - 0.5) * 0.06, lat[r] + (rand() - 0.5) * 0.04, q, q, q, q, q, q } }' >"$W/points.sql"
psql "$DSN" -XAq -f "$W/points.sql" | awk '/^Time:/ { print $2 }' | sort -n >"$W/latency"
hits=$(psql "$DSN" -XAtq -f "$W/points.sql" 2>/dev/null | grep -c '|' || true)

awk -v rows="$rows" -v s="$(echo "$t1 - $t0" | bc)" -v cs="$copy_s" -v is="$index_s" \
    -v ogr_rows="$ogr_rows" -v csv_rows="$csv_rows" -v os="$(echo "$t3 - $t2" | bc)" \
    -v hits="$hits" -v lat="$(tr '\n' ' ' <"$W/latency")" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
BEGIN {
    n = split(lat, l, " ")
    p50 = l[int(n * 0.50)]; p95 = l[int(n * 0.95)]; mx = l[n]
    cr = rows / s; og = ogr_rows / os
    printf "%-58s %14s\n", "measure", "value"
    printf "%-58s %14d\n", "rows (annual_value + cell_stat)", rows
    printf "%-58s %13.1fs\n", "climrisk load, end to end", s
    printf "%-58s %14.0f\n", "climrisk load rows/s (end to end)", cr
    printf "%-58s %14.0f\n", "  rows/s during COPY alone (" cs " s)", rows / cs
    printf "%-58s %13.1fs\n", "  index builds", is
    printf "%-58s %14d\n", "ogr2ogr rows (same rows, from CSV)", ogr_rows
    printf "%-58s %13.1fs\n", "ogr2ogr --config PG_USE_COPY YES, load only", os
    printf "%-58s %14.0f\n", "ogr2ogr rows/s", og
    printf "%-58s %13.1fx\n", "ratio climrisk load / ogr2ogr (target >= 3x)", cr / og
    printf "%-58s %14s\n", "target rows/s", ">= 500000"
    printf "%-58s %12.2fms\n", "indicator_at p50 (" n " random points, " hits " on land)", p50
    printf "%-58s %12.2fms\n", "indicator_at p95 (target < 5 ms)", p95
    printf "%-58s %12.2fms\n", "indicator_at max (first call loads PROJ)", mx
    printf "%-58s %14s\n", "load average 1/5/15 min (2 cores, shared machine)", load
    if (csv_rows != ogr_rows) printf "WARNING: CSV has %d rows, ogr2ogr loaded %d\n", csv_rows, ogr_rows
}'
