# serve_http.sh — `climrisk serve` without a datamart, checked with curl on
# loopback: viewer files (ETag/304, gzip siblings, HEAD), PMTiles archives
# with byte ranges (206/416), z/x/y tiles read out of an archive with leaf
# directories written independently from the spec (web/test/pmtiles-fixture
# .mjs: tile z/x/y holds "tile z/x/y"), TileJSON, the catalogue against the
# indicator catalogue and scenarios/, and bad requests: path traversal
# (plain, percent-encoded, NUL, symlink), oversize URL and headers, bad
# ranges, unknown tilesets, bad z/x/y, methods, bodies, injection strings,
# clients that never finish their headers, a full connection table; then
# SIGTERM and the shutdown summary.
. "$SRC/tests/integration/lib/serve_common.sh"
need_web

W="$TMPDIR/web" T="$TMPDIR/tiles"
mkdir -p "$W/sub" "$T"
echo "TOP SECRET outside the served folders" >"$TMPDIR/secret.txt"
printf '<!doctype html><title>viewer</title>\n' >"$W/index.html"
head -c 5000 /dev/urandom | base64 >"$W/sub/app.js"
gzip -9 -k "$W/sub/app.js"
touch -d '2020-01-01' "$W/index.html"
ln -s "$TMPDIR/secret.txt" "$W/link.txt"
ln -s "$TMPDIR" "$W/escape"
echo hidden >"$W/.hidden"
node "$SRC/web/test/pmtiles-fixture.mjs" synthetic "$T/world.pmtiles" --zooms 0-8 --leaves >/dev/null ||
    fail "synthetic archive"
ARCHIVE_SIZE=$(stat -c %s "$T/world.pmtiles")

serve_start --no-db --web "$W" --tiles "$T" --timeout 2 --max-connections 40 --threads 2
U=$SERVE_URL
echo "server at $U"

