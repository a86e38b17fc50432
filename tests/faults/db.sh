# faults/db.sh — `climrisk load` against a database that fails, on a private
# cluster of this test (tests/tools/pgprivate.sh): the server down at start
# (exit 3, how to start it); the server stopped with `pg_ctl stop -m
# immediate` in the middle of a COPY, then restarted (the datamart keeps its
# previous rows, the run shows as running then aborted, a rerun gives the
# same rows as a clean load into another database); a loader role without
# LOGIN and a wrong password (exit 3, the password never printed); with the
# right password the password appears in no output, run record or process
# title. The lock held by another loader (exit 5, --wait) is
# integration/datamart_kill.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
. "$SRC/tests/tools/pgprivate.sh"
pp_start
ADMIN_DSN=$CLIMRISK_DSN
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
A0="$TMPDIR/v0/${M}_rcp85.nc"; A4="$TMPDIR/v4/${M}_rcp85.nc"
mkdir -p "$TMPDIR/v0" "$TMPDIR/v4"
"$BUILD/tests/tools/dm_fixture" annual "$A0" --experiment rcp85 --model $M --years 2040-2041 || fail fixture
"$BUILD/tests/tools/dm_fixture" annual "$A4" --experiment rcp85 --model $M --years 2040-2041 --variant 4 || fail fixture
pp_psql "create database ref template climrisk" >/dev/null || fail "create ref"
REF_DSN="${ADMIN_DSN/dbname=climrisk/dbname=ref}"

# Every fact row, in one checksum (a sum of row hashes: no sort); and leftovers of unfinished loads.
facts() {
    psql "${1:-$CLIMRISK_DSN}" -XAtq -v ON_ERROR_STOP=1 -c "select count(*) || ':' || coalesce(sum(hashtextextended(
        indicator || '/' || scenario || '/' || model || '/' || year || '/' || cell_id || '=' || value, 7)::numeric), 0)
        from datamart.annual_value"
}
leftovers() { pp_psql "select count(*) from pg_tables where schemaname = 'datamart' and tablename like '%\_new'"; }
lineage() { pp_psql "select string_agg(status, ',' order by run_id) from datamart.load_run"; }
load() { # file [env...]: climrisk load into $CLIMRISK_DSN; sets rc
    "$CLIMRISK" --verbose load --no-admin --annual "$@" >"$TMPDIR/out" 2>"$TMPDIR/err"; rc=$?
}

load "$A0"
[ $rc -eq 0 ] || fail "first load: exit $rc"
S0=$(facts)
[ "${S0%%:*}" -gt 300000 ] || fail "first load: $S0"
CLIMRISK_DSN=$REF_DSN load "$A4"
[ $rc -eq 0 ] || fail "reference load: exit $rc"
S4=$(facts "$REF_DSN")
[ "$S4" != "$S0" ] || fail "the two versions give the same rows"
# The fixture's fd at cell 13511 in 2041: 1000 k + 141 + (13511 mod 61)/8 + variant/2
k_fd=$(grep -o '^    {"[a-z0-9_]*",' "$SRC/indicators/catalog.c" | tr -d ' {",' | awk '$0 == "fd" { print NR - 1 }')
fd_want=$(awk -v k="$k_fd" 'BEGIN { printf "%.10g", 1000 * k + 141 + 30 / 8 + 2 }')

# 1. Server down when the load starts.
pp_ctl stop -m fast >/dev/null || fail "pg_ctl stop"
load "$A4"
[ $rc -eq 3 ] || fail "server down: exit $rc, expected 3"
grep -q "cannot connect to the datamart database: .*Connection refused" "$TMPDIR/err" || fail "server down: message"
grep -q "climrisk db start" "$TMPDIR/err" || fail "server down: no advice"
"$CLIMRISK" -q db start >/dev/null 2>&1 || fail "restart"
[ "$(facts)" = "$S0" ] || fail "server down: datamart changed"
echo "ok: server down at start"

# 2. pg_ctl stop -m immediate while the loader is in its COPY (paused after
# its first MiB by the test hook), then a restart (crash recovery).
marker="$TMPDIR/paused"
CLIMRISK_TEST_COPY_PAUSE="$marker:3" "$CLIMRISK" load --no-admin --annual "$A4" >"$TMPDIR/out" 2>"$TMPDIR/err" &
pid=$!
for _ in $(seq 1 300); do [ -f "$marker" ] && break; sleep 0.1; done
[ -f "$marker" ] || { kill -9 $pid; fail "the loader never reached the COPY"; }
pp_ctl stop -m immediate >/dev/null || fail "pg_ctl stop -m immediate"
wait $pid; rc=$?
[ $rc -eq 3 ] || fail "server stopped mid-COPY: exit $rc, expected 3"
grep -q "server closed the connection unexpectedly" "$TMPDIR/err" || fail "mid-COPY: message"
grep -qF "$A4" "$TMPDIR/err" || fail "mid-COPY: the message does not name the file"
grep -q "rolled back: the datamart is unchanged. Fix the cause and run the same load again" "$TMPDIR/err" ||
    fail "mid-COPY: no advice"
