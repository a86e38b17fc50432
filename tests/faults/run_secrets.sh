# faults/run_secrets.sh — `climrisk run` with a password in its datamart DSN
# and a datamart that refuses the connection (nothing listens on the port):
# the load step fails with exit 14 and a message that says what to check,
# and the password appears nowhere — not in the log, not in the run report
# (report.json), not in the run state, not in the process title while the
# run is going.
set -u
fail() { echo "FAIL: $*"; exit 1; }
secret='s3cr3t-Pa55'
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
W="$TMPDIR/w"
cat >"$TMPDIR/run.ini" <<EOC
[run]
workdir = $W
steps = inputs, compute, aggregate, load
on_failure = echo "\$CLIMRISK_ERROR" > $TMPDIR/hook.out
[synth]
models = A_B
scenarios = historical, rcp85
historical_years = 2005-2005
scenario_years = 2006-2006
variables = tasAdjust
deflate = 1
[compute]
indicators = tg_mean
[scenarios]
ensemble =
[datamart]
dsn = host=127.0.0.1 port=$port dbname=dm user=loader password=$secret connect_timeout=3
EOC
"$CLIMRISK" run "$TMPDIR/run.ini" >"$TMPDIR/out" 2>"$TMPDIR/err" &
pid=$!
titles=""
while kill -0 $pid 2>/dev/null; do
    titles+=$(ps -eo args= | grep -F climrisk || true)
    sleep 0.2
done
wait $pid; rc=$?
[ $rc -eq 14 ] || { tail -5 "$TMPDIR/err"; fail "exit $rc, expected 14 (load step)"; }
grep -q "load" "$TMPDIR/err" || fail "the error does not name the load step"
grep -qi "connect\|database" "$TMPDIR/err" || { tail -5 "$TMPDIR/err"; fail "the error does not say the database was unreachable"; }
grep -q '"failed_step": *"load"' "$W/run/report.json" || fail "report: failed step"
for f in "$TMPDIR/out" "$TMPDIR/err" "$W/run/report.json" "$W/run/state.sqlite" "$TMPDIR/hook.out"; do
    [ -f "$f" ] || fail "$f missing"
    grep -q -- "$secret" "$f" && fail "the password is in $f"
done
case "$titles" in *"$secret"*) fail "the password is in a process title" ;; esac
echo "run secrets ok"
