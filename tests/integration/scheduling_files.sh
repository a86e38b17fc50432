# scheduling_files.sh — the systemd units and cron entry in docs/scheduling
# are valid and call `climrisk run` on a config.
set -u
fail() { echo "FAIL: $*"; exit 1; }
d="$SRC/docs/scheduling"
grep -q '^ExecStart=.*climrisk run --wait ' "$d/climrisk.service" || fail "service ExecStart"
grep -q '^OnCalendar=' "$d/climrisk.timer" || fail "timer OnCalendar"
# cron: minute hour dom month dow user command
grep -Eq '^[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [a-z_][a-z0-9_-]* climrisk run ' "$d/climrisk.cron" \
    || fail "cron line"
grep -q '/var/log/climrisk/climrisk.log' "$d/climrisk.logrotate" || fail "logrotate target"
if command -v systemd-analyze >/dev/null; then
    # verify with a stand-in binary (the real one is not installed there)
    sed 's|^ExecStart=[^ ]*|ExecStart=/bin/true|' "$d/climrisk.service" >"$TMPDIR/climrisk.service"
    cp "$d/climrisk.timer" "$TMPDIR/"
    out=$(systemd-analyze verify "$TMPDIR/climrisk.timer" "$TMPDIR/climrisk.service" 2>&1)
    echo "$out" | grep -Ev "not found|Failed to (look up|resolve) user|climrisk.*(user|group)" | grep -q . \
        && { echo "$out"; fail "systemd-analyze verify"; }
fi
echo "scheduling files ok"
