# faults/db_diskfull.sh — the database runs out of disk during `climrisk
# load`: the new tables go to a tablespace on a 1 MiB tmpfs (mounted here;
# skipped when mount is not permitted). The load fails with exit 3 and
# PostgreSQL's "No space left on device", the transaction is rolled back
# (previous rows intact, no leftover table, the run recorded as failed with
# the reason), and once there is room again the same load succeeds.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
# (under /var/tmp: the postgres user cannot enter the test's private TMPDIR)
TINY=$(mktemp -d /var/tmp/climrisk-tiny.XXXXXX) || fail mktemp
if ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$TINY" 2>"$TMPDIR/mount.err"; then
    rmdir "$TINY"
    echo "cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): $(cat "$TMPDIR/mount.err")"; exit 77
fi
. "$SRC/tests/tools/pgprivate.sh"
pp_on_exit "umount '$TINY' && rmdir '$TINY'"
trap pp_cleanup EXIT
chown postgres "$TINY" || fail chown
pp_start

M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
A0="$TMPDIR/v0/${M}_rcp85.nc"; A4="$TMPDIR/v4/${M}_rcp85.nc"
mkdir -p "$TMPDIR/v0" "$TMPDIR/v4"
"$BUILD/tests/tools/dm_fixture" annual "$A0" --experiment rcp85 --model $M --years 2040-2041 || fail fixture
"$BUILD/tests/tools/dm_fixture" annual "$A4" --experiment rcp85 --model $M --years 2040-2041 --variant 4 || fail fixture
facts() {
    pp_psql "select count(*) || ':' || coalesce(sum(hashtextextended(indicator || '/' || year || '/' ||
        cell_id || '=' || value, 7)::numeric), 0) from datamart.annual_value"
}
"$CLIMRISK" -q load --no-admin --annual "$A0" >/dev/null 2>"$TMPDIR/err" || fail "first load"
S0=$(facts)

# New tables of new sessions go to the tiny tablespace.
pp_psql "create tablespace tiny location '$TINY'" >/dev/null || fail "create tablespace"
pp_psql "alter database climrisk set default_tablespace = tiny" >/dev/null
"$CLIMRISK" load --no-admin --annual "$A4" >"$TMPDIR/out" 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 3 ] || fail "disk full: exit $rc, expected 3"
grep -q "No space left on device" "$TMPDIR/err" || fail "disk full: message"
grep -qF "$A4" "$TMPDIR/err" || fail "disk full: the message does not name the file"
grep -q "rolled back: the datamart is unchanged" "$TMPDIR/err" || fail "disk full: no advice"
[ "$(facts)" = "$S0" ] || fail "disk full: the datamart changed"
[ "$(pp_psql "select count(*) from pg_tables where schemaname = 'datamart' and tablename like '%\_new'")" = 0 ] ||
    fail "disk full: leftover tables"
[ "$(pp_psql "select status from datamart.load_run order by run_id desc limit 1")" = failed ] ||
    fail "disk full: run not recorded as failed"
pp_psql "select error from datamart.load_run order by run_id desc limit 1" | grep -q "No space left on device" ||
    fail "disk full: the run record lacks the reason"
# the space held by the rolled-back tables is given back
[ "$(du -s "$TINY" | cut -f1)" -lt 64 ] || fail "the failed load left files on the full disk: $(du -sh "$TINY")"
echo "ok: disk full refused and rolled back"

pp_psql "alter database climrisk reset default_tablespace" >/dev/null
"$CLIMRISK" -q load --no-admin --annual "$A4" >/dev/null 2>"$TMPDIR/err" || fail "load once there is room"
[ "$(facts)" != "$S0" ] || fail "the load after the disk-full did not change the rows"
[ "$(pp_psql "select string_agg(status, ',' order by run_id) from datamart.load_run")" = ok,failed,ok ] ||
    fail "lineage"
pp_psql "drop tablespace tiny" >/dev/null || fail "tablespace not empty after the rollback"
echo "db disk-full ok"
