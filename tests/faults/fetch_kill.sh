# faults/fetch_kill.sh — a climrisk fetch killed in the middle of a download
# (SIGKILL, then SIGTERM) leaves nothing in the cache that looks complete:
# no object, no index line, no link, only a partial file under tmp/. The next
# run continues that partial file with a Range request from where it stopped
# and ends with the right sha256 (sha256sum of the served file), and the
# cached file is a valid NetCDF file (ncdump). A real DRIAS-format file from
# `climrisk synth` is served slowly so there is time to kill the fetch.
set -u
fail() { echo "FAIL: $*"; [ -f "$TMPDIR/err" ] && sed 's/^/  stderr| /' "$TMPDIR/err"; exit 1; }
. "$SRC/tests/tools/httpfault.sh"
export HOME="$TMPDIR"
root="$TMPDIR/root"
cache="$TMPDIR/cache"
M=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
"$CLIMRISK" --quiet synth --out "$root" --models $M --scenarios rcp45 --years 2031-2031 \
    --variables tasminAdjust --jobs 1 || fail "synth"
f=$(cd "$root" && ls *.nc)
[ "$f" = "tasminAdjust_France_CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63_rcp4.5_METEO-FRANCE_ADAMONT-France_SAFRAN_day_20310101-20311231.nc" ] ||
    fail "unexpected synth file name $f"
size=$(stat -c %s "$root/$f")
good=$(sha256sum "$root/$f" | cut -d' ' -f1)
hf_start "$root"

looks_complete() { # anything of $f in the cache outside tmp/?
    find "$cache/sha256" -type f 2>/dev/null | grep -q . && return 0
    [ -f "$cache/index.tsv" ] && grep -q "$f" "$cache/index.tsv" && return 0
    [ -n "$(find "$cache/by-sim" -name "$f" 2>/dev/null)" ] && return 0
    return 1
}
start_slow_fetch() { # query: fetch in the background until 1 MB has arrived
    printf '%s  sha256=%s\n' "$HF_URL/$f?$1" "$good" >"$TMPDIR/m.tsv"
    "$CLIMRISK" fetch --manifest "$TMPDIR/m.tsv" --cache "$cache" >"$TMPDIR/out" 2>"$TMPDIR/err" &
    pid=$!
    local i
    for i in $(seq 1 150); do
        part=$(find "$cache/tmp" -name '*.part' 2>/dev/null | head -n 1)
        [ -n "$part" ] && [ "$(stat -c %s "$part")" -ge 1000000 ] && return 0
        sleep 0.1
    done
    kill -9 $pid
    fail "the download did not progress"
}

# 1. SIGKILL mid-transfer.
start_slow_fetch "slow=1000000"
kill -9 $pid
wait $pid 2>/dev/null
looks_complete && fail "a killed fetch left something that looks complete"
have=$(stat -c %s "$part")
[ "$have" -gt 0 ] && [ "$have" -lt "$size" ] || fail "partial file has $have of $size bytes"

# The rerun (the fault applied to the first request only) resumes at $have.
"$CLIMRISK" fetch --manifest "$TMPDIR/m.tsv" --cache "$cache" >"$TMPDIR/out" 2>"$TMPDIR/err" ||
    fail "rerun after SIGKILL: exit $?"
grep -q "range=bytes=$have- .*status=206 end=ok" "$HF_LOG" ||
    { cat "$HF_LOG"; fail "rerun did not ask for the rest from byte $have"; }
grep -q "1 resumed" "$TMPDIR/err" || fail "resume not reported"
link="$cache/by-sim/$M/rcp45/tasminAdjust/$f"
[ "$(sha256sum "$link" | cut -d' ' -f1)" = "$good" ] || fail "resumed file has the wrong sha256"
ncdump -h "$link" | grep -q 'float tasminAdjust(time, y, x)' || fail "resumed file is not the NetCDF file"
[ -z "$(find "$cache/tmp" -type f)" ] || fail "tmp/ not empty after success: $(ls "$cache/tmp")"

# 2. SIGTERM mid-transfer: exit 130, partial file kept, nothing complete.
rm -rf "$cache"
start_slow_fetch "slow=1000000&name=term"
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "SIGTERM: exit $rc, expected 130"
grep -q "interrupted" "$TMPDIR/err" || fail "interruption not reported"
looks_complete && fail "an interrupted fetch left something that looks complete"
[ -n "$(find "$cache/tmp" -name '*.part' -size +0)" ] || fail "partial download not kept"
"$CLIMRISK" fetch --manifest "$TMPDIR/m.tsv" --cache "$cache" >"$TMPDIR/out" 2>"$TMPDIR/err" ||
    fail "rerun after SIGTERM: exit $?"
grep -q "1 resumed" "$TMPDIR/err" || fail "no resume after SIGTERM"
[ "$(sha256sum "$link" | cut -d' ' -f1)" = "$good" ] || fail "wrong sha256 after SIGTERM + rerun"
echo "killed fetches leave only partial files, and reruns resume them"