# ---- viewer files, validators, HEAD, gzip siblings
[ "$(http_code "$U/")" = 200 ] && cmp -s "$TMPDIR/body" "$W/index.html" || fail "GET / is not index.html"
etag=$(curl -sI "$U/index.html" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
[ -n "$etag" ] || fail "no ETag"
[ "$(http_code "$U/index.html" -H "If-None-Match: $etag")" = 304 ] || fail "If-None-Match did not give 304"
[ "$(http_code "$U/index.html" -H "If-Modified-Since: Wed, 01 Jan 2025 00:00:00 GMT")" = 304 ] || fail "If-Modified-Since"
[ "$(http_code "$U/index.html" -H "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT")" = 200 ] || fail "stale If-Modified-Since"
curl -sI "$U/index.html" | tr -d '\r' | grep -qi '^Last-Modified: Wed, 01 Jan 2020' || fail "Last-Modified"
curl -sI "$U/index.html" | tr -d '\r' | grep -qi "^Content-Length: $(stat -c %s "$W/index.html")$" || fail "HEAD Content-Length"
[ "$(curl -s -I -o /dev/null -w '%{size_download}' "$U/index.html")" = 0 ] || fail "HEAD sent a body"
curl -s -D "$TMPDIR/h" -H 'Accept-Encoding: gzip' -o "$TMPDIR/app.gz" "$U/sub/app.js"
grep -qi '^Content-Encoding: gzip' "$TMPDIR/h" || fail "gzip sibling not used"
gunzip -c "$TMPDIR/app.gz" | cmp -s - "$W/sub/app.js" || fail "gzip sibling content"
curl -s -D "$TMPDIR/h" -o "$TMPDIR/app" "$U/sub/app.js"
! grep -qi '^Content-Encoding' "$TMPDIR/h" && cmp -s "$TMPDIR/app" "$W/sub/app.js" || fail "identity app.js"
curl -sI "$U/" | tr -d '\r' | grep -qi '^Access-Control-Allow-Origin: \*' || fail "CORS header"

# ---- archive ranges: what the PMTiles client asks for
[ "$(http_code "$U/tiles/world.pmtiles" -r 0-126)" = 206 ] || fail "range 0-126"
head -c 127 "$T/world.pmtiles" | cmp -s - "$TMPDIR/body" || fail "range 0-126 bytes differ"
curl -s -D "$TMPDIR/h" -o /dev/null -r 1000-1999 "$U/tiles/world.pmtiles"
tr -d '\r' <"$TMPDIR/h" | grep -q "^Content-Range: bytes 1000-1999/$ARCHIVE_SIZE" || fail "Content-Range: $(cat "$TMPDIR/h")"
[ "$(http_code "$U/tiles/world.pmtiles" -H 'Range: bytes=-10')" = 206 ] && tail -c 10 "$T/world.pmtiles" | cmp -s - "$TMPDIR/body" ||
    fail "suffix range"
[ "$(http_code "$U/tiles/world.pmtiles" -r "$((ARCHIVE_SIZE - 5))-")" = 206 ] && [ "$(stat -c %s "$TMPDIR/body")" = 5 ] ||
    fail "open range"
[ "$(http_code "$U/tiles/world.pmtiles" -r "0-$((ARCHIVE_SIZE + 1000))")" = 206 ] && cmp -s "$TMPDIR/body" "$T/world.pmtiles" ||
    fail "range past the end is clamped"
for bad in "bytes=$ARCHIVE_SIZE-" "bytes=$((ARCHIVE_SIZE * 2))-$((ARCHIVE_SIZE * 3))" "bytes=50-10" "bytes=abc" \
           "bytes=-0" "items=0-10" "bytes=--5" "bytes=99999999999999999999999-"; do
    code=$(http_code "$U/tiles/world.pmtiles" -H "Range: $bad")
    [ "$code" = 416 ] || fail "Range '$bad' gave $code, want 416"
    curl -s -D - -o /dev/null -H "Range: $bad" "$U/tiles/world.pmtiles" | tr -d '\r' |
        grep -q "^Content-Range: bytes \*/$ARCHIVE_SIZE" || fail "416 without Content-Range for '$bad'"
done
[ "$(http_code "$U/tiles/world.pmtiles" -H 'Range: bytes=0-1,5-6')" = 200 ] || fail "multiple ranges: want the whole file"
curl -sI "$U/tiles/world.pmtiles" | tr -d '\r' | grep -qi '^Accept-Ranges: bytes' || fail "Accept-Ranges"

# ---- z/x/y tiles out of the archive (root + leaf directories) vs the writer's contents
n=0
for z in 0 1 2 3 4 5 6 7 8; do
    for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        max=$((1 << z)); x=$(((k * 7919 + z * 31) % max)); y=$(((k * 104729 + z * 17) % max))
        code=$(http_code "$U/tiles/world/$z/$x/$y.mvt")
        if [ $(((x + y) % 7)) = 3 ]; then
            [ "$code" = 204 ] || fail "hole $z/$x/$y gave $code"
        else
            [ "$code" = 200 ] && [ "$(cat "$TMPDIR/body")" = "tile $z/$x/$y" ] ||
                fail "tile $z/$x/$y: $code '$(head -c 40 "$TMPDIR/body")'"
            n=$((n + 1))
        fi
    done
done
curl -s -D "$TMPDIR/h" -H 'Accept-Encoding: gzip' -o "$TMPDIR/t.gz" "$U/tiles/world/8/200/100.mvt"
grep -qi '^Content-Encoding: gzip' "$TMPDIR/h" && [ "$(gunzip -c "$TMPDIR/t.gz")" = "tile 8/200/100" ] || fail "gzip tile"
echo "$n tiles read through root and leaf directories"

# Keep-alive: three requests in one curl call share one TCP connection (the
# server once closed every connection after its response, which made each
# tile cost a TCP handshake).
connects=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$U/tiles/world/0/0/0.mvt" "$U/tiles/world.json" "$U/")
[ "$connects" = "1 0 0 " ] || fail "connections not kept alive: new connections per request: $connects"
node "$SRC/web/test/pmtiles-fixture.mjs" check "$T/world.pmtiles" --base "$U" --id world >"$TMPDIR/check.out" 2>&1 ||
    { cat "$TMPDIR/check.out"; fail "server tiles differ from the pmtiles npm reader"; }
tail -n 1 "$TMPDIR/check.out"

# ---- TileJSON and catalogue
[ "$(http_code "$U/tiles/world.json")" = 200 ] || fail "TileJSON"
python3 - "$TMPDIR/body" "$U" <<'EOF' || fail "TileJSON content"
import json, sys
tj = json.load(open(sys.argv[1]))
assert tj["tilejson"] == "3.0.0", tj
assert tj["tiles"] == [sys.argv[2] + "/tiles/world/{z}/{x}/{y}.mvt"], tj["tiles"]
assert tj["minzoom"] == 0 and tj["maxzoom"] == 8, tj
assert "vector_layers" in tj and len(tj["bounds"]) == 4
EOF
[ "$(http_code "$U/api/catalog")" = 200 ] || fail "catalogue"
python3 - "$TMPDIR/body" "$SRC" <<'EOF' || fail "catalogue content"
import configparser, json, re, sys
cat = json.load(open(sys.argv[1]))
src = sys.argv[2]
# indicators: every code of indicators/catalog.c, with both names and a unit
codes = re.findall(r'^\s*\{"([a-z0-9_]+)",\s*"', open(src + "/indicators/catalog.c").read(), re.M)
got = [i["code"] for i in cat["indicators"]]
assert got == codes, (got, codes)
for i in cat["indicators"]:
    assert i["name"]["en"] and i["name"]["fr"] and i["unit"] and i["category"] in ("base", "vine", "grass", "flood", "snow"), i
# scenarios and horizons: the sections of scenarios/*.ini
ex = configparser.ConfigParser(); ex.read(src + "/scenarios/experiments.ini")
assert [s["code"] for s in cat["scenarios"]] == ex.sections(), cat["scenarios"]
pe = configparser.ConfigParser(); pe.read(src + "/scenarios/periods.ini")
wl = configparser.ConfigParser(); wl.read(src + "/scenarios/warming_levels.ini")
want = [s for s in pe.sections() if s.upper() == s] + [s for s in wl.sections() if s.startswith("RWL")]
hz = [h["code"] for h in cat["horizons"]]
assert set(want) <= set(hz), (want, hz)
lv = {h["code"]: h for h in cat["horizons"]}
assert lv["RWL27"]["type"] == "warming_level" and abs(lv["RWL27"]["france_warming"] - 2.7) < 1e-9
st = configparser.ConfigParser(); st.read(src + "/scenarios/statistics.ini")
assert [s["code"] for s in cat["statistics"]] == st.sections(), cat["statistics"]
assert [q["code"] for q in cat["quantities"]][:2] == ["mean", "anom"]
assert [t["id"] for t in cat["tilesets"]] == ["world"], cat["tilesets"]
assert cat["live"]["layers"] == ["cells", "communes", "departements", "regions"]
EOF
curl -s -D "$TMPDIR/h" -H 'Accept-Encoding: gzip' -o "$TMPDIR/cat.gz" "$U/api/catalog"
grep -qi '^Content-Encoding: gzip' "$TMPDIR/h" && gunzip -c "$TMPDIR/cat.gz" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
    fail "gzip'd catalogue"
grep -qi '^Cache-Control: public' "$TMPDIR/h" || fail "catalogue Cache-Control"

# ---- bad paths: 4xx, never a byte of a file outside the served folders
for path in "/../secret.txt" "/%2e%2e/secret.txt" "/%2E%2E/%2e%2e/etc/passwd" "/..%2fsecret.txt" \
            "/sub/..%2F..%2Fsecret.txt" "/%2fetc%2fpasswd" "//etc/passwd" "/link.txt" "/escape/secret.txt" \
            "/.hidden" "/sub/%2e/app.js" "/index.html%00.png" "/%00" "/sub%5c..%5c..%5csecret.txt" \
            "/tiles/../secret.txt" "/tiles/%2e%2e/secret.txt" "/tiles/..%2f..%2fsecret.txt" "/tiles//etc/passwd" \
            "/sub/app.js/" "/sub//app.js" "/%ZZ" "/tiles/world/../../secret.txt"; do
    code=$(http_code "$U$path")
    case $code in 4??) ;; *) fail "$path gave $code" ;; esac
    grep -q "TOP SECRET" "$TMPDIR/body" && fail "$path leaked the secret"
    grep -q "root:" "$TMPDIR/body" && fail "$path leaked /etc/passwd"
