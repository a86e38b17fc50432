// check_vector.mjs — read a climrisk vector PMTiles archive with the
// pmtiles package and decode every tile with @mapbox/vector-tile, then check
// it against the MVT 2.1 and PMTiles v3 rules and against values computed
// here from the fixture formula (not from climrisk's output):
//   header and metadata (TileJSON vector_layers, attribution, bounds),
//   every tile <= --max-bytes uncompressed, extent 4096, version 2,
//   every point inside the tile + buffer, exterior rings positive /
//   holes negative, no degenerate ring, full-resolution cells carrying the
//   fixture values and containing their DRIAS centre (lon/lat of the DRIAS
//   grid file), merged cells carrying the mean of their cells, admin
//   features carrying the datamart values given in --admin-values.
// Prints a JSON summary (tiles per zoom, features per layer) on stdout;
// exits 1 listing the first failures.
//
// node check_vector.mjs --archive A.pmtiles --grid grid.csv --catalog catalog.c
//   --h H [--max-bytes 500000] [--buffer 64] [--maxzoom 10]
//   [--admin-values values.json] [--layers cells,departements,communes]
import { PMTiles } from 'pmtiles';
import { VectorTile } from '@mapbox/vector-tile';
import Protobuf from 'pbf';
import fs from 'node:fs';
import { FileSource, landCells, catalogOrder, fixtureValue, lonLatToTile, area2, pointInRing, parseArgs } from './lib.mjs';

const a = parseArgs(process.argv.slice(2));
const maxBytes = Number(a['max-bytes'] || 500000);
const buffer = Number(a.buffer || 64);
const h = Number(a.h);
const failures = [];
const fail = (msg) => {
  if (failures.length < 30) failures.push(msg);
};

const cells = landCells(a.grid);
const order = catalogOrder(a.catalog);
const admin = a['admin-values'] ? JSON.parse(fs.readFileSync(a['admin-values'], 'utf8')) : null;

const p = new PMTiles(new FileSource(a.archive));
const hd = await p.getHeader();
const meta = await p.getMetadata();
if (hd.specVersion !== 3) fail(`spec version ${hd.specVersion}`);
if (hd.tileType !== 1) fail(`tile type ${hd.tileType}, want 1 (MVT)`);
if (hd.tileCompression !== 2 || hd.internalCompression !== 2) fail('compression is not gzip');
if (!hd.clustered) fail('not clustered');
if (hd.minZoom !== 0) fail(`minzoom ${hd.minZoom}`);
if (a.maxzoom !== undefined && hd.maxZoom !== Number(a.maxzoom)) fail(`maxzoom ${hd.maxZoom}`);
if (!(hd.minLon > -6 && hd.minLon < -4 && hd.maxLon > 9 && hd.maxLon < 10.5 && hd.minLat > 41 && hd.minLat < 42 && hd.maxLat > 51 && hd.maxLat < 51.5))
  fail(`bounds ${hd.minLon},${hd.minLat},${hd.maxLon},${hd.maxLat} are not France's`);
if (meta.attribution !== 'DRIAS/Météo-France format, climrisk') fail(`attribution ${meta.attribution}`);
if (meta.tilejson !== '3.0.0') fail('metadata is not TileJSON 3.0.0');
const vl = Object.fromEntries((meta.vector_layers || []).map((l) => [l.id, l]));
const wantLayers = (a.layers || 'cells').split(',');
for (const l of wantLayers) if (!vl[l]) fail(`vector_layers has no ${l}`);
for (const l of Object.keys(vl)) if (!wantLayers.includes(l)) fail(`unexpected layer ${l}`);
const props = Object.keys(vl.cells ? vl.cells.fields : {}).filter((f) => !['cell_id', 'k', 'ncells'].includes(f));
const parsed = props.map((name) => {
  const m = name.match(/^(.*)_(mean|anom)$/);
  return { name, k: order.indexOf(m[1]), q: m[2] === 'mean' ? 0 : 1 };
});
for (const pp of parsed) if (pp.k < 0) fail(`property ${pp.name} is not an indicator`);

// expected value of property pp for cell c
const expect = (pp, c) => fixtureValue(pp.k, pp.q, h, 50, c);
const blockMean = (pp, members) => {
  let s = 0, n = 0;
  for (const c of members) {
    const v = expect(pp, c);
    if (!Number.isNaN(v)) { s += v; n++; }
  }
  return n ? Math.fround(s / n) : NaN;
};
const blocks = new Map(); // "k:b" -> member ids
const membersOf = (k, b) => {
  const key = `${k}:${b}`;
  if (!blocks.has(key)) {
    const nbx = Math.ceil(143 / k);
    blocks.set(key, [...cells.values()].filter((c) => Math.floor(c.j / k) * nbx + Math.floor(c.i / k) === b).map((c) => c.id));
  }
  return blocks.get(key);
};

