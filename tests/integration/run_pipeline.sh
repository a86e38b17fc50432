# run_pipeline.sh — `climrisk run` through every step (inputs → compute →
# aggregate → load → tiles) on a small synthetic run and a private PostGIS:
# the chain's outputs, a no-op rerun, a one-parameter change that redoes
# only the indicators that read it (and equals a clean run), kill -9 in the
# middle of compute then resume (equals a clean run), and the Slurm-style
# scale-out (per-simulation processes in parallel, then the reductions)
# equal to a single run.
. "$SRC/tests/integration/lib/dm_common.sh"
dm_setup run_pipeline

# Short periods so that two years of synthetic data make every horizon: the
# same declarations as scenarios/, with REF/H1/H2 moved.
scn="$TMPDIR/scenarios"
mkdir -p "$scn/ensembles"
cp "$SRC"/scenarios/*.ini "$scn/"
cp "$SRC"/scenarios/ensembles/*.ini "$scn/ensembles/"
cat >"$scn/periods.ini" <<'EOP'
[REF]
years = 2004-2005
experiments = historical
reference = yes
label_en = Reference 2004-2005
label_fr = Référence 2004-2005

[H1]
years = 2006-2007
experiments = rcp85
label_en = Test horizon 2006-2007
label_fr = Horizon de test 2006-2007

[H2]
years = 2008-2009
experiments = rcp85
label_en = Test horizon 2008-2009
label_fr = Horizon de test 2008-2009
EOP

write_cfg() { # workdir melt_factor [steps [input directory]]
    local source=synth
    [ -n "${4:-}" ] && source=directory
    cat >"$TMPDIR/run.ini" <<EOC
[run]
name = pipeline-test
workdir = $1
jobs = 2
steps = ${3:-inputs, compute, aggregate, load, tiles}
[inputs]
source = $source
directory = ${4:-}
[synth]
models = A_B, C_D
scenarios = historical, rcp85
historical_years = 2004-2005
scenario_years = 2006-2009
deflate = 1
[compute]
indicators = tg_mean, su, prcptot, swe_max, snow_days
[indicators]
snow_melt_factor = $2
[scenarios]
dir = $scn
ensemble =
warming_window = 3
[tiles]
vector_maxzoom = 5
raster_maxzoom = 5
EOC
}
cfg="$TMPDIR/run.ini"
# The outputs of a work directory, comparable across work directories: the
# full ncdump of every annual and statistics file (values and attributes),
# with the work directory's path (the files' provenance names their inputs)
# written as W.
sums() {
    local f
    for f in "$1"/annual/*.nc "$1"/stats/*.nc; do
        echo "${f#"$1"/} $(ncdump "$f" | tail -n +2 | sed "s|$1|W|g" | sha256sum)"
    done
}
data_of() { ncdump -v "$2" "$1" | sed -n '/^data:/,$p'; }

# 1. The whole chain.
W="$TMPDIR/w"
write_cfg "$W" 3.0
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/l1" || { tail -30 "$TMPDIR/l1"; fail "first run"; }
ntasks=$("$CLIMRISK" plan "$cfg" | wc -l)
[ "$ntasks" -eq 11 ] || fail "plan: $ntasks tasks, expected 4 inputs + 4 compute + aggregate + load + tiles"
report=$(tr -d ' \n' <"$W/run/report.json")
grep -q '"status":"ok"' <<<"$report" || fail "report status"
grep -q "\"tasks_done\":$ntasks" <<<"$report" || fail "report: every task done"
ls "$W"/annual/A_B_historical.nc "$W"/annual/C_D_rcp85.nc >/dev/null || fail "annual files"
# provenance: every input with its sha256 as sha256sum computes it (compute
# takes them from the run's state instead of hashing the files again)
ncdump -h "$W/annual/C_D_rcp85.nc" >"$TMPDIR/prov"
[ "$(ls "$W"/data/*C_D_rcp8.5*.nc | wc -l)" -eq 5 ] || fail "five input files of C_D rcp85"
for f in "$W"/data/*C_D_rcp8.5*.nc; do
    grep -q "$(sha256sum "$f" | cut -d' ' -f1) $(basename "$f")" "$TMPDIR/prov" ||
        fail "sha256 of $(basename "$f") not in input_files"
done
ncdump -h "$W/stats/rcp85.nc" | grep -q "swe_max_ens_anom" || fail "statistics file"
# the datamart holds the run: lineage, H1 statistics, the annual series
[ "$(dm_psql "select count(*) from datamart.load_run where status = 'ok'")" -eq 1 ] || fail "load_run row"
n=$(dm_psql "select count(*) from datamart.cell_stat where indicator = 'tg_mean' and scenario = 'rcp85'
              and horizon = 'H1' and model = 'ensemble' and statistic = 'median' and quantity = 'anom'")
[ "$n" -eq 8981 ] || fail "datamart: $n cells of the tg_mean H1 ensemble median anomaly, expected 8981"
n=$(dm_psql "select count(*) from datamart.annual_value where indicator = 'su' and model = 'C_D'")
[ "$n" -eq $((8981 * 6)) ] || fail "datamart: $n annual su values of C_D, expected 8981 x 6 years"
"$CLIMRISK" load --check --annual "$W/annual" --stats "$W/stats" | grep -qx current || fail "datamart not current"
grep -q '"tg_mean' "$W/tiles/catalog.json" || fail "catalog.json lacks tg_mean tilesets"
ls "$W"/tiles/*.pmtiles >/dev/null 2>&1 || ls "$W"/tiles/*/*.pmtiles >/dev/null 2>&1 || fail "no PMTiles archive"