done
[ "$(http_code "$U/nothing-here.js")" = 404 ] || fail "missing file"

# ---- oversize requests
long=$(head -c 100000 /dev/zero | tr '\0' a)
code=$(http_code "$U/$long"); case $code in 4??) ;; *) fail "100 kB URL gave $code" ;; esac
code=$(http_code "$U/$(head -c 3000 /dev/zero | tr '\0' a)"); [ "$code" = 414 ] || fail "3 kB URL gave $code"
code=$(http_code "$U/" -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' b)"); case $code in 4??) ;; *) fail "40 kB header gave $code" ;; esac
hdrs=(); for i in $(seq 400); do hdrs+=(-H "X-H$i: $(head -c 100 /dev/zero | tr '\0' c)"); done
code=$(http_code "$U/" "${hdrs[@]}"); case $code in 4??) ;; *) fail "400 headers gave $code" ;; esac
head -c 2000000 /dev/zero >"$TMPDIR/big.bin"
code=$(http_code "$U/" -X POST --data-binary @"$TMPDIR/big.bin"); case $code in 4??) ;; *) fail "2 MB POST gave $code" ;; esac
code=$(http_code "$U/" -X GET --data-binary @"$TMPDIR/big.bin"); case $code in 4??) ;; *) fail "GET with a body gave $code" ;; esac