"$CLIMRISK" -q db start >/dev/null 2>&1 || fail "restart after the crash"
[ "$(facts)" = "$S0" ] || fail "the crashed load changed the datamart"
[ "$(leftovers)" = 0 ] || fail "tables of the crashed load left"
[ "$(lineage)" = ok,running ] || fail "lineage after the crash: $(lineage)"
load "$A4"
[ $rc -eq 0 ] || fail "rerun after the crash: exit $rc"
[ "$(facts)" = "$S4" ] || fail "rerun: rows differ from a clean load of the same file"
[ "$(pp_psql "select value from datamart.annual_value where indicator = 'fd' and year = 2041 and cell_id = 13511")" = "$fd_want" ] ||
    fail "rerun: fd value"
[ "$(lineage)" = ok,aborted,ok ] || fail "lineage after the rerun: $(lineage)"
echo "ok: server stopped mid-COPY, restarted, rerun identical to a clean load"

# 3. A loader role that may not log in.
pp_psql "create role rel_nologin nologin superuser" >/dev/null
CLIMRISK_DSN="${ADMIN_DSN/user=postgres/user=rel_nologin}" load "$A0"
[ $rc -eq 3 ] || fail "role without LOGIN: exit $rc, expected 3"
grep -q 'role "rel_nologin" is not permitted to log in' "$TMPDIR/err" || fail "nologin: message"
[ "$(facts)" = "$S4" ] || fail "nologin: datamart changed"
echo "ok: role without LOGIN"

# 4. Password authentication for one role (the private cluster trusts
# loopback otherwise): a wrong password is refused and never shown.
pw='Rel-S3cret-7c1f'
pp_psql "create role rel_pw login superuser password '$pw'" >/dev/null
hba="$(pp_data_dir)/pg_hba.conf"
{ echo "host all rel_pw 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$TMPDIR/hba" && cat "$TMPDIR/hba" >"$hba"
pp_psql "select pg_reload_conf()" >/dev/null
sleep 0.5
PW_DSN="${ADMIN_DSN/user=postgres/user=rel_pw}"
CLIMRISK_DSN="$PW_DSN password=wrong-$pw" load "$A0"
[ $rc -eq 3 ] || fail "wrong password: exit $rc, expected 3"
grep -q 'password authentication failed for user "rel_pw"' "$TMPDIR/err" || fail "wrong password: message"
grep -q "$pw" "$TMPDIR/err" "$TMPDIR/out" && fail "wrong password: the password is printed"
CLIMRISK_DSN="$PW_DSN" PGPASSWORD= load "$A0"
[ $rc -eq 3 ] || fail "no password: exit $rc, expected 3"
[ "$(facts)" = "$S4" ] || fail "refused logins changed the datamart"
echo "ok: wrong and missing password"

# 5. The right password, in CLIMRISK_DSN and in [datamart] dsn: the load
# works; the password is in no output, no run record, no process title
# (ps of climrisk and of any child it starts) while the COPY runs.
printf '[datamart]\ndsn = %s password=%s\n' "$PW_DSN" "$pw" >"$TMPDIR/pw.ini"
rm -f "$marker"
env -u CLIMRISK_DSN CLIMRISK_TEST_COPY_PAUSE="$marker:2" "$CLIMRISK" --verbose load --config "$TMPDIR/pw.ini" \
    --no-admin --force --annual "$A4" >"$TMPDIR/out" 2>"$TMPDIR/err" &
pid=$!
for _ in $(seq 1 300); do [ -f "$marker" ] && break; sleep 0.1; done
[ -f "$marker" ] || { kill -9 $pid; fail "the password loader never reached the COPY"; }
ps -eo pid,args >"$TMPDIR/ps"
grep -q "climrisk.*load" "$TMPDIR/ps" || fail "ps does not show the loader"
grep -q "$pw" "$TMPDIR/ps" && fail "the password is in a process title: $(grep "$pw" "$TMPDIR/ps")"
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "load with the password from the config: exit $rc"
CLIMRISK_DSN="$PW_DSN password=$pw" load "$A4" --force
[ $rc -eq 0 ] || fail "load with the password in CLIMRISK_DSN: exit $rc"
grep -q "$pw" "$TMPDIR/err" "$TMPDIR/out" && fail "the password is printed"
[ "$(pp_psql "select count(*) from datamart.load_run where load_run::text like '%$pw%'")" = 0 ] ||
    fail "the password is in the run records"
[ "$(pp_psql "select count(*) from datamart.load_run where db_user = 'rel_pw' and status = 'ok'")" = 2 ] ||
    fail "the password loads are not recorded"
[ "$(facts)" = "$S4" ] || fail "forced reload changed the rows"
echo "db faults ok"
