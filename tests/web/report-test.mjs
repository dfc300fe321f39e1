// Headless-browser test of a clearmap bundle's data-quality report (report.html).
//
//   node report-test.mjs BUNDLE_DIR [OUTPUT_DIR]
//
// Serves BUNDLE_DIR on 127.0.0.1 and opens report.html in headless Chromium in
// English and in Arabic, and checks: the count of every code shown equals
// report.json's, the records read, used and quarantined per source add up to
// summary.json's, the list holds every diagnostic of report.json, <html dir> is
// rtl in Arabic, no request leaves 127.0.0.1, no console errors; a click on a
// row with a place moves the map's centre into that defect's place (read from
// defects.geojson); the filter by code shows that code's rows alone. Then it
// opens report.html from file:// (as an e-mailed report is): the counts are
// there without a server, and from report.html copied alone into a folder
// (without the bundle's scripts). On the map page (index.html): the data-quality layer
// is offered off, fetched only when ticked, drawn from defects.geojson as a
// GeoJSON source; the embedded map (?embed=1) offers it only with &quality=1.
// Writes report-<lang>.png into OUTPUT_DIR (default
// ../../target/browser-test).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [bundleArg, outArg] = process.argv.slice(2);
if (!bundleArg) {
  console.error('usage: node report-test.mjs BUNDLE_DIR [OUTPUT_DIR]');
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

for (const f of ['report.html', 'report.json', 'defects.geojson']) {
  if (!fs.existsSync(path.join(bundle, f))) {
    console.error(`FAIL ${bundle} has no ${f}: not a clearmap bundle with a report`);
    process.exit(1);
  }
}
const report = JSON.parse(fs.readFileSync(path.join(bundle, 'report.json'), 'utf8'));
const defects = JSON.parse(fs.readFileSync(path.join(bundle, 'defects.geojson'), 'utf8'));
const summary = JSON.parse(fs.readFileSync(path.join(bundle, 'summary.json'), 'utf8'));
const expected = Object.fromEntries(Object.entries(report.counts).map(([k, v]) => [k, v.count]));

function bbox(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(walk);
  };
  walk(g.coordinates);
  return b;
}

async function ready(page) {
  await page.waitForFunction(() => window.clearmapReport && window.clearmapReport.status.done, null, { timeout: 60000 });
}

