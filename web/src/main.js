// main.js — the climrisk map viewer.
//
// Menus come from the server's catalogue (/api/catalog: indicators by
// category, scenarios, horizons, statistics, tilesets). A map is drawn from
// a pre-rendered PMTiles archive when the tiles folder has one for the
// selection (read with HTTP range requests through the pmtiles protocol),
// otherwise from live vector tiles the server cuts from the datamart with
// ST_AsMVT. No basemap server is needed: the outline of France and its
// départements ships with the viewer (data/departements.geojson).
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { Protocol } from 'pmtiles';
import './style.css';

const protocol = new Protocol();
maplibregl.addProtocol('pmtiles', protocol.tile);

const T = {
  fr: {
    indicator: 'Indicateur', scenario: 'Scénario', horizon: 'Horizon', quantity: 'Grandeur',
    statistic: 'Statistique', compare: 'Comparer', periods: 'Périodes', levels: 'Niveaux de réchauffement',
    cell: 'Maille 8 km', commune: 'Commune', departement: 'Département', models: 'modèles',
    spread: 'dispersion p05–p95', range: 'min–max', nodata: 'Pas de donnée ici',
    source_pmtiles: 'tuiles pré-calculées (PMTiles)', source_live: 'tuiles en direct (datamart)',
    source_raster: 'tuiles raster pré-calculées', legend_error: 'légende indisponible',
    loading: 'chargement…', info_error: 'Valeur indisponible', title: 'climrisk — risques climatiques',
    unavailable: 'non chargé', agreement: 'accord de signe',
  },
  en: {
    indicator: 'Indicator', scenario: 'Scenario', horizon: 'Horizon', quantity: 'Quantity',
    statistic: 'Statistic', compare: 'Compare', periods: 'Periods', levels: 'Warming levels',
    cell: '8 km cell', commune: 'Municipality', departement: 'Département', models: 'models',
    spread: 'p05–p95 spread', range: 'min–max', nodata: 'No data here',
    source_pmtiles: 'pre-rendered tiles (PMTiles)', source_live: 'live tiles (datamart)',
    source_raster: 'pre-rendered raster tiles', legend_error: 'legend unavailable',
    loading: 'loading…', info_error: 'Value unavailable', title: 'climrisk — climate risks',
    unavailable: 'not loaded', agreement: 'sign agreement',
  },
};

const params = new URLSearchParams(location.hash.slice(1));
let lang = params.get('lang') || localStorage.getItem('climrisk.lang') || 'fr';
if (!T[lang]) lang = 'fr';
const t = (k) => T[lang][k] || k;
const $ = (id) => document.getElementById(id);
const label = (o) => (o && o.label ? o.label[lang] || o.label.en : o ? o.code : '');

let cat = null;
let available = null; // Set of "indicator|scenario|horizon|quantity", null = unknown
const state = {
  indicator: params.get('indicator'), scenario: params.get('scenario'),
  horizon: params.get('horizon'), quantity: params.get('quantity') || 'mean',
  statistic: params.get('statistic') || 'median', compare: params.get('compare') === '1',
  scenario2: params.get('scenario2'), horizon2: params.get('horizon2'),
};
const maps = [];
let legendData = null;
let syncing = false;

function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2 }).format(v);
}

function unitText(u) {
  if (!u) return '';
  if (u === '1') return '×';
  const fr = lang === 'fr';
  return u.replace('degC days', fr ? '°C·jours' : '°C·days').replace('degC', '°C')
    .replace(/^days$/, fr ? 'jours' : 'days');
}

function indicatorDef(code) { return cat.indicators.find((i) => i.code === code); }
function horizonDef(code) { return cat.horizons.find((h) => h.code === code); }
function scenarioDef(code) { return cat.scenarios.find((s) => s.code === code); }
function isAvailable(ind, scn, hor, qty) {
  return !available || available.has(`${ind}|${scn}|${hor}|${qty}`);
}

function selection(i) {
  const s = { ...state };
  if (i === 1) { s.scenario = state.scenario2 || state.scenario; s.horizon = state.horizon2 || state.horizon; }
  return s;
}

function query(s) {
  return new URLSearchParams({
    indicator: s.indicator, scenario: s.scenario, horizon: s.horizon,
    quantity: s.quantity, statistic: s.statistic,
  }).toString();
}

