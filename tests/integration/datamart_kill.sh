# datamart_kill.sh — a loader killed with SIGKILL in the middle of its COPY
# leaves the previous data intact (and readable meanwhile); a second loader
# fails at once with exit 5 while the first holds the lock, or waits for it
# with --wait; the killed run shows as 'aborted' in the lineage.
# The COPY is paused at a known point by the test hook
# CLIMRISK_TEST_COPY_PAUSE=FILE[:SECONDS] (sql/load_unit.c).
. "$SRC/tests/integration/lib/dm_common.sh"
dm_setup kill

F="$TMPDIR/fx"
mkdir -p "$F/a" "$F/s"
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
A="$F/a/${M1}_rcp85.nc"
dm_fixture annual "$A" --experiment rcp85 --model $M1 --years 2040-2042
"$CLIMRISK" -q load --annual "$A" >/dev/null || fail "first load"
k_fd=$(dm_indicator_index fd)

state() {
    dm_psql "select (select count(*) || ':' || sum(value::float8) from datamart.annual_fact),
                    (select count(*) from datamart.annual_slice),
                    (select count(*) from pg_tables where schemaname = 'datamart' and tablename like '%\_new')"
}
# the value of fd at cell 13511 in 2041: 1000 k + 141 + (13511 mod 61 = 30)/8 + variant/2
# (13510 is a hole of the fixture for fd: (13510 + 5) mod 53 = 0)
fd_at() { dm_psql "select value from datamart.annual_value where indicator = 'fd' and year = 2041 and cell_id = 13511"; }
want0=$(awk -v k=$k_fd 'BEGIN { printf "%.10g", 1000 * k + 141 + 30 / 8 }')
[ "$(fd_at)" = "$want0" ] || fail "first load value $(fd_at), want $want0"
before=$(state)
[ "${before##*|}" = 0 ] || fail "leftover tables before the test"

# a new version of the same file, loaded by a loader that pauses mid-COPY
dm_fixture annual "$A" --experiment rcp85 --model $M1 --years 2040-2042 --variant 4
marker="$TMPDIR/paused"
CLIMRISK_TEST_COPY_PAUSE="$marker" "$CLIMRISK" load --annual "$A" >"$TMPDIR/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -f "$marker" ] && break; sleep 0.1; done
[ -f "$marker" ] || { kill -9 $pid; fail "the loader never reached the COPY"; }
# the server has part of the new rows in the loader's uncommitted table
copying=$(dm_psql "select count(*) from pg_stat_activity where application_name = 'climrisk load' and query like 'COPY datamart.annual_fact_%'")
[ "$copying" = 1 ] || fail "no COPY in progress on the server ($copying)"
# readers are not blocked and still see the old rows
[ "$(state)" = "$before" ] || fail "a reader sees a change during the load"
[ "$(fd_at)" = "$want0" ] || fail "a reader sees a new value during the load"
# a second loader fails fast with exit code 5, naming the lock
out=$("$CLIMRISK" load --wait 0 --annual "$A" 2>&1); rc=$?
[ $rc -eq 5 ] || fail "second loader: exit $rc, want 5 ($out)"
echo "$out" | grep -q "another climrisk load or migrate is writing" || fail "busy message: $out"
kill -9 $pid
wait $pid 2>/dev/null
# the server rolls the dead client's transaction back
for _ in $(seq 1 100); do
    [ "$(dm_psql "select count(*) from pg_stat_activity where application_name like 'climrisk load%' and datname = current_database()")" = 0 ] && break
    sleep 0.1
done
[ "$(state)" = "$before" ] || fail "the killed load changed the datamart: $(state), was $before"
[ "$(fd_at)" = "$want0" ] || fail "value after the kill"
[ "$(dm_psql "select count(*) from datamart.load_run where status = 'running'")" = 1 ] || fail "killed run not visible as running"

# the next load succeeds, marks the killed run aborted, and brings the new values
"$CLIMRISK" -q load --annual "$A" >/dev/null || fail "load after the kill"
want4=$(awk -v k=$k_fd 'BEGIN { printf "%.10g", 1000 * k + 141 + 30 / 8 + 2 }')
[ "$(fd_at)" = "$want4" ] || fail "value after reload $(fd_at), want $want4"
[ "$(dm_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")" = ok,aborted,ok ] ||
    fail "lineage: $(dm_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")"
[ "$(dm_psql "select count(*) from pg_tables where schemaname = 'datamart' and tablename like '%\_new'")" = 0 ] ||
    fail "leftover _new tables"

# --wait: a loader waits for the one holding the lock, then loads
S="$F/s/rcp85.nc"
dm_fixture stats "$S" --experiment rcp85 --models $M1 --horizons REF,H2 --indicators fd
dm_fixture annual "$A" --experiment rcp85 --model $M1 --years 2040-2042 --variant 8
rm -f "$marker"
CLIMRISK_TEST_COPY_PAUSE="$marker:3" "$CLIMRISK" load --annual "$A" >"$TMPDIR/first.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -f "$marker" ] && break; sleep 0.1; done
[ -f "$marker" ] || { kill -9 $pid; fail "the first loader never reached the COPY"; }
"$CLIMRISK" load --wait 120 --stats "$S" >"$TMPDIR/second.out" 2>&1 || fail "waiting loader: $(cat "$TMPDIR/second.out")"
wait $pid || fail "first loader: $(cat "$TMPDIR/first.out")"
grep -q "waiting up to 120 s" "$TMPDIR/second.out" || fail "the second loader did not wait"
want8=$(awk -v k=$k_fd 'BEGIN { printf "%.10g", 1000 * k + 141 + 30 / 8 + 4 }')
[ "$(fd_at)" = "$want8" ] || fail "first loader's data"
[ "$(dm_psql "select count(*) from datamart.cell_stat where scenario = 'rcp85'")" -gt 0 ] || fail "second loader's data"
[ "$(dm_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")" = ok,aborted,ok,ok,ok ] ||
    fail "lineage after the wait"
echo "datamart kill ok"
