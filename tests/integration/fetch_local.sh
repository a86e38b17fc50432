# fetch_local.sh — climrisk fetch with local sources: --from-dir derives
# model/scenario/variable from DRIAS file names, copies the files into the
# content-addressed cache (sums checked with sha256sum), writes the index,
# links and stdout listing; a rerun copies nothing; a manifest with file://
# URLs, relative paths, a directory, @base and @default works; a wrong sha256
# or size is exit 2 with both values and no cache entry; malformed manifests
# are exit 2 naming file:line; --dry-run prints a manifest that parses again.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
data="$TMPDIR/data"
cache="$TMPDIR/cache"
"$CLIMRISK" --quiet synth --out "$data" --models $M --scenarios historical \
    --years 2001-2001 --variables tasmaxAdjust,prtotAdjust --jobs 1 || fail "synth"
sum() { sha256sum "$1" | cut -d' ' -f1; }
tx="$data/tasmaxAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_Historical_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20010101-20011231.nc"
pr="$data/prtotAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_Historical_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20010101-20011231.nc"
[ -f "$tx" ] && [ -f "$pr" ] || fail "synth file names changed: $(ls "$data")"

# 1. --from-dir: metadata from the names (Historical -> historical).
"$CLIMRISK" fetch --from-dir "$data" --cache "$cache" >"$TMPDIR/out" 2>"$TMPDIR/err" || fail "from-dir: exit $?"
obj_tx="$cache/sha256/$(sum "$tx" | cut -c1-2)/$(sum "$tx").nc"
obj_pr="$cache/sha256/$(sum "$pr" | cut -c1-2)/$(sum "$pr").nc"
[ "$(sum "$obj_tx")" = "$(sum "$tx")" ] && [ "$(sum "$obj_pr")" = "$(sum "$pr")" ] ||
    fail "cache objects are not named by their sha256"
printf '%s\thistorical\tprtotAdjust\t%s\n%s\thistorical\ttasmaxAdjust\t%s\n' $M "$obj_pr" $M "$obj_tx" >"$TMPDIR/want"
diff <(sort "$TMPDIR/out") "$TMPDIR/want" || fail "stdout listing"
grep -q "2 copied" "$TMPDIR/err" || fail "copies not reported"
ncdump -h "$cache/by-sim/$M/historical/tasmaxAdjust/$(basename "$tx")" | grep -q 'tasmaxAdjust(time, y, x)' ||
    fail "by-sim link does not open as NetCDF"
awk -F'\t' -v s="$(sum "$tx")" '$3 == "tasmaxAdjust" && $4 == "20010101-20011231" && $5 == "file" && $7 == s' \
    "$cache/index.tsv" | grep -q . || fail "index line of tasmaxAdjust"

# 2. Rerun: nothing copied.
"$CLIMRISK" fetch --from-dir "$data" --cache "$cache" >"$TMPDIR/out" 2>"$TMPDIR/err" || fail "rerun: exit $?"
grep -q "0 copied, 2 already in the cache" "$TMPDIR/err" || fail "rerun copied again"

# 3. A hand-written manifest: file:// URL with sha256 and size, a relative
#    path, a directory with @default for files whose names say nothing.
mkdir -p "$TMPDIR/m/plain"
cp "$tx" "$TMPDIR/m/plain/day_tx.nc"
cp "$pr" "$TMPDIR/m/rel.nc"
cat >"$TMPDIR/m/manifest.tsv" <<EOF
# a comment line, then a blank line

file://$tx   sha256=$(sum "$tx")  size=$(stat -c %s "$tx")
rel.nc  model=IPSL-IPSL-CM5A-MR_IPSL-WRF381P scenario=rcp4.5 variable=prtotAdjust  # trailing comment
@default model=MOHC-HadGEM2-ES_CLMcom-CCLM4-8-17 scenario=rcp85 variable=tasmaxAdjust
plain/
EOF
(cd / && "$CLIMRISK" fetch --manifest "$TMPDIR/m/manifest.tsv" --cache "$cache" >"$TMPDIR/out" 2>"$TMPDIR/err") ||
    fail "hand-written manifest: exit $?"
grep -q "^IPSL-IPSL-CM5A-MR_IPSL-WRF381P	rcp45	prtotAdjust	$obj_pr$" "$TMPDIR/out" || fail "relative path entry"
grep -q "^MOHC-HadGEM2-ES_CLMcom-CCLM4-8-17	rcp85	tasmaxAdjust	$obj_tx$" "$TMPDIR/out" || fail "@default entry"
[ "$(wc -l <"$TMPDIR/out")" -eq 3 ] || fail "expected 3 entries"
[ "$(find "$cache/sha256" -type f | wc -l)" -eq 2 ] || fail "identical content must be stored once"

# 4. --dry-run prints every derived field, and its output is a valid manifest.
"$CLIMRISK" fetch --manifest "$TMPDIR/m/manifest.tsv" --dry-run >"$TMPDIR/resolved.tsv" 2>"$TMPDIR/err" || fail "dry-run"
grep -q "day_tx.nc	model=MOHC-HadGEM2-ES_CLMcom-CCLM4-8-17	scenario=rcp85	variable=tasmaxAdjust" "$TMPDIR/resolved.tsv" ||
    fail "dry-run lacks derived fields"
