// e2e.mjs — the viewer in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser is downloaded).
//
//   node test/e2e.mjs --url http://127.0.0.1:PORT --out DIR
//        [--first tg_mean,rcp45,H2] [--second spring_frost,rcp85,H2]
//        [--click -0.58,44.84]
//
// Opens the map on the first selection (expected to come from a PMTiles
// archive), checks the legend and that the map is not blank (pixel
// statistics of a screenshot, decoded by the browser), switches indicator
// and scenario to the second selection (live tiles), clicks a point and
// reads the popup, toggles the language and the comparison view. Writes
// DIR/result.json (what the popup showed, raw values) for the calling
// test to check against the datamart, and screenshots into DIR.
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
const [ind1, scn1, hor1] = arg('first', 'tg_mean,rcp45,H2').split(',');
const [ind2, scn2, hor2] = arg('second', 'spring_frost,rcp85,H2').split(',');
const [clon, clat] = arg('click', '-0.58,44.84').split(',').map(Number);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const failures = [];
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures.push(what);
}

const userDataDir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'chromium-profile-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  viewport: { width: 1200, height: 800 },
});
const result = { ok: false };
try {
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  const badResponses = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) badResponses.push(`${r.status()} ${r.url()}`); });
  const origin = new URL(url).origin;
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      badResponses.push(`external request ${r.url()}`);
  });

  const idle = async (what) => {
    await page.waitForFunction(() => ['idle', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
    const st = await page.evaluate(() => document.body.dataset.state);
    check(st === 'idle', `${what}: viewer reached idle (state ${st})`);
  };

  // Pixel statistics of a PNG screenshot, decoded by the browser itself.
  const pixelStats = async (png) => page.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0, s = 0, s2 = 0;
    const colors = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) {
      const l = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      s += l; s2 += l * l; n++;
      colors.add((d[i] >> 3) << 10 | (d[i + 1] >> 3) << 5 | (d[i + 2] >> 3));
    }
    const mean = s / n;
    return { width: c.width, height: c.height, stddev: Math.sqrt(s2 / n - mean * mean), colors: colors.size };
  }, png.toString('base64'));

  // the ramp colours of the legend that show up on the map (alpha-blended
  // over the land colour, so compared loosely)
  const rampPixels = async (png) => page.evaluate(async ([b64]) => {
    const cols = [...document.querySelectorAll('#legend .sw')].map((e) => getComputedStyle(e).backgroundColor
      .match(/\d+/g).slice(0, 3).map(Number));
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const land = [242, 239, 233];
    const blended = cols.map((k) => k.map((v, j) => 0.85 * v + 0.15 * land[j]));
    let hit = 0, n = 0;
    for (let i = 0; i < d.length; i += 4 * 5) {
      n++;
      if (blended.some((k) => Math.abs(k[0] - d[i]) + Math.abs(k[1] - d[i + 1]) + Math.abs(k[2] - d[i + 2]) < 24)) hit++;
    }
    return hit / n;
  }, [png.toString('base64')]);

  await page.goto(`${url}/#indicator=${ind1}&scenario=${scn1}&horizon=${hor1}&lang=fr`);
  await idle('first map');
  const src1 = await page.evaluate(() => document.body.dataset.source);
  check(src1 === 'pmtiles', `first map comes from the PMTiles archive (source ${src1})`);
  const legendRows = await page.locator('#legend .row').count();
  check(legendRows >= 5, `legend has ${legendRows} colour classes`);
  const legendTitle = await page.locator('#legend h2').textContent();
  check(legendTitle.includes('Température moyenne') && legendTitle.includes('°C'), `legend title with unit: '${legendTitle}'`);
  const shot1 = await page.locator('#map').screenshot({ path: path.join(outDir, 'map-first.png') });
  const st1 = await pixelStats(shot1);
  check(st1.stddev > 15 && st1.colors > 30, `first map is not blank (stddev ${st1.stddev.toFixed(1)}, ${st1.colors} colours)`);
  const ramp1 = await rampPixels(shot1);
  check(ramp1 > 0.08, `legend colours cover ${(ramp1 * 100).toFixed(0)}% of the first map`);

  // switch indicator, then scenario (the second map is not pre-rendered: live tiles)
  await page.selectOption('#indicator', ind2);
  await idle('indicator switched');
  await page.selectOption('#scenario', scn2);
  await idle('scenario switched');
  if ((await page.inputValue('#horizon')) !== hor2) {
    await page.selectOption('#horizon', hor2);
    await idle('horizon switched');
  }
  const src2 = await page.evaluate(() => document.body.dataset.source);
  check(src2 === 'live', `second map comes from live datamart tiles (source ${src2})`);
  const sel = await page.evaluate(() => ({ ...window.climrisk.state }));
  check(sel.indicator === ind2 && sel.scenario === scn2 && sel.horizon === hor2, `selection is ${sel.indicator}/${sel.scenario}/${sel.horizon}`);
  const label1 = await page.locator('#label1').textContent();
  check(/RCP8\.5/.test(label1), `map label names the scenario: '${label1}'`);

  // click a point: the popup shows the cell's and the commune's values
  const px = await page.evaluate(([lon, lat]) => {
    const p = window.climrisk.maps[0].project([lon, lat]);
    const r = document.getElementById('map').getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [clon, clat]);
  await page.mouse.click(px.x, px.y);
  await page.waitForSelector('.maplibregl-popup .popup', { timeout: 20000 });
  const popup = await page.evaluate(() => {
    const el = document.querySelector('.maplibregl-popup .popup');
    const cell = el.querySelector('[data-k="cell"]');
    const cs = el.querySelector('[data-k="cell-spread"]');
    const com = el.querySelector('[data-k="commune"]');
    const cos = el.querySelector('[data-k="commune-spread"]');
    return {
      text: el.textContent,
      cell: Number(el.dataset.cell),
      cell_value: Number(cell.dataset.value), cell_text: cell.textContent,
      cell_p05: cs ? Number(cs.dataset.p05) : null, cell_p95: cs ? Number(cs.dataset.p95) : null,
      spread_text: cs ? cs.textContent : '',
      commune_value: com ? Number(com.dataset.value) : null, commune_text: com ? com.textContent : '',
      commune_p05: cos ? Number(cos.dataset.p05) : null,
    };
  });
  Object.assign(result, { popup, selection: sel });
  console.log('popup:', popup.text);
  const fr = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 2 }).format(popup.cell_value);
  check(popup.cell > 0 && popup.cell_text.includes(fr), `popup shows the cell value as '${fr}' ('${popup.cell_text}')`);
  check(/Commune .+ \(\d[\dAB]\d{3}\)/.test(popup.text), 'popup names the commune and its INSEE code');
  check(popup.spread_text.includes('p05–p95') && popup.spread_text.includes('modèles'), `popup shows the ensemble spread ('${popup.spread_text}')`);
  const shot2 = await page.locator('#map').screenshot({ path: path.join(outDir, 'map-second-popup.png') });
  const st2 = await pixelStats(shot2);
  check(st2.stddev > 15 && st2.colors > 30, `second map is not blank (stddev ${st2.stddev.toFixed(1)}, ${st2.colors} colours)`);
  const ramp2 = await rampPixels(shot2);
  check(ramp2 > 0.08, `legend colours cover ${(ramp2 * 100).toFixed(0)}% of the second map`);
  await page.screenshot({ path: path.join(outDir, 'viewer.png') });

  // English labels
  await page.click('#lang');
  await idle('language switched');
  const lab = await page.locator('[data-i18n="indicator"]').first().textContent();
  check(lab === 'Indicator', `English labels after the toggle ('${lab}')`);
  const lt = await page.locator('#legend h2').textContent();
  check(lt.includes('Late frost days'), `legend in English ('${lt}')`);

  // side-by-side comparison of two scenarios
  await page.check('#compare');
  await page.selectOption('#scenario2', scn1);
  await idle('comparison');
  const both = await page.evaluate(() => [document.getElementById('map').dataset.source, document.getElementById('map2').dataset.source,
    document.getElementById('map2').hidden, document.getElementById('label2').textContent]);
  check(!both[2] && both[1] === 'live' && /RCP4\.5/.test(both[3]), `second map of the comparison shown (${both.join(', ')})`);
  const shot3 = await page.locator('#map2').screenshot({ path: path.join(outDir, 'map-compare.png') });
  const st3 = await pixelStats(shot3);
  check(st3.stddev > 15, `comparison map is not blank (stddev ${st3.stddev.toFixed(1)})`);
  await page.screenshot({ path: path.join(outDir, 'viewer-compare.png') });

  const ignorable = (s) => /the communes layer/.test(s);
  check(consoleErrors.filter((e) => !ignorable(e)).length === 0, `no console errors (${consoleErrors.slice(0, 3).join(' | ')})`);
  check(badResponses.length === 0, `no failed or external requests (${badResponses.slice(0, 3).join(' | ')})`);
  result.ok = failures.length === 0;
} catch (e) {
  failures.push(String(e.stack || e));
  console.log('FAIL', e.stack || e);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
result.failures = failures;
fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2));
console.log(failures.length ? `${failures.length} browser check(s) failed` : 'all browser checks passed');
process.exit(failures.length ? 1 : 0);