// The pre-rendered source of a selection, if the tiles folder has one.
// `climrisk tiles` writes (docs/tiles.md) one vector tileset per scenario ×
// horizon × statistic carrying every indicator as `<indicator>_<quantity>`
// properties of its `cells` layer, and one raster tileset per map; a
// single-map tileset may also name its own layer and property. Vector
// wins over raster (crisp cells, values on the features).
function sourceFor(s) {
  const same = (ts) => ts.scenario === s.scenario && ts.horizon === s.horizon &&
    (ts.statistic || 'median') === s.statistic;
  const found = [];
  for (const ts of cat.tilesets || []) {
    if (!same(ts) || !ts.archive || !ts.archive.endsWith('.pmtiles')) continue;
    const key = `${s.indicator}_${s.quantity}`;
    if (ts.type === 'vector' && Array.isArray(ts.indicators) && !ts.indicator) {
      if (!ts.indicators.includes(s.indicator) || !(ts.quantities || ['mean']).includes(s.quantity)) continue;
      const lg = ts.legends && ts.legends[key];
      found.push({ ts, type: 'vector', layer: 'cells', prop: key, legend: lg && (lg.json || lg) });
    } else if (ts.indicator === s.indicator && (ts.quantity || 'mean') === s.quantity) {
      found.push({
        ts, type: ts.type === 'raster' ? 'raster' : 'vector',
        layer: ts.layer || (ts.vector_layers && ts.vector_layers[0]?.id) || 'cells',
        prop: ts.property || 'value', legend: ts.legend,
      });
    }
  }
  return found.find((f) => f.type === 'vector') || found[0] || null;
}

// Every map the tiles folder can draw, as "indicator|scenario|horizon|quantity".
function tiledMaps() {
  const out = new Set();
  for (const ts of cat.tilesets || []) {
    const inds = ts.indicator ? [ts.indicator] : ts.indicators || [];
    const qs = ts.indicator ? [ts.quantity || 'mean'] : ts.quantities || ['mean'];
    for (const i of inds) for (const q of qs) out.add(`${i}|${ts.scenario}|${ts.horizon}|${q}`);
  }
  return out;
}

// Models behind a warming-level horizon of a scenario (a level some
// models never reach has fewer), from the tilesets of the catalogue.
function modelCount(scenario, horizon) {
  const ts = (cat.tilesets || []).find((x) => x.scenario === scenario && x.horizon === horizon && x.nmodels);
  return ts ? ts.nmodels : null;
}

function fillOption(select, items, value, disabled) {
  select.replaceChildren();
  for (const it of items) {
    if (it.group) {
      const g = document.createElement('optgroup');
      g.label = it.group;
      for (const o of it.items) g.append(option(o, disabled));
      select.append(g);
    } else select.append(option(it, disabled));
  }
  if (value && [...select.options].some((o) => o.value === value)) select.value = value;
  return select.value;
}

function option(o, disabled) {
  const el = document.createElement('option');
  el.value = o.code;
  el.textContent = o.text;
  if (disabled && disabled(o.code)) {
    el.disabled = true;
    el.textContent += ` (${t('unavailable')})`;
  }
  return el;
}

function fillMenus() {
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = lang === 'fr' ? 'EN' : 'FR';
  const groups = cat.categories.map((c) => ({
    group: label(c),
    items: cat.indicators.filter((i) => i.category === c.code).map((i) => ({ code: i.code, text: i.name[lang] })),
  })).filter((g) => g.items.length);
  const indOff = (code) => available && ![...available].some((k) => k.startsWith(code + '|'));
  state.indicator = fillOption($('indicator'), groups, state.indicator, indOff);
  if ($('indicator').selectedOptions[0]?.disabled) {
    const first = [...$('indicator').options].find((o) => !o.disabled);
    if (first) state.indicator = $('indicator').value = first.value;
  }
  const scn = cat.scenarios.map((s) => ({ code: s.code, text: label(s) }));
  const scnOff = (code) => available && ![...available].some((k) => k.startsWith(`${state.indicator}|${code}|`));
  state.scenario = pickEnabled($('scenario'), fillOption($('scenario'), scn, state.scenario, scnOff));
  const levelText = (h, scenario) => {
    const n = modelCount(scenario, h.code);
    return n ? `${label(h)} · ${n} ${t('models')}` : label(h);
  };
  const hz = (s) => [
    { group: t('periods'), items: cat.horizons.filter((h) => h.type === 'period').map((h) => ({ code: h.code, text: horizonText(h) })) },
    { group: t('levels'), items: cat.horizons.filter((h) => h.type !== 'period').map((h) => ({ code: h.code, text: levelText(h, s) })) },
  ].filter((g) => g.items.length && s);
  const horOff = (scenario) => (code) => !isAvailable(state.indicator, scenario, code, state.quantity);
  state.horizon = pickEnabled($('horizon'), fillOption($('horizon'), hz(state.scenario), state.horizon, horOff(state.scenario)));
  const def = indicatorDef(state.indicator);
  const qty = cat.quantities.filter((q) => (q.code !== 'ratio' || def?.ratio) && (!q.code.startsWith('rl20') || state.indicator === 'rx1day'))
    .map((q) => ({ code: q.code, text: label(q) }));
  state.quantity = fillOption($('quantity'), qty, state.quantity);
  const st = cat.statistics.filter((s) => s.code !== 'agreement').map((s) => ({ code: s.code, text: label(s) }));
  state.statistic = fillOption($('statistic'), st, state.statistic);
  state.scenario2 = pickEnabled($('scenario2'), fillOption($('scenario2'), scn, state.scenario2 || state.scenario, scnOff));
  state.horizon2 = pickEnabled($('horizon2'), fillOption($('horizon2'), hz(state.scenario2 || state.scenario), state.horizon2 || state.horizon, horOff(state.scenario2)));
  $('compare').checked = state.compare;
  $('compare-controls').hidden = !state.compare;
}

