# bench/serve.sh — the serving rows of the tiles benchmark (issue 6) and the
# load check of issue 8, in one run on loopback:
#   * pre-rendered tiles: `climrisk serve` reading z/x/y out of a PMTiles
#     archive vs nginx (Debian's, started here on a free port with a temp
#     config) serving the same tiles as static files; wrk, same URL list,
#     same connections; tiles/s, p99 latency, errors (target >= 0.5x nginx,
#     0 errors);
#   * the archive itself with HTTP range requests (what the browser's
#     PMTiles client does), both servers;
#   * live ST_AsMVT tiles from the datamart at zoom 8: p95 latency of every
#     tile over France, one at a time (target < 50 ms);
#   * 200 concurrent connections for SOAK_SECONDS (default 30 s): no
#     errors, no crash.
# The data: a datamart loaded with fixture statistics (tests/tools/
# dm_fixture) and an archive of its live tiles, zooms 0-8.
# Knobs: BENCH_SECONDS (each wrk run, default 10), SOAK_SECONDS (default 30).
set -eu
export TMPDIR="$BENCH_DATA/serve"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
. "$SRC/tests/integration/lib/dm_common.sh"
. "$SRC/tests/integration/lib/serve_common.sh"
for tool in wrk nginx node; do
    command -v $tool >/dev/null || { echo "bench/serve: $tool is missing (scripts/install-deps.sh)"; exit 1; }
done
SECS=${BENCH_SECONDS:-10}
SOAK=${SOAK_SECONDS:-30}
need_web
make -s -C "$SRC" tools >/dev/null
dm_setup bench_serve
NGINX_PID=
cleanup_all() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
    serve_kill
}
F="$TMPDIR/fx" T="$TMPDIR/tiles" S="$TMPDIR/static"
mkdir -p "$F/stats" "$T" "$S"
dm_fixture stats "$F/stats/rcp45.nc" --experiment rcp45 --models CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63,MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009 \
    --horizons REF,H1,H2,H3 --indicators tg_mean,spring_frost,r20mm
"$CLIMRISK" -q load --stats "$F/stats" --no-annual >/dev/null

# no per-request debug log lines: nginx runs with access_log off too
SERVE_LOG_LEVEL="" serve_start --dsn "$DM_DSN" --tiles "$T" --max-connections 512 --threads 2
trap cleanup_all EXIT
U=$SERVE_URL
Q='indicator=tg_mean&scenario=rcp45&horizon=H2&quantity=mean&statistic=median'
node "$SRC/web/test/pmtiles-fixture.mjs" write "$T/bench.pmtiles" --base "$U" --query "$Q" --zooms 0-8 >/dev/null
sleep 1.2
# the same tiles as static files, bytes as stored (gzip), for nginx
: >"$TMPDIR/paths"
for z in 6 7 8; do
    n=$((1 << z))
    x0=$(awk -v z=$z 'BEGIN { printf "%d", (-5.5 + 180) / 360 * 2^z }'); x1=$(awk -v z=$z 'BEGIN { printf "%d", (10 + 180) / 360 * 2^z }')
    y0=$(awk -v z=$z 'BEGIN { r = 51.2 * 3.14159265358979 / 180; printf "%d", (1 - log(sin(r)/cos(r) + 1/cos(r)) / 3.14159265358979) / 2 * 2^z }')
    y1=$(awk -v z=$z 'BEGIN { r = 41.2 * 3.14159265358979 / 180; printf "%d", (1 - log(sin(r)/cos(r) + 1/cos(r)) / 3.14159265358979) / 2 * 2^z }')
    for x in $(seq "$x0" "$x1"); do
        for y in $(seq "$y0" "$y1"); do
            mkdir -p "$S/$z/$x"
            code=$(curl -s -H 'Accept-Encoding: gzip' -o "$S/$z/$x/$y.mvt" -w '%{http_code}' "$U/tiles/bench/$z/$x/$y.mvt")
            if [ "$code" = 200 ]; then echo "/$z/$x/$y.mvt" >>"$TMPDIR/paths"; else rm -f "$S/$z/$x/$y.mvt"; fi
        done
    done
done
ntiles=$(wc -l <"$TMPDIR/paths")
cp "$T/bench.pmtiles" "$S/bench.pmtiles"

# nginx on a free port, serving $S; tiles sent with the same headers as ours
NPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMPDIR/nginx"
cat >"$TMPDIR/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $TMPDIR/nginx/nginx.pid;
error_log $TMPDIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $TMPDIR/nginx/body;
    proxy_temp_path $TMPDIR/nginx/proxy;
    fastcgi_temp_path $TMPDIR/nginx/fastcgi;
    uwsgi_temp_path $TMPDIR/nginx/uwsgi;
    scgi_temp_path $TMPDIR/nginx/scgi;
    types { application/vnd.mapbox-vector-tile mvt; application/vnd.pmtiles pmtiles; }
    server {
        listen 127.0.0.1:$NPORT;
        root $S;
        location ~ \.mvt\$ { add_header Content-Encoding gzip; add_header Access-Control-Allow-Origin *; }
    }
}
EOF
nginx -c "$TMPDIR/nginx/nginx.conf" -p "$TMPDIR/nginx" &
NGINX_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$NPORT/bench.pmtiles" -r 0-1 && break; sleep 0.1; done
N="http://127.0.0.1:$NPORT"
cmp -s <(curl -s -H 'Accept-Encoding: gzip' "$N$(head -1 "$TMPDIR/paths")") <(curl -s -H 'Accept-Encoding: gzip' "$U/tiles/bench$(head -1 "$TMPDIR/paths")") ||
    { echo "bench/serve: nginx and climrisk send different bytes"; exit 1; }

