# bench/indicators.sh — `climrisk compute` on a DRIAS-scale simulation (the
# SAFRAN grid, 8981 land cells of 143 x 134, 30 years, the five variables,
# the whole catalogue of 22 indicators), against:
#   - the I/O floor: reading the same files with plain netCDF-C
#     (bench/ncread.c, blocks of 32 days x all cells, as climrisk reads),
#     which inflates chunks with zlib inside HDF5. climrisk reads DRIAS-
#     layout chunks raw and inflates them with libdeflate on spare cores
#     (ingest/h5chunk.h), so it can run below this floor;
#   - CDO (Debian's cdo 2.1), the tool a user would otherwise use, for the
#     subset it has: eca_su, eca_fd, eca_tr, eca_gsl, eca_r20mm, eca_rx1day,
#     eca_rx5day (on runsum,5), eca_cdd, one call each with freq=year;
# and the peak memory for 10 and 30 years (it must not grow with years).
# Inputs are generated once with `climrisk synth` into $BENCH_DATA and kept.
# Targets (issue 4): <= 1.25x the I/O floor, >= 10x faster than CDO's
# subset, peak memory <= 512 MB and flat. Set BENCH_NO_CDO=1 to skip CDO.
# Wall times are the best of REPEAT (2) runs: the machine is shared, and
# CPU seconds are printed too since they do not depend on the load.
set -eu
: "${BENCH_DATA:=build/bench-data}" "${CLIMRISK:=build/climrisk}" "${BUILD:=build}"
MODEL=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
VARS=tasminAdjust,tasmaxAdjust,tasAdjust,prtotAdjust,prsnAdjust
gen() { # dir first last
    if [ ! -f "$1/.complete" ]; then
        rm -rf "$1"
        echo "generating $(basename "$1") (once, kept in $BENCH_DATA)..." >&2
        "$CLIMRISK" -q synth --out "$1" --models $MODEL --scenarios historical \
            --historical-years "$2-$3" --variables $VARS --jobs 2 --deflate 1
        touch "$1/.complete"
    fi
}
D30="$BENCH_DATA/indicators-30y"
D10="$BENCH_DATA/indicators-10y"
gen "$D30" 1976 2005
gen "$D10" 1976 1985
OUT="$BENCH_DATA/indicators-out"
rm -rf "$OUT"
mkdir -p "$OUT"
NCREAD="$BUILD/bench-ncread"
# shellcheck disable=SC2046
cc -O2 -o "$NCREAD" bench/ncread.c $(pkg-config --cflags --libs netcdf)

