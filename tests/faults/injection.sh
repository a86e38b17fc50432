# faults/injection.sh — injection strings through the configuration fields
# that reach SQL, on a private cluster (tests/tools/pgprivate.sh):
#   [datamart] schema -> load and db migrate refuse it (exit 1, naming it);
#                        tiles and serve quote it (PQescapeIdentifier): no
#                        crash, the datamart unchanged;
#   [run] name        -> stored verbatim in datamart.load_run (a bound
#                        parameter), the datamart otherwise unchanged;
#   [datamart] dsn    -> libpq refuses it: exit 1 or 3, no crash.
# A canary table in public and the list of tables must survive every
# attempt. Also: serve with a password in its DSN never shows it (log, ps).
# URL parameters of serve: integration/serve_datamart and serve_http; SQL
# function arguments: integration/datamart_load; the reader role:
# integration/datamart_roles.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err" | tail -n 8; exit 1; }
. "$SRC/tests/tools/pgprivate.sh"
pp_start
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
A="$TMPDIR/${M}_rcp85.nc"
"$BUILD/tests/tools/dm_fixture" annual "$A" --experiment rcp85 --model $M --years 2040-2040 || fail fixture
mkdir -p "$TMPDIR/stats"
"$BUILD/tests/tools/dm_fixture" stats "$TMPDIR/stats/rcp85.nc" --experiment rcp85 --models $M \
    --horizons REF,H3 --indicators fd || fail "stats fixture"
"$CLIMRISK" -q load --no-admin --annual "$A" --stats "$TMPDIR/stats" >/dev/null 2>"$TMPDIR/err" || fail "first load"
pp_psql "create table public.canary (x int); insert into public.canary values (42)" >/dev/null
snapshot() {
    pp_psql "select (select count(*) from datamart.annual_fact) || '/' || (select count(*) from datamart.stat_fact)
        || '/' || (select count(*) from datamart.indicator) || '/' || (select sum(x) from public.canary) || '/' ||
        (select string_agg(schemaname || '.' || tablename, ',' order by schemaname, tablename) from pg_tables
         where schemaname not in ('pg_catalog', 'information_schema')) || '/' ||
        (select count(*) from pg_roles)"
}
before=$(snapshot)
crashed() { [ "$1" -ge 128 ]; }
mkdir -p "$TMPDIR/web" && echo '<html></html>' >"$TMPDIR/web/index.html"

INJ=("'; DROP TABLE public.canary; --" '"quoted"ident' '$$; DROP TABLE public.canary; $$'
     'back\slash\' 'datamart"; DROP TABLE public.canary; --' 'é漢字🌍 ünïcödé' "x' OR '1'='1"
     "datamart'); select pg_sleep(3); --")
# (no ' ;' in a value: in INI it starts a comment)
n=0
for inj in "${INJ[@]}"; do
    n=$((n + 1))
    cfg="$TMPDIR/inj$n.ini"

    # [datamart] schema
    printf '[datamart]\nschema = %s\n' "$inj" >"$cfg"
    "$CLIMRISK" config --check "$cfg" >/dev/null 2>&1 || { echo "config refuses schema $n"; continue; }
    "$CLIMRISK" load --config "$cfg" --no-admin --force --annual "$A" >/dev/null 2>"$TMPDIR/err"; rc=$?
    [ $rc -eq 1 ] || fail "load with schema '$inj': exit $rc, expected 1"
    grep -q "schema" "$TMPDIR/err" || fail "load with schema '$inj': message"
    "$CLIMRISK" db --config "$cfg" migrate --no-admin >/dev/null 2>"$TMPDIR/err"; rc=$?
    [ $rc -eq 1 ] || fail "migrate with schema '$inj': exit $rc, expected 1"
    "$CLIMRISK" tiles --config "$cfg" --stats "$TMPDIR/stats" --out "$TMPDIR/tiles$n" -j 1 \
        --no-raster --vector-maxzoom 6 >/dev/null 2>"$TMPDIR/err"; rc=$?
    crashed $rc && fail "tiles with schema '$inj' crashed ($rc)"
    [ "$(snapshot)" = "$before" ] || fail "schema '$inj' changed the database: $(snapshot)"

    # [run] name: stored as given
    printf '[run]\nname = %s\n' "$inj" >"$cfg"
    "$CLIMRISK" load --config "$cfg" --no-admin --force --annual "$A" >/dev/null 2>"$TMPDIR/err" ||
        fail "load with run name '$inj': exit $?"
    got=$(pp_psql "select run_name from datamart.load_run order by run_id desc limit 1")
    [ "$got" = "$inj" ] || fail "run name stored as '$got', given '$inj'"
    [ "$(snapshot)" = "$before" ] || fail "run name '$inj' changed the database"

    # [datamart] dsn
    printf '[datamart]\ndsn = %s\n' "$inj" >"$cfg"
    "$CLIMRISK" load --config "$cfg" --no-admin --annual "$A" >/dev/null 2>"$TMPDIR/err"; rc=$?
    [ $rc -eq 3 ] || [ $rc -eq 1 ] || fail "load with dsn '$inj': exit $rc, expected 1 or 3"
    grep -q "datamart" "$TMPDIR/err" || fail "load with dsn '$inj': unclear message"
