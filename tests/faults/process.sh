# faults/process.sh — SIGTERM and SIGKILL in the middle of the stand-alone
# commands, then a rerun that must give the results of a clean run:
#   compute: SIGTERM -> exit 130, "interrupted", no file (not even a .part);
#            SIGKILL -> a .part-PID file, removed by the rerun; the rerun's
#            annual file is sha256-identical to the clean run's;
#   tiles:   the same, every output file equal by sha256sum to a clean run;
#   load:    SIGTERM mid-COPY -> exit 130, the datamart unchanged, the run
#            recorded 'aborted' (SIGKILL mid-COPY: integration/datamart_kill);
#            the rerun's rows equal a clean load's (checksum over the facts).
# (`climrisk run` is covered by integration/run_incremental.)
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err" | tail -n 20; exit 1; }
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done' EXIT

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (20 s max)
wait_for() {
    for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
parts() { find "$1" -name '*.part-*' 2>/dev/null | wc -l; }

# ---- compute ---------------------------------------------------------------
D="$TMPDIR/data"
# (4 years: ~3 s of compute, so that the signal lands mid-way even on a busy machine)
"$CLIMRISK" -q synth --out "$D" -m $M -s rcp85 --scenario-years 2030-2033 -j 1 \
    -V tasminAdjust,tasmaxAdjust,prtotAdjust >/dev/null 2>&1 || fail synth
compute() { "$CLIMRISK" compute --dir "$D" --out "$1" --jobs 1 --block-days 8 "${@:2}"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
compute "$TMPDIR/clean" 2>"$TMPDIR/err" || fail "clean compute"
CLEAN="$TMPDIR/clean/${M}_rcp85.nc"
ncdump -h "$CLEAN" | grep -q 'float su(' || fail "clean compute: no su"

for sig in TERM KILL; do
    out="$TMPDIR/c$sig"
    # (exec: $! must be climrisk itself, not a subshell running the function)
    (exec "$CLIMRISK" compute --dir "$D" --out "$out" --jobs 1 --block-days 8) 2>"$TMPDIR/err" &
    pid=$!; PIDS+=($pid)
    wait_for "$TMPDIR/err" "compute: [1-9][0-9]*% " || fail "compute never reported progress"
    kill -$sig $pid
    grep -q "1 of 1 simulations done" "$TMPDIR/err" && fail "compute finished before SIG$sig: the machine is too busy for this test"
    wait $pid; rc=$?
    if [ $sig = TERM ]; then
        [ $rc -eq 130 ] || fail "compute after SIGTERM: exit $rc, expected 130"
        grep -q "interrupted" "$TMPDIR/err" || fail "compute after SIGTERM: no 'interrupted'"
        [ "$(parts "$out")" = 0 ] || fail "SIGTERM left a temporary file: $(ls "$out")"
    else
        [ $rc -eq 137 ] || fail "compute after SIGKILL: exit $rc"
        [ "$(parts "$out")" = 1 ] || fail "SIGKILL mid-compute left no .part file: the test killed too late"
    fi
    [ -e "$out/${M}_rcp85.nc" ] && fail "compute after SIG$sig: an annual file was published"
    compute "$out" 2>"$TMPDIR/err" || fail "rerun after SIG$sig"
    [ "$(parts "$out")" = 0 ] || fail "rerun after SIG$sig: temporary files left: $(ls -a "$out")"
    [ "$(sum "$out/${M}_rcp85.nc")" = "$(sum "$CLEAN")" ] ||
        fail "rerun after SIG$sig: annual file differs from a clean run"
    echo "ok: compute SIG$sig, rerun identical"
done

# ---- tiles -------------------------------------------------------------------
mkdir -p "$TMPDIR/stats"
"$BUILD/tests/tools/dm_fixture" stats "$TMPDIR/stats/rcp85.nc" --experiment rcp85 \
    --models $M,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009 --horizons REF,H3 --indicators fd,su || fail "stats fixture"
tiles() { "$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$1" --no-datamart -j 1; }
sums() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
tiles "$TMPDIR/tclean" 2>"$TMPDIR/err" || fail "clean tiles"
sums "$TMPDIR/tclean" >"$TMPDIR/tclean.sums"
[ "$(wc -l <"$TMPDIR/tclean.sums")" -gt 5 ] || fail "clean tiles: too few files"
for sig in TERM KILL; do
    out="$TMPDIR/t$sig"
    (exec "$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$out" --no-datamart -j 1) 2>"$TMPDIR/err" &
    pid=$!; PIDS+=($pid)
    wait_for "$TMPDIR/err" "tiles: [1-9][0-9]*% " || fail "tiles never reported progress"
    kill -$sig $pid
    grep -q "tilesets, .*catalog.json" "$TMPDIR/err" && fail "tiles finished before SIG$sig: the machine is too busy for this test"
    wait $pid; rc=$?
    if [ $sig = TERM ]; then
        [ $rc -eq 130 ] || fail "tiles after SIGTERM: exit $rc, expected 130"
        [ "$(parts "$out")" = 0 ] || fail "tiles SIGTERM left temporary files"
    else
        [ $rc -eq 137 ] || fail "tiles after SIGKILL: exit $rc"
    fi
    [ -e "$out/catalog.json" ] && fail "tiles after SIG$sig: catalogue published"
    tiles "$out" 2>"$TMPDIR/err" || fail "tiles rerun after SIG$sig"
    [ "$(parts "$out")" = 0 ] || fail "tiles rerun after SIG$sig: temporary files left"
    sums "$out" | cmp -s - "$TMPDIR/tclean.sums" ||
        { sums "$out" | diff - "$TMPDIR/tclean.sums" | head; fail "tiles rerun after SIG$sig differs from a clean run"; }
    echo "ok: tiles SIG$sig, rerun identical"
done

# ---- load --------------------------------------------------------------------
. "$SRC/tests/tools/pgprivate.sh"
pp_start
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; pp_cleanup' EXIT
pp_psql "create database ref template climrisk" >/dev/null || fail "create ref"
REF_DSN="${CLIMRISK_DSN/dbname=climrisk/dbname=ref}"
facts() {
    psql "${1:-$CLIMRISK_DSN}" -XAtq -v ON_ERROR_STOP=1 -c "select count(*) || ':' || coalesce(sum(
        hashtextextended(indicator || '/' || scenario || '/' || model || '/' || year || '/' || cell_id
        || '=' || value, 7)::numeric), 0) from datamart.annual_value"
}
"$CLIMRISK" -q load --no-admin --annual "$CLEAN" >/dev/null 2>"$TMPDIR/err" || fail "first load"
S1=$(facts)
# A second version of the simulation: the annual file of another seed.
"$CLIMRISK" -q synth --out "$TMPDIR/data2" -m $M -s rcp85 --scenario-years 2030-2031 -j 1 --seed 7 \
    -V tasminAdjust,tasmaxAdjust,prtotAdjust >/dev/null 2>&1 || fail synth
