#!/usr/bin/env bash
# tests/run.sh BUILD — run every unit test binary and integration script,
# then print one summary line "N passed, N failed" and exit non-zero on
# failure. Integration scripts get CLIMRISK (the binary), BUILD, SRC and a
# private TMPDIR; a script exits 77 to report "skipped" (with a reason).
#
# Select tests with TESTS='pattern ...' (shell globs on the test name,
# separated by spaces; a test runs when one matches).
set -u
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
BUILD=$(cd "$BUILD" && pwd)
export CLIMRISK="$BUILD/climrisk" BUILD SRC
export CLIMRISK_PGDIR="${CLIMRISK_PGDIR:-$BUILD/pg}"
LOGDIR="$BUILD/test-logs"
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
pass=0; fail=0; skip=0; failed=()
IFS=$' \t\n' read -r -d '' -a patterns <<<"${TESTS:-*}" || true
selected() {
    local p
    for p in "${patterns[@]}"; do
        # shellcheck disable=SC2053
        [[ $1 == $p ]] && return 0
    done
    return 1
}

run_one() { # name, command...
    local name=$1; shift
    selected "$name" || return 0
    local log="$LOGDIR/${name//\//-}.log" t0=$SECONDS rc
    local tmp; tmp=$(mktemp -d "${TMPDIR:-/tmp}/climrisk-test.XXXXXX")
    TMPDIR="$tmp" "$@" >"$log" 2>&1; rc=$?
    rm -rf "$tmp"
    local dt=$((SECONDS - t0))
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); printf '  ok    %-40s %4ds\n' "$name" "$dt"
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); printf '  skip  %-40s %s\n' "$name" "$(tail -n 1 "$log")"
    else
        fail=$((fail + 1)); failed+=("$name")
        printf '  FAIL  %-40s %4ds (exit %d, log %s)\n' "$name" "$dt" "$rc" "$log"
        tail -n 25 "$log" | sed 's/^/        | /'
    fi
}

echo "unit tests:"
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done
echo "integration tests:"
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run_one "integration/$(basename "$t" .sh)" bash "$t"
done
echo "fault tests:"
for t in tests/faults/*.sh; do
    [ -f "$t" ] || continue
    run_one "faults/$(basename "$t" .sh)" bash "$t"
done
echo
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ] || { printf 'failed: %s\n' "${failed[*]}"; exit 1; }
