# run_sources.sh — `climrisk run` on inputs from a local directory and from a
# manifest (fetched into the cache), with no-op reruns and change detection.
set -u
fail() { echo "FAIL: $*"; exit 1; }
src="$TMPDIR/src"
"$CLIMRISK" -q synth --out "$src" --models A_B --scenarios historical,rcp45 --years 2031-2031 \
    -V tasAdjust,prtotAdjust --jobs 1 || fail "synth"

cat >"$TMPDIR/dir.ini" <<EOC
[run]
workdir = $TMPDIR/wd
steps = inputs, compute
[compute]
indicators = tg_mean, prcptot
[inputs]
source = directory
directory = $src
EOC
"$CLIMRISK" plan "$TMPDIR/dir.ini" >"$TMPDIR/plan" || fail "plan (directory)"
grep -q "inputs    inputs A_B historical" "$TMPDIR/plan" || { cat "$TMPDIR/plan"; fail "plan lacks A_B historical"; }
grep -q "inputs    inputs A_B rcp45" "$TMPDIR/plan" || fail "plan lacks A_B rcp45"
"$CLIMRISK" run "$TMPDIR/dir.ini" 2>"$TMPDIR/l1" || { cat "$TMPDIR/l1"; fail "run (directory)"; }
"$CLIMRISK" run "$TMPDIR/dir.ini" 2>"$TMPDIR/l2" || fail "rerun (directory)"
grep -q "nothing to do" "$TMPDIR/l2" || fail "directory rerun not a no-op"
f=$(ls "$src"/prtotAdjust_*_rcp4.5_*.nc)
printf 'x' >>"$f"
"$CLIMRISK" run "$TMPDIR/dir.ini" 2>"$TMPDIR/l3" || fail "rerun after a file changed"
grep -q "inputs A_B rcp45: done" "$TMPDIR/l3" || { cat "$TMPDIR/l3"; fail "changed file not noticed"; }
grep -q "inputs A_B historical: done" "$TMPDIR/l3" && fail "unchanged simulation redone"
grep -q "compute A_B rcp45: 1 of 2 indicators" "$TMPDIR/l3" || { cat "$TMPDIR/l3"; fail "only prcptot reads the changed pr file"; }
truncate -s -1 "$f"

"$CLIMRISK" fetch --from-dir "$src" --dry-run >"$TMPDIR/m.tsv" 2>/dev/null || fail "manifest from dir"
cat >"$TMPDIR/man.ini" <<EOC
[run]
workdir = $TMPDIR/wm
steps = inputs, compute
[compute]
indicators = tg_mean, prcptot
[inputs]
source = manifest
manifest = $TMPDIR/m.tsv
EOC
"$CLIMRISK" run "$TMPDIR/man.ini" 2>"$TMPDIR/l4" || { cat "$TMPDIR/l4"; fail "run (manifest)"; }
[ "$(find "$TMPDIR/wm/cache/sha256" -name '*.nc' | wc -l)" -eq 4 ] || fail "cache should hold 4 files"
"$CLIMRISK" run "$TMPDIR/man.ini" 2>"$TMPDIR/l5" || fail "rerun (manifest)"
grep -q "nothing to do" "$TMPDIR/l5" || fail "manifest rerun not a no-op"
# compute read the cached objects (named by hash) as the entries' variables
for w in wd wm; do
    ncdump -h "$TMPDIR/$w/annual/A_B_rcp45.nc" | grep -q "float prcptot(" || fail "$w: no prcptot in the annual file"
done
[ "$(ncdump -v tg_mean "$TMPDIR/wd/annual/A_B_rcp45.nc" | sed -n '/^data:/,$p')" = \
  "$(ncdump -v tg_mean "$TMPDIR/wm/annual/A_B_rcp45.nc" | sed -n '/^data:/,$p')" ] || fail "directory and manifest runs differ"

printf '%s/nowhere_France_X_Y_rcp4.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20310101-20311231.nc\n' "$TMPDIR" >"$TMPDIR/bad.tsv"
sed "s|$TMPDIR/m.tsv|$TMPDIR/bad.tsv|" "$TMPDIR/man.ini" >"$TMPDIR/bad.ini"
"$CLIMRISK" run "$TMPDIR/bad.ini" 2>"$TMPDIR/l6"; rc=$?
[ $rc -eq 2 ] || { cat "$TMPDIR/l6"; fail "missing input: exit $rc, expected 2 (bad manifest)"; }
grep -q "nowhere" "$TMPDIR/l6" || fail "missing input not named"
echo "run sources ok"
