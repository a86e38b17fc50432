# web_pipeline.sh — the viewer on the pipeline's own outputs, not fixtures:
# synthetic DRIAS-format inputs → `climrisk compute` → `climrisk aggregate`
# (a tiny scenarios/ folder: REF, H1 and a warming level RWL06 that fit a
# 2 + 3-year run) → `climrisk load` → `climrisk tiles`, then `climrisk serve
# --config` with nothing but the run's config: it must find the tiles folder
# `climrisk tiles` wrote (catalog.json, PMTiles archives, legends) and the
# datamart, and the viewer (headless Chromium, web/test/pipeline.mjs) must
# list those maps in its menus (the warming level with its model count),
# draw them from the archives, and show in its popup the values GDAL reads
# from aggregate's statistics file — through the datamart, and from the
# vector tiles alone when the server runs without a datamart.
. "$SRC/tests/integration/lib/dm_common.sh"
. "$SRC/tests/integration/lib/serve_common.sh"
[ -x /usr/bin/chromium ] || { echo "skip: /usr/bin/chromium is not installed (scripts/install-deps.sh)"; exit 77; }
"$CLIMRISK" aggregate --help >/dev/null 2>&1 || { echo "skip: climrisk aggregate is not built in this tree"; exit 77; }
need_web
dm_setup webpipe

W="$TMPDIR/work" OUT="$BUILD/test-logs/web_pipeline"
rm -rf "$OUT"
mkdir -p "$W" "$TMPDIR/scn/ensembles" "$OUT"
cp "$SRC/scenarios/experiments.ini" "$SRC/scenarios/statistics.ini" "$TMPDIR/scn/"
cp "$SRC/scenarios/ensembles/"*.ini "$TMPDIR/scn/ensembles/"
cat >"$TMPDIR/scn/periods.ini" <<'INI'
[REF]
years = 2000-2001
experiments = historical
reference = yes
label_en = Reference 2000-2001
label_fr = Référence 2000-2001

[H1]
years = 2030-2031
experiments = rcp85
label_en = Test horizon 2030-2031
label_fr = Horizon de test 2030-2031
INI
cat >"$TMPDIR/scn/warming_levels.ini" <<'INI'
[reference]
period = REF
preindustrial_to_reference = 0.6

[RWL06]
france_warming = 0.6
experiment = rcp85
tracc_year = 2030
label_en = +0 degC above REF (test)
label_fr = +0 °C au-dessus de REF (test)

[RWL99]
france_warming = 99
experiment = rcp85
tracc_year = 2100
label_en = +98 degC above REF (never reached)
label_fr = +98 °C au-dessus de REF (jamais atteint)
INI
M1=CNRM-CERFACS-CNRM-CM5_CNRM-ALADIN63
M2=MPI-M-MPI-ESM-LR_MPI-CSC-REMO2009
cat >"$TMPDIR/run.ini" <<INI
[run]
workdir = $W
jobs = 2
[inputs]
source = synth
[synth]
models = $M1, $M2
scenarios = historical, rcp85
historical_years = 2000-2001
scenario_years = 2030-2032
[compute]
indicators = tg_mean, spring_frost, su
[scenarios]
dir = $TMPDIR/scn
warming_window = 1
warming_horizon = 1
[tiles]
vector_maxzoom = 7
raster_maxzoom = 6
INI
t0=$SECONDS
"$CLIMRISK" -q synth --config "$TMPDIR/run.ini" --out "$W/data" >/dev/null 2>&1 || fail "synth"
"$CLIMRISK" -q compute --config "$TMPDIR/run.ini" 2>"$TMPDIR/compute.log" || { cat "$TMPDIR/compute.log"; fail "compute"; }
"$CLIMRISK" -q aggregate --config "$TMPDIR/run.ini" --no-cog 2>"$TMPDIR/agg.log" || { cat "$TMPDIR/agg.log"; fail "aggregate"; }
"$CLIMRISK" -q load --config "$TMPDIR/run.ini" >/dev/null 2>"$TMPDIR/load.log" || { cat "$TMPDIR/load.log"; fail "load"; }
"$CLIMRISK" -q tiles --config "$TMPDIR/run.ini" -i tg_mean,spring_frost 2>"$TMPDIR/tiles.log" ||
    { cat "$TMPDIR/tiles.log"; fail "tiles"; }
echo "pipeline synth → tiles in $((SECONDS - t0)) s"
T="$W/tiles"

# ---- the warming level went through aggregate → datamart → tiles as a horizon of type warming_level
[ "$(dm_psql "select type from datamart.horizon where code = 'RWL06'")" = warming_level ] || fail "RWL06 is not a warming level in the datamart"
reached=$(dm_psql "select count(*) from datamart.model_horizon where scenario = 'rcp85' and horizon = 'RWL06' and reached")
[ "$reached" -ge 1 ] || fail "no model reached RWL06"
[ "$(dm_psql "select string_agg(distinct nmodels::text, ',') from datamart.cell_stat where scenario = 'rcp85'
              and horizon = 'RWL06' and model = 'ensemble' and indicator = 'tg_mean'")" = "$reached" ] ||
    fail "datamart nmodels of RWL06 differ from the models that reached it ($reached)"
