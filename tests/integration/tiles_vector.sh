# tiles_vector.sh — `climrisk tiles` vector tilesets from a statistics file
# with known values, without a datamart: read back by independent readers
# (the pmtiles npm package + @mapbox/vector-tile; GDAL's MVT/MBTiles
# drivers and GEOS; SQLite), geometry in the tile + buffer, winding,
# validity, values equal to the fixture formula, counts per zoom equal in
# both archives, no tile over the size limit (also with a tiny limit that
# forces more generalisation), warming-level horizons.
. "$SRC/tests/integration/lib/tiles_common.sh"
tiles_js
mkdir -p "$TMPDIR/stats"
tiles_fixture "$TMPDIR/stats/rcp85.nc" rcp85 REF,H1,H3
out="$TMPDIR/tiles"
"$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$out" --no-raster --no-datamart --horizons H3 \
    --format both -j 2 2>"$TMPDIR/log" || { cat "$TMPDIR/log"; fail "tiles"; }
cat "$TMPDIR/log"
grep -q 'cell layers only' "$TMPDIR/log" || fail "log does not say the tiles have cell layers only"
v="$out/vector/rcp85-H3-median"
for f in "$v.pmtiles" "$v.mbtiles" "$v.json" "$out/catalog.json" "$out/legends/tg_mean-anom.json" \
         "$out/legends/tg_mean-anom.png"; do
    [ -s "$f" ] || fail "missing $f"
done
ls "$out"/vector | grep -q 'part-' && fail "temporary files left"

# catalogue and TileJSON
jcheck "$out/catalog.json" "[t['id'] for t in j['tilesets']] == ['vector-rcp85-H3-median']"
jcheck "$out/catalog.json" "j['tilesets'][0]['layers'] == [{'id': 'cells', 'minzoom': 0, 'maxzoom': 10}]"
jcheck "$out/catalog.json" "j['tilesets'][0]['type'] == 'vector' and j['tilesets'][0]['horizon_type'] == 'period' and j['tilesets'][0]['nmodels'] == 3"
jcheck "$out/catalog.json" "len(j['tilesets'][0]['indicators']) == 22 and len(j['maps']) == 44"
jcheck "$out/catalog.json" "all(m['vector'] == 'vector-rcp85-H3-median' and m['property'] == m['indicator'] + '_' + m['quantity'] for m in j['maps'])"
jcheck "$v.json" "j['tilejson'] == '3.0.0' and j['vector_layers'][0]['id'] == 'cells' and j['vector_layers'][0]['fields']['tg_mean_anom'] == 'Number'"
jcheck "$v.json" "j['attribution'] == 'DRIAS/Météo-France format, climrisk' and len(j['bounds']) == 4 and len(j['center']) == 3"

# PMTiles: pmtiles package + vector-tile decoder, every tile (h = 2: H3 is
# the third horizon of the fixture file)
(cd "$JS" && node check_vector.mjs --archive "$v.pmtiles" --grid "$GRID" --catalog "$CATALOG" \
    --h 2 --maxzoom 10) >"$TMPDIR/js.json" || fail "check_vector.mjs"
cat "$TMPDIR/js.json"
jcheck "$TMPDIR/js.json" "j['checked_values'] > 1000000 and j['centres_inside'] > 8981 and j['largest'] <= 500000"
# tiles per zoom: the same in the MBTiles (SQLite) and the PMTiles (pmtiles)
py "$CHECK" counts "$v.mbtiles" >"$TMPDIR/counts.json" || fail "counts"
py - "$TMPDIR/js.json" "$TMPDIR/counts.json" <<'PY' || fail "tile counts differ between the archives"
import json, sys
a = json.load(open(sys.argv[1]))['tiles']
b = json.load(open(sys.argv[2]))
print('tiles per zoom', a)
sys.exit(0 if a == b and a['0'] == 1 and a['10'] > 500 else 1)
PY
# GDAL: MVT driver (validity in tile coordinates, GEOS), MBTiles driver
py "$CHECK" vector "$v.mbtiles" "$GRID" "$CATALOG" 2 10 || fail "GDAL checks"
ogrinfo -ro -so "$v.mbtiles" -oo ZOOM_LEVEL=10 cells >"$TMPDIR/ogrinfo" 2>&1 || fail "ogrinfo"
grep -q 'tg_mean_anom: Real' "$TMPDIR/ogrinfo" || fail "ogrinfo does not list tg_mean_anom"
grep -q 'format=pbf' "$TMPDIR/ogrinfo" || fail "ogrinfo: no format=pbf"

# a small size limit forces coarser cells; still no tile over it
"$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$TMPDIR/small" --no-raster --no-datamart \
    --horizons H3 --vector-maxzoom 7 --max-tile-bytes 60000 2>"$TMPDIR/log2" || { cat "$TMPDIR/log2"; fail "small tiles"; }
grep -q 'cells merged' "$TMPDIR/log2" || fail "the log does not report the extra generalisation"
(cd "$JS" && node check_vector.mjs --archive "$TMPDIR/small/vector/rcp85-H3-median.pmtiles" \
    --grid "$GRID" --catalog "$CATALOG" --h 2 --maxzoom 7 --max-bytes 60000) >/dev/null ||
    fail "tiles over 60000 bytes"

# warming-level horizons (the fixture's second model never reaches RWL20)
tiles_fixture "$TMPDIR/stats/rcp45.nc" rcp45 REF,RWL20
"$CLIMRISK" tiles --stats "$TMPDIR/stats/rcp45.nc" --out "$out" --no-raster --no-datamart \
    --horizons RWL20 --vector-maxzoom 6 -i tg_mean,rx1day 2>"$TMPDIR/log3" || { cat "$TMPDIR/log3"; fail "RWL20"; }
jcheck "$out/catalog.json" "sorted(t['id'] for t in j['tilesets']) == ['vector-rcp45-RWL20-median', 'vector-rcp85-H3-median']"
jcheck "$out/catalog.json" "[t for t in j['tilesets'] if t['horizon'] == 'RWL20'][0]['horizon_type'] == 'warming_level' and [t for t in j['tilesets'] if t['horizon'] == 'RWL20'][0]['nmodels'] == 2"
(cd "$JS" && node check_vector.mjs --archive "$out/vector/rcp45-RWL20-median.pmtiles" --grid "$GRID" \
    --catalog "$CATALOG" --h 1 --maxzoom 6) >/dev/null || fail "RWL20 tiles"
echo "tiles vector ok"
