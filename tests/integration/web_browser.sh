# web_browser.sh — the viewer end to end in headless Chromium (Debian's
# /usr/bin/chromium driven by playwright-core; web/test/e2e.mjs) against a
# real `climrisk serve`: a datamart loaded with fixture statistics, and a
# PMTiles archive of one map cut from it (web/test/pmtiles-fixture.mjs)
# listed in the tiles folder's catalog.json. The browser opens the archived
# map, switches indicator and scenario (live datamart tiles), clicks a
# point, toggles the language and the comparison; this script then checks
# the popup's values against the fixture formula (cell) and the datamart's
# area_stat (commune), and that the screenshots exist.
. "$SRC/tests/integration/lib/dm_common.sh"
. "$SRC/tests/integration/lib/serve_common.sh"
[ -x /usr/bin/chromium ] || { echo "skip: /usr/bin/chromium is not installed (scripts/install-deps.sh)"; exit 77; }
need_web
dm_setup web

F="$TMPDIR/fx" T="$TMPDIR/tiles" OUT="$BUILD/test-logs/web_browser"
mkdir -p "$F/stats" "$T" "$OUT"
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
M2=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
dm_fixture stats "$F/stats/rcp45.nc" --experiment rcp45 --models $M1,$M2 --horizons REF,H1,H2,H3 --indicators tg_mean,spring_frost
dm_fixture stats "$F/stats/rcp85.nc" --experiment rcp85 --models $M1,$M2 --horizons REF,H2,RWL27 --indicators tg_mean,spring_frost
"$CLIMRISK" -q load --stats "$F/stats" --no-annual >/dev/null || fail "load"

serve_start --dsn "$DM_DSN" --web "$SRC/web/dist" --tiles "$T"
U=$SERVE_URL
# the pre-rendered map: tg_mean rcp45 H2, zooms 0-6, cut from the live tiles
node "$SRC/web/test/pmtiles-fixture.mjs" write "$T/tg_mean_rcp45_H2.pmtiles" --base "$U" \
    --query 'indicator=tg_mean&scenario=rcp45&horizon=H2&quantity=mean&statistic=median' --zooms 0-6 || fail "archive"
cat >"$T/catalog.json.part" <<'EOF'
{"tilesets": [{"id": "tg_mean_rcp45_H2", "archive": "tg_mean_rcp45_H2.pmtiles", "type": "vector",
  "indicator": "tg_mean", "scenario": "rcp45", "horizon": "H2", "quantity": "mean", "statistic": "median",
  "layer": "cells", "property": "value"}]}
EOF
mv "$T/catalog.json.part" "$T/catalog.json"
sleep 1.2 # the server looks for a changed tiles folder at most once a second
[ "$(http_code "$U/api/catalog")" = 200 ] && grep -q '"id":"tg_mean_rcp45_H2"' "$TMPDIR/body" || fail "tileset not listed"
node "$SRC/web/test/pmtiles-fixture.mjs" check "$T/tg_mean_rcp45_H2.pmtiles" --base "$U" --id tg_mean_rcp45_H2 ||
    fail "archive tiles differ between the server and the pmtiles npm reader"

TMPDIR="$TMPDIR" node "$SRC/web/test/e2e.mjs" --url "$U" --out "$OUT" \
    --first tg_mean,rcp45,H2 --second spring_frost,rcp85,H2 --click -0.58,44.84 || fail "browser checks"

# the popup against independent references
k=$(dm_indicator_index spring_frost)
read -r cell value p05 p95 commune <<<"$(python3 -c 'import json,sys; p = json.load(open(sys.argv[1]))["popup"]
print(p["cell"], p["cell_value"], p["cell_p05"], p["cell_p95"], p["commune_value"])' "$OUT/result.json")"
# rcp85 file horizons REF, H2, RWL27: H2 is horizon 1; median o = 50, p05 51, p95 52
want=$(awk -v c="$cell" -v k="$k" 'BEGIN { b = 1000 * k + 10 + (c % 61) / 8; printf "%.10g %.10g %.10g", b + 50, b + 51, b + 52 }')
got=$(awk -v a="$value" -v b="$p05" -v c="$p95" 'BEGIN { printf "%.10g %.10g %.10g", a, b, c }')
[ "$got" = "$want" ] || fail "popup cell $cell shows '$got', the fixture holds '$want'"
[ "$(dm_psql "select datamart.cell_of(-0.58, 44.84)")" = "$cell" ] || fail "the popup is not about the clicked cell"
wantc=$(dm_psql "select s.mean from datamart.admin_area a join datamart.area_stat s on s.level = a.level and s.code = a.code
    where a.level = 'commune' and ST_Intersects(a.geom_3857, ST_Transform(ST_SetSRID(ST_MakePoint(-0.58, 44.84), 4326), 3857))
      and s.indicator = 'spring_frost' and s.scenario = 'rcp85' and s.horizon = 'H2' and s.model = 'ensemble'
      and s.statistic = 'median' and s.quantity = 'mean'")
awk -v a="$commune" -v b="$wantc" 'BEGIN { exit !((a - b)^2 < 1e-8 && b != "") }' ||
    fail "popup commune value $commune, area_stat holds $wantc"
for f in map-first.png map-second-popup.png viewer.png viewer-compare.png; do
    [ -s "$OUT/$f" ] || fail "screenshot $f missing"
done
serve_stop
echo "browser test ok (cell $cell = $value, commune = $commune; screenshots in $OUT)"
