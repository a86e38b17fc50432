// pmtiles-fixture.mjs — test fixtures and checks for PMTiles archives.
//
//   node pmtiles-fixture.mjs write OUT.pmtiles --base URL --query QS --zooms 0-7
//        [--layer cells] [--bbox -5.5,41.2,10,51.2]
//     Fetch the live tiles of a map from a running `climrisk serve` (the
//     datamart's ST_AsMVT) for every tile of the bbox at those zooms and pack
//     them into a PMTiles v3 archive written from the spec (127-byte header,
//     gzip'd varint root directory, gzip'd JSON metadata, gzip'd tiles in
//     Hilbert order). Stands in for `climrisk tiles` output until the tile
//     generator lands, and is independent of the server's C reader.
//   node pmtiles-fixture.mjs synthetic OUT.pmtiles [--zooms 0-8]
//     A world archive whose tile z/x/y is the text "tile z/x/y", large
//     enough to need leaf directories.
//   node pmtiles-fixture.mjs check ARCHIVE.pmtiles --base URL --id ID
//     Read every tile with the pmtiles npm package (FileSource-like reader)
//     and compare it with what the server's /tiles/ID/z/x/y.mvt returns.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { PMTiles, zxyToTileId } from 'pmtiles';

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}

function lon2x(lon, z) { return Math.floor(((lon + 180) / 360) * 2 ** z); }
function lat2y(lat, z) {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
}

function varints(values) {
  const out = [];
  for (let v of values) {
    v = BigInt(v);
    while (v >= 0x80n) { out.push(Number((v & 0x7fn) | 0x80n)); v >>= 7n; }
    out.push(Number(v));
  }
  return Buffer.from(out);
}

function u64(buf, off, v) { buf.writeBigUInt64LE(BigInt(v), off); }

async function write(out) {
  const base = arg('base'), qs = arg('query', ''), layer = arg('layer', 'cells');
  const [z0, z1] = arg('zooms', '0-6').split('-').map(Number);
  const bbox = arg('bbox', '-5.5,41.2,10,51.2').split(',').map(Number);
  const tiles = [];
  for (let z = z0; z <= z1; z++) {
    for (let x = lon2x(bbox[0], z); x <= lon2x(bbox[2], z); x++) {
      for (let y = lat2y(bbox[3], z); y <= lat2y(bbox[1], z); y++) {
        const r = await fetch(`${base}/live/${layer}/${z}/${x}/${y}.mvt?${qs}`, { headers: { 'Accept-Encoding': 'identity' } });
        if (r.status !== 200) throw new Error(`live tile ${z}/${x}/${y}: HTTP ${r.status}`);
        const raw = Buffer.from(await r.arrayBuffer());
        if (raw.length === 0) continue; // no cell in this tile
        tiles.push({ id: zxyToTileId(z, x, y), z, x, y, data: zlib.gzipSync(raw) });
      }
    }
  }
  const params = Object.fromEntries(new URLSearchParams(qs));
  pack(out, tiles, {
    name: arg('name', 'climrisk fixture'), type: 'overlay', format: 'pbf',
    vector_layers: [{ id: layer, fields: { cell_id: 'Number', value: 'Number' }, minzoom: z0, maxzoom: z1 }],
    climrisk: { ...params, layer, property: 'value' },
  }, { z0, z1, bbox, type: 1 });
}

// Synthetic archive: tile z/x/y holds the text "tile z/x/y" (gzip'd), every
// tile of zooms z0..z1 except those with (x + y) % 7 == 3 (holes), so a
// reader's Hilbert ids, leaf directories and offsets can be checked.
function synthetic(out) {
  const [z0, z1] = arg('zooms', '0-8').split('-').map(Number);
  const tiles = [];
  for (let z = z0; z <= z1; z++)
    for (let x = 0; x < 2 ** z; x++)
      for (let y = 0; y < 2 ** z; y++)
        if ((x + y) % 7 !== 3)
          tiles.push({ id: zxyToTileId(z, x, y), data: zlib.gzipSync(Buffer.from(`tile ${z}/${x}/${y}`)) });
  pack(out, tiles, { name: 'synthetic', vector_layers: [] }, { z0, z1, bbox: [-180, -85, 180, 85], type: 1, forceLeaves: process.argv.includes('--leaves') });
}

function serializeDir(entries) {
  const ids = [], runs = [], lens = [], offs = [];
  let last = 0;
  entries.forEach((e, i) => {
    ids.push(e.id - last); last = e.id;
    runs.push(e.run); lens.push(e.length);
    offs.push(i > 0 && e.offset === entries[i - 1].offset + entries[i - 1].length ? 0 : e.offset + 1);
  });
  return zlib.gzipSync(Buffer.concat([varints([entries.length]), varints(ids), varints(runs), varints(lens), varints(offs)]));
}

