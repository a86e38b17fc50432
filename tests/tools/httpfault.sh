# httpfault.sh — sourced by the fetch tests: start the fault-injecting HTTP
# server (tests/tools/httpfault.c) on a free loopback port and stop every
# server started this way when the test exits, whatever happens.
#   hf_start ROOT [--auth USER:PASSWORD]   sets HF_URL (http://127.0.0.1:PORT)
#                                          and HF_LOG (one line per request)
HF_PIDS=()
hf_stop_all() {
    local p
    for p in "${HF_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${HF_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    HF_PIDS=()
}
trap hf_stop_all EXIT
hf_start() {
    local root=$1; shift
    local n=${#HF_PIDS[@]}
    local pf="$TMPDIR/httpfault.$n.port"
    HF_LOG="$TMPDIR/httpfault.$n.log"
    rm -f "$pf"; : >"$HF_LOG"
    "$BUILD/tests/tools/httpfault" --root "$root" --port-file "$pf" --log "$HF_LOG" "$@" \
        2>>"$TMPDIR/httpfault.$n.err" &
    HF_PIDS+=($!)
    local i
    for i in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || { echo "httpfault did not start"; cat "$TMPDIR/httpfault.$n.err"; exit 1; }
    HF_URL="http://127.0.0.1:$(cat "$pf")"
}
# Number of requests in the current log matching a pattern (grep -E).
hf_count() { grep -Ec "$1" "$HF_LOG"; }
# Wait (up to $3 seconds, default 15) until $2 requests match $1: a request is
# logged when its response ends, which for a stalled one is after the stall.
hf_wait_count() {
    local i
    for i in $(seq 1 $((${3:-15} * 10))); do
        [ "$(hf_count "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
