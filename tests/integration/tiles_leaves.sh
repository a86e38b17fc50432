# tiles_leaves.sh — a PMTiles archive too big for a root-only directory
# (100 000 tiles, deduplicated contents, runs of identical tiles): the
# writer's leaf directories, run lengths and deduplication, read back by
# the pmtiles npm package tile by tile.
. "$SRC/tests/integration/lib/tiles_common.sh"
tiles_js
"$BUILD/tests/tools/pmtiles_many" "$TMPDIR/many.pmtiles" 100000 "$TMPDIR/many.txt" || fail "writer"
(cd "$JS" && node check_list.mjs "$TMPDIR/many.pmtiles" "$TMPDIR/many.txt") >"$TMPDIR/out.json" ||
    { cat "$TMPDIR/out.json"; fail "tiles read back differ"; }
cat "$TMPDIR/out.json"
# leaves were needed, runs merged entries, identical contents stored once
jcheck "$TMPDIR/out.json" "j['leaf_bytes'] > 0 and j['root_bytes'] <= 16257 and j['entries'] < j['addressed'] and j['contents'] < j['entries']"
echo "tiles leaves ok"