files() { ls "$1"/*Adjust_*.nc; }
ncread_args() {
    for f in $(files "$1"); do echo "$(basename "$f" | cut -d_ -f1):$f"; done
}
timed() { # command... -> "wall rss_kb cpu_s" (best wall of $REPEAT runs)
    best=""
    for _ in $(seq "${REPEAT:-2}"); do
        /usr/bin/time -f "%e %M %U %S" -o "$OUT/time" "$@" >"$OUT/out" 2>"$OUT/err" || {
            cat "$OUT/err" >&2
            return 1
        }
        line=$(awk '{ printf "%s %s %.1f\n", $1, $2, $3 + $4 }' "$OUT/time")
        if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[1] < y[1]) }'; then
            best=$line
        fi
    done
    echo "$best"
}
# warm the page cache so every contender reads from memory alike, and keep
# climrisk from dropping what it read (core/dropbehind.h), which would send
# the next contender to the disk
export CLIMRISK_KEEP_CACHE=1
cat $(files "$D30") >/dev/null

read -r t_floor _ cpu_floor < <(timed "$NCREAD" $(ncread_args "$D30"))
read -r t_cr m30 cpu_cr < <(timed "$CLIMRISK" -q compute --dir "$D30" --out "$OUT/a30" --jobs 1 --indicators all)
read -r t_cr10 m10 _ < <(REPEAT=1 timed "$CLIMRISK" -q compute --dir "$D10" --out "$OUT/a10" --jobs 1 --indicators all)
t_cdo=""
if [ -z "${BENCH_NO_CDO:-}" ] && command -v cdo >/dev/null; then
    tx=$(ls "$D30"/tasmaxAdjust_*.nc); tn=$(ls "$D30"/tasminAdjust_*.nc)
    tg=$(ls "$D30"/tasAdjust_*.nc); pr=$(ls "$D30"/prtotAdjust_*.nc)
    C="$OUT/cdo"
    mkdir -p "$C"
    # eca_gsl needs a land fraction: 1 where tas has data
    cdo -s -O setmisstoc,0 -setrtoc,-1e30,1e30,1 -seltimestep,1 "$tg" "$C/land.nc" 2>/dev/null
    start=$(date +%s.%N)
    cdo -s -O eca_su,25,freq=year "$tx" "$C/su.nc"
    cdo -s -O eca_fd,freq=year "$tn" "$C/fd.nc"
    cdo -s -O eca_tr,20,freq=year "$tn" "$C/tr.nc"
    cdo -s -O eca_gsl,6,5,0.5,freq=year "$tg" "$C/land.nc" "$C/gsl.nc"
    cdo -s -O eca_r20mm,freq=year -mulc,86400 "$pr" "$C/r20mm.nc"
    cdo -s -O eca_rx1day,freq=year -mulc,86400 "$pr" "$C/rx1day.nc"
    cdo -s -O eca_rx5day,50,freq=year -runsum,5 -mulc,86400 "$pr" "$C/rx5day.nc"
    cdo -s -O eca_cdd,1,5,freq=year -mulc,86400 "$pr" "$C/cdd.nc"
    t_cdo=$(echo "$(date +%s.%N) - $start" | bc)
fi 2>"$OUT/cdo.err"
cells=$(( 19162 ))
days=$(( 10958 ))
awk -v f="$t_floor" -v c="$t_cr" -v c10="$t_cr10" -v m30="$m30" -v m10="$m10" \
    -v fcpu="$cpu_floor" -v ccpu="$cpu_cr" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v cdo="$t_cdo" -v mb="$(du -smc $(files "$D30") | tail -n 1 | cut -f1)" \
    -v cd="$cells" -v dd="$days" '
function row(a, b, c) { printf "%-58s %12s %14s\n", a, b, c }
BEGIN {
    row("measure (1 simulation, 30 years, 5 variables)", "value", "target")
    row("input size (5 files, deflate 1)", sprintf("%d MB", mb), "")
    row("I/O floor: netCDF-C reads every value (ncread), wall", sprintf("%.1f s", f), "")
    row("climrisk compute, 22 indicators, --jobs 1, wall", sprintf("%.1f s", c), "")
    row("  ratio compute / I/O floor (wall)", sprintf("%.2fx", c / f), "<= 1.25x")
    row("  CPU: floor / compute (read+decode+22 ind.+sha256)", sprintf("%.1f / %.1f s", fcpu, ccpu), "")
    row("  throughput (grid cell-days, 5 variables)", sprintf("%.0f M/s", cd * dd / c / 1e6), "")
    if (cdo != "") {
        row("CDO 2.1, 8 eca_* operators (su fd tr gsl r20mm rx1day rx5day cdd)", sprintf("%.1f s", cdo), "")
        row("  speed-up climrisk (22 indicators) vs CDO (8)", sprintf("%.1fx", cdo / c), ">= 10x")
        # CDO runs these operators on one core; climrisk uses every core
        row("  CDO wall / climrisk CPU seconds (per core used)", sprintf("%.1fx", cdo / ccpu), "")
    }
    row("peak memory, 10 years (RSS)", sprintf("%.0f MB", m10 / 1024), "")
    row("peak memory, 30 years (RSS)", sprintf("%.0f MB", m30 / 1024), "<= 512 MB, flat")
    row("climrisk compute, 10 years", sprintf("%.1f s", c10), "")
    row("machine load (1, 5, 15 min) at the end", load, "")
}'
rm -rf "$OUT"
