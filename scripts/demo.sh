#!/usr/bin/env bash
# scripts/demo.sh BUILD — the demo job: `climrisk run config/demo.ini` end
# to end (synthetic DRIAS-format inputs → annual indicators → horizon and
# ensemble statistics → the PostGIS datamart on the private server → tiles),
# then the web map served on loopback. A second `make demo` redoes only what
# changed (nothing, usually: it takes seconds).
#
#   scripts/demo.sh BUILD        run, then serve the map (in the background)
#   scripts/demo.sh BUILD stop   stop the map server
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
C="$BUILD/climrisk"
CONFIG=config/demo.ini
WORK=$BUILD/demo
PIDFILE=$WORK/serve.pid

stop_server() {
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        kill "$(cat "$PIDFILE")"
        echo "== map server stopped" >&2
    fi
    rm -f "$PIDFILE"
}
if [ "${2:-}" = stop ]; then
    stop_server
    exit 0
fi

echo "== climrisk demo ($("$C" --version)) on $CONFIG; outputs in $WORK" >&2
"$C" config --check "$CONFIG" >&2
"$C" db start >/dev/null
echo "== datamart: $("$C" db dsn) (climrisk db psql; sql/README.md has example queries)" >&2
start=$(date +%s)
"$C" run "$CONFIG"
echo "== run finished in $(( $(date +%s) - start )) s; report: $WORK/run/report.json" >&2

# The map: climrisk serve on the run's tiles and datamart, detached so that
# it outlives this script; 8080 when free, else any free port.
stop_server
mkdir -p "$WORK"
for port in 8080 0; do
    rm -f "$WORK/serve.port"
    setsid "$C" serve --config "$CONFIG" --port "$port" --port-file "$WORK/serve.port" \
        >"$WORK/serve.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 50); do
        [ -s "$WORK/serve.port" ] && break
        kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$WORK/serve.port" ] && break
done
if [ ! -s "$WORK/serve.port" ]; then
    echo "== the map server did not start; see $WORK/serve.log" >&2
    exit 3
fi
url="http://127.0.0.1:$(cat "$WORK/serve.port")/"
echo "== map: $url  (log $WORK/serve.log; stop it with: scripts/demo.sh $BUILD stop)" >&2
if command -v curl >/dev/null && curl -fsS "${url}api/catalog" >/dev/null; then echo "== the map server answers" >&2; fi