"$CLIMRISK" fetch --manifest "$TMPDIR/resolved.tsv" --dry-run >"$TMPDIR/again.tsv" 2>"$TMPDIR/err" || fail "dry-run output does not parse"
diff "$TMPDIR/resolved.tsv" "$TMPDIR/again.tsv" || fail "dry-run output is not stable"

# The shipped example manifest parses, with what its comments promise.
"$CLIMRISK" fetch --manifest "$SRC/config/example-manifest.tsv" --dry-run >"$TMPDIR/ex.tsv" 2>"$TMPDIR/err" ||
    fail "config/example-manifest.tsv does not parse"
[ "$(grep -vc '^#' "$TMPDIR/ex.tsv")" -eq 6 ] || fail "example manifest: expected 6 sources"
grep -q "IPSL-WRF381P_rcp4.5_.*scenario=rcp45	variable=tasminAdjust" "$TMPDIR/ex.tsv" || fail "example: @base entry"
grep -q "dodsC.*scenario=rcp85	variable=tasmin	kind=opendap" "$TMPDIR/ex.tsv" || fail "example: OPeNDAP entry"

# 5. Wrong sha256 / size: exit 2 naming both values; nothing cached for it.
zero=0000000000000000000000000000000000000000000000000000000000000000
printf '%s sha256=%s\n' "$tx" $zero >"$TMPDIR/bad.tsv"
"$CLIMRISK" fetch --manifest "$TMPDIR/bad.tsv" --cache "$TMPDIR/c2" >/dev/null 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 2 ] || fail "wrong sha256: exit $rc, expected 2"
grep -q "checksum mismatch for $tx: expected sha256 $zero (.*bad.tsv:1), got $(sum "$tx")" "$TMPDIR/err" ||
    fail "checksum message"
[ -z "$(find "$TMPDIR/c2/sha256" -type f 2>/dev/null)" ] || fail "bad copy kept in the cache"
[ -z "$(find "$TMPDIR/c2/tmp" -type f 2>/dev/null)" ] || fail "temporary copy left behind"
printf '%s size=123\n' "$tx" >"$TMPDIR/bad.tsv"
"$CLIMRISK" fetch --manifest "$TMPDIR/bad.tsv" --cache "$TMPDIR/c2" >/dev/null 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 2 ] || fail "wrong size: exit $rc, expected 2"
grep -q "size mismatch for $tx: expected 123 bytes" "$TMPDIR/err" || fail "size message"

# 6. Malformed manifests: exit 2, file:line and what is wrong.
bad() { # expected message (grep -E), manifest text
    printf '%s\n' "$2" >"$TMPDIR/bad.tsv"
    "$CLIMRISK" fetch --manifest "$TMPDIR/bad.tsv" --cache "$TMPDIR/c3" >/dev/null 2>"$TMPDIR/err"; rc=$?
    [ $rc -eq 2 ] || fail "'$2': exit $rc, expected 2"
    grep -Eq "$1" "$TMPDIR/err" || fail "'$2': message lacks /$1/"
}
bad 'bad.tsv:2: unknown field .colour=.' "# x
$tx colour=blue"
bad 'bad.tsv:1: sha256 .abc. has 3 characters' "$tx sha256=abc"
bad "bad.tsv:1: model=A_B but the file name .* says $M" "$tx model=A_B"
bad "bad.tsv:1: cannot tell the model of 'x.nc' from its name; add model=GCM_RCM" "https://example.org/x.nc"
bad "bad.tsv:1: unsupported source 'ftp...'" "ftp://example.org/x.nc"
bad "bad.tsv:1: unknown scenario 'rcp60'" "$tx scenario=rcp60"
bad "bad.tsv:1: .*/nope.nc: No such file" "nope.nc"
bad "bad.tsv:1 and .*bad.tsv:2 both give $M historical tasmaxAdjust file" "$tx
https://example.org/$(basename "$tx")"
bad "bad.tsv:1: no file name at the end of https://example.org/dir/: remote directories" "https://example.org/dir/"
bad "bad.tsv:1: 'size' is not key=value" "$tx size"
bad "bad.tsv: no source listed" "# only a comment"
"$CLIMRISK" fetch --cache "$TMPDIR/c3" >/dev/null 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 1 ] || fail "no manifest: exit $rc, expected 1"
"$CLIMRISK" fetch --manifest "$TMPDIR/nonexistent.tsv" >/dev/null 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 1 ] && grep -q nonexistent.tsv "$TMPDIR/err" || fail "missing manifest: exit $rc"
"$CLIMRISK" fetch --from-dir "$data" --jobs 0 >/dev/null 2>"$TMPDIR/err"; rc=$?
[ $rc -eq 1 ] || fail "--jobs 0: exit $rc, expected 1"
echo "local fetch, manifests and their errors ok"