# 2. Nothing changed: nothing done, no new load_run row.
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/l2" || fail "no-op rerun"
grep -q "nothing to do, all $ntasks tasks up to date" "$TMPDIR/l2" || { cat "$TMPDIR/l2"; fail "no-op message"; }
"$CLIMRISK" run --dry-run "$cfg" | grep -q "^0 of $ntasks tasks to do" || fail "dry-run after a run"
[ "$(dm_psql "select count(*) from datamart.load_run")" -eq 1 ] || fail "a no-op run loaded"

# 3. One indicator parameter: only the snow indicators are recomputed and
#    re-rendered; the result equals a clean run with the new value.
before_tg=$(data_of "$W/annual/A_B_rcp85.nc" tg_mean)
write_cfg "$W" 4.5
"$CLIMRISK" run --dry-run "$cfg" >"$TMPDIR/dry3"
grep -q "compute   compute A_B rcp85 .* to do" "$TMPDIR/dry3" || { cat "$TMPDIR/dry3"; fail "dry-run: compute to do"; }
grep -q "inputs    inputs A_B rcp85 .* up to date" "$TMPDIR/dry3" || fail "dry-run: inputs up to date"
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/l3" || { tail -30 "$TMPDIR/l3"; fail "run after a parameter change"; }
[ "$(grep -c "indicators to compute" "$TMPDIR/l3")" -eq 4 ] || fail "four compute tasks expected"
[ "$(grep -c ": 2 of 5 indicators to compute" "$TMPDIR/l3")" -eq 4 ] || { grep "to compute" "$TMPDIR/l3"; fail "only swe_max and snow_days should be recomputed"; }
grep -q "inputs .*: done in" "$TMPDIR/l3" && fail "inputs redone"
r=$(grep -o "tiles: [0-9]* of 5 indicators to render" "$TMPDIR/l3") || { cat "$TMPDIR/l3"; fail "tiles not redone"; }
case "$r" in "tiles: 1 of 5"* | "tiles: 2 of 5"*) ;; *) fail "tiles should redo only the snow indicators: $r" ;; esac
grep -q "aggregate rcp85: 2 of 5 indicators to aggregate (the others are up to date)" "$TMPDIR/l3" ||
    { grep "to aggregate" "$TMPDIR/l3"; fail "aggregate should redo only swe_max and snow_days"; }
[ "$before_tg" = "$(data_of "$W/annual/A_B_rcp85.nc" tg_mean)" ] || fail "tg_mean changed"
[ "$(dm_psql "select count(*) from datamart.load_run where status = 'ok'")" -eq 2 ] || fail "second load"
[ "$(grep -c "2 of 5 indicators changed, replaced in place" "$TMPDIR/l3")" -eq 5 ] ||
    { grep "load:" "$TMPDIR/l3"; fail "load should patch the snow indicators of the 4 annual files and the statistics"; }
