// Headless-browser test of a clearmap bundle's map page.
//
//   node browser-test.mjs BUNDLE_DIR [OUTPUT_DIR]
//
// Serves BUNDLE_DIR on 127.0.0.1 (range requests), opens index.html in
// headless Chromium and checks: the map renders hazard features, the legend
// lists SHA, CHA and the three outcomes, the figures shown equal summary.json,
// no request leaves 127.0.0.1 and the console has no errors. It also checks
// that the page opened from file:// says it must be served over HTTP.
// Writes screenshots into OUTPUT_DIR (default ../../target/browser-test).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [bundleArg, outArg] = process.argv.slice(2);
if (!bundleArg) {
  console.error('usage: node browser-test.mjs BUNDLE_DIR [OUTPUT_DIR]');
  process.exit(2);
}
const bundle = path.resolve(bundleArg);
const outDir = path.resolve(outArg || path.join(here, '../../target/browser-test'));
fs.mkdirSync(outDir, { recursive: true });
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

for (const f of ['index.html', 'style.json', 'summary.json', 'maplibre-gl.js', 'pmtiles.js', 'clearmap.js']) {
  if (!fs.existsSync(path.join(bundle, f))) {
    console.error(`FAIL ${bundle} has no ${f}: not a clearmap bundle with a page`);
    process.exit(1);
  }
}
const haveTiles = fs.existsSync(path.join(bundle, 'tiles.pmtiles'));
const summary = JSON.parse(fs.readFileSync(path.join(bundle, 'summary.json'), 'utf8'));

