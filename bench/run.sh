#!/usr/bin/env bash
# bench/run.sh BUILD — run every benchmark (bench/*.sh) and print its table.
# Benchmarks measure; they do not pass or fail on timings (targets are shown
# next to the measurements). Select with BENCH='pattern'.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export BUILD CLIMRISK="$PWD/$BUILD/climrisk" SRC="$PWD"
export BENCH_DATA="${BENCH_DATA:-$PWD/$BUILD/bench-data}"
mkdir -p "$BENCH_DATA"
status=0
for b in bench/*.sh; do
    name=$(basename "$b" .sh)
    [ "$name" = run ] && continue
    # shellcheck disable=SC2053
    [[ $name == ${BENCH:-*} ]] || continue
    echo "== bench/$name ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    bash "$b" || { echo "bench/$name failed"; status=1; }
    echo
done
exit $status
