# faults/config.sh — every configuration key given a value of the wrong type
# is refused with exit 1 and a message naming the file, the line and the key;
# missing and unreadable files are refused clearly too.
set -u
fail() { echo "FAIL: $*"; exit 1; }
"$CLIMRISK" config --keys >"$TMPDIR/keys" || fail "config --keys"
n=0
while IFS=$'\t' read -r name type _; do
    section=${name%%.*}; key=${name#*.}
    case "$type" in
    integer*) bad="twelve" ;;
    number*) bad="1.2.3" ;;
    choice*) bad="no-such-choice" ;;
    years) bad="2050-2010" ;;
    list) bad=" , " ;;
    string | path) bad=$(printf 'x%.0s' $(seq 1 300)) ;; # longer than a line may be
    *) fail "unknown type $type for $name" ;;
    esac
    printf '; bad value for %s\n[%s]\n%s = %s\n' "$name" "$section" "$key" "$bad" >"$TMPDIR/bad.ini"
    "$CLIMRISK" config --check "$TMPDIR/bad.ini" 2>"$TMPDIR/err" >/dev/null; rc=$?
    [ $rc -eq 1 ] || fail "$name = <$type-invalid> exited $rc, expected 1"
    grep -q "bad.ini:3: key '$key' in \[$section\]" "$TMPDIR/err" || { cat "$TMPDIR/err"; fail "$name: message lacks file:line:key"; }
    n=$((n + 1))
done <"$TMPDIR/keys"
echo "$n keys refuse wrong values"

expect_usage() { # description, config path
    "$CLIMRISK" config --check "$2" 2>"$TMPDIR/err" >/dev/null; rc=$?
    [ $rc -eq 1 ] || fail "$1: exit $rc, expected 1"
    grep -q "$2" "$TMPDIR/err" || fail "$1: message does not name $2"
}
expect_usage "missing file" "$TMPDIR/none.ini"
mkdir "$TMPDIR/dir.ini"
expect_usage "directory" "$TMPDIR/dir.ini"
ln -s "$TMPDIR/nowhere" "$TMPDIR/dangling.ini"
expect_usage "dangling symlink" "$TMPDIR/dangling.ini"
printf '[run]\nname = ok\n' >"$TMPDIR/locked.ini"; chmod 000 "$TMPDIR/locked.ini"
if [ "$(id -u)" -ne 0 ]; then expect_usage "unreadable file" "$TMPDIR/locked.ini"; fi
# the same refusal from the commands that take a config
"$CLIMRISK" run "$TMPDIR/none.ini" 2>/dev/null; [ $? -eq 1 ] || fail "run with a missing config"
"$CLIMRISK" synth --config "$TMPDIR/dir.ini" --out "$TMPDIR/o" 2>/dev/null; [ $? -eq 1 ] || fail "synth with a bad config"
[ -e "$TMPDIR/o" ] && fail "synth wrote output despite a bad config"
echo "config faults ok"