async function checkCounts(page, label) {
  const shown = await page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('#cr-codes tr[data-code]')].map((tr) => [tr.getAttribute('data-code'),
      Number(tr.querySelector('[data-count]').getAttribute('data-count'))])));
  check(JSON.stringify(Object.entries(shown).sort()) === JSON.stringify(Object.entries(expected).sort()),
    `[${label}] every code's count equals report.json (${Object.keys(expected).length} codes)`);
  const text = await page.evaluate(() => document.getElementById('cr-shown').textContent);
  const total = await page.evaluate(() => window.clearmapReport && document.querySelectorAll('#cr-list tbody tr').length);
  check(total === Math.min(200, report.diagnostics.length), `[${label}] the list shows its first page (${total} rows)`);
  console.log(`     ${text}`);
}

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
  const offsite = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['blob:', 'data:', 'file:'].includes(u.protocol) || u.hostname === '127.0.0.1') return route.continue();
    offsite.push(u.href);
    return route.abort('blockedbyclient');
  });

  for (const lang of ['en', 'ar']) {
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    await page.goto(`${server.url}report.html?lang=${lang}`, { waitUntil: 'load' });
    await ready(page);
    const st = await page.evaluate(() => window.clearmapReport.status);
    check(st.map === true, `[${lang}] the map loaded (${st.mapErrors.join('; ') || 'no errors'})`);
    const dir = await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
    check(dir[0] === lang && dir[1] === (lang === 'ar' ? 'rtl' : 'ltr'), `[${lang}] <html lang="${dir[0]}" dir="${dir[1]}">`);
    if (lang === 'ar') {
      const heading = await page.textContent('#cr-codes-heading');
      check(/[\u0600-\u06FF]/.test(heading), `[ar] headings in Arabic ("${heading}")`);
      const meaning = await page.textContent('#cr-codes tbody tr td:nth-child(4)');
      check(/[\u0600-\u06FF]/.test(meaning) && !/[a-z]{4}/.test(meaning.replace(/IMSMA|GeoJSON|QGIS|GDAL|clearmap/g, '')),
        `[ar] what a code means, in Arabic ("${meaning.slice(0, 60)}…")`);
    }
    await checkCounts(page, lang);
    // records per source add up to summary.json's per role
    const perSource = await page.evaluate(() => [...document.querySelectorAll('#cr-files tr[data-role]')].map((tr) => ({
      role: tr.getAttribute('data-role'),
      ...Object.fromEntries([...tr.querySelectorAll('[data-key]')].map((td) => [td.getAttribute('data-key'), Number(td.getAttribute('data-count'))])),
    })));
    for (const role of Object.keys(summary.records)) {
      const sum = (k) => perSource.filter((r) => r.role === role).reduce((a, r) => a + r[k], 0);
      const want = summary.records[role];
      check(sum('read') === want.read && sum('used') === want.used && sum('quarantined') === want.quarantined,
        `[${lang}] ${role} records per source add up to summary.json (read ${sum('read')}, used ${sum('used')}, quarantined ${sum('quarantined')})`);
    }

    // the whole list: every diagnostic of report.json, numbered as there
    await page.evaluate(() => { while (!document.getElementById('cr-more').hidden) document.getElementById('cr-more').click(); });
    const numbers = await page.evaluate(() => [...document.querySelectorAll('#cr-list tbody tr')].map((tr) => Number(tr.getAttribute('data-number'))));
    check(numbers.length === report.diagnostics.length && numbers.every((n, i) => n === i + 1),
      `[${lang}] the list holds all ${report.diagnostics.length} diagnostics of report.json in its order`);
    const codesInList = await page.evaluate(() => [...document.querySelectorAll('#cr-list tbody tr')].map((tr) => tr.getAttribute('data-code')));
    check(codesInList.every((c, i) => c === report.diagnostics[i].code), `[${lang}] each row's code is report.json's`);

    // a click on a row moves the map to its defect
    const withPlace = defects.features.filter((f) => f.geometry);
    const picks = [withPlace.find((f) => f.geometry.type === 'Point'), withPlace.find((f) => f.geometry.type === 'MultiPolygon')].filter(Boolean);
    check(picks.length > 0, `[${lang}] defects.geojson has defects to click`);
    for (const f of picks) {
      const row = `#cr-list tr[data-feature="${f.id}"]`;
      await page.locator(row).scrollIntoViewIfNeeded();
      const before = await page.evaluate(() => window.clearmapReport.map.getCenter().toArray());
      await page.click(`${row} td:nth-child(2)`);
      const after = await page.evaluate(() => window.clearmapReport.map.getCenter().toArray());
      const b = bbox(f.geometry);
      const eps = 1e-6;
      const inside = after[0] >= b[0] - eps && after[0] <= b[2] + eps && after[1] >= b[1] - eps && after[1] <= b[3] + eps;
      check(inside, `[${lang}] clicking the row of defect ${f.id} (${f.properties.number}, ${f.geometry.type}) centres the map on it: ${before.map((x) => x.toFixed(5))} -> ${after.map((x) => x.toFixed(5))}`);
      check(await page.evaluate((s) => document.querySelector(s).classList.contains('cr-selected'), row), `[${lang}] the clicked row is marked`);
    }

    // filter by a code
    const code = report.diagnostics[report.diagnostics.length - 1].code;
    await page.selectOption('#cr-filter-code', code);
    const filtered = await page.evaluate(() => [...document.querySelectorAll('#cr-list tbody tr')].map((tr) => tr.getAttribute('data-code')));
    check(filtered.length === Math.min(200, expected[code]) && filtered.every((c) => c === code), `[${lang}] filtering by ${code} shows its rows alone (${filtered.length})`);
    // sort by severity: errors first
    await page.selectOption('#cr-filter-code', '');
    await page.click('#cr-list th[data-sort="severity"] button');
    const first = await page.evaluate(() => document.querySelector('#cr-list tbody tr td:nth-child(3) .cr-sev').className);
    const worst = ['error', 'warning', 'info'].find((s) => report.diagnostics.some((d) => d.severity === s));
    check(first.includes(`cr-sev-${worst}`), `[${lang}] sorting by severity puts ${worst} first`);

    check(errors.length === 0, `[${lang}] no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
    const shot = path.join(outDir, `report-${lang}.png`);
    await page.screenshot({ path: shot, fullPage: false });
    console.log(`     screenshot ${shot}`);
    await page.close();
  }
  // ---- the map page's data-quality layer -------------------------------------------
  {
    const page = await context.newPage();
    const errors = [];
    const fetched = [];
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}index.html`, { waitUntil: 'load' });
    await page.evaluate(() => window.clearmapReady);
    const toggle = '#cm-legend fieldset[data-layer="quality"] input[type="checkbox"]';
    check(await page.locator(toggle).count() === 1, '[map page] the legend offers the data-quality layer');
    check(!(await page.isChecked(toggle)), '[map page] the data-quality layer is off by default');
    check(!fetched.some((p) => p.endsWith('/defects.geojson')), '[map page] defects.geojson is not fetched until asked');
    await page.check(toggle);
    await page.waitForFunction(() => {
      const m = window.clearmapMap;
      return m.getSource('quality') && m.isSourceLoaded('quality');
    }, null, { timeout: 30000 });
    await page.evaluate(() => new Promise((r) => { window.clearmapMap.once('idle', r); window.clearmapMap.triggerRepaint(); }));
    const drawn = await page.evaluate(() => {
      const m = window.clearmapMap;
      return {
        visible: ['quality-fill', 'quality-line', 'quality-point'].every((l) => m.getLayoutProperty(l, 'visibility') === 'visible'),
        features: m.querySourceFeatures('quality').length,
        type: m.getStyle().sources.quality.type,
      };
    });
    check(drawn.visible && drawn.type === 'geojson' && drawn.features > 0,
      `[map page] ticked, the layer draws defects.geojson as a GeoJSON source (${JSON.stringify(drawn)})`);
    // a click on a defect tells what it is
    const popup = await page.evaluate(() => {
      const m = window.clearmapMap;
      const f = m.queryRenderedFeatures({ layers: ['quality-point', 'quality-fill'] })[0];
      if (!f) return null;
      const g = f.geometry.type === 'Point' ? f.geometry.coordinates : f.geometry.coordinates.flat(3).slice(0, 2);
      const pt = m.project(g);
      m.fire('click', { point: pt, lngLat: m.unproject(pt), originalEvent: {} });
      const el = document.querySelector('.maplibregl-popup-content h3');
      return el && { heading: el.textContent, code: f.properties.code };
    });
    check(!!popup && popup.heading === popup.code, `[map page] a click on a defect opens its popup (${JSON.stringify(popup)})`);
    await page.uncheck(toggle);
    check(await page.evaluate(() => window.clearmapMap.getLayoutProperty('quality-point', 'visibility') === 'none'), '[map page] unticked, it is hidden');
    check(errors.length === 0, `[map page] no uncaught errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
    await page.close();
    for (const [query, offered] of [['embed=1', false], ['embed=1&quality=1', true]]) {
      const p = await context.newPage();
      const seen = [];
      p.on('request', (r) => seen.push(new URL(r.url()).pathname));
      await p.goto(`${server.url}index.html?${query}`, { waitUntil: 'load' });
      await p.evaluate(() => window.clearmapReady);
      const n = await p.locator('fieldset[data-layer="quality"]').count();
      check((n === 1) === offered && !seen.some((x) => x.endsWith('/defects.geojson')),
        `[?${query}] the data-quality layer is ${offered ? 'offered (off)' : 'not offered'} and defects.geojson not fetched`);
      await p.close();
    }
  }

  check(offsite.length === 0, `no request leaves the bundle${offsite.length ? ': ' + offsite.slice(0, 5).join(', ') : ''}`);

  // opened from a file, as an e-mailed report is
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(pathToFileURL(path.join(bundle, 'report.html')).href + '?lang=ar', { waitUntil: 'load' });
  await ready(page);
  await checkCounts(page, 'file://');
  check(errors.length === 0, `[file://] no uncaught errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  await page.close();

  // alone, as an attachment: without the bundle's scripts the summary, codes and list remain
  const alone = fs.mkdtempSync(path.join(outDir, 'report-alone-'));
  fs.copyFileSync(path.join(bundle, 'report.html'), path.join(alone, 'report.html'));
  const lone = await context.newPage();
  const loneErrors = [];
  lone.on('pageerror', (e) => loneErrors.push(`uncaught: ${e.message}`));
  await lone.goto(pathToFileURL(path.join(alone, 'report.html')).href, { waitUntil: 'load' });
  await ready(lone);
  await checkCounts(lone, 'report.html alone');
  check(loneErrors.length === 0, `[report.html alone] no uncaught errors${loneErrors.length ? ': ' + loneErrors.join(' | ') : ''}`);
  await lone.close();
  fs.rmSync(alone, { recursive: true, force: true });
} finally {
  await browser.close();
  server.close();
}

if (failures.length) {
  console.log(`\n${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('\nreport: all checks passed');