[ "$(dm_psql "select count(*) filter (where reached) || ' ' || count(*) from datamart.model_horizon
              where scenario = 'rcp85' and horizon = 'RWL99'")" = "0 2" ] || fail "RWL99: both models must be listed as not reaching it"
nm_file=$(/usr/bin/python3 - "$W/stats/rcp85.nc" <<'PY'
import sys
from osgeo import gdal
gdal.UseExceptions()
rg = gdal.OpenEx(sys.argv[1], gdal.OF_MULTIDIM_RASTER).GetRootGroup()
h = list(rg.OpenMDArray('horizon').Read()).index('RWL06')
print(int(rg.OpenMDArray('ensemble_nmodels').ReadAsArray()[h]))
PY
) || fail "ensemble_nmodels of the statistics file"
[ "$nm_file" = "$reached" ] || fail "statistics file says $nm_file models at RWL06, the datamart $reached"
python3 - "$T/catalog.json" "$reached" <<'PY' || fail "catalog.json"
import json, sys
c = json.load(open(sys.argv[1]))
v = {t['id']: t for t in c['tilesets'] if t['type'] == 'vector'}
assert sorted(v) == ['vector-historical-REF-median', 'vector-rcp85-H1-median', 'vector-rcp85-REF-median',
                     'vector-rcp85-RWL06-median'], sorted(v)
w = v['vector-rcp85-RWL06-median']
assert w['horizon_type'] == 'warming_level' and w['nmodels'] == int(sys.argv[2]), w
assert v['vector-rcp85-H1-median']['horizon_type'] == 'period'
assert not any(t['horizon'] == 'RWL99' for t in c['tilesets'])  # no model reached it: no tileset
assert sorted(w['indicators']) == ['spring_frost', 'tg_mean'], w['indicators']
assert [l['id'] for l in w['layers']][:2] == ['cells', 'departements'], w['layers']  # datamart reached
PY

# ---- climrisk serve with the run's config only: tiles folder and datamart from it
serve_start --config "$TMPDIR/run.ini"
U=$SERVE_URL
grep -q "tiles $T;" "$SERVE_LOG" || fail "serve did not pick <workdir>/tiles: $(grep listening "$SERVE_LOG")"
[ "$(http_code "$U/api/catalog")" = 200 ] || fail "catalog"
cp "$TMPDIR/body" "$TMPDIR/api_catalog.json"
python3 - "$T/catalog.json" "$TMPDIR/api_catalog.json" <<'PY' || fail "/api/catalog does not list catalog.json's tilesets"
import json, sys
a = json.load(open(sys.argv[1]))['tilesets']
b = json.load(open(sys.argv[2]))
assert sorted(t['id'] for t in a) == sorted(t['id'] for t in b['tilesets']), (len(a), len(b['tilesets']))
for t in b['tilesets']:
    assert t['archive'] == next(x['archive'] for x in a if x['id'] == t['id'])