"$CLIMRISK" -q compute --dir "$TMPDIR/data2" --out "$TMPDIR/v2" --jobs 1 2>"$TMPDIR/err" || fail "compute v2"
V2="$TMPDIR/v2/${M}_rcp85.nc"
CLIMRISK_DSN=$REF_DSN "$CLIMRISK" -q load --no-admin --annual "$V2" >/dev/null 2>"$TMPDIR/err" || fail "reference load"
S2=$(facts "$REF_DSN")
[ "$S1" != "$S2" ] || fail "the two versions load the same rows"
marker="$TMPDIR/paused"
CLIMRISK_TEST_COPY_PAUSE="$marker:30" "$CLIMRISK" load --no-admin --annual "$V2" >"$TMPDIR/out" 2>"$TMPDIR/err" &
pid=$!; PIDS+=($pid)
for _ in $(seq 1 300); do [ -f "$marker" ] && break; sleep 0.1; done
[ -f "$marker" ] || fail "the loader never reached the COPY"
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 130 ] || fail "load after SIGTERM: exit $rc, expected 130"
grep -q "interrupted" "$TMPDIR/err" || fail "load after SIGTERM: no 'interrupted'"
[ "$(facts)" = "$S1" ] || fail "the interrupted load changed the datamart"
[ "$(pp_psql "select count(*) from pg_tables where schemaname = 'datamart' and tablename like '%\_new'")" = 0 ] ||
    fail "tables of the interrupted load left"
[ "$(pp_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")" = ok,aborted ] ||
    fail "lineage after SIGTERM: $(pp_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")"
"$CLIMRISK" -q load --no-admin --annual "$V2" >/dev/null 2>"$TMPDIR/err" || fail "load rerun"
[ "$(facts)" = "$S2" ] || fail "load rerun: rows differ from a clean load"
echo "ok: load SIGTERM, rerun identical to a clean load"
echo "process faults ok"