function pickEnabled(select, value) {
  if (select.selectedOptions[0]?.disabled) {
    const first = [...select.options].find((o) => !o.disabled);
    if (first) select.value = first.value;
  }
  return select.value || value;
}

function horizonText(h) {
  const l = label(h);
  return h.first_year && !l.includes(String(h.first_year)) ? `${l} (${h.first_year}–${h.last_year})` : l;
}

function baseStyle() {
  return {
    version: 8,
    sources: { outline: { type: 'geojson', data: 'data/departements.geojson' } },
    layers: [
      { id: 'bg', type: 'background', paint: { 'background-color': '#cfe3ef' } },
      { id: 'land', type: 'fill', source: 'outline', paint: { 'fill-color': '#f2efe9' } },
      { id: 'dep-lines', type: 'line', source: 'outline', paint: { 'line-color': '#444', 'line-width': 0.7 } },
    ],
  };
}

function colorExpr(prop, lg) {
  const e = ['step', ['to-number', ['get', prop], 0], lg.colors[0]];
  for (let k = 1; k < lg.colors.length; k++) e.push(lg.breaks[k], lg.colors[k]);
  return ['case', ['has', prop], e, 'rgba(0,0,0,0)'];
}

async function fetchJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

async function loadLegend(s) {
  const src = sourceFor(s);
  if (src && typeof src.legend === 'string' && src.legend.endsWith('.json')) {
    try {
      const lg = await fetchJSON('tiles/' + src.legend);
      if (lg.breaks && lg.colors) return { ...lg, source: src.legend };
    } catch (e) { /* fall back to the datamart's legend */ }
  }
  return fetchJSON('api/legend?' + query(s));
}

function setData(map, i, s, lg) {
  for (const id of ['data', 'data-raster']) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource('data')) map.removeSource('data');
  const src = sourceFor(s);
  const ts = src && src.ts;
  let kind;
  if (src && src.type === 'raster') {
    kind = 'raster';
    map.addSource('data', { type: 'raster', url: `pmtiles://${location.origin}/tiles/${ts.archive}`, tileSize: 256 });
    map.addLayer({ id: 'data-raster', type: 'raster', source: 'data', paint: { 'raster-opacity': 0.85 } }, 'dep-lines');
  } else {
    let layer = 'cells', prop = 'value';
    if (src) {
      kind = 'pmtiles';
      layer = src.layer;
      prop = src.prop;
      map.addSource('data', { type: 'vector', url: `pmtiles://${location.origin}/tiles/${ts.archive}` });
    } else {
      kind = 'live';
      map.addSource('data', {
        type: 'vector', minzoom: 0, maxzoom: 11, bounds: [-5.5, 41.2, 10, 51.2],
        tiles: [`${location.origin}/live/cells/{z}/{x}/{y}.mvt?${query(s)}`],
      });
    }
    map.addLayer({
      id: 'data', type: 'fill', source: 'data', 'source-layer': layer,
      paint: { 'fill-color': lg ? colorExpr(prop, lg) : '#999', 'fill-opacity': 0.85 },
    }, 'dep-lines');
  }
  map.getContainer().dataset.source = kind;
  map.getContainer().dataset.tileset = ts ? ts.id : '';
  map.climriskProp = kind === 'pmtiles' ? { layer: 'data', prop: src.prop } : null;
  const sd = scenarioDef(s.scenario), hd = horizonDef(s.horizon);
  $(i === 0 ? 'label1' : 'label2').textContent = `${label(sd)} · ${hd ? horizonText(hd) : s.horizon}`;
  return kind;
}