assert [h['code'] for h in b['horizons']] == ['REF', 'H1', 'RWL06', 'RWL99'], b['horizons']
assert [h['type'] for h in b['horizons']] == ['period', 'period', 'warming_level', 'warming_level']
PY
n=0
for ts in $(python3 -c 'import json,sys; print(" ".join(t["id"] + "=" + t["archive"] for t in json.load(open(sys.argv[1]))["tilesets"]))' "$T/catalog.json"); do
    id=${ts%%=*} rel=${ts#*=}
    # the archive itself with a range request (what the PMTiles client does): the v3 header
    [ "$(http_code "$U/tiles/$rel" -H 'Range: bytes=0-126')" = 206 ] || fail "range request on $rel"
    cmp -s -n 127 "$TMPDIR/body" "$T/$rel" && [ "$(head -c 7 "$TMPDIR/body")" = PMTiles ] || fail "$rel header"
    [ "$(http_code "$U/tiles/$id.json")" = 200 ] || fail "TileJSON of $id"
    n=$((n + 1))
done
[ $n -ge 10 ] || fail "only $n tilesets"
[ "$(http_code "$U/tiles/vector-rcp85-RWL06-median.json")" = 200 ] &&
    python3 -c 'import json,sys; j = json.load(open(sys.argv[1])); assert j["tilejson"] == "3.0.0" and "cells" in [l["id"] for l in j["vector_layers"]], j' "$TMPDIR/body" ||
    fail "vector TileJSON"
for f in legends/tg_mean-mean.json legends/tg_mean-anom.png; do
    [ "$(http_code "$U/tiles/$f")" = 200 ] && cmp -s "$TMPDIR/body" "$T/$f" || fail "legend $f"
done
echo "$n tilesets of catalog.json served with their TileJSON, archive headers and legends"

# The statistics file's values for one cell, read by GDAL: median p05 p95 (float32 → %.6g)
stat_values() { # variable horizon cell
    /usr/bin/python3 - "$W/stats/rcp85.nc" "$@" <<'PY'
import sys
from osgeo import gdal
gdal.UseExceptions()
f, var, hor, cell = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rg = gdal.OpenEx(f, gdal.OF_MULTIDIM_RASTER).GetRootGroup()
stats = list(rg.OpenMDArray('stat').Read())
h = list(rg.OpenMDArray('horizon').Read()).index(hor)
ys = [round((y - 1617000) / 8000) for y in rg.OpenMDArray('y').ReadAsArray()]
xs = [round((x - 60000) / 8000) for x in rg.OpenMDArray('x').ReadAsArray()]
a = rg.OpenMDArray(var).ReadAsArray()
r, c = ys.index(cell // 143), xs.index(cell % 143)
print(' '.join('%.6g' % a[stats.index(s), h, r, c] for s in ('median', 'p05', 'p95')))
PY
}
same6() { awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); m = split(b, y, " "); if (n != m) exit 1
    for (i = 1; i <= n; i++) if (sprintf("%.6g", x[i]) != y[i]) exit 1 }'; }

# ---- the browser, datamart behind the server: the warming-level map from its archive
CLICK=-0.58,44.84
node "$SRC/web/test/pipeline.mjs" --url "$U" --out "$OUT" --name db --select tg_mean,rcp85,RWL06,mean \
    --click $CLICK --expect-tileset vector-rcp85-RWL06-median --levels "RWL06:$reached" || fail "browser checks (datamart)"
read -r cell value p05 p95 <<<"$(python3 -c 'import json,sys; p = json.load(open(sys.argv[1]))["popup"]
print(p["cell"], p["value"], p["p05"], p["p95"])' "$OUT/db.json")"
[ "$(dm_psql "select datamart.cell_of(${CLICK%,*}, ${CLICK#*,})")" = "$cell" ] || fail "the popup is not about the clicked cell ($cell)"
want=$(stat_values tg_mean_ens_mean RWL06 "$cell") || fail "GDAL read"
same6 "$value $p05 $p95" "$want" || fail "popup of cell $cell shows '$value $p05 $p95', the statistics file holds '$want'"
echo "popup (datamart) cell $cell: $value [$p05, $p95] = statistics file"
python3 - "$OUT/db.json" <<'PY' || fail "menus with the datamart"
import json, sys
m = json.load(open(sys.argv[1]))['menus']
on = lambda k: sorted(o['code'] for o in m[k] if not o['disabled'])
# su is in the datamart (live tiles), not in the tiles folder: still offered
assert on('indicator') == ['spring_frost', 'su', 'tg_mean'], on('indicator')
assert on('scenario') == ['historical', 'rcp85'], on('scenario')
assert on('horizon') == ['H1', 'REF', 'RWL06'], on('horizon')
assert [o['disabled'] for o in m['horizon'] if o['code'] == 'RWL99'] == [True], m['horizon']  # listed, not selectable
PY
serve_stop

# ---- without a datamart: menus from catalog.json alone, popup values from the vector tiles
serve_start --config "$TMPDIR/run.ini" --no-db
U=$SERVE_URL
node "$SRC/web/test/pipeline.mjs" --url "$U" --out "$OUT" --name nodb --select tg_mean,rcp85,H1,anom \
    --click $CLICK --expect-tileset vector-rcp85-H1-median --levels "RWL06:$reached" || fail "browser checks (no datamart)"
read -r cell2 value2 <<<"$(python3 -c 'import json,sys; p = json.load(open(sys.argv[1]))["popup"]
print(p["cell"], p["value"])' "$OUT/nodb.json")"
[ "$cell2" = "$cell" ] || fail "no-datamart popup names cell $cell2, not $cell"
want=$(stat_values tg_mean_ens_anom H1 "$cell") || fail "GDAL read"
same6 "$value2" "${want%% *}" || fail "tile popup of cell $cell shows $value2, the statistics file holds ${want%% *}"
echo "popup (tiles only) cell $cell: $value2 = statistics file"
python3 - "$OUT/nodb.json" <<'PY' || fail "menus from catalog.json"
import json, sys
m = json.load(open(sys.argv[1]))['menus']
on = lambda k: sorted(o['code'] for o in m[k] if not o['disabled'])
assert on('indicator') == ['spring_frost', 'tg_mean'], on('indicator')
assert on('horizon') == ['H1', 'REF', 'RWL06'], on('horizon')
PY
serve_stop
echo "web pipeline ok in $((SECONDS - t0)) s (screenshots in $OUT)"
