// check_list.mjs — every tile of LIST ("z x y content" lines) read back
// from a PMTiles archive with the pmtiles package must have exactly that
// content, and the neighbours (x + 1) not in the list must be absent.
// node check_list.mjs ARCHIVE LIST
import { PMTiles } from 'pmtiles';
import fs from 'node:fs';
import { FileSource } from './lib.mjs';

const [archive, listPath] = process.argv.slice(2);
const p = new PMTiles(new FileSource(archive));
const hd = await p.getHeader();
const lines = fs.readFileSync(listPath, 'utf8').trim().split('\n');
const want = new Map(lines.map((l) => {
  const [z, x, y, c] = l.split(' ');
  return [`${z}/${x}/${y}`, c];
}));
const dec = new TextDecoder();
let bad = 0, absent = 0;
for (const [k, c] of want) {
  const [z, x, y] = k.split('/').map(Number);
  const r = await p.getZxy(z, x, y);
  const got = r ? dec.decode(r.data) : undefined;
  if (got !== c && bad++ < 5) console.error(`${k}: got ${got}, want ${c}`);
  const nk = `${z}/${x + 1}/${y}`;
  if (!want.has(nk) && x + 1 < 2 ** z) {
    const n = await p.getZxy(z, x + 1, y);
    if (n && bad++ < 5) console.error(`${nk}: present but never written`);
    absent++;
  }
}
console.log(JSON.stringify({ tiles: want.size, absent_checked: absent, bad, leaf_bytes: hd.leafDirectoryLength, root_bytes: hd.rootDirectoryLength, entries: hd.numTileEntries, contents: hd.numTileContents, addressed: hd.numAddressedTiles }));
process.exit(bad || hd.numAddressedTiles !== want.size ? 1 : 0);
