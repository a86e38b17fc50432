# tiles_e2e.sh — real pipeline outputs into tiles: synthetic DRIAS-format
# inputs, `climrisk compute`, `climrisk aggregate` (a tiny scenarios/
# folder whose horizons fit a 2 + 3-year run), then `climrisk tiles` on
# aggregate's stats/<experiment>.nc: every full-resolution cell of the
# vector tiles carries the value GDAL's multidimensional API reads from the
# statistics file (ensemble median of the horizon mean and anomaly), and a
# raster pixel under a cell centre has that value's legend colour.
. "$SRC/tests/integration/lib/tiles_common.sh"
"$CLIMRISK" aggregate --help >/dev/null 2>&1 || { echo "skip: climrisk aggregate is not built in this tree"; exit 77; }
tiles_js
W="$TMPDIR/work"
mkdir -p "$W" "$TMPDIR/scn/ensembles"
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
[scenarios]
dir = $TMPDIR/scn
warming_window = 1
warming_horizon = 1
[tiles]
vector_maxzoom = 7
raster_maxzoom = 7
INI
"$CLIMRISK" -q synth --config "$TMPDIR/run.ini" --out "$W/data" >/dev/null 2>&1 || fail "synth"
"$CLIMRISK" -q compute --config "$TMPDIR/run.ini" --jobs 2 2>"$TMPDIR/compute.log" ||
    { cat "$TMPDIR/compute.log"; fail "compute"; }
"$CLIMRISK" -q aggregate --config "$TMPDIR/run.ini" --no-cog 2>"$TMPDIR/agg.log" ||
    { cat "$TMPDIR/agg.log"; fail "aggregate"; }
[ -f "$W/stats/rcp85.nc" ] || fail "aggregate wrote no stats/rcp85.nc"
"$CLIMRISK" tiles --config "$TMPDIR/run.ini" --no-datamart --scenarios rcp85 -i tg_mean,su,prcptot \
    2>"$TMPDIR/log" || { cat "$TMPDIR/log"; fail "tiles"; }
cat "$TMPDIR/log"
T="$W/tiles"
jcheck "$T/catalog.json" "sorted(t['id'] for t in j['tilesets'] if t['type'] == 'vector') == ['vector-rcp85-H1-median', 'vector-rcp85-REF-median', 'vector-rcp85-RWL06-median']"
jcheck "$T/catalog.json" "[t['horizon_type'] for t in j['tilesets'] if t['id'] == 'vector-rcp85-RWL06-median'] == ['warming_level']"

# the statistics file's values, read by GDAL, cell by cell
py - "$W/stats/rcp85.nc" H1 "$TMPDIR/want.json" <<'PY' || fail "reading the statistics file with GDAL"
import json, math, sys
from osgeo import gdal
gdal.UseExceptions()
rg = gdal.OpenEx(sys.argv[1], gdal.OF_MULTIDIM_RASTER).GetRootGroup()
s = list(rg.OpenMDArray('stat').Read()).index('median')
h = list(rg.OpenMDArray('horizon').Read()).index(sys.argv[2])
ys = rg.OpenMDArray('y').ReadAsArray()
xs = rg.OpenMDArray('x').ReadAsArray()
out = {}
for ind in ('tg_mean', 'su', 'prcptot'):
    for q in ('mean', 'anom'):
        a = rg.OpenMDArray('%s_ens_%s' % (ind, q)).ReadAsArray()[s, h]
        for r in range(a.shape[0]):
            j = int(round((ys[r] - 1617000) / 8000))
            for c in range(a.shape[1]):
                i = int(round((xs[c] - 60000) / 8000))
                v = float(a[r, c])
                if not math.isnan(v):
                    out.setdefault(str(j * 143 + i), {})['%s_%s' % (ind, q)] = v
json.dump(out, open(sys.argv[3], 'w'))
print(len(out), 'cells with values')
PY
cat >"$TMPDIR/cmp.mjs" <<'JS'
// every k = 1 cell of the H1 tileset carries the statistics file's values
import { PMTiles } from 'pmtiles';
import { VectorTile } from '@mapbox/vector-tile';
import Protobuf from 'pbf';
import fs from 'node:fs';
import { FileSource } from './lib.mjs';
const [archive, wantPath] = process.argv.slice(2);
const want = JSON.parse(fs.readFileSync(wantPath, 'utf8'));
const p = new PMTiles(new FileSource(archive));
let checked = 0, bad = 0;
const seen = new Set();
for (let x = 60; x <= 67; x++) for (let y = 40; y <= 47; y++) {
  const r = await p.getZxy(7, x, y);
  if (!r) continue;
  const l = new VectorTile(new Protobuf(new Uint8Array(r.data))).layers.cells;
  for (let i = 0; l && i < l.length; i++) {
    const f = l.feature(i).properties;
    if (f.k !== 1) { bad++; continue; }
    const w = want[String(f.cell_id)] || {};
    for (const k of ['tg_mean_mean', 'tg_mean_anom', 'su_mean', 'su_anom', 'prcptot_mean', 'prcptot_anom']) {
      const expect = w[k] === undefined ? undefined : Math.fround(w[k]);
      if (f[k] !== expect) { if (bad++ < 5) console.error(`cell ${f.cell_id} ${k}: tile ${f[k]}, file ${expect}`); }
      checked++;
    }
    seen.add(f.cell_id);
  }
}
console.log(JSON.stringify({ checked, bad, cells: seen.size }));
process.exit(bad || seen.size < 8981 ? 1 : 0);
JS
cp "$TMPDIR/cmp.mjs" "$JS/.e2e_cmp_$$.mjs"
(cd "$JS" && node ".e2e_cmp_$$.mjs" "$T/vector/rcp85-H1-median.pmtiles" "$TMPDIR/want.json")
rc=$?
rm -f "$JS/.e2e_cmp_$$.mjs"
[ $rc -eq 0 ] || fail "tile values differ from the statistics file"
(cd "$JS" && node check_raster.mjs --archive "$T/raster/su-rcp85-H1-anom-median.pmtiles" --indicator su \
    --quantity anom --maxzoom 7) >/dev/null || fail "raster archive"
echo "tiles e2e ok"
