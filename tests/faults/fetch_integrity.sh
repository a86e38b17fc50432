# faults/fetch_integrity.sh — a server that sends wrong bytes or lies about
# sizes never gets a file into the cache: a corrupted body fails the sha256
# check (exit 2, the URL and both sums named), a Content-Length that differs
# from the manifest's size fails at once (exit 2), a truncated body fails the
# size or checksum check, an announced size the server never delivers ends in
# exit 3 after the retries. Nothing of a failed file is left in the cache
# (no object, no index line, no link). The expected and actual sums come from
# sha256sum over the served file and over curl's copy of the corrupted body.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
. "$SRC/tests/tools/httpfault.sh"
export HOME="$TMPDIR"
root="$TMPDIR/root"
cache="$TMPDIR/cache"
mkdir -p "$root"
f=prtotAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_historical_METEO-FRANCE_ADAMONT-France_SAFRAN_day_19760101-19761231.nc
head -c 2000000 /dev/urandom >"$root/$f"
size=2000000
good=$(sha256sum "$root/$f" | cut -d' ' -f1)
cat >"$TMPDIR/fast.ini" <<EOF
[fetch]
retry_delay = 0.05
timeout = 2
connect_timeout = 2
retries = 2
EOF
hf_start "$root"
fetch() {
    printf '%s\n' "$1" >"$TMPDIR/m.tsv"
    "$CLIMRISK" fetch --manifest "$TMPDIR/m.tsv" --cache "$cache" --config "$TMPDIR/fast.ini" \
        >"$TMPDIR/out" 2>"$TMPDIR/err"
    rc=$?
}
nothing_cached() { # what: no object, no index line, no link, no partial file
    local n
    n=$(find "$cache/sha256" -type f 2>/dev/null | wc -l)
    [ "$n" -eq 0 ] || fail "$1: $n object(s) in the cache"
    if [ -f "$cache/index.tsv" ] && grep -q "$f" "$cache/index.tsv"; then fail "$1: indexed"; fi
    [ -z "$(find "$cache/by-sim" -name "$f" 2>/dev/null)" ] || fail "$1: linked"
    [ -z "$(find "$cache/tmp" -name '*.part*' 2>/dev/null)" ] || fail "$1: partial file kept"
}

# 1. Corrupted body (one byte flipped on every request), sha256 given.
url="$HF_URL/$f?corrupt=1&times=99"
bad=$(curl -s "$url" | sha256sum | cut -d' ' -f1)
[ "$bad" != "$good" ] || fail "the server did not corrupt the body"
fetch "$url  sha256=$good"
[ $rc -eq 2 ] || fail "corrupted body: exit $rc, expected 2"
grep -q "checksum mismatch for $url: expected sha256 $good (.*m.tsv:1), got $bad" "$TMPDIR/err" ||
    fail "mismatch message must name the URL and both sums"
nothing_cached "corrupted body"

# 2. Content-Length 1000 bytes larger than the manifest's size: refused at once.
fetch "$HF_URL/$f?lie=1000&times=99  size=$size"
[ $rc -eq 2 ] || fail "announced size differs: exit $rc, expected 2"
grep -q "the server announces $((size + 1000)) bytes, the manifest says $size" "$TMPDIR/err" ||
    fail "size lie not explained"
[ "$(hf_count "lie=1000&times=99")" -eq 1 ] || fail "a size mismatch must not be retried"
nothing_cached "announced size differs"

# 3. Same lie, only a sha256 in the manifest: the missing bytes never come;
#    retries run out (exit 3) and the file stays out of the cache.
fetch "$HF_URL/$f?lie=1000&times=99  sha256=$good"
[ $rc -eq 3 ] || fail "undelivered bytes: exit $rc, expected 3"
grep -q "giving up after 3 attempts: .*at byte $size of the $((size + 1000)) announced" "$TMPDIR/err" ||
    fail "lie not explained"
n=$(find "$cache/sha256" -type f 2>/dev/null | wc -l)
[ "$n" -eq 0 ] || fail "undelivered bytes: object in the cache"

# 4. Body and headers both 1000 bytes short (a truncated file on the server).
rm -rf "$cache"
fetch "$HF_URL/$f?lie=-1000&times=99  size=$size"
[ $rc -eq 2 ] || fail "truncated file with size=: exit $rc, expected 2"
grep -q "announces $((size - 1000)) bytes, the manifest says $size" "$TMPDIR/err" || fail "truncation (size)"
nothing_cached "truncated file, size given"
fetch "$HF_URL/$f?lie=-1000&times=99  sha256=$good"
[ $rc -eq 2 ] || fail "truncated file with sha256=: exit $rc, expected 2"
short=$(head -c $((size - 1000)) "$root/$f" | sha256sum | cut -d' ' -f1)
grep -q "expected sha256 $good .*got $short" "$TMPDIR/err" || fail "truncation (sha256)"
nothing_cached "truncated file, sha256 given"

# 5. The manifest's size is wrong for an honest server: exit 2 too.
fetch "$HF_URL/$f  size=$((size + 5))"
[ $rc -eq 2 ] || fail "wrong size in the manifest: exit $rc, expected 2"
nothing_cached "wrong size in the manifest"

# 6. The same file honestly served is accepted with the same checks.
fetch "$HF_URL/$f  sha256=$good size=$size"
[ $rc -eq 0 ] || fail "honest server: exit $rc"
[ "$(sha256sum "$cache"/sha256/*/* | cut -d' ' -f1)" = "$good" ] || fail "cached sum"
echo "fetch integrity: corruption, size lies and truncation never reach the cache"
