# faults/input_data.sh — damaged and implausible inputs through `climrisk
# compute` (and `inspect`): a truncated file, bit flips inside a deflated
# chunk, the wrong variable in a file, unknown units and calendar, a variable
# with no value at all, Inf and absurd values (tasmax 400 degC, negative
# rain), a variable on a shifted grid. Each is refused with exit 2 and a
# message naming the file (or variable) and what to do; the previous good
# annual file stays byte-identical (sha256sum) and no partial file is left.
# Then what is accepted: one land cell without data (its indicators are
# missing, its neighbours' are not), a few absurd values under [inputs]
# max_invalid_fraction (warning, read as missing).
# The damage is done with tests/tools/nc_mutate (netCDF-C in place).
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
MUT="$BUILD/tests/tools/nc_mutate"
[ -x "$MUT" ] || fail "missing $MUT (make tools)"
W="$TMPDIR/w"
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
cat >"$TMPDIR/run.ini" <<EOF
[run]
workdir = $W
jobs = 1
[synth]
models = $M
scenarios = rcp85
scenario_years = 2030-2030
EOF
"$CLIMRISK" -q synth --config "$TMPDIR/run.ini" --out "$TMPDIR/good" -j 1 \
    -V tasminAdjust,tasmaxAdjust,prtotAdjust >/dev/null 2>&1 || fail "synth"
mkdir -p "$W"
cp -r "$TMPDIR/good" "$W/data"
compute() { "$CLIMRISK" -q compute --config "$TMPDIR/run.ini" --jobs 1 >/dev/null 2>"$TMPDIR/err"; rc=$?; }
compute
[ $rc -eq 0 ] || fail "clean compute: exit $rc"
A="$W/annual/${M}_rcp85.nc"
[ -f "$A" ] || fail "no annual file"
good_sum=$(sha256sum "$A" | cut -d' ' -f1)
name() { basename "$(ls "$TMPDIR/good/$1"_*.nc)"; }
TX=$(name tasmaxAdjust); TN=$(name tasminAdjust); PR=$(name prtotAdjust)

# expect_refused WHAT NEEDLE...: compute exits 2, stderr has every NEEDLE,
# the annual file is unchanged and nothing temporary is left.
expect_refused() {
    local what=$1; shift
    compute
    [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
    for n in "$@"; do grep -qF -- "$n" "$TMPDIR/err" || fail "$what: no '$n' in the message"; done
    [ "$(sha256sum "$A" | cut -d' ' -f1)" = "$good_sum" ] || fail "$what: the previous annual file changed"
    ls -a "$W/annual" | grep -q 'part' && fail "$what: partial file left: $(ls -a "$W/annual")"
    echo "ok: $what -> $(head -c 160 "$TMPDIR/err")"
}
fresh() { rm -rf "$W/data"; cp -r "$TMPDIR/good" "$W/data"; }

fresh; truncate -s 2000000 "$W/data/$TX"
expect_refused "truncated file" "$TX" "truncated or damaged" "download it again"
"$CLIMRISK" inspect "$W/data/$TX" >/dev/null 2>"$TMPDIR/err"; [ $? -eq 2 ] || fail "inspect truncated"

# Bit flips in the middle of the file: inside deflated chunks of data.
fresh; python3 - "$W/data/$TX" <<'EOF' || fail "flip"
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); n = len(b)
for i in range(n // 2, n // 2 + 4000, 97):
    b[i] ^= 0x10
open(p, 'wb').write(b)
EOF
expect_refused "bit flips in a chunk" "$TX" "reading tasmaxAdjust" "damaged file" "download it again"
"$CLIMRISK" inspect "$W/data/$TX" >/dev/null 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 2 ] || fail "inspect of the flipped file: exit $rc"
grep -qF "$TX" "$TMPDIR/err" || fail "inspect: message does not name the file"

# The tasmin file under the tasmax name.
fresh; cp "$TMPDIR/good/$TN" "$W/data/$TX"
expect_refused "wrong variable" "$TX" "has no tasmax variable" "tasminAdjust" "right file"

fresh; "$MUT" "$W/data/$TX" attr tasmaxAdjust units furlongs || fail mutate
expect_refused "unknown units" "$TX" "units 'furlongs'" "convert the file"