# wrk with a URL list: each connection walks the tiles in turn
lua_list() { # prefix -> lua script on stdout
    echo "paths = {}"
    sed "s|^|table.insert(paths, \"$1|; s|\$|\")|" "$TMPDIR/paths"
    cat <<'EOF'
counter = 0
request = function()
    counter = counter + 1
    return wrk.format("GET", paths[(counter % #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
EOF
}
lua_list "/tiles/bench" >"$TMPDIR/climrisk.lua"
lua_list "" >"$TMPDIR/nginx.lua"
cat >"$TMPDIR/range.lua" <<'EOF'
counter = 0
request = function()
    counter = counter + 1
    local a = (counter * 7919) % 200000
    return wrk.format("GET", "/PATH", {["Range"] = "bytes=" .. a .. "-" .. (a + 4095)})
end
EOF
run_wrk() { # name url script connections seconds -> "rps p99ms errors"
    wrk -t2 -c"$4" -d"$5"s --latency -s "$3" "$2" >"$TMPDIR/wrk.$1" 2>&1 || true
    awk '/Requests\/sec/ { rps = $2 }
         /^ +99%/ { v = $2; if (v ~ /us$/) ms = v / 1000; else if (v ~ /ms$/) ms = v + 0; else ms = v * 1000 }
         /Non-2xx/ { err += $NF }
         /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
         END { printf "%.0f %.2f %d", rps, ms, err }' "$TMPDIR/wrk.$1"
}
read -r c_rps c_p99 c_err <<<"$(run_wrk climrisk "$U" "$TMPDIR/climrisk.lua" 50 "$SECS")"
read -r n_rps n_p99 n_err <<<"$(run_wrk nginx "$N" "$TMPDIR/nginx.lua" 50 "$SECS")"
sed "s|/PATH|/tiles/bench.pmtiles|" "$TMPDIR/range.lua" >"$TMPDIR/range-c.lua"
sed "s|/PATH|/bench.pmtiles|" "$TMPDIR/range.lua" >"$TMPDIR/range-n.lua"
read -r cr_rps cr_p99 cr_err <<<"$(run_wrk crange "$U" "$TMPDIR/range-c.lua" 50 "$SECS")"
read -r nr_rps nr_p99 nr_err <<<"$(run_wrk nrange "$N" "$TMPDIR/range-n.lua" 50 "$SECS")"

# live tiles at zoom 8, one at a time, three maps
: >"$TMPDIR/live.ms"
for ind in tg_mean spring_frost r20mm; do
    grep '^/8/' "$TMPDIR/paths" | while read -r p; do
        curl -s -o /dev/null -w '%{time_total}\n' "$U/live/cells$p?indicator=$ind&scenario=rcp45&horizon=H1&quantity=anom"
    done >>"$TMPDIR/live.ms"
done
read -r l_n l_p50 l_p95 l_max <<<"$(sort -n "$TMPDIR/live.ms" | awk '{ v[NR] = $1 * 1000 } END {
    printf "%d %.1f %.1f %.1f", NR, v[int(NR * 0.5 + 0.5)], v[int(NR * 0.95 + 0.5)], v[NR] }')"

# issue 8: 200 connections for SOAK seconds, tiles and API mixed
cat >"$TMPDIR/soak.lua" <<EOF
$(lua_list "/tiles/bench" | sed '/^counter = 0/,$d')
counter = 0
request = function()
    counter = counter + 1
    local k = counter % 10
    if k == 0 then return wrk.format("GET", "/api/catalog") end
    if k == 1 then return wrk.format("GET", "/tiles/bench.json") end
    return wrk.format("GET", "/tiles/bench" .. paths[(counter % #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
EOF
sed -i 's|table.insert(paths, "/tiles/bench|table.insert(paths, "|' "$TMPDIR/soak.lua"
read -r s_rps s_p99 s_err <<<"$(run_wrk soak "$U" "$TMPDIR/soak.lua" 200 "$SOAK")"
alive=yes
kill -0 "$SERVE_PID" 2>/dev/null && [ "$(http_code "$U/api/health")" = 200 ] || alive=NO
serve_stop
kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=

printf '%-58s %12s %10s %8s\n' "serving ($ntiles tiles z6-8, wrk -t2 -c50 -d${SECS}s)" "req/s" "p99 ms" "errors"
printf '%-58s %12s %10s %8s\n' "climrisk serve: z/x/y tiles from the PMTiles archive" "$c_rps" "$c_p99" "$c_err"
printf '%-58s %12s %10s %8s\n' "nginx: the same tiles as static files" "$n_rps" "$n_p99" "$n_err"
printf '%-58s %11.2fx %10s %8s\n' "ratio climrisk / nginx (target >= 0.5x, 0 errors)" "$(echo "$c_rps / $n_rps" | bc -l)" "" ""
printf '%-58s %12s %10s %8s\n' "climrisk serve: 4 KiB range requests on the archive" "$cr_rps" "$cr_p99" "$cr_err"
printf '%-58s %12s %10s %8s\n' "nginx: the same range requests" "$nr_rps" "$nr_p99" "$nr_err"
printf '%-58s %11.2fx %10s %8s\n' "ratio climrisk / nginx (ranges)" "$(echo "$cr_rps / $nr_rps" | bc -l)" "" ""
printf '%-58s %12s %10s %8s\n' "live ST_AsMVT tiles, zoom 8 ($l_n tiles, one at a time)" "p50 $l_p50" "p95 $l_p95" "max $l_max"
printf '%-58s %12s %10s %8s\n' "  target p95 < 50 ms" "" "" ""
printf '%-58s %12s %10s %8s\n' "200 connections for ${SOAK}s (issue 8): req/s, p99, errors" "$s_rps" "$s_p99" "$s_err"
printf '%-58s %12s\n' "  server alive and answering afterwards" "$alive"