# ---- methods and CORS preflight
for m in POST PUT DELETE PATCH TRACE; do
    [ "$(http_code "$U/index.html" -X $m)" = 405 ] || fail "$m not refused with 405"
done
curl -s -D - -o /dev/null -X PUT "$U/" | tr -d '\r' | grep -q '^Allow: GET, HEAD, OPTIONS' || fail "405 without Allow"
curl -s -D "$TMPDIR/h" -o /dev/null -X OPTIONS -H 'Origin: http://example.org' -H 'Access-Control-Request-Headers: range' "$U/tiles/world.pmtiles"
head -1 "$TMPDIR/h" | grep -q 204 && grep -qi '^Access-Control-Allow-Headers: Range' "$TMPDIR/h" || fail "CORS preflight"

# ---- tilesets and tile coordinates
[ "$(http_code "$U/tiles/nope/0/0/0.mvt")" = 404 ] || fail "unknown tileset"
[ "$(http_code "$U/tiles/nope.json")" = 404 ] || fail "unknown TileJSON"
for t in 25/0/0.mvt 1/2/0.mvt 1/0/2.mvt 3/8/1.mvt 4294967296/0/0.mvt; do
    [ "$(http_code "$U/tiles/world/$t")" = 404 ] || fail "tile $t outside the grid: want 404"
done
for t in 99999999999/0/0.mvt a/b/c.mvt 01/0/0.mvt 1/-1/0.mvt 1/0/0 1/0/0.MVT 1/0.5/0.mvt 1/0/0/0.mvt +1/0/0.mvt 1/0/0.m%00vt; do
    code=$(http_code "$U/tiles/world/$t"); case $code in 4??|204) ;; *) fail "bad tile path $t gave $code" ;; esac
done
[ "$(http_code "$U/tiles/world/3/1/1.png")" = 404 ] || fail "wrong tile extension"

