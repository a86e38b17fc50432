# serve_load.sh — issue 8's load check as a test: `climrisk serve` with its
# default limits ([serve] max_connections 256, timeout 30 s), on loopback,
# 200 concurrent connections for SERVE_LOAD_SECONDS (default 30) with wrk:
# z/x/y tiles out of a PMTiles archive with leaf directories, 4 KiB range
# requests on the archive (what the browser's PMTiles client does), the
# catalogue, TileJSON, the viewer's index.html. Asserts no error of any
# kind (non-2xx answers, connect/read/write errors, requests over wrk's 5 s
# timeout), no crash, that the server still answers afterwards and stops
# cleanly on SIGTERM with no 5xx counted. This checks correctness under
# load, not speed (throughput and latency against nginx: bench/serve.sh).
. "$SRC/tests/integration/lib/serve_common.sh"
command -v wrk >/dev/null || { echo "skip: wrk is not installed (scripts/install-deps.sh)"; exit 77; }
SECS=${SERVE_LOAD_SECONDS:-30}
W="$TMPDIR/web" T="$TMPDIR/tiles"
mkdir -p "$W" "$T"
printf '<!doctype html><title>viewer</title>\n' >"$W/index.html"
node "$SRC/web/test/pmtiles-fixture.mjs" synthetic "$T/world.pmtiles" --zooms 0-8 --leaves >/dev/null ||
    fail "synthetic archive"
SIZE=$(stat -c %s "$T/world.pmtiles")

serve_start --no-db --web "$W" --tiles "$T"
U=$SERVE_URL
grep -q '256 connections max, timeout 30 s' "$SERVE_LOG" || fail "not the default limits: $(grep listening "$SERVE_LOG")"
[ "$(http_code "$U/tiles/world/8/200/100.mvt")" = 200 ] && grep -q 'tile 8/200/100' "$TMPDIR/body" || fail "tile before the load"

cat >"$TMPDIR/load.lua" <<EOF
counter = 0
local size = $SIZE
request = function()
    counter = counter + 1
    local k = counter % 20
    if k == 0 then return wrk.format("GET", "/api/catalog", {["Accept-Encoding"] = "gzip"}) end
    if k == 1 then return wrk.format("GET", "/tiles/world.json") end
    if k == 2 then return wrk.format("GET", "/index.html") end
    if k < 8 then
        local a = (counter * 7919) % (size - 4096)
        return wrk.format("GET", "/tiles/world.pmtiles", {["Range"] = "bytes=" .. a .. "-" .. (a + 4095)})
    end
    local z = counter % 9
    local n = 2 ^ z
    local x = (counter * 31) % n
    local y = (counter * 17) % n
    return wrk.format("GET", string.format("/tiles/world/%d/%d/%d.mvt", z, x, y), {["Accept-Encoding"] = "gzip"})
end
EOF
wrk -t2 -c200 -d"${SECS}s" --timeout 5s --latency -s "$TMPDIR/load.lua" "$U" >"$TMPDIR/wrk.out" 2>&1 || { cat "$TMPDIR/wrk.out"; fail "wrk failed"; }
cat "$TMPDIR/wrk.out"
grep -q 'Non-2xx\|Socket errors' "$TMPDIR/wrk.out" && fail "errors under load (above)"
n=$(awk '/requests in/ { print $1 }' "$TMPDIR/wrk.out")
[ "${n:-0}" -ge $((SECS * 100)) ] || fail "only ${n:-0} requests answered in $SECS s"
kill -0 "$SERVE_PID" 2>/dev/null || fail "the server died under load"
[ "$(http_code "$U/tiles/world/8/200/100.mvt")" = 200 ] && grep -q 'tile 8/200/100' "$TMPDIR/body" || fail "tile after the load"
[ "$(http_code "$U/api/health")" = 200 ] || fail "health after the load"
serve_stop
grep -q 'requests ([0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx)' "$SERVE_LOG" || fail "errors counted by the server: $(grep 'serve: stopped' "$SERVE_LOG")"
grep 'serve: stopped' "$SERVE_LOG"

# One thread and 128 keep-alive clients, each always with a request ready:
# libmicrohttpd 0.9.75's epoll loop left such a thread asleep until the
# connection timeout (8 to ~2k requests in 3 s instead of tens of thousands).
serve_start --no-db --web "$W" --tiles "$T" --threads 1 --max-connections 128
wrk -t1 -c128 -d3s --timeout 2s -s "$TMPDIR/load.lua" "$SERVE_URL" >"$TMPDIR/wrk1.out" 2>&1 || { cat "$TMPDIR/wrk1.out"; fail "wrk failed (one thread)"; }
n1=$(awk '/requests in/ { print $1 }' "$TMPDIR/wrk1.out")
[ "${n1:-0}" -ge 6000 ] || { cat "$TMPDIR/wrk1.out"; fail "one thread, 128 connections: only ${n1:-0} requests in 3 s (a stalled worker?)"; }
serve_stop
echo "serve load ok: $n requests, 200 connections, ${SECS} s, no errors"
