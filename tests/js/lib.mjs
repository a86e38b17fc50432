// lib.mjs — shared helpers of the tile checks: a local-file Source for the
// pmtiles package, the SAFRAN land cells, the indicator catalogue order and
// the fixture formula of tests/unit/support/nc_fixture.h.
import fs from 'node:fs';

export class FileSource {
  constructor(path) {
    this.path = path;
    this.fd = fs.openSync(path, 'r');
  }
  getKey() {
    return this.path;
  }
  async getBytes(offset, length) {
    const b = Buffer.alloc(length);
    const n = fs.readSync(this.fd, b, 0, length, offset);
    return { data: b.buffer.slice(b.byteOffset, b.byteOffset + n) };
  }
}

// DRIAS grilleSafran_utile_drias2021.csv: Id_point;i;j;...;Longitude;Latitude
export function landCells(csvPath) {
  const lines = fs.readFileSync(csvPath, 'utf8').split('\n').slice(1);
  const cells = new Map();
  for (const line of lines) {
    const f = line.split(';').map((s) => s.trim());
    if (f.length < 9 || f[0] === '') continue;
    cells.set(Number(f[0]), { id: Number(f[0]), i: Number(f[1]), j: Number(f[2]), lon: Number(f[7]), lat: Number(f[8]) });
  }
  return cells;
}

// Indicator codes in indicators/catalog.c order (the fixture's k).
export function catalogOrder(catalogC) {
  const src = fs.readFileSync(catalogC, 'utf8');
  return [...src.matchAll(/^ {4}\{"([a-z0-9_]+)",/gm)].map((m) => m[1]);
}

// nc_fixture.h: s = 1000 k + 100 q + 10 h + o + (c mod 61) / 8 + V / 2,
// NaN when (c + k + h) mod 53 = 0; o = 50 + stat index for ensembles.
export function fixtureValue(k, q, h, o, c, variant = 0) {
  if ((c + k + h) % 53 === 0) return NaN;
  return Math.fround(1000 * k + 100 * q + 10 * h + o + (c % 61) / 8 + variant / 2);
}

// Slippy-map tile coordinates (Web Mercator sphere) of lon/lat at zoom z,
// in units of tiles (fractional).
export function lonLatToTile(lon, lat, z) {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * n, ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n];
}

// Twice the shoelace area of a closed ring (points {x, y}), tile coordinates.
export function area2(ring) {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) a += ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y;
  return a;
}

export function pointInRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i], b = ring[j];
    if ((a.y > y) !== (b.y > y) && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

export function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    const k = argv[i].slice(2);
    o[k] = i + 1 < argv.length && !argv[i + 1].startsWith('--') ? argv[++i] : true;
  }
  return o;
}
