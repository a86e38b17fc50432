# serve_common.sh — start and stop a real `climrisk serve` on a free
# loopback port for the server tests (sourced).
#
#   serve_start ARGS...   -> SERVE_URL, SERVE_PID, SERVE_LOG (stderr of the server);
#                            SERVE_LOG_LEVEL (default -v: a debug line per
#                            request, which tests read) is the global option
#   serve_stop            -> SIGTERM, waits, checks the exit code and summary line
#   http_code URL [CURL-ARGS...] -> prints the status code (body to $TMPDIR/body)
#   need_web              -> builds web/ (npm ci + esbuild) when needed
set -u
fail() { echo "FAIL: $*"; [ -n "${SERVE_LOG:-}" ] && tail -n 20 "$SERVE_LOG"; exit 1; }

serve_start() {
    local pf="$TMPDIR/port.$$.$RANDOM"
    SERVE_LOG="$TMPDIR/serve.$RANDOM.log"
    # shellcheck disable=SC2086
    "$CLIMRISK" ${SERVE_LOG_LEVEL--v} serve --port 0 --port-file "$pf" "$@" >"$TMPDIR/serve.out" 2>"$SERVE_LOG" &
    SERVE_PID=$!
    for _ in $(seq 600); do
        [ -s "$pf" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited at start: $(tail -n 5 "$SERVE_LOG")"
        sleep 0.1
    done
    [ -s "$pf" ] || fail "serve did not start in 60 s"
    SERVE_URL="http://127.0.0.1:$(cat "$pf")"
    trap 'serve_kill' EXIT
}

serve_kill() {
    [ -n "${SERVE_PID:-}" ] && kill -9 "$SERVE_PID" 2>/dev/null
    declare -F dm_cleanup >/dev/null && dm_cleanup
    return 0
}

serve_stop() {
    kill -TERM "$SERVE_PID" || fail "server died before the end of the test"
    local rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=
    [ $rc -eq 0 ] || fail "serve exited with $rc after SIGTERM"
    grep -q 'serve: stopped; [0-9]* requests' "$SERVE_LOG" || fail "no shutdown summary in the log"
}

http_code() {
    local url=$1; shift
    curl -s --path-as-is -o "$TMPDIR/body" -w '%{http_code}' "$@" "$url"
}

need_web() {
    make -s -C "$SRC" web >/dev/null || fail "make web (npm ci + build) failed"
    [ -f "$SRC/web/dist/index.html" ] || fail "web/dist not built"
}