done
[ "$(snapshot)" = "$before" ] || fail "the database changed"
echo "ok: $n injection strings through [datamart] schema, [run] name, [datamart] dsn"

# serve with an injected schema: answers an error for datamart endpoints,
# keeps running, changes nothing.
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; pp_cleanup' EXIT
serve() { # config -> SERVE_URL, SERVE_PID
    local pf="$TMPDIR/port.$RANDOM"
    "$CLIMRISK" -v serve --config "$1" --port 0 --port-file "$pf" --web "$TMPDIR/web" \
        --tiles "$TMPDIR" "${@:2}" >/dev/null 2>"$TMPDIR/serve.log" &
    SERVE_PID=$!; PIDS+=($SERVE_PID)
    for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
    [ -s "$pf" ] || { cat "$TMPDIR/serve.log"; fail "serve did not start"; }
    SERVE_URL="http://127.0.0.1:$(cat "$pf")"
}
Q="indicator=fd&scenario=rcp85&horizon=H3"
printf '[datamart]\nschema = %s\n' "${INJ[0]}" >"$TMPDIR/serve.ini"
serve "$TMPDIR/serve.ini"
for ep in "api/info?lon=2.35&lat=48.85&$Q" "api/legend?$Q" "live/cells/8/129/90.mvt?$Q"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/$ep")
    case $code in 200 | 404 | 500 | 503) ;; *) fail "serve with an injected schema: $ep gave $code" ;; esac
done
kill -0 $SERVE_PID || fail "serve died"
kill -TERM $SERVE_PID; wait $SERVE_PID || fail "serve exit after SIGTERM"
[ "$(snapshot)" = "$before" ] || fail "serve with an injected schema changed the database"

# serve with a password in its DSN: used, never shown (log, ps).
pw='Srv-P4ss-9e2b'
pp_psql "create role rel_srv login password '$pw' in role pg_read_all_data" >/dev/null
hba="$(pp_data_dir)/pg_hba.conf"
{ echo "host all rel_srv 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$TMPDIR/hba" && cat "$TMPDIR/hba" >"$hba"
pp_psql "select pg_reload_conf()" >/dev/null
sleep 0.5
printf '[datamart]\ndsn = %s password=%s\n' "${CLIMRISK_DSN/user=postgres/user=rel_srv}" "$pw" >"$TMPDIR/pw.ini"
serve "$TMPDIR/pw.ini"
code=$(curl -s -o "$TMPDIR/body" -w '%{http_code}' "$SERVE_URL/api/info?lon=2.35&lat=48.85&$Q")
[ "$code" = 200 ] || fail "serve with a password DSN: /api/info gave $code ($(cat "$TMPDIR/body"))"
ps -eo pid,args >"$TMPDIR/ps"
grep -q "$pw" "$TMPDIR/ps" && fail "the password is in a process title"
kill -TERM $SERVE_PID; wait $SERVE_PID
grep -q "$pw" "$TMPDIR/serve.log" && fail "the password is in the serve log"
[ "$(pp_psql "select count(*) from pg_stat_activity where usename = 'rel_srv'")" = 0 ] || fail "serve connections left"
echo "injection faults ok"