function renderLegend(s, lg, kind) {
  const el = $('legend');
  el.replaceChildren();
  const def = indicatorDef(s.indicator);
  const q = cat.quantities.find((x) => x.code === s.quantity);
  const h = document.createElement('h2');
  const unit = lg ? unitText(lg.unit) : '';
  h.textContent = `${def ? def.name[lang] : s.indicator}${unit ? ' (' + unit + ')' : ''}`;
  el.append(h);
  const sub = document.createElement('div');
  sub.className = 'src';
  sub.textContent = `${label(q)} · ${label(cat.statistics.find((x) => x.code === s.statistic))}`;
  el.append(sub);
  if (!lg) {
    const e = document.createElement('div');
    e.textContent = t('legend_error');
    el.append(e);
    return;
  }
  for (let k = lg.colors.length - 1; k >= 0; k--) {
    const row = document.createElement('div');
    row.className = 'row';
    const sw = document.createElement('span');
    sw.className = 'sw';
    sw.style.background = lg.colors[k];
    const tx = document.createElement('span');
    tx.textContent = `${fmt(lg.breaks[k])} – ${fmt(lg.breaks[k + 1])}`;
    row.append(sw, tx);
    el.append(row);
  }
  const src = document.createElement('div');
  src.className = 'src';
  src.textContent = t('source_' + kind);
  el.append(src);
  el.dataset.unit = lg.unit;
}

function popupHTML(info) {
  const div = document.createElement('div');
  div.className = 'popup';
  const def = indicatorDef(info.indicator);
  const u = unitText(info.unit);
  const h = document.createElement('h3');
  h.textContent = `${def ? def.name[lang] : info.indicator} — ${label(scenarioDef(info.scenario))}, ${info.horizon}`;
  div.append(h);
  const table = document.createElement('table');
  const add = (what, key, o) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    a.textContent = what;
    const b = document.createElement('td');
    b.className = 'v';
    b.dataset.k = key;
    b.dataset.value = o ? o.median : '';
    b.textContent = o && o.median !== null ? `${fmt(o.median)} ${u}` : t('nodata');
    tr.append(a, b);
    table.append(tr);
    if (o && o.median !== null && o.p05 !== undefined) {
      const tr2 = document.createElement('tr');
      const c = document.createElement('td');
      c.colSpan = 2;
      c.className = 'spread';
      c.dataset.k = key + '-spread';
      c.dataset.p05 = o.p05;
      c.dataset.p95 = o.p95;
      let txt = `${t('spread')} : ${fmt(o.p05)} – ${fmt(o.p95)} · ${t('range')} : ${fmt(o.min)} – ${fmt(o.max)}`;
      if (o.nmodels) txt += ` · ${o.nmodels} ${t('models')}`;
      if (o.agreement !== undefined && o.agreement !== null) txt += ` · ${t('agreement')} ${fmt(o.agreement)}`;
      c.textContent = txt;
      tr2.append(c);
      table.append(tr2);
    }
  };
  add(info.cell ? `${t('cell')} n° ${info.cell.id}` : t('cell'), 'cell', info.cell);
  if (info.cell) div.dataset.cell = info.cell.id;
  // (values read from a tile carry no commune: those rows are left out)
  if (info.commune !== undefined) add(info.commune ? `${t('commune')} ${info.commune.name} (${info.commune.code})` : t('commune'), 'commune', info.commune);
  if (info.departement !== undefined) add(info.departement ? `${t('departement')} ${info.departement.name} (${info.departement.code})` : t('departement'), 'departement', info.departement);
  div.append(table);
  return div;
}

async function onClick(i, e) {
  const s = selection(i);
  const map = maps[i];
  const popup = new maplibregl.Popup({ maxWidth: '360px' }).setLngLat(e.lngLat).setText(t('loading')).addTo(map);
  try {
    const q = new URLSearchParams({
      lon: e.lngLat.lng.toFixed(5), lat: e.lngLat.lat.toFixed(5),
      indicator: s.indicator, scenario: s.scenario, horizon: s.horizon, quantity: s.quantity,
    });
    const info = await fetchJSON('api/info?' + q);
    popup.setDOMContent(popupHTML(info));
  } catch (err) {
    // No datamart (server run with --no-db, or down): the pre-rendered
    // vector tiles still carry the cell's value.
    const f = map.climriskProp && map.queryRenderedFeatures(e.point, { layers: ['data'] })
      .find((x) => x.properties[map.climriskProp.prop] !== undefined);
    if (f) {
      const p = f.properties;
      const cell = p.k === 1 ? { id: p.cell_id, median: p[map.climriskProp.prop] } : { id: '', median: p[map.climriskProp.prop] };
      const u = legendData && legendData.unit;
      popup.setDOMContent(popupHTML({ indicator: s.indicator, scenario: s.scenario, horizon: s.horizon, unit: u, cell }));
    } else {
      popup.setText(`${t('info_error')} (${err.message})`);
    }
  }
}