# ---- datamart endpoints without a datamart, and parameter checks that come first
Q='indicator=tg_mean&scenario=rcp45&horizon=H2'
[ "$(http_code "$U/api/info?lon=2.35&lat=48.85&$Q")" = 503 ] || fail "info without datamart: want 503"
[ "$(http_code "$U/live/cells/5/16/11.mvt?$Q")" = 503 ] || fail "live tile without datamart: want 503"
[ "$(http_code "$U/api/health")" = 200 ] && grep -q '"datamart":false' "$TMPDIR/body" || fail "health"
for q in "indicator=tg_mean%27%3BDROP%20TABLE%20x%3B--&scenario=rcp45&horizon=H2" \
         "indicator=tg_mean&scenario=rcp45%20OR%201%3D1&horizon=H2" "indicator=tg_mean&scenario=rcp45&horizon=H9" \
         "indicator=nope&scenario=rcp45&horizon=H2" "indicator=tg_mean&horizon=H2" \
         "$Q&quantity=%27" "$Q&statistic=p50" "indicator=tg_mean&scenario=rcp45&horizon=%C3%A9t%C3%A9"; do
    [ "$(http_code "$U/api/legend?$q")" = 400 ] || fail "legend?$q: want 400"
done
for ll in "lon=abc&lat=1" "lon=1e999&lat=1" "lon=nan&lat=1" "lon=2&lat=91" "lon=181&lat=1" "lat=1" "lon=0x10&lat=1"; do
    [ "$(http_code "$U/api/info?$ll&$Q")" = 400 ] || fail "info?$ll: want 400"
done
[ "$(http_code "$U/live/nope/1/0/0.mvt?$Q")" = 404 ] || fail "unknown live layer"
[ "$(http_code "$U/live/cells/1/9/0.mvt?$Q")" = 404 ] || fail "live tile outside the grid"
[ "$(http_code "$U/live/cells/x/0/0.mvt?$Q")" = 400 ] || fail "bad live tile path"
[ "$(http_code "$U/api/nope")" = 404 ] || fail "unknown API endpoint"

# ---- clients that never finish their headers, and a full connection table
python3 - "${U#http://}" <<'EOF' || fail "slow clients"
import socket, sys, time
host, port = sys.argv[1].split(":")
port = int(port)
# a slow-loris client: one header line per second, never the blank line;
# MHD's inactivity timeout (2 s) alone would never fire
s = socket.create_connection((host, port))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
t0 = time.time(); closed = False
while time.time() - t0 < 12:
    try:
        s.sendall(b"X-Slow: 1\r\n")
        s.settimeout(1.0)
        if s.recv(1) == b"":
            closed = True; break
    except socket.timeout:
        continue
    except OSError:
        closed = True; break
assert closed, "slow-loris connection still open after 12 s"
print("slow client closed after %.1f s" % (time.time() - t0))
# fill the connection table (40) with idle connections: the server refuses
# or queues the rest, frees them after the timeout, then answers again
idle = [socket.create_connection((host, port)) for _ in range(45)]
time.sleep(4)
for c in idle: c.close()
time.sleep(0.5)
c = socket.create_connection((host, port)); c.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
c.settimeout(5); data = c.recv(100)
assert data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200"), data
print("served again after the table was full")
EOF

# ---- under load: no errors, no crash (the 30 s / 200 connections run is bench/serve.sh)
if command -v wrk >/dev/null; then
    wrk -t2 -c100 -d2s "$U/tiles/world/8/200/100.mvt" >"$TMPDIR/wrk.out" 2>&1 || fail "wrk"
    grep -q 'Non-2xx\|Socket errors' "$TMPDIR/wrk.out" && { cat "$TMPDIR/wrk.out"; fail "errors under load"; }
    grep 'Requests/sec' "$TMPDIR/wrk.out"
fi
kill -0 "$SERVE_PID" || fail "server died"
[ "$(http_code "$U/")" = 200 ] || fail "not serving after the bad requests"

serve_stop
grep -q 'debug serve: GET /tiles/world/0/0/0.mvt 200' "$SERVE_LOG" || fail "no per-request debug line"
grep 'serve: stopped' "$SERVE_LOG"
echo "serve http ok"
