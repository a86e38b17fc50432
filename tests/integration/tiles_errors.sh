# tiles_errors.sh — `climrisk tiles` refuses bad input with the documented
# exit codes and a message naming the file; an interrupted run leaves no
# temporary file and no catalogue.
. "$SRC/tests/integration/lib/tiles_common.sh"
expect() { # code, what, command...
    local want=$1 what=$2; shift 2
    "$@" >"$TMPDIR/out" 2>"$TMPDIR/err"
    local rc=$?
    [ $rc -eq "$want" ] || { cat "$TMPDIR/err"; fail "$what: exit $rc, want $want"; }
}
expect 2 "missing input" "$CLIMRISK" tiles --stats "$TMPDIR/nothing" --out "$TMPDIR/t"
grep -q "$TMPDIR/nothing" "$TMPDIR/err" || fail "the message does not name the missing path"
mkdir -p "$TMPDIR/empty"
expect 2 "empty stats dir" "$CLIMRISK" tiles --stats "$TMPDIR/empty" --out "$TMPDIR/t"
grep -q 'no statistics files' "$TMPDIR/err" || fail "empty dir message"
"$BUILD/tests/tools/dm_fixture" annual "$TMPDIR/annual.nc" --experiment rcp85 \
    --model CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63 --years 2021-2023 || fail "annual fixture"
expect 2 "annual file" "$CLIMRISK" tiles --stats "$TMPDIR/annual.nc" --out "$TMPDIR/t"
grep -q 'not a statistics file' "$TMPDIR/err" || fail "annual file message"
mkdir -p "$TMPDIR/stats"
tiles_fixture "$TMPDIR/stats/rcp85.nc" rcp85 REF,H3
expect 2 "unknown statistic" "$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$TMPDIR/t" --statistics p50
grep -q "p50" "$TMPDIR/err" || fail "statistic message"
expect 1 "no such horizon" "$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$TMPDIR/t" --horizons H9
grep -q 'rcp85/H3' "$TMPDIR/err" || fail "the message does not list what the files have"
[ -e "$TMPDIR/t" ] && fail "output written although nothing matched"
expect 1 "bad format" "$CLIMRISK" tiles --stats "$TMPDIR/stats" --format xyz
expect 1 "nothing to do" "$CLIMRISK" tiles --stats "$TMPDIR/stats" --no-vector --no-raster
expect 1 "bad zoom" "$CLIMRISK" tiles --stats "$TMPDIR/stats" --vector-maxzoom 40
expect 0 "help" "$CLIMRISK" tiles --help
grep -q 'catalog.json' "$TMPDIR/out" || fail "help text"

# interrupted: exit 130, no temporary file, no catalogue
"$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$TMPDIR/int" --no-datamart -j 1 2>"$TMPDIR/log" &
pid=$!
for _ in $(seq 1 100); do
    ls "$TMPDIR/int/legends" 2>/dev/null | grep -q json && break
    sleep 0.1
done
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/log"; fail "interrupted run: exit $rc, want 130"; }
find "$TMPDIR/int" -name '*.part-*' | grep -q . && fail "temporary files left after the interrupt"
[ -e "$TMPDIR/int/catalog.json" ] && fail "catalogue written by an interrupted run"
echo "tiles errors ok"