function makeMap(i, container) {
  const map = new maplibregl.Map({
    container, style: baseStyle(), bounds: [-5.2, 41.3, 9.6, 51.1], fitBoundsOptions: { padding: 10 },
    minZoom: 3, maxZoom: 12,
    attributionControl: { compact: true, customAttribution: 'climrisk · IGN Admin Express / INSEE (Etalab)' },
    maxBounds: [[-20, 35], [25, 56]],
    preserveDrawingBuffer: true, // screenshots in tests and "save image" in browsers
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.on('click', (e) => onClick(i, e));
  map.on('move', () => {
    if (syncing) return;
    const other = maps[1 - i];
    if (!other || !state.compare) return;
    syncing = true;
    other.jumpTo({ center: map.getCenter(), zoom: map.getZoom(), bearing: map.getBearing(), pitch: map.getPitch() });
    syncing = false;
  });
  return map;
}

function whenStyled(map) {
  return map.isStyleLoaded() ? Promise.resolve() : new Promise((r) => map.once('load', r));
}

let updateSeq = 0;
async function update() {
  const seq = ++updateSeq;
  document.body.dataset.state = 'loading';
  location.hash = new URLSearchParams({ ...Object.fromEntries(Object.entries(state).filter(([, v]) => v !== null && v !== undefined)), lang }).toString();
  $('map2').hidden = !state.compare;
  if (state.compare && !maps[1]) {
    maps[1] = makeMap(1, $('map2'));
    maps[1].jumpTo({ center: maps[0].getCenter(), zoom: maps[0].getZoom() });
  }
  maps[0].resize();
  if (maps[1]) maps[1].resize();
  const s0 = selection(0);
  try {
    legendData = await loadLegend(s0);
  } catch (e) {
    legendData = null;
  }
  if (seq !== updateSeq) return;
  const active = state.compare ? [0, 1] : [0];
  let kind = 'live';
  for (const i of active) {
    await whenStyled(maps[i]);
    // both maps share the legend of map A, so colours compare
    const k = setData(maps[i], i, selection(i), legendData);
    if (i === 0) kind = k;
  }
  renderLegend(s0, legendData, kind);
  document.body.dataset.source = kind;
  await Promise.all(active.map((i) => new Promise((r) => maps[i].once('idle', r))));
  if (seq === updateSeq) document.body.dataset.state = 'idle';
}

function bind() {
  for (const id of ['indicator', 'scenario', 'horizon', 'quantity', 'statistic', 'scenario2', 'horizon2']) {
    $(id).addEventListener('change', () => {
      state[id] = $(id).value;
      fillMenus();
      update();
    });
  }
  $('compare').addEventListener('change', () => {
    state.compare = $('compare').checked;
    fillMenus();
    update();
  });
  $('lang').addEventListener('click', () => {
    lang = lang === 'fr' ? 'en' : 'fr';
    localStorage.setItem('climrisk.lang', lang);
    fillMenus();
    update();
  });
}

async function main() {
  cat = await fetchJSON('api/catalog');
  try {
    const av = await fetchJSON('api/available');
    available = new Set(av.maps.map((m) => m.join('|')));
    for (const k of tiledMaps()) available.add(k);
  } catch (e) {
    // no datamart: what the tiles folder has, or every option when it is empty
    const tiled = tiledMaps();
    available = tiled.size ? tiled : null;
  }
  if (!state.indicator && available) {
    const pref = ['tg_mean|rcp45|H2|mean'].find((k) => available.has(k)) || [...available].find((k) => k.endsWith('|mean'));
    if (pref) [state.indicator, state.scenario, state.horizon] = pref.split('|');
  }
  fillMenus();
  bind();
  maps[0] = makeMap(0, $('map'));
  window.climrisk = { maps, state, update };
  await update();
}

main().catch((e) => {
  $('status').textContent = String(e.message || e);
  document.body.dataset.state = 'error';
});
