# bench/pipeline.sh — `climrisk run` on the demo configuration (issue 7):
#   * the cold run (nothing done yet), with the time of each step;
#   * a rerun with nothing changed (target < 2 s);
#   * a rerun after changing one indicator parameter ([indicators]
#     snow_melt_factor: read by the snow indicators only; target: only that
#     work redone), with what each step redid.
# The work directory and a datamart database of its own live under
# BENCH_DATA/pipeline; the private PostgreSQL server is started if needed.
# Knobs: PIPELINE_SCENARIO_YEARS (default the demo's 2006-2100) to make a
# shorter run, KEEP=1 to reuse the inputs of a previous benchmark run.
set -eu
W="$BENCH_DATA/pipeline"
cfg="$W/run.ini"
[ "${KEEP:-0}" = 1 ] || rm -rf "$W"
mkdir -p "$W"
"$CLIMRISK" -q db start >/dev/null
admin=$("$CLIMRISK" db dsn)
db=bench_pipeline
psql "$admin" -XAtqc "drop database if exists $db with (force)" >/dev/null
psql "$admin" -XAtqc "create database $db" >/dev/null
rest=${admin#*dbname=}
case "$rest" in *" "*) rest=${rest#* } ;; *) rest= ;; esac
dsn="${admin%dbname=*}dbname=$db $rest"

write_cfg() { # melt_factor
    sed -e "s|^workdir = .*|workdir = $W/wd|" \
        -e "s|^scenario_years = .*|scenario_years = ${PIPELINE_SCENARIO_YEARS:-2006-2100}|" \
        "$SRC/config/demo.ini" >"$cfg"
    printf '\n[indicators]\nsnow_melt_factor = %s\n\n[datamart]\ndsn = %s\n' "$1" "$dsn" >>"$cfg"
}

# Seconds per step kind, and what was done, from the run report.
steps() {
    python3 - "$W/wd/run/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
kinds = {}
for t in r["tasks"]:
    k = kinds.setdefault(t["kind"], [0.0, 0, 0, 0])
    k[0] += t["duration_s"]; k[1] += 1
    k[2] += t["items_done"]; k[3] += t["items_up_to_date"]
print("; ".join("%s %.1f s (%d tasks, %d items done, %d up to date)" % (n, v[0], v[1], v[2], v[3])
                for n, v in kinds.items()))
EOF
}

timed() { # label, then the command
    local label=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$@" 2>"$W/$label.log" || { tail -20 "$W/$label.log"; echo "bench/pipeline: $label failed"; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }' 
}

write_cfg 3.0
cold=$(timed cold "$CLIMRISK" run "$cfg")
cold_steps=$(steps)
noop=$(timed noop "$CLIMRISK" run "$cfg")
write_cfg 4.0
param=$(timed param "$CLIMRISK" run "$cfg")
param_steps=$(steps)
computed=$(grep -o "[0-9]* of [0-9]* indicators to compute" "$W/param.log" | sort | uniq -c | sed 's/^ *//' | paste -sd';')
rendered=$(grep -o "[0-9]* of [0-9]* indicators to render" "$W/param.log" | head -1)
aggregated=$(grep -o "[0-9]* of [0-9]* indicators to aggregate" "$W/param.log" | sort | uniq -c | sed 's/^ *//' | paste -sd';')
patched=$(grep -o "[0-9]* of [0-9]* indicators changed, replaced in place" "$W/param.log" | sed 's/, replaced in place//' | sort | uniq -c | sed 's/^ *//' | paste -sd';')
wholeloads=$(grep -c "maps, copied in" "$W/param.log" || true)

years=${PIPELINE_SCENARIO_YEARS:-2006-2100}
echo "climrisk run on config/demo.ini (2 models, historical 1976-2005, rcp45/rcp85 $years), $(nproc) CPUs"
printf '%-34s %10s  %-14s %s\n' "measure" "seconds" "target" "detail"
printf '%-34s %10.1f  %-14s %s\n' "cold run" "$cold" "-" "$cold_steps"
printf '%-34s %10.2f  %-14s %s\n' "rerun, nothing changed" "$noop" "< 2 s" \
    "$(grep -o 'nothing to do.*' "$W/noop.log" | head -1)"
printf '%-34s %10.1f  %-14s %s\n' "rerun, snow_melt_factor changed" "$param" "only snow work" \
    "compute: ${computed:-none}; aggregate: ${aggregated:-none}; load: ${patched:-none} patched, $wholeloads files replaced whole; tiles: ${rendered:-none}"
printf '%-34s %10s  %-14s %s\n' "" "" "" "$param_steps"
printf '%-34s %10.1f%%\n' "parameter rerun / cold run" "$(awk -v a="$param" -v b="$cold" 'BEGIN { print 100 * a / b }')"
psql "$admin" -XAtqc "drop database if exists $db with (force)" >/dev/null
