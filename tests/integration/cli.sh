# cli.sh — the command-line contract: help for every command, version, and
# the documented exit codes for usage errors.
set -u
fail() { echo "FAIL: $*"; exit 1; }

"$CLIMRISK" --version | grep -Eq '^climrisk [0-9]+\.[0-9]+\.[0-9]+' || fail "--version"
# the revision printed is the checkout's, even after incremental builds
if rev=$(git -C "${SRC:-.}" rev-parse --short HEAD 2>/dev/null); then
    "$CLIMRISK" --version | grep -q "($rev)" || fail "--version says $("$CLIMRISK" --version), HEAD is $rev"
fi
"$CLIMRISK" --help >"$TMPDIR/help" || fail "--help exit code"
commands=$(awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{if (n++) exit}' "$TMPDIR/help")
[ -n "$commands" ] || fail "no commands listed in --help"
for c in $commands; do
    "$CLIMRISK" "$c" --help >"$TMPDIR/h.$c" 2>&1 || fail "climrisk $c --help exits non-zero"
    grep -q "usage: climrisk $c" "$TMPDIR/h.$c" || fail "climrisk $c --help has no usage line"
    # every command is documented in the README's commands table
    grep -q "climrisk $c" "$SRC/README.md" || fail "README.md does not document 'climrisk $c'"
done

expect_exit() { # code, args...
    local want=$1; shift
    "$CLIMRISK" "$@" >"$TMPDIR/out" 2>"$TMPDIR/err"; local got=$?
    [ "$got" -eq "$want" ] || { cat "$TMPDIR/err"; fail "climrisk $* exited $got, expected $want"; }
}
expect_exit 1 no-such-command
expect_exit 1 --no-such-option
expect_exit 1 synth --no-such-option
expect_exit 1 synth                                  # --out is required
grep -q -- "--out DIR is required" "$TMPDIR/err" || fail "synth without --out: unclear message"
expect_exit 1 synth --out "$TMPDIR/x" --seed abc
expect_exit 1 synth --out "$TMPDIR/x" --scenarios rcp60
grep -q "rcp60" "$TMPDIR/err" || fail "unknown scenario not named"
expect_exit 1 config --check /nonexistent.ini
expect_exit 2 inspect /etc/hostname                  # not NetCDF: bad input
grep -q "/etc/hostname" "$TMPDIR/err" || fail "inspect does not name the bad file"
printf '[run]\njobs = many\n' >"$TMPDIR/bad.ini"
expect_exit 1 config --check "$TMPDIR/bad.ini"
grep -q "bad.ini:2: key 'jobs' in \[run\]" "$TMPDIR/err" || fail "config error lacks file:line:key"
echo "cli ok"
