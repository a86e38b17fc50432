# install.sh — `make install` (PREFIX, DESTDIR) gives a working climrisk that
# finds its shipped files (scenarios, SQL, config) from the installed tree.
set -u
fail() { echo "FAIL: $*"; exit 1; }
root="$TMPDIR/root"
make -s -C "$SRC" BUILD="$BUILD" install DESTDIR="$root" PREFIX=/opt/climrisk >/dev/null || fail "make install"
bin="$root/opt/climrisk/bin/climrisk"
[ -x "$bin" ] || fail "no installed binary"
share="$root/opt/climrisk/share/climrisk"
for d in scenarios sql config; do [ -d "$share/$d" ] || fail "missing $share/$d"; done
[ -f "$share/scenarios/ensembles/DRIAS-2020.ini" ] || fail "ensembles not installed"
"$bin" --version >/dev/null || fail "installed binary does not run"
# The installed binary must use the installed data, not the source tree:
# run it from elsewhere with the source tree out of reach.
cp "$SRC/config/demo.ini" "$TMPDIR/demo.ini"
(cd / && env -u CLIMRISK_DATADIR "$bin" config --check "$TMPDIR/demo.ini") || fail "config check"
(cd / && "$bin" plan "$TMPDIR/demo.ini" >/dev/null) || fail "plan from the installed tree"
make -s -C "$SRC" BUILD="$BUILD" uninstall DESTDIR="$root" PREFIX=/opt/climrisk >/dev/null || fail "uninstall"
[ -e "$bin" ] && fail "uninstall left the binary"
echo "install ok"