fresh; "$MUT" "$W/data/$TX" attr time calendar julian || fail mutate
expect_refused "unknown calendar" "$TX" "calendar 'julian'" "convert its time axis"

fresh; "$MUT" "$W/data/$TX" set tasmaxAdjust nan 1 >/dev/null || fail mutate
expect_refused "every value NaN" "$TX" "tasmaxAdjust has no value at all" "download it again"

fresh; "$MUT" "$W/data/$TX" set tasmaxAdjust 1e20 1 >/dev/null || fail mutate
expect_refused "every value _FillValue" "$TX" "tasmaxAdjust has no value at all"

fresh; "$MUT" "$W/data/$TX" set tasmaxAdjust inf 100 >/dev/null || fail mutate
expect_refused "Inf values (1 %)" "$TX" "tasmax values above 60 degC" "inf degC" "max_invalid_fraction"

# 673.15 K = 400 degC everywhere.
fresh; "$MUT" "$W/data/$TX" set tasmaxAdjust 673.15 1 >/dev/null || fail mutate
expect_refused "tasmax 400 degC" "$TX" "tasmax values above 60 degC" "(400 degC)" "check the files' units"

# -1e-3 kg m-2 s-1 = -86.4 mm/day on every cell-day.
fresh; "$MUT" "$W/data/$PR" set prtotAdjust -0.001 1 >/dev/null || fail mutate
expect_refused "negative rain" "$PR" "pr values negative" "(-86.4 mm/day)"

# tasmin one cell (8 km) east of tasmax.
fresh; "$MUT" "$W/data/$TN" shift x 8000 || fail mutate
expect_refused "grids that do not match" "$TN" "$TX" "not on the same grid" "coordinate x[0]"

# ---- accepted faults ------------------------------------------------------
# ncdump values of a variable (year 0), one per line; "_" is missing.
vals() { ncdump -v "$2" -p 9,17 "$1" | awk -v v="$2" '
    $0 ~ "^ "v" =" { on = 1; sub(/^[^=]*=/, "") }
    on { gsub(/[;,]/, " "); for (i = 1; i <= NF; i++) print $i; if ($0 ~ /;/) on = 0 }'; }

# One land cell without any data in tasmax: su and txx missing there (not
# 0), the next land cells keep values; fd (tasmin only) still has a value.
fresh; out=$("$MUT" "$W/data/$TX" cell tasmaxAdjust 1e20) || fail mutate
c=$(echo "$out" | awk '{ print $2 }')
compute
[ $rc -eq 0 ] || fail "one empty cell: exit $rc"
for v in su txx; do
    vals "$A" $v >"$TMPDIR/$v"
    [ "$(sed -n "$((c + 1))p" "$TMPDIR/$v")" = _ ] || fail "$v at the empty cell $c: $(sed -n "$((c + 1))p" "$TMPDIR/$v")"
    [ "$(sed -n "$((c + 1)),\$p" "$TMPDIR/$v" | grep -cv '^_$')" -gt 8000 ] || fail "$v: other cells lost"
done
vals "$A" fd >"$TMPDIR/fd"
[ "$(sed -n "$((c + 1))p" "$TMPDIR/fd")" != _ ] || fail "fd missing at a cell that has tasmin"
ls -a "$W/annual" | grep -q 'part' && fail "partial file left"

# 33 values of 400 degC among 3.3 million: under the default threshold
# (0.001): a warning with the first one, and the run completes.
fresh; "$MUT" "$W/data/$TX" set tasmaxAdjust 673.15 100000 >/dev/null || fail mutate
compute
[ $rc -eq 0 ] || fail "a few absurd values: exit $rc"
grep -q "values out of physical range (counted, under \[inputs\] max_invalid_fraction = 0.001; read as NaN): 33 tasmax values above 60 degC" \
    "$TMPDIR/err" || fail "no warning for a few absurd values"
# ... and refused when the config allows none.
printf '[inputs]\nmax_invalid_fraction = 0\n' >>"$TMPDIR/run.ini"
compute
[ $rc -eq 2 ] || fail "max_invalid_fraction = 0: exit $rc"
echo "input data faults ok"
