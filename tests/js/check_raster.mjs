// check_raster.mjs — read a climrisk raster PMTiles archive with the
// pmtiles package: header (PNG tiles, not recompressed, gzip directories,
// clustered), metadata (TileJSON + climrisk keys), and every tile a
// 256 x 256 palette PNG (signature and IHDR read here). Prints the tiles
// per zoom as JSON; exits 1 listing failures.
//
// node check_raster.mjs --archive A.pmtiles --indicator CODE --quantity Q [--maxzoom 9]
import { PMTiles } from 'pmtiles';
import { FileSource, lonLatToTile, parseArgs } from './lib.mjs';

const a = parseArgs(process.argv.slice(2));
const failures = [];
const fail = (m) => failures.length < 30 && failures.push(m);
const p = new PMTiles(new FileSource(a.archive));
const hd = await p.getHeader();
const meta = await p.getMetadata();
if (hd.specVersion !== 3) fail(`spec version ${hd.specVersion}`);
if (hd.tileType !== 2) fail(`tile type ${hd.tileType}, want 2 (PNG)`);
if (hd.tileCompression !== 1) fail(`tile compression ${hd.tileCompression}, want 1 (none)`);
if (hd.internalCompression !== 2) fail('directories not gzip');
if (!hd.clustered) fail('not clustered');
if (a.maxzoom !== undefined && hd.maxZoom !== Number(a.maxzoom)) fail(`maxzoom ${hd.maxZoom}`);
if (meta.tilejson !== '3.0.0' || meta.attribution !== 'DRIAS/Météo-France format, climrisk') fail('metadata is not climrisk TileJSON');
if (!meta.climrisk || meta.climrisk.indicator !== a.indicator || meta.climrisk.quantity !== a.quantity) fail(`metadata climrisk ${JSON.stringify(meta.climrisk)}`);
if (meta.vector_layers) fail('raster metadata has vector_layers');
const tiles = {};
let total = 0;
const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
for (let z = hd.minZoom; z <= hd.maxZoom; z++) {
  const [x0, y0] = lonLatToTile(hd.minLon, hd.maxLat, z).map(Math.floor);
  const [x1, y1] = lonLatToTile(hd.maxLon, hd.minLat, z).map(Math.floor);
  let n = 0;
  for (let y = Math.max(0, y0 - 1); y <= Math.min(2 ** z - 1, y1 + 1); y++)
    for (let x = Math.max(0, x0 - 1); x <= Math.min(2 ** z - 1, x1 + 1); x++) {
      const r = await p.getZxy(z, x, y);
      if (!r) continue;
      n++;
      const b = new Uint8Array(r.data);
      if (!sig.every((v, i) => b[i] === v)) { fail(`${z}/${x}/${y} is not a PNG`); continue; }
      const dv = new DataView(r.data);
      // IHDR: width, height, bit depth, colour type 3 (palette)
      if (dv.getUint32(16) !== 256 || dv.getUint32(20) !== 256 || b[25] !== 3) fail(`${z}/${x}/${y}: not a 256x256 palette PNG`);
    }
  tiles[z] = n;
  total += n;
}
if (total !== hd.numAddressedTiles) fail(`found ${total} tiles, header says ${hd.numAddressedTiles}`);
console.log(JSON.stringify(tiles));
if (failures.length) {
  for (const f of failures) console.error('FAIL ' + f);
  process.exit(1);
}