# the patched datamart holds what a whole reload of the same files gives
dm_content() {
    dm_psql "select count(*), sum(hashtext(concat_ws(',', indicator, scenario, model, year, cell_id, value))::bigint)
             from datamart.annual_value"
    dm_psql "select count(*), sum(hashtext(concat_ws(',', indicator, scenario, horizon, model, statistic, quantity,
                    cell_id, value, nmodels))::bigint) from datamart.cell_stat"
}
patched=$(dm_content)
"$CLIMRISK" -q load -c "$cfg" --force >/dev/null || fail "forced reload"
[ "$(dm_content)" = "$patched" ] || fail "the patched datamart differs from a whole reload"

C="$TMPDIR/clean"
write_cfg "$C" 4.5 "inputs, compute, aggregate" "$W/data"
"$CLIMRISK" -q run "$cfg" 2>/dev/null || fail "clean run"
for f in A_B_historical A_B_rcp85 C_D_historical C_D_rcp85; do
    for v in tg_mean su prcptot swe_max snow_days; do
        [ "$(data_of "$W/annual/$f.nc" $v)" = "$(data_of "$C/annual/$f.nc" $v)" ] ||
            fail "incremental $f $v differs from a clean run"
    done
done
# the merged statistics file: the redone indicators and the kept ones
for v in swe_max_ens_anom snow_days_mean tg_mean_ens_anom su_anom horizon_first_year warming_pivot_year; do
    [ "$(data_of "$W/stats/rcp85.nc" $v)" = "$(data_of "$C/stats/rcp85.nc" $v)" ] ||
        fail "incremental statistics ($v) differ from a clean run"
done

# 4. kill -9 of the whole process group in the middle of compute, then a
#    rerun: the same files as the clean run. (The runs from here on read the
#    first run's inputs in place: [inputs] source = directory.)
K="$TMPDIR/killed"
write_cfg "$K" 4.5 "inputs, compute, aggregate" "$W/data"
setsid "$CLIMRISK" run "$cfg" 2>"$TMPDIR/l4" &
pid=$!
for _ in $(seq 1 2400); do
    grep -q "indicators to compute" "$TMPDIR/l4" 2>/dev/null && break
    sleep 0.05
done
sleep 0.5
kill -9 -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null
grep -q "indicators to compute" "$TMPDIR/l4" || fail "the killed run never reached compute"
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/l5" || { tail -20 "$TMPDIR/l5"; fail "resume after kill -9"; }
find "$K" -name '*.part-*' | grep -q . && fail "temporary files left after resume"
[ "$(sums "$K")" = "$(sums "$C")" ] || { diff <(sums "$K") <(sums "$C"); fail "resumed run differs from a clean run"; }

# 5. Scale-out: a reduction run alone before its simulations is refused;
#    the simulations as separate processes in parallel, then the reductions
#    (what `climrisk plan --slurm` submits), equal one run.
S="$TMPDIR/scaled"
write_cfg "$S" 4.5 "inputs, compute, aggregate" "$W/data"
agg=$("$CLIMRISK" plan "$cfg" | awk '$2 == "aggregate" { print $1 }')
"$CLIMRISK" run --task "$agg" "$cfg" 2>"$TMPDIR/l6"; rc=$?
[ $rc -eq 1 ] || fail "aggregate before its simulations: exit $rc, expected 1"
grep -q "needs task" "$TMPDIR/l6" || fail "refusal does not say which task is missing"
nsims=$("$CLIMRISK" plan --slurm "$cfg" | grep -o -- '--array=1-[0-9]*' | cut -d- -f4)
[ "$nsims" = 4 ] || fail "slurm array should have 4 simulations, has '$nsims'"
for k in $(seq 1 "$nsims"); do "$CLIMRISK" -q run --sim "$k" "$cfg" 2>"$TMPDIR/sim$k.log" & done
wait
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/l7" || fail "reductions after the simulations"
grep -q "compute .*: done in" "$TMPDIR/l7" && fail "the reduction run recomputed simulations"
[ "$(sums "$S")" = "$(sums "$C")" ] || fail "scaled-out run differs from a single run"
echo "run pipeline ok"
