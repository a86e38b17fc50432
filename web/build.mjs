// build.mjs — build the viewer into web/dist, offline: bundle src/ with
// esbuild (MapLibre GL JS and the PMTiles protocol come from node_modules),
// copy index.html, derive a light France/départements outline from the
// admin boundaries shipped in sql/data/admin_fr/ (so the map needs no
// basemap server), and write .gz siblings that `climrisk serve` sends to
// clients accepting gzip. Written to dist.tmp and renamed, so a failed
// build never leaves a half-written dist/.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const tmp = path.join(here, 'dist.tmp');
const adminFile = path.join(here, '..', 'sql', 'data', 'admin_fr', 'departements.geojson');

fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });

await build({
  entryPoints: [path.join(here, 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outfile: path.join(tmp, 'app.js'),
  loader: { '.css': 'css' },
  legalComments: 'linked',
  logLevel: 'warning',
});

// Douglas-Peucker on one ring (lon/lat degrees), then 4-decimal rounding
// (~10 m): the outline is decoration, 1 km tolerance is invisible at the
// zooms the grid is shown.
function simplify(ring, tol) {
  if (ring.length <= 4) return ring;
  const keep = new Uint8Array(ring.length);
  keep[0] = keep[ring.length - 1] = 1;
  const stack = [[0, ring.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = ring[a], [bx, by] = ring[b];
    const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    let best = -1, bestD = 0;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = ring[i];
      let d;
      if (len2 === 0) d = Math.hypot(px - ax, py - ay);
      else d = Math.abs(dy * px - dx * py + bx * ay - by * ax) / Math.sqrt(len2);
      if (d > bestD) { bestD = d; best = i; }
    }
    if (best >= 0 && bestD > tol) {
      keep[best] = 1;
      stack.push([a, best], [best, b]);
    }
  }
  const r = ring.filter((_, i) => keep[i]).map(([x, y]) => [+x.toFixed(4), +y.toFixed(4)]);
  return r.length >= 4 ? r : null;
}

function simplifyGeometry(g, tol) {
  const poly = (rings) => rings.map((r) => simplify(r, tol)).filter(Boolean);
  if (g.type === 'Polygon') {
    const p = poly(g.coordinates);
    return p.length ? { type: 'Polygon', coordinates: p } : null;
  }
  if (g.type === 'MultiPolygon') {
    const ps = g.coordinates.map(poly).filter((p) => p.length);
    return ps.length ? { type: 'MultiPolygon', coordinates: ps } : null;
  }
  return null;
}

const admin = JSON.parse(fs.readFileSync(adminFile, 'utf8'));
const outline = {
  type: 'FeatureCollection',
  features: admin.features
    .map((f) => ({
      type: 'Feature',
      properties: { code: f.properties.code, name: f.properties.nom },
      geometry: simplifyGeometry(f.geometry, 0.01),
    }))
    .filter((f) => f.geometry),
};
fs.writeFileSync(path.join(tmp, 'data', 'departements.geojson'), JSON.stringify(outline));
fs.writeFileSync(
  path.join(tmp, 'data', 'SOURCES.md'),
  '# departements.geojson\n\nDerived at build time (web/build.mjs: Douglas-Peucker, 0.01 degree, ' +
    '4 decimals) from sql/data/admin_fr/departements.geojson; origin, licence (Etalab Licence ' +
    'Ouverte, IGN Admin Express / INSEE COG 2018) and checksums in sql/data/admin_fr/SOURCES.md.\n',
);

// index.html references app.js/app.css with a content hash so browsers
// never mix an old bundle with a new page.
const hash = createHash('sha256')
  .update(fs.readFileSync(path.join(tmp, 'app.js')))
  .update(fs.readFileSync(path.join(tmp, 'app.css')))
  .digest('hex')
  .slice(0, 12);
const html = fs.readFileSync(path.join(here, 'src', 'index.html'), 'utf8').replaceAll('__HASH__', hash);
fs.writeFileSync(path.join(tmp, 'index.html'), html);

for (const name of ['index.html', 'app.js', 'app.css', 'data/departements.geojson']) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p + '.gz', zlib.gzipSync(fs.readFileSync(p), { level: 9 }));
}

fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(tmp, out);
const size = (n) => (fs.statSync(path.join(out, n)).size / 1024).toFixed(0) + ' KiB';
console.log(`web: dist/ built (app.js ${size('app.js')}, app.css ${size('app.css')}, outline ${size('data/departements.geojson')}, ${outline.features.length} départements)`);
