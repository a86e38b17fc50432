# tiles_datamart.sh — commune and département layers from the datamart:
# load a statistics file with known values into a private PostGIS
# database, tile it, and check every admin feature's properties against
# datamart.area_stat (queried here with psql) through the pmtiles package
# and @mapbox/vector-tile; the zoom ranges of the layers; and that an
# unreachable datamart still gives the cell layers, with a warning.
. "$SRC/tests/integration/lib/dm_common.sh"
. "$SRC/tests/integration/lib/tiles_common.sh"
tiles_js
dm_setup tiles
mkdir -p "$TMPDIR/stats"
tiles_fixture "$TMPDIR/stats/rcp85.nc" rcp85 REF,H1,H3
"$CLIMRISK" -q load --stats "$TMPDIR/stats" --no-annual >/dev/null || fail "load"
out="$TMPDIR/tiles"
"$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$out" --no-raster -i tg_mean,prcptot --horizons H3 \
    --vector-maxzoom 9 -j 2 2>"$TMPDIR/log" || { cat "$TMPDIR/log"; fail "tiles"; }
cat "$TMPDIR/log"
grep -q 'without commune' "$TMPDIR/log" && fail "admin layers left out"
jcheck "$out/catalog.json" "j['tilesets'][0]['layers'] == [{'id': 'cells', 'minzoom': 0, 'maxzoom': 9}, {'id': 'departements', 'minzoom': 0, 'maxzoom': 8}, {'id': 'communes', 'minzoom': 9, 'maxzoom': 9}]"

# the datamart's values, as the tiles must carry them
psql "$DM_DSN" -XAtq -v ON_ERROR_STOP=1 >"$TMPDIR/admin.json" <<'SQL' || fail "area_stat export"
SELECT json_build_object(
  'departements', (SELECT json_object_agg(code, v) FROM (
      SELECT code, json_object_agg(indicator || '_' || quantity, mean) v FROM datamart.area_stat
      WHERE scenario = 'rcp85' AND horizon = 'H3' AND model = 'ensemble' AND statistic = 'median'
        AND level = 'departement' AND indicator IN ('tg_mean', 'prcptot') AND quantity IN ('mean', 'anom')
      GROUP BY code) d),
  'communes', (SELECT json_object_agg(code, v) FROM (
      SELECT code, json_object_agg(indicator || '_' || quantity, mean) v FROM datamart.area_stat
      WHERE scenario = 'rcp85' AND horizon = 'H3' AND model = 'ensemble' AND statistic = 'median'
        AND level = 'commune' AND indicator IN ('tg_mean', 'prcptot') AND quantity IN ('mean', 'anom')
      GROUP BY code) c));
SQL
jcheck "$TMPDIR/admin.json" "len(j['departements']) == 96 and len(j['communes']) > 30000"
(cd "$JS" && node check_vector.mjs --archive "$out/vector/rcp85-H3-median.pmtiles" --grid "$GRID" \
    --catalog "$CATALOG" --h 2 --maxzoom 9 --layers cells,departements,communes \
    --admin-values "$TMPDIR/admin.json") >"$TMPDIR/js.json" || fail "check_vector.mjs with admin values"
cat "$TMPDIR/js.json"
# every commune and département appears (features are repeated across tiles)
jcheck "$TMPDIR/js.json" "j['features']['communes'] > 35000 and j['features']['departements'] > 96 * 9 and j['admin_checked'] > 140000"

# datamart down: cells only, a warning, success
CLIMRISK_DSN="host=127.0.0.1 port=9 dbname=nothing user=nobody connect_timeout=2" \
    "$CLIMRISK" tiles --stats "$TMPDIR/stats" --out "$TMPDIR/nodm" --no-raster -i tg_mean \
    --horizons H3 --vector-maxzoom 5 2>"$TMPDIR/log2" || { cat "$TMPDIR/log2"; fail "tiles without datamart"; }
grep -q 'datamart not reachable' "$TMPDIR/log2" || fail "no warning about the datamart"
jcheck "$TMPDIR/nodm/catalog.json" "[l['id'] for l in j['tilesets'][0]['layers']] == ['cells']"
echo "tiles datamart ok"
