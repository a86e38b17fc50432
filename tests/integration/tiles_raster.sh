# tiles_raster.sh — `climrisk tiles` raster tilesets and legends from a
# statistics file with known values: PNG tiles decoded by GDAL (PNG and
# MBTiles drivers) and checked by the pmtiles npm package; pixels under
# DRIAS cell centres have the legend colour of the cell's fixture value,
# every pixel of sample tiles agrees with gdal.Warp of the grid (exact
# transformer) but for a few pixel centres on cell boundaries,
# cells without value and places outside France are transparent; legend
# colours are the IPCC AR6 tables; breaks cover every value.
. "$SRC/tests/integration/lib/tiles_common.sh"
tiles_js
mkdir -p "$TMPDIR/stats"
tiles_fixture "$TMPDIR/stats/rcp85.nc" rcp85 REF,H1,H3
out="$TMPDIR/tiles"
"$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$out" --no-vector -i tg_mean,prcptot \
    --horizons REF,H3 --format both -j 2 2>"$TMPDIR/log" || { cat "$TMPDIR/log"; fail "tiles"; }
cat "$TMPDIR/log"
# 2 indicators x (REF mean, H3 mean, H3 anom): no anomaly map of REF
jcheck "$out/catalog.json" "sorted(t['id'] for t in j['tilesets']) == sorted('raster-%s-rcp85-%s-median' % (i, m) for i in ('tg_mean', 'prcptot') for m in ('REF-mean', 'H3-mean', 'H3-anom'))"
jcheck "$out/catalog.json" "all(t['type'] == 'raster' and t['maxzoom'] == 9 and t['legend'] == 'legends/%s-%s.json' % (t['indicator'], t['quantity']) for t in j['tilesets'])"
jcheck "$out/catalog.json" "len(j['maps']) == 6 and all('raster' in m and 'vector' not in m for m in j['maps'])"

# legends: IPCC-WG1/colormaps discrete_colormaps_rgb_0-255, 10-class rows
# temp_seq_10 (horizon means of temperature) and prec_div_10 (precipitation
# change), copied here from the published tables
py - "$out/legends" <<'PY' || fail "legend colours are not the IPCC AR6 tables"
import json, sys
d = sys.argv[1]
temp_seq_10 = ['254 254 203', '251 235 153', '244 204 104', '235 167 84', '228 134 80',
               '209 98 76', '164 70 66', '114 55 46', '66 40 24', '25 25 0']
prec_div_10 = ['84 48 5', '143 93 27', '195 137 60', '216 182 135', '238 226 211',
               '212 230 229', '140 194 190', '67 158 150', '29 110 100', '0 60 48']
hexs = lambda rows: ['#%02x%02x%02x' % tuple(int(v) for v in r.split()) for r in rows]
a = json.load(open(d + '/tg_mean-mean.json', encoding='utf-8'))
b = json.load(open(d + '/prcptot-anom.json', encoding='utf-8'))
ok = a['colors'] == hexs(temp_seq_10) and b['colors'] == hexs(prec_div_10)
ok &= a['kind'] == 'sequential' and b['kind'] == 'diverging'
ok &= 'IPCC-WG1/colormaps' in a['palette']['source'] and a['unit'] == 'degC'
ok &= b['breaks'][5] == 0 and b['breaks'][0] == -b['breaks'][10]  # centred on 0
ok &= len(a['labels']['fr']) == 10 and len(a['labels']['en']) == 10
sys.exit(0 if ok else 1)
PY
gdalinfo "$out/legends/tg_mean-mean.png" >"$TMPDIR/gi" 2>&1 || fail "legend PNG not readable"
grep -q 'Driver: PNG' "$TMPDIR/gi" || fail "legend is not a PNG"

r="$out/raster/tg_mean-rcp85-H3-mean-median"
(cd "$JS" && node check_raster.mjs --archive "$r.pmtiles" --indicator tg_mean --quantity mean \
    --maxzoom 9) >"$TMPDIR/js.json" || fail "check_raster.mjs"
py "$CHECK" counts "$r.mbtiles" >"$TMPDIR/counts.json" || fail "counts"
py - "$TMPDIR/js.json" "$TMPDIR/counts.json" <<'PY' || fail "tile counts differ between the archives"
import json, sys
a = {str(k): v for k, v in json.load(open(sys.argv[1])).items()}
b = json.load(open(sys.argv[2]))
print('tiles per zoom', a)
sys.exit(0 if a == b and a['0'] == 1 and a['9'] > 100 else 1)
PY
# pixels under cell centres: H3 is horizon index 2 of the fixture file
py "$CHECK" raster "$r.mbtiles" "$GRID" "$CATALOG" 2 tg_mean mean "$out/legends/tg_mean-mean.json" 9 \
    >"$TMPDIR/px.json" || fail "raster pixels (tg_mean mean, zoom 9)"
cat "$TMPDIR/px.json"
jcheck "$TMPDIR/px.json" "j['pixels_checked'] > 200 and j['nodata_checked'] > 0 and j['colours'] >= 2"
# every pixel of a sample of zoom-9 tiles against GDAL's own exact warp
py "$CHECK" warp "$r.mbtiles" "$GRID" "$CATALOG" 2 tg_mean mean "$out/legends/tg_mean-mean.json" 9 \
    >"$TMPDIR/warp.json" || { cat "$TMPDIR/warp.json"; fail "raster pixels against gdal.Warp (zoom 9)"; }
cat "$TMPDIR/warp.json"
# one legend for REF and H3 (maps compare): its breaks cover both horizons
py "$CHECK" raster "$out/raster/tg_mean-rcp85-REF-mean-median.mbtiles" "$GRID" "$CATALOG" 0 tg_mean mean \
    "$out/legends/tg_mean-mean.json" 8 >/dev/null || fail "raster pixels (tg_mean REF, zoom 8)"
py "$CHECK" raster "$out/raster/prcptot-rcp85-H3-anom-median.mbtiles" "$GRID" "$CATALOG" 2 prcptot anom \
    "$out/legends/prcptot-anom.json" 7 >/dev/null || fail "raster pixels (prcptot anom, zoom 7)"
# the legend spans every horizon of the file, also those not tiled (H1):
# tg_mean (k = 0) means are 50 + 10 h + (c mod 61) / 8 for h = 0, 1, 2
jcheck "$out/legends/tg_mean-mean.json" "j['range'] == {'min': 50.0, 'max': 77.5} and j['breaks'][0] <= 50 and j['breaks'][-1] >= 77.5"
# a file with H3 alone: a narrower legend, so the pixels span many classes
mkdir -p "$TMPDIR/h3stats"
tiles_fixture "$TMPDIR/h3stats/rcp85.nc" rcp85 H3
"$CLIMRISK" -q tiles --stats "$TMPDIR/h3stats" --out "$TMPDIR/h3" --no-vector -i tg_mean \
    --quantities mean --raster-maxzoom 6 --format mbtiles || fail "tiles H3"
py "$CHECK" raster "$TMPDIR/h3/raster/tg_mean-rcp85-H3-mean-median.mbtiles" "$GRID" "$CATALOG" 0 tg_mean \
    mean "$TMPDIR/h3/legends/tg_mean-mean.json" 6 >"$TMPDIR/px6.json" || fail "raster pixels (H3 only, zoom 6)"
cat "$TMPDIR/px6.json"
jcheck "$TMPDIR/px6.json" "j['colours'] >= 6"
echo "tiles raster ok"
