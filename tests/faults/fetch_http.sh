# faults/fetch_http.sh — climrisk fetch against a misbehaving HTTP server on
# loopback (tests/tools/httpfault.c): resume after a cut connection, retry
# after 503s and give up after repeated 500s, fail at once on 404, retry a
# stalled transfer, restart when the server ignores Range, run transfers in
# parallel, and never download a cached file twice. Checksums are compared
# with sha256sum (coreutils), not with climrisk's own hashing.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
. "$SRC/tests/tools/httpfault.sh"
export HOME="$TMPDIR" # never the machine's ~/.netrc
root="$TMPDIR/root"
cache="$TMPDIR/cache"
mkdir -p "$root"
name() { echo "${1}_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp8.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_${2}0101-${2}1231.nc"; }
for y in 2021 2022 2023 2024 2025 2026 2027; do
    head -c 3000000 /dev/urandom >"$root/$(name tasmaxAdjust $y)"
done
sum() { sha256sum "$1" | cut -d' ' -f1; }
cat >"$TMPDIR/fast.ini" <<EOF
[fetch]
retry_delay = 0.05
timeout = 2
connect_timeout = 2
retries = 3
EOF
hf_start "$root"

fetch() { # manifest text -> runs climrisk fetch; sets rc
    printf '%s\n' "$1" >"$TMPDIR/m.tsv"
    "$CLIMRISK" fetch --manifest "$TMPDIR/m.tsv" --cache "$cache" --config "$TMPDIR/fast.ini" \
        "${@:2}" >"$TMPDIR/out" 2>"$TMPDIR/err"
    rc=$?
}
# The cached object of a file name, from the index (column 8 = name, 9 = path).
object_of() { awk -F'\t' -v n="$1" '$8 == n { print $9 }' "$cache/index.tsv"; }
check_object() { # file name: the cached copy has the served file's sha256
    local rel; rel=$(object_of "$1")
    [ -n "$rel" ] || fail "$1 is not in the index"
    [ "$(sum "$cache/$rel")" = "$(sum "$root/$1")" ] || fail "$1: cached copy differs from the served file"
}

# 1. A connection cut at byte 1234567: the next request asks for the rest.
f=$(name tasmaxAdjust 2021)
fetch "$HF_URL/$f?cut=1234567  sha256=$(sum "$root/$f")"
[ $rc -eq 0 ] || fail "cut transfer: exit $rc"
grep -q "^GET /$f?cut=1234567 range=- .*status=200 end=cut" "$HF_LOG" || fail "no cut first request"
grep -q "^GET /$f?cut=1234567 range=bytes=1234567- .*status=206 end=ok" "$HF_LOG" ||
    { cat "$HF_LOG"; fail "no Range request from the cut offset"; }
grep -q "1 resumed" "$TMPDIR/err" || fail "resume not reported"
check_object "$f"
grep -q "$(sum "$root/$f")" "$TMPDIR/out" || fail "stdout does not give the cached path"
ls "$cache/tmp" | grep -q . && fail "temporary files left in the cache: $(ls "$cache/tmp")"

# 2. 503 twice, then the file: two retries with backoff, no checksum given.
f=$(name tasmaxAdjust 2022)
fetch "$HF_URL/$f?status=503&times=2"
[ $rc -eq 0 ] || fail "503 then 200: exit $rc"
[ "$(hf_count "^GET /$f\?status=503&times=2 .*status=503")" -eq 2 ] || fail "expected two 503 answers"
[ "$(hf_count "^GET /$f\?status=503&times=2 .*status=200")" -eq 1 ] || fail "expected one 200 answer"
grep -q "HTTP 503; retry 1/3" "$TMPDIR/err" && grep -q "HTTP 503; retry 2/3" "$TMPDIR/err" ||
    fail "retries not logged"
check_object "$f"

# 3. 500 every time: 1 + 3 retries, then exit 3 naming the URL.
fetch "$HF_URL/$(name tasmaxAdjust 2023)?status=500&times=99"
[ $rc -eq 3 ] || fail "persistent 500: exit $rc, expected 3"
[ "$(hf_count "status=500&times=99 .*status=500")" -eq 4 ] || fail "expected 4 attempts"
grep -q "giving up after 4 attempts: HTTP 500" "$TMPDIR/err" || fail "unclear give-up message"
grep -q "$HF_URL/$(name tasmaxAdjust 2023)" "$TMPDIR/err" || fail "give-up message lacks the URL"