const summary = { tiles: {}, features: {}, largest: 0, checked_values: 0, centres_inside: 0, admin_checked: 0 };
let total = 0;
for (let z = hd.minZoom; z <= hd.maxZoom; z++) {
  const [x0, y0] = lonLatToTile(hd.minLon, hd.maxLat, z).map(Math.floor);
  const [x1, y1] = lonLatToTile(hd.maxLon, hd.minLat, z).map(Math.floor);
  let count = 0;
  for (let y = Math.max(0, y0 - 1); y <= Math.min(2 ** z - 1, y1 + 1); y++) {
    for (let x = Math.max(0, x0 - 1); x <= Math.min(2 ** z - 1, x1 + 1); x++) {
      const r = await p.getZxy(z, x, y);
      if (!r) continue;
      count++;
      const bytes = new Uint8Array(r.data);
      if (bytes.length > maxBytes) fail(`${z}/${x}/${y} is ${bytes.length} bytes > ${maxBytes}`);
      summary.largest = Math.max(summary.largest, bytes.length);
      const t = new VectorTile(new Protobuf(bytes));
      for (const [name, layer] of Object.entries(t.layers)) {
        if (!vl[name]) fail(`${z}/${x}/${y}: layer ${name} not in vector_layers`);
        else if (z < vl[name].minzoom || z > vl[name].maxzoom) fail(`${z}/${x}/${y}: layer ${name} outside its zoom range`);
        if (layer.version !== 2) fail(`${z}/${x}/${y}/${name}: version ${layer.version}`);
        if (layer.extent !== 4096) fail(`${z}/${x}/${y}/${name}: extent ${layer.extent}`);
        summary.features[name] = (summary.features[name] || 0) + layer.length;
        for (let i = 0; i < layer.length; i++) {
          const f = layer.feature(i);
          const where = `${z}/${x}/${y} ${name} #${f.id}`;
          if (f.type !== 3) fail(`${where}: type ${f.type}`);
          const rings = f.loadGeometry();
          if (!rings.length) fail(`${where}: no geometry`);
          rings.forEach((ring, ri) => {
            for (const pt of ring)
              if (pt.x < -buffer || pt.x > 4096 + buffer || pt.y < -buffer || pt.y > 4096 + buffer) {
                fail(`${where}: point ${pt.x},${pt.y} outside the tile + buffer`);
                break;
              }
            if (ring.length < 4) fail(`${where}: ring ${ri} has ${ring.length - 1} points`);
            const ar = area2(ring);
            if (ar === 0) fail(`${where}: ring ${ri} has zero area`);
            if (ri === 0 && ar < 0) fail(`${where}: first ring is not exterior (negative area)`);
          });
          const pr = f.properties;
          if (name === 'cells') {
            if (pr.k === 1) {
              const c = cells.get(pr.cell_id);
              if (!c) { fail(`${where}: cell_id ${pr.cell_id} is not a land cell`); continue; }
              if (f.id !== pr.cell_id) fail(`${where}: feature id is not cell_id ${pr.cell_id}`);
              for (const pp of parsed) {
                const want = expect(pp, c.id);
                const got = pr[pp.name];
                if (Number.isNaN(want) ? got !== undefined : got !== want) fail(`${where}: ${pp.name} = ${got}, want ${want}`);
                summary.checked_values++;
              }
              const [tx, ty] = lonLatToTile(c.lon, c.lat, z);
              const px = (tx - x) * 4096, py = (ty - y) * 4096;
              if (px >= 0 && px <= 4096 && py >= 0 && py <= 4096) {
                const inside = rings.some((ring) => area2(ring) > 0 && pointInRing(px, py, ring));
                if (!inside) fail(`${where}: the DRIAS centre of cell ${c.id} (${c.lon}, ${c.lat}) is not inside its polygon`);
                else summary.centres_inside++;
              }
            } else {
              const members = membersOf(pr.k, f.id - 1);
              if (members.length !== pr.ncells) fail(`${where}: ncells ${pr.ncells}, want ${members.length}`);
              for (const pp of parsed) {
                const want = blockMean(pp, members);
                const got = pr[pp.name];
                if (Number.isNaN(want) ? got !== undefined : !(Math.abs(got - want) <= 1e-5 * Math.abs(want)))
                  fail(`${where}: merged ${pp.name} = ${got}, want ${want}`);
                summary.checked_values++;
              }
            }
          } else if (admin) {
            const want = (admin[name] || {})[pr.code];
            if (typeof pr.code !== 'string' || typeof pr.name !== 'string') fail(`${where}: no code/name`);
            for (const pp of parsed) {
              const w = want ? want[pp.name] : undefined;
              const got = pr[pp.name];
              if (w === undefined || w === null ? got !== undefined : got !== Math.fround(w))
                fail(`${where}: ${pr.code} ${pp.name} = ${got}, datamart says ${w}`);
              summary.admin_checked++;
            }
          }
        }
      }
    }
  }
  summary.tiles[z] = count;
  total += count;
}
if (total !== hd.numAddressedTiles) fail(`found ${total} tiles, header says ${hd.numAddressedTiles}`);
if (hd.numTileContents > hd.numAddressedTiles || hd.numTileEntries > hd.numAddressedTiles) fail('header tile counts inconsistent');
console.log(JSON.stringify(summary));
if (failures.length) {
  for (const f of failures) console.error('FAIL ' + f);
  process.exit(1);
}