function pack(out, tiles, metadata, o) {
  tiles.sort((a, b) => a.id - b.id);
  let offset = 0;
  const entries = tiles.map((t) => {
    const e = { id: t.id, offset, length: t.data.length, run: 1 };
    offset += t.data.length;
    return e;
  });
  let root = serializeDir(entries), leaves = Buffer.alloc(0);
  if (root.length > 16384 - 127 || o.forceLeaves) { // one level of leaf directories, 4096 entries each
    const parts = [], rootEntries = [];
    let loff = 0;
    for (let i = 0; i < entries.length; i += 4096) {
      const chunk = entries.slice(i, i + 4096);
      const d = serializeDir(chunk);
      rootEntries.push({ id: chunk[0].id, offset: loff, length: d.length, run: 0 });
      parts.push(d);
      loff += d.length;
    }
    root = serializeDir(rootEntries);
    leaves = Buffer.concat(parts);
  }
  const meta = zlib.gzipSync(Buffer.from(JSON.stringify(metadata)));
  const h = Buffer.alloc(127);
  h.write('PMTiles', 0, 'latin1'); h[7] = 3;
  const rootOff = 127, metaOff = rootOff + root.length, leafOff = metaOff + meta.length;
  const dataOff = leafOff + leaves.length;
  u64(h, 8, rootOff); u64(h, 16, root.length); u64(h, 24, metaOff); u64(h, 32, meta.length);
  u64(h, 40, leafOff); u64(h, 48, leaves.length); u64(h, 56, dataOff); u64(h, 64, offset);
  u64(h, 72, tiles.length); u64(h, 80, tiles.length); u64(h, 88, tiles.length);
  h[96] = 1; h[97] = 2; h[98] = 2; h[99] = o.type; h[100] = o.z0; h[101] = o.z1;
  h.writeInt32LE(Math.round(o.bbox[0] * 1e7), 102); h.writeInt32LE(Math.round(o.bbox[1] * 1e7), 106);
  h.writeInt32LE(Math.round(o.bbox[2] * 1e7), 110); h.writeInt32LE(Math.round(o.bbox[3] * 1e7), 114);
  h[118] = o.z0; h.writeInt32LE(Math.round(2.5e7), 119); h.writeInt32LE(Math.round(46.5e7), 123);
  const tmp = out + '.part';
  fs.writeFileSync(tmp, Buffer.concat([h, root, meta, leaves, ...tiles.map((t) => t.data)]));
  fs.renameSync(tmp, out);
  console.log(`wrote ${out}: ${tiles.length} tiles, zooms ${o.z0}-${o.z1}, ${leaves.length ? 'with' : 'no'} leaf directories`);
}

class FileSrc {
  constructor(p) { this.buf = fs.readFileSync(p); this.p = p; }
  getKey() { return this.p; }
  async getBytes(offset, length) {
    const b = this.buf.subarray(offset, offset + length);
    return { data: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) };
  }
}

async function check(file) {
  const base = arg('base'), id = arg('id');
  const p = new PMTiles(new FileSrc(file));
  const h = await p.getHeader();
  let n = 0, bad = 0;
  for (let z = h.minZoom; z <= h.maxZoom; z++) {
    for (let x = 0; x < 2 ** z; x++) {
      for (let y = 0; y < 2 ** z; y++) {
        if (z > 3 && (x < lon2x(-6, z) || x > lon2x(11, z) || y < lat2y(52, z) || y > lat2y(41, z))) continue;
        const t = await p.getZxy(z, x, y);
        const r = await fetch(`${base}/tiles/${id}/${z}/${x}/${y}.mvt`, { headers: { 'Accept-Encoding': 'identity' } });
        const body = Buffer.from(await r.arrayBuffer());
        if (!t) {
          if (r.status !== 204) { console.log(`tile ${z}/${x}/${y}: not in the archive but HTTP ${r.status}`); bad++; }
          continue;
        }
        n++;
        // the library returns the decompressed tile
        if (r.status !== 200 || Buffer.compare(Buffer.from(t.data), body) !== 0) {
          console.log(`tile ${z}/${x}/${y}: server HTTP ${r.status}, ${body.length} bytes; pmtiles npm ${t.data.byteLength} bytes`);
          bad++;
        }
      }
    }
  }
  console.log(`checked ${n} tiles against the pmtiles npm reader: ${bad} differences`);
  if (bad || n === 0) process.exit(1);
}

const [cmd, file] = process.argv.slice(2);
if (cmd === 'write') await write(file);
else if (cmd === 'synthetic') synthetic(file);
else if (cmd === 'check') await check(file);
else { console.error('usage: pmtiles-fixture.mjs write|check FILE ...'); process.exit(1); }