# 4. 404: one request, exit 3 at once, with the URL and what to check.
t0=$(date +%s.%N)
fetch "$HF_URL/no_such_file.nc model=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63 scenario=rcp85 variable=tasmaxAdjust"
t1=$(date +%s.%N)
[ $rc -eq 3 ] || fail "404: exit $rc, expected 3"
grep -q "HTTP 404 for $HF_URL/no_such_file.nc: not found" "$TMPDIR/err" || fail "404 message"
grep -q "m.tsv:1" "$TMPDIR/err" || fail "404 message does not name the manifest line"
[ "$(hf_count "^GET /no_such_file.nc ")" -eq 1 ] || fail "404 was retried"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3) }' || fail "404 took too long"

# 5. A transfer that stalls for 5 s with timeout = 2: abandoned, retried, done.
f=$(name tasmaxAdjust 2024)
t0=$(date +%s.%N)
fetch "$HF_URL/$f?stall=5  size=3000000"
t1=$(date +%s.%N)
[ $rc -eq 0 ] || fail "stalled transfer: exit $rc"
hf_wait_count "^GET /$f\?stall=5 " 2 || fail "stalled transfer not retried"
[ "$(hf_count "^GET /$f\?stall=5 ")" -eq 2 ] || fail "stalled transfer retried more than once"
grep -Eiq "too slow|timeout" "$TMPDIR/err" || fail "timeout not reported"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 4.5) }' || fail "the timeout did not cut the stall short"
check_object "$f"

# 6. A server that ignores Range after a cut: the client restarts at byte 0.
f=$(name tasmaxAdjust 2025)
fetch "$HF_URL/$f?cut=1000000&norange=1  sha256=$(sum "$root/$f")"
[ $rc -eq 0 ] || fail "norange: exit $rc"
grep -q "range=bytes=1000000- .*status=200" "$HF_LOG" || fail "no Range request answered 200"
grep -q "restarting at byte 0" "$TMPDIR/err" || fail "restart not reported"
check_object "$f"

# 7. Already cached: no request at all, with or without a sha256 in the manifest.
before=$(wc -l <"$HF_LOG")
f1=$(name tasmaxAdjust 2021)
f2=$(name tasmaxAdjust 2022)
fetch "$HF_URL/$f1?cut=1234567  sha256=$(sum "$root/$f1")
$HF_URL/$f2?status=503&times=2"
[ $rc -eq 0 ] || fail "cached rerun: exit $rc"
[ "$(wc -l <"$HF_LOG")" -eq "$before" ] || { tail -3 "$HF_LOG"; fail "cached files were requested again"; }
grep -q "2 already in the cache" "$TMPDIR/err" || fail "cache hits not reported"
[ "$(wc -l <"$TMPDIR/out")" -eq 2 ] || fail "cached files not listed on stdout"

# 8. Two transfers that each stall 3 s run side by side with --jobs 2.
fa=$(name tasmaxAdjust 2026)
fb=$(name tasmaxAdjust 2027)
t0=$(date +%s.%N)
fetch "$HF_URL/$fa?stall=3
$HF_URL/$fb?stall=3" --jobs 2 --timeout 10
t1=$(date +%s.%N)
[ $rc -eq 0 ] || fail "parallel: exit $rc"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5.5) }' ||
    fail "two 3 s stalls took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s: not parallel"
check_object "$fa"
check_object "$fb"

# 9. The index lists every file fetched so far, by model/scenario/variable.
[ "$(grep -vc '^#' "$cache/index.tsv")" -eq 6 ] || fail "index should list 6 files"
for y in 2021 2022 2024 2025 2026 2027; do
    l="$cache/by-sim/CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63/rcp85/tasmaxAdjust/$(name tasmaxAdjust $y)"
    [ "$(sum "$l")" = "$(sum "$root/$(name tasmaxAdjust $y)")" ] || fail "by-sim link of $y"
done
echo "fetch over HTTP: resume, retry, give-up, 404, timeout, no-Range restart, cache, parallel ok"
