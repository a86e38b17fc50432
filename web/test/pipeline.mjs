// pipeline.mjs — the viewer in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core) on the tiles folder `climrisk tiles` wrote:
// the menus list what catalog.json has, a selection draws from the
// scenario × horizon's vector PMTiles archive, a click shows a popup.
//
//   node test/pipeline.mjs --url http://127.0.0.1:PORT --out DIR
//        --select tg_mean,rcp85,RWL06,mean --click -0.58,44.84
//        [--expect-tileset vector-rcp85-RWL06-median] [--levels RWL06:2]
//        [--name db|nodb]
//
// Writes DIR/<name>.json (menus, popup values) for the calling test to
// check against independent references, and DIR/<name>.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}
const url = arg('url');
const outDir = arg('out', '.');
const name = arg('name', 'pipeline');
const [ind, scn, hor, qty] = arg('select').split(',');
const [clon, clat] = arg('click', '-0.58,44.84').split(',').map(Number);
const expectTileset = arg('expect-tileset', '');
const levels = (arg('levels', '') || '').split(',').filter(Boolean).map((x) => x.split(':'));

const failures = [];
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures.push(what);
}

const userDataDir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'chromium-profile-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  viewport: { width: 1000, height: 760 },
});
const result = { ok: false };
try {
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  const requests = { pmtiles: 0, live: 0, bad: [] };
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => {
    const u = r.url();
    if (r.status() >= 400 && !(name === 'nodb' && /\/api\/(info|available|legend)/.test(u))) requests.bad.push(`${r.status()} ${u}`);
    if (/\.pmtiles$/.test(new URL(u).pathname)) requests.pmtiles++;
    if (u.includes('/live/')) requests.live++;
  });
  const idle = async (what) => {
    await page.waitForFunction(() => ['idle', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
    const st = await page.evaluate(() => document.body.dataset.state);
    check(st === 'idle', `${what}: viewer reached idle (state ${st})`);
  };

  await page.goto(`${url}/#indicator=${ind}&scenario=${scn}&horizon=${hor}&quantity=${qty}&lang=fr`);
  await idle('first map');
  // the menus: what can be chosen (enabled options) and how levels read
  const menus = await page.evaluate(() => {
    const opts = (id) => [...document.getElementById(id).options].map((o) => ({ code: o.value, text: o.textContent, disabled: o.disabled }));
    return { indicator: opts('indicator'), scenario: opts('scenario'), horizon: opts('horizon'), state: { ...window.climrisk.state } };
  });
  result.menus = menus;
  const sel = menus.state;
  check(sel.indicator === ind && sel.scenario === scn && sel.horizon === hor && sel.quantity === qty,
    `selection kept: ${sel.indicator}/${sel.scenario}/${sel.horizon}/${sel.quantity}`);
  const src = await page.evaluate(() => [document.body.dataset.source, document.getElementById('map').dataset.tileset]);
  check(src[0] === 'pmtiles', `map drawn from a PMTiles archive (source ${src[0]})`);
  if (expectTileset) check(src[1] === expectTileset, `tileset ${src[1]} is ${expectTileset}`);
  for (const [code, n] of levels) {
    const o = menus.horizon.find((x) => x.code === code);
    check(o && !o.disabled && o.text.includes(`${n} modèles`), `horizon menu offers ${code} with ${n} models ('${o && o.text}')`);
  }
  const legend = await page.locator('#legend').textContent();
  check((await page.locator('#legend .row').count()) >= 5, `legend has classes ('${legend.slice(0, 60)}…')`);

  // zoom to the full-resolution cells around the click point, then click it
  await page.evaluate(([lon, lat]) => window.climrisk.maps[0].jumpTo({ center: [lon, lat], zoom: 7.5 }), [clon, clat]);
  await page.waitForFunction(() => window.climrisk.maps[0].loaded() && window.climrisk.maps[0].areTilesLoaded(), null, { timeout: 30000 });
  await page.waitForTimeout(300);
  const shot = await page.locator('#map').screenshot({ path: path.join(outDir, `${name}.png`) });
  const filled = await page.evaluate(() => {
    const m = window.climrisk.maps[0];
    const c = m.getCanvas();
    return m.queryRenderedFeatures([[0, 0], [c.clientWidth, c.clientHeight]], { layers: ['data'] }).length;
  });
  check(filled > 20, `${filled} cells of the archive rendered around the click point`);
  check(shot.length > 20000, `screenshot is not blank (${shot.length} bytes PNG)`);
  const px = await page.evaluate(([lon, lat]) => {
    const p = window.climrisk.maps[0].project([lon, lat]);
    const r = document.getElementById('map').getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [clon, clat]);
  await page.mouse.click(px.x, px.y);
  await page.waitForSelector('.maplibregl-popup .popup', { timeout: 20000 });
  result.popup = await page.evaluate(() => {
    const el = document.querySelector('.maplibregl-popup .popup');
    const cell = el.querySelector('[data-k="cell"]');
    const cs = el.querySelector('[data-k="cell-spread"]');
    return {
      text: el.textContent, cell: Number(el.dataset.cell), value: Number(cell.dataset.value),
      p05: cs ? Number(cs.dataset.p05) : null, p95: cs ? Number(cs.dataset.p95) : null,
    };
  });
  console.log('popup:', result.popup.text);
  check(result.popup.cell > 0 && Number.isFinite(result.popup.value), 'popup names a cell and a value');
  result.requests = { pmtiles: requests.pmtiles, live: requests.live };
  check(requests.pmtiles > 0, `${requests.pmtiles} range requests to the archive`);
  check(requests.live === 0, `no live datamart tiles requested (${requests.live})`);
  // without a datamart the browser logs the 503 of /api/info and /api/available
  const errs = consoleErrors.filter((e) => !(name === 'nodb' && /status of 503/.test(e)));
  check(errs.length === 0, `no console errors (${errs.slice(0, 3).join(' | ')})`);
  check(requests.bad.length === 0, `no failed requests (${requests.bad.slice(0, 3).join(' | ')})`);
  result.ok = failures.length === 0;
} catch (e) {
  failures.push(String(e.stack || e));
  console.log('FAIL', e.stack || e);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
result.failures = failures;
fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(result, null, 2));
console.log(failures.length ? `${failures.length} browser check(s) failed` : 'all browser checks passed');
process.exit(failures.length ? 1 : 0);
