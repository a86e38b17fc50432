# run_incremental.sh — `climrisk run` machinery on the inputs step alone
# (fast): no-op reruns, partial reruns, the work directory lock, kill -9 and
# resume, parallel tasks equal to one run, the failure hook and the report.
# tests/integration/run_pipeline.sh does the same through every step.
set -u
fail() { echo "FAIL: $*"; exit 1; }
W="$TMPDIR/w"
cfg="$TMPDIR/run.ini"
write_cfg() { # workdir seed models
    cat >"$cfg" <<EOC
[run]
name = test
workdir = $1
jobs = 2
steps = inputs
on_failure = echo "hook: \$CLIMRISK_FAILED_STEP \$CLIMRISK_EXIT_CODE" > $TMPDIR/hook.out
[synth]
models = $3
scenarios = historical, rcp45
historical_years = 2001-2001
scenario_years = 2031-2031
variables = tasAdjust, prtotAdjust
seed = $2
deflate = 1
EOC
}
hashes() { (cd "$1/data" && sha256sum ./*.nc) ; }

write_cfg "$W" 1 "A_B, C_D"
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log1" || { cat "$TMPDIR/log1"; fail "first run"; }
[ "$(ls "$W"/data/*.nc | wc -l)" -eq 8 ] || fail "expected 8 input files"
grep -q '"status":"ok"' <(tr -d ' \n' <"$W/run/report.json") || fail "report status"

# A rerun with nothing changed does no work and says so, quickly.
start=$(date +%s%N)
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log2" || fail "no-op rerun"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q "nothing to do, all 4 tasks up to date" "$TMPDIR/log2" || { cat "$TMPDIR/log2"; fail "no-op message"; }
echo "no-op rerun: ${ms} ms"
grep -q '"tasks_done":0' <(tr -d ' \n' <"$W/run/report.json") || fail "no-op report"
"$CLIMRISK" run --dry-run "$cfg" | grep -q "0 of 4 tasks to do" || fail "dry-run after run"

# Touching an output (content changed) redoes exactly its task.
f=$(ls "$W"/data/tasAdjust_France_C_D_rcp4.5_*.nc)
printf 'x' >>"$f"
"$CLIMRISK" run --dry-run "$cfg" | grep -q "^1 of 4 tasks to do" || fail "dry-run should show one task to do"
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log3" || fail "rerun after damage"
grep -c ": done in" "$TMPDIR/log3" | grep -qx 1 || { cat "$TMPDIR/log3"; fail "only one task should run"; }

# Changing one model redoes only that model's tasks.
before=$(hashes "$W" | grep '_A_B_')
write_cfg "$W" 1 "A_B, E_F"
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log4" || fail "run with a new model"
grep -c ": done in" "$TMPDIR/log4" | grep -qx 2 || { cat "$TMPDIR/log4"; fail "only E_F's 2 tasks should run"; }
[ "$before" = "$(hashes "$W" | grep '_A_B_')" ] || fail "A_B files changed"

# The lock: a second run on the same work directory fails clearly (exit 5).
flock -x "$W/run/lock" sleep 3 &
sleep 0.5
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log5"; rc=$?
[ $rc -eq 5 ] || fail "locked run exited $rc, expected 5"
grep -q "another climrisk run" "$TMPDIR/log5" || fail "lock message"
"$CLIMRISK" run --wait "$cfg" 2>/dev/null || fail "--wait should wait for the lock"
wait

# Kill -9 in the middle, then resume: same files as a clean run.
W2="$TMPDIR/w2"; W3="$TMPDIR/w3"
write_cfg "$W3" 5 "A_B, C_D"
"$CLIMRISK" run "$cfg" 2>/dev/null || fail "clean reference run"
write_cfg "$W2" 5 "A_B, C_D"
setsid "$CLIMRISK" run "$cfg" 2>/dev/null &
pid=$!
for _ in $(seq 1 200); do
    ls "$W2"/data/*.part-* >/dev/null 2>&1 && break
    sleep 0.05
done
kill -9 -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log6" || { cat "$TMPDIR/log6"; fail "resume after kill -9"; }
ls "$W2"/data/ | grep -q '\.part-' && fail "temporary files left after resume"
[ "$(hashes "$W2")" = "$(hashes "$W3")" ] || fail "resumed run differs from a clean run"

# SIGTERM in the middle: exit 130, report "interrupted", no temporary file
# left, and the rerun completes with the clean run's files.
W5="$TMPDIR/w5"
write_cfg "$W5" 5 "A_B, C_D"
setsid "$CLIMRISK" run "$cfg" 2>"$TMPDIR/log8" &
pid=$!
for _ in $(seq 1 200); do
    ls "$W5"/data/*.part-* >/dev/null 2>&1 && break
    sleep 0.05
done
kill -TERM -- -"$pid"; wait "$pid"; rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/log8"; fail "SIGTERM: exit $rc, expected 130"; }
ls "$W5"/data/ | grep -q '\.part-' && fail "temporary files left after SIGTERM"
grep -q '"status":"interrupted"' <(tr -d ' \n' <"$W5/run/report.json") || fail "report after SIGTERM"
"$CLIMRISK" run "$cfg" 2>/dev/null || fail "rerun after SIGTERM"
[ "$(hashes "$W5")" = "$(hashes "$W3")" ] || fail "run after SIGTERM differs from a clean run"

# Tasks run as separate parallel processes give the same result as one run.
W4="$TMPDIR/w4"
write_cfg "$W4" 5 "A_B, C_D"
n=$("$CLIMRISK" plan "$cfg" | wc -l)
[ "$n" -ge 4 ] || fail "plan has $n tasks"
for t in $(seq 1 "$n"); do "$CLIMRISK" run --task "$t" "$cfg" 2>/dev/null & done
wait
[ "$(hashes "$W4")" = "$(hashes "$W3")" ] || fail "parallel tasks differ from a single run"
"$CLIMRISK" plan --slurm "$cfg" | grep -q -- "--array=1-4" || fail "slurm array"

# A failing step: exit code names the step (11 = inputs), the hook runs.
sed -i 's/^variables = .*/variables = tasAdjust, nonsense/' "$cfg"
"$CLIMRISK" run "$cfg" 2>"$TMPDIR/log7"; rc=$?
[ $rc -eq 11 ] || { cat "$TMPDIR/log7"; fail "failed inputs step exited $rc, expected 11"; }
grep -q "nonsense" "$TMPDIR/log7" || fail "error does not name the bad variable"
grep -q "hook: inputs 11" "$TMPDIR/hook.out" || fail "on_failure hook"
grep -q '"status":"failed"' <(tr -d ' \n' <"$W4/run/report.json") || fail "failed report"
echo "run ok"