const server = await serve(bundle);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  ],
});

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const consoleErrors = [];
  const offsite = [];
  const failed = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.url()} HTTP ${r.status()}`); });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['blob:', 'data:', 'file:'].includes(u.protocol) || u.hostname === '127.0.0.1') return route.continue();
    offsite.push(u.href);
    return route.abort('blockedbyclient');
  });

  await page.goto(server.url + 'index.html', { waitUntil: 'load' });
  const status = await page.evaluate(() => window.clearmapReady);
  console.log(`page status: ${JSON.stringify(status)}`);
  check(status.figures === true, 'figures loaded from summary.json');

  // ---- figures equal summary.json ------------------------------------------------
  const shown = await page.evaluate(() => {
    const num = (s) => Number(String(s).replace(/[^0-9.\-]/g, ''));
    const cells = (sel) => [...document.querySelectorAll(sel)].map((td) => num(td.textContent));
    const row = (table, key) => {
      const tr = document.querySelector(`#${table} tr[data-key="${key}"]`);
      if (!tr) return null;
      const tds = tr.querySelectorAll('td');
      return { m2: num(tds[0].textContent), km2: num(tds[1].textContent), count: tds[2] ? num(tds[2].textContent) : null };
    };
    const years = {};
    for (const tr of document.querySelectorAll('#cm-release-table tbody tr')) {
      const y = tr.getAttribute('data-year');
      years[y] = {};
      for (const td of tr.querySelectorAll('td')) years[y][td.getAttribute('data-outcome')] = num(td.textContent);
    }
    return {
      title: document.querySelector('#cm-title').textContent,
      asOf: document.querySelector('#cm-as-of')?.textContent ?? null,
      source: document.querySelector('#cm-source').textContent,
      CHA: row('cm-remaining-table', 'CHA'),
      SHA: row('cm-remaining-table', 'SHA'),
      other: row('cm-remaining-table', 'other'),
      remaining: row('cm-remaining-table', 'remaining'),
      cancelled: row('cm-released-table', 'cancelled'),
      reduced: row('cm-released-table', 'reduced'),
      cleared: row('cm-released-table', 'cleared'),
      years,
      chartBars: document.querySelectorAll('.cm-chart-svg rect').length,
      chartLabel: document.querySelector('.cm-chart-svg')?.getAttribute('aria-labelledby'),
      legend: document.querySelector('#cm-legend').textContent,
      legendItems: [...document.querySelectorAll('#cm-legend li')].map((li) => li.getAttribute('data-value')),
      all: cells('.cm-num'),
    };
  });
  const m2 = (v) => Math.round(v ?? 0);
  const km2 = (v) => Math.round((v ?? 0) / 1e4) / 100;
  if (summary.name) check(shown.title.includes(summary.name), `title names ${summary.name}`);
  if (summary.country) check(shown.source.includes(summary.country), `source line names ${summary.country}`);
  if (summary.as_of) check(shown.asOf === summary.as_of, `as-of date ${summary.as_of} shown (got ${shown.asOf})`);
  for (const c of ['CHA', 'SHA', 'other']) {
    const want = summary.remaining_by_classification?.[c];
    if (!want) continue;
    const got = shown[c];
    if (c === 'other' && !want.count && !want.area_m2) {
      check(got === null || (got.m2 === 0 && got.count === 0), 'no "other" hazards: row absent or zero');
      continue;
    }
    check(got && got.m2 === m2(want.area_m2) && got.km2 === km2(want.area_m2) && got.count === want.count,
      `remaining ${c}: ${JSON.stringify(got)} = ${m2(want.area_m2)} m², ${km2(want.area_m2)} km², ${want.count} hazards`);
  }
  check(shown.remaining && shown.remaining.m2 === m2(summary.area_m2.remaining) && shown.remaining.km2 === km2(summary.area_m2.remaining),
    `total remaining ${JSON.stringify(shown.remaining)} = ${m2(summary.area_m2.remaining)} m²`);
  for (const o of ['cancelled', 'reduced', 'cleared']) {
    check(shown[o] && shown[o].m2 === m2(summary.area_m2[o]), `${o} ${shown[o]?.m2} = ${m2(summary.area_m2[o])} m²`);
  }
  const wantYears = Object.keys(summary.released_by_year || {});
  check(Object.keys(shown.years).sort().join() === wantYears.sort().join(), `release table years ${Object.keys(shown.years).join(',')}`);
  let yearsOk = true;
  for (const y of wantYears) {
    for (const o of ['cancelled', 'reduced', 'cleared', 'total']) {
      if (shown.years[y]?.[o] !== m2(summary.released_by_year[y][o])) {
        yearsOk = false;
        console.log(`     ${y} ${o}: shown ${shown.years[y]?.[o]}, summary ${m2(summary.released_by_year[y][o])}`);
      }
    }
  }
  check(yearsOk, 'released per year and outcome equal summary.json');
  check(wantYears.length === 0 || shown.chartBars > 0, `bar chart drawn (${shown.chartBars} bars) with a text alternative (${shown.chartLabel})`);

  // ---- legend ----------------------------------------------------------------------
  for (const v of ['CHA', 'SHA', 'cancelled', 'reduced', 'cleared', 'open', 'worked_on', 'closed']) {
    check(shown.legendItems.includes(v), `legend lists ${v}`);
  }
  check(/Confirmed hazardous area \(CHA\)/.test(shown.legend) && /Suspected hazardous area \(SHA\)/.test(shown.legend), 'legend names SHA and CHA');

  // ---- map -------------------------------------------------------------------------
  if (!haveTiles) {
    check(false, `${bundle}/tiles.pmtiles is missing: the map cannot be tested until the tiles writer lands`);
    const msg = await page.textContent('#cm-message');
    check(/tiles\.pmtiles/.test(msg || ''), `page says the tiles are missing ("${(msg || '').trim()}")`);
  } else {
    check(status.map === true, `map loaded (${status.errors?.join('; ') || 'no errors'})`);
    const canvas = await page.evaluate(() => {
      const c = document.querySelector('#cm-map canvas');
      return c && { tabindex: c.getAttribute('tabindex'), label: c.getAttribute('aria-label') };
    });
    check(!!canvas && canvas.tabindex === '0' && !!canvas.label, `map canvas focusable with aria-label (${JSON.stringify(canvas)})`);
    await page.evaluate(() => new Promise((resolve) => {
      const m = window.clearmapMap;
      if (m.loaded() && m.areTilesLoaded()) resolve();
      else m.once('idle', resolve);
    }));
    const rendered = await page.evaluate(() => {
      const m = window.clearmapMap;
      const count = (layers) => m.queryRenderedFeatures({ layers }).length;
      return {
        zoom: m.getZoom(),
        hazards: count(['hazards-fill']),
        points: count(['hazard-points']),
        releases: count(['releases-fill']),
        sample: (m.queryRenderedFeatures({ layers: ['hazards-fill', 'hazard-points'] })[0] || {}).properties,
      };
    });
    console.log(`rendered at z${rendered.zoom.toFixed(2)}: ${JSON.stringify(rendered)}`);
    check(rendered.hazards + rendered.points > 0, `queryRenderedFeatures returns hazards (${rendered.hazards} polygons, ${rendered.points} points)`);
    check(rendered.sample && ['SHA', 'CHA', 'other'].includes(rendered.sample.classification), 'hazard features carry a classification');
    await page.screenshot({ path: path.join(outDir, 'page.png'), fullPage: true });

    // popup on click, at a rendered hazard
    const at = await page.evaluate(() => {
      const m = window.clearmapMap;
      const f = m.queryRenderedFeatures({ layers: ['hazard-points', 'hazards-fill'] })[0];
      if (!f) return null;
      const g = f.geometry.type === 'Point' ? f.geometry.coordinates : null;
      if (g) {
        const p = m.project(g);
        return { x: p.x, y: p.y };
      }
      return null;
    });
    if (at) {
      const box = await page.locator('#cm-map canvas').boundingBox();
      await page.mouse.click(box.x + at.x, box.y + at.y);
      const popup = await page.waitForSelector('.maplibregl-popup .cm-popup', { timeout: 3000 }).catch(() => null);
      check(!!popup, 'clicking a hazard opens a popup with its attributes');
      if (popup) console.log(`     popup: ${(await popup.textContent()).slice(0, 160)}`);
    }

    // zoom into the first hazard polygon and screenshot the map close up
    await page.evaluate(() => new Promise((resolve) => {
      const m = window.clearmapMap;
      const f = m.queryRenderedFeatures({ layers: ['hazard-points'] })[0];
      if (!f) return resolve();
      m.jumpTo({ center: f.geometry.coordinates, zoom: 13 });
      m.once('idle', resolve);
    }));
    const close = await page.evaluate(() => window.clearmapMap.queryRenderedFeatures({ layers: ['hazards-fill'] }).length);
    check(close > 0, `hazard polygons rendered at z13 (${close})`);
    // keyboard: focus the map, Enter describes what is at its centre
    const closeBtn = await page.$('.maplibregl-popup-close-button');
    if (closeBtn) await closeBtn.click();
    await page.focus('#cm-map canvas');
    await page.keyboard.press('Enter');
    const kb = await page.waitForSelector('.maplibregl-popup .cm-popup', { timeout: 3000 }).catch(() => null);
    const live = await page.textContent('#cm-live');
    check(!!kb || /No hazard/.test(live || ''), `Enter on the focused map describes its centre (${kb ? 'popup' : live})`);
    if (kb) {
      await page.keyboard.press('Escape');
      const after = await page.evaluate(() => ({
        popups: document.querySelectorAll('.maplibregl-popup').length,
        focus: document.activeElement === document.querySelector('#cm-map canvas'),
      }));
      check(after.popups === 0 && after.focus, `Escape closes the popup and returns focus to the map (${JSON.stringify(after)})`);
    }
    await page.locator('#cm-map').screenshot({ path: path.join(outDir, 'map-z13.png') });
  }
  if (!haveTiles) await page.screenshot({ path: path.join(outDir, 'page.png'), fullPage: true });

  check(offsite.length === 0, `no request left 127.0.0.1${offsite.length ? ': ' + offsite.join(', ') : ''}`);
  const unexpected = consoleErrors.filter((e) => haveTiles || !/tiles\.pmtiles|404|Bad response code/.test(e));
  check(unexpected.length === 0, `no console errors${unexpected.length ? ': ' + unexpected.join(' | ') : ''}`);
  if (failed.length) console.log(`     failed requests: ${failed.join(', ')}`);

  // ---- file:// ----------------------------------------------------------------------
  const filePage = await context.newPage();
  await filePage.goto(pathToFileURL(path.join(bundle, 'index.html')).href, { waitUntil: 'load' });
  await filePage.evaluate(() => window.clearmapReady);
  const fileMsg = (await filePage.textContent('#cm-message')) || '';
  check(/served over HTTP/.test(fileMsg) && /range requests/.test(fileMsg), 'opened from file:// the page says to serve it over HTTP with range requests');
  await filePage.screenshot({ path: path.join(outDir, 'file-url.png') });
} finally {
  await browser.close();
  await server.close();
}

console.log(`screenshots in ${outDir}`);
if (failures.length) {
  console.error(`\n${failures.length} check(s) failed:\n  - ${failures.join('\n  - ')}`);
  process.exit(1);
}
console.log('all browser checks passed');
