// Headless-browser test of a clearmap bundle's map page.
//
//   node browser-test.mjs BUNDLE_DIR [OUTPUT_DIR]
//
// Serves BUNDLE_DIR on 127.0.0.1 (range requests), opens index.html in
// headless Chromium and checks: the map renders hazard features, the legend
// lists SHA, CHA and the three outcomes, the figures shown equal summary.json,
// no request leaves 127.0.0.1 and the console has no errors. It also checks
// that the page opened from file:// says it must be served over HTTP.
// Then it repeats the page checks in each of the Convention's languages
// (?lang=ar, zh, fr, ru, es): text in the language's script, <html dir> (rtl for
// Arabic), no legend text outside the legend panel, the figures read back per
// locale and from their raw data attributes equal summary.json, no English
// left; and that page.js's language and ?lang= choose the language.
// Writes screenshots into OUTPUT_DIR (default ../../target/browser-test),
// page-<lang>.png per language.
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

// ---- figures equal summary.json, read back per locale and from data attributes ----
// The page formats numbers with Intl.NumberFormat of its locale; the text is
// parsed back with that locale's digits and decimal sign, and the raw values of
// data-m2 / data-km2 / data-count are compared too.
async function checkFigures(page, lang) {
  const shown = await page.evaluate(() => {
    const locale = window.clearmapI18n?.locale || 'en-GB';
    const plain = new Intl.NumberFormat(locale, { useGrouping: false });
    const digits = new Map([...Array(10).keys()].map((d) => [plain.format(d), String(d)]));
    const decimal = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
    const num = (s) => {
      let out = '';
      for (const ch of String(s)) {
        if (digits.has(ch)) out += digits.get(ch);
        else if (ch === decimal) out += '.';
        else if (ch === '-' || ch === '\u2212') out += '-';
      }
      return out === '' ? NaN : Number(out);
    };
    const raw = (td, attr) => (td && td.hasAttribute(attr) ? Number(td.getAttribute(attr)) : null);
    const row = (table, key) => {
      const tr = document.querySelector(`#${table} tr[data-key="${key}"]`);
      if (!tr) return null;
      const tds = tr.querySelectorAll('td');
      return {
        m2: num(tds[0].textContent), km2: num(tds[1].textContent), count: tds[2] ? num(tds[2].textContent) : null,
        rawM2: raw(tds[0], 'data-m2'), rawKm2: raw(tds[1], 'data-km2'), rawCount: tds[2] ? raw(tds[2], 'data-count') : null,
      };
    };
    const years = {};
    const rawYears = {};
    for (const tr of document.querySelectorAll('#cm-release-table tbody tr')) {
      const y = tr.getAttribute('data-year');
      years[y] = {};
      rawYears[y] = {};
      for (const td of tr.querySelectorAll('td')) {
        years[y][td.getAttribute('data-outcome')] = num(td.textContent);
        rawYears[y][td.getAttribute('data-outcome')] = raw(td, 'data-m2');
      }
    }
    return {
      locale,
      title: document.querySelector('#cm-title').textContent,
      asOf: document.querySelector('#cm-as-of')?.getAttribute('datetime') ?? null,
      asOfText: document.querySelector('#cm-as-of')?.textContent ?? null,
      source: document.querySelector('#cm-source').textContent,
      CHA: row('cm-remaining-table', 'CHA'),
      SHA: row('cm-remaining-table', 'SHA'),
      other: row('cm-remaining-table', 'other'),
      remaining: row('cm-remaining-table', 'remaining'),
      cancelled: row('cm-released-table', 'cancelled'),
      reduced: row('cm-released-table', 'reduced'),
      cleared: row('cm-released-table', 'cleared'),
      years,
      rawYears,
      chartBars: document.querySelectorAll('.cm-chart-svg rect').length,
      chartLabel: document.querySelector('.cm-chart-svg')?.getAttribute('aria-labelledby'),
    };
  });
  const tag = `[${lang}, ${shown.locale}]`;
  const m2 = (v) => Math.round(v ?? 0);
  const km2 = (v) => Math.round((v ?? 0) / 1e4) / 100;
  if (summary.name) check(shown.title.includes(summary.name), `${tag} title names ${summary.name}`);
  if (summary.country) check(shown.source.includes(summary.country), `${tag} source line names ${summary.country}`);
  if (summary.as_of) {
    check(shown.asOf === summary.as_of && !!shown.asOfText, `${tag} as-of date ${summary.as_of} shown as "${shown.asOfText}" (datetime ${shown.asOf})`);
  }
  for (const c of ['CHA', 'SHA', 'other']) {
    const want = summary.remaining_by_classification?.[c];
    if (!want) continue;
    const got = shown[c];
    if (c === 'other' && !want.count && !want.area_m2) {
      check(got === null || (got.m2 === 0 && got.count === 0), `${tag} no "other" hazards: row absent or zero`);
      continue;
    }
    check(got && got.m2 === m2(want.area_m2) && got.km2 === km2(want.area_m2) && got.count === want.count,
      `${tag} remaining ${c}: ${JSON.stringify(got)} = ${m2(want.area_m2)} m², ${km2(want.area_m2)} km², ${want.count} hazards`);
    check(got && got.rawM2 === want.area_m2 && Math.abs(got.rawKm2 - want.area_m2 / 1e6) < 1e-9 && got.rawCount === want.count,
      `${tag} remaining ${c}: data attributes hold summary.json's raw values`);
  }
  check(shown.remaining && shown.remaining.m2 === m2(summary.area_m2.remaining) && shown.remaining.km2 === km2(summary.area_m2.remaining)
    && shown.remaining.rawM2 === summary.area_m2.remaining,
    `${tag} total remaining ${JSON.stringify(shown.remaining)} = ${m2(summary.area_m2.remaining)} m²`);
  for (const o of ['cancelled', 'reduced', 'cleared']) {
    check(shown[o] && shown[o].m2 === m2(summary.area_m2[o]) && shown[o].rawM2 === summary.area_m2[o],
      `${tag} ${o} ${shown[o]?.m2} = ${m2(summary.area_m2[o])} m²`);
  }
  const wantYears = Object.keys(summary.released_by_year || {});
  check(Object.keys(shown.years).sort().join() === wantYears.sort().join(), `${tag} release table years ${Object.keys(shown.years).join(',')}`);
  let yearsOk = true;
  for (const y of wantYears) {
    for (const o of ['cancelled', 'reduced', 'cleared', 'total']) {
      const want = summary.released_by_year[y][o];
      if (shown.years[y]?.[o] !== m2(want) || shown.rawYears[y]?.[o] !== want) {
        yearsOk = false;
        console.log(`     ${y} ${o}: shown ${shown.years[y]?.[o]} (raw ${shown.rawYears[y]?.[o]}), summary ${want}`);
      }
    }
  }
  check(yearsOk, `${tag} released per year and outcome equal summary.json`);
  check(wantYears.length === 0 || shown.chartBars > 0, `${tag} bar chart drawn (${shown.chartBars} bars) with a text alternative (${shown.chartLabel})`);
}

// ---- every legend item inside the legend panel ------------------------------------
async function checkLegendBox(page, lang) {
  const r = await page.evaluate(() => {
    const panel = document.querySelector('.cm-legend').getBoundingClientRect();
    const out = [];
    const items = document.querySelectorAll('.cm-legend h2, .cm-legend legend, .cm-legend li, .cm-legend li > *, .cm-legend legend > *');
    for (const e of items) {
      const b = e.getBoundingClientRect();
      const inside = b.left >= panel.left - 0.5 && b.right <= panel.right + 0.5 && b.top >= panel.top - 0.5 && b.bottom <= panel.bottom + 0.5;
      if (!inside || e.scrollWidth > e.clientWidth + 1) out.push(`${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 40)}"`);
    }
    return { count: items.length, outside: out };
  });
  check(r.count > 10 && r.outside.length === 0,
    `[${lang}] all ${r.count} legend boxes inside the legend panel${r.outside.length ? ': outside: ' + r.outside.join(', ') : ''}`);
}

// ---- figure tables and chart do not overlap ------------------------------------------
async function checkFiguresLayout(page, lang) {
  const hits = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('#cm-figures .cm-table, #cm-figures .cm-chart, #cm-figures .cm-lead')]
      .map((e) => [e.id || e.className, e.getBoundingClientRect()]);
    const out = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i];
        const [b, rb] = boxes[j];
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 1 && h > 1) out.push(`${a} × ${b}`);
      }
    }
    const page = document.documentElement;
    if (page.scrollWidth > page.clientWidth + 1) out.push(`page wider than the window (${page.scrollWidth} > ${page.clientWidth})`);
    return out;
  });
  check(hits.length === 0, `[${lang}] figure tables and chart do not overlap${hits.length ? ': ' + hits.join(', ') : ''}`);
}

// ---- one language -------------------------------------------------------------------
const SCRIPTS = {
  ar: [/[\u0600-\u06FF]/g, 'Arabic letters (U+0600–U+06FF)', 'منطقة خطرة مؤكدة (CHA)'],
  zh: [/[\u4E00-\u9FFF]/g, 'CJK ideographs (U+4E00–U+9FFF)', '已确认危险区'],
  ru: [/[\u0400-\u04FF]/g, 'Cyrillic letters', 'Подтвержденный опасный район (CHA)'],
  fr: [/[A-Za-zÀ-ÿ]/g, 'Latin letters', 'Zone dangereuse confirmée (CHA)'],
  es: [/[A-Za-zÁ-ú]/g, 'Latin letters', 'Zona de peligro confirmado (CHA)'],
};
async function checkLanguage(context, lang) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(`${server.url}index.html?lang=${lang}`, { waitUntil: 'load' });
  const status = await page.evaluate(() => window.clearmapReady);
  check(status.figures === true && (!haveTiles || status.map === true), `[${lang}] figures and map loaded (${status.errors?.join('; ') || 'no errors'})`);
  if (haveTiles) {
    await page.evaluate(() => new Promise((resolve) => {
      const m = window.clearmapMap;
      if (m.loaded() && m.areTilesLoaded()) resolve();
      else m.once('idle', resolve);
    }));
  }
  const info = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    computedDir: getComputedStyle(document.body).direction,
    text: document.body.innerText,
    legend: document.querySelector('#cm-legend').textContent,
    selected: document.querySelector('#cm-language').value,
    options: [...document.querySelectorAll('#cm-language option')].map((o) => o.textContent),
    title: document.title,
  }));
  const wantDir = lang === 'ar' ? 'rtl' : 'ltr';
  check(info.lang === lang && info.dir === wantDir && info.computedDir === wantDir,
    `[${lang}] <html lang="${info.lang}" dir="${info.dir}">, body direction ${info.computedDir} (want ${wantDir})`);
  const [re, scriptName, cha] = SCRIPTS[lang];
  const letters = (info.text.match(re) || []).length;
  check(letters > 200, `[${lang}] page text in ${scriptName}: ${letters} characters`);
  check(info.legend.includes(cha), `[${lang}] legend names CHA as "${cha}"`);
  check(info.selected === lang && info.options.length === 6 && info.options.includes('العربية') && info.options.includes('中文'),
    `[${lang}] language switcher shows ${lang} among ${info.options.join(' / ')}`);
  // nothing left in English: no English message (longer than a word) on the page
  const en = JSON.parse(fs.readFileSync(path.join(bundle, 'i18n/en.json'), 'utf8'));
  const cat = JSON.parse(fs.readFileSync(path.join(bundle, `i18n/${lang}.json`), 'utf8'));
  const english = Object.entries(en)
    .filter(([k, v]) => !k.startsWith('meta.') && !/\{/.test(v) && v.length >= 8 && v !== cat[k] && info.text.includes(v))
    .map(([k]) => k);
  check(english.length === 0, `[${lang}] no English message left on the page${english.length ? ': ' + english.join(', ') : ''}`);
  await checkFigures(page, lang);
  await checkLegendBox(page, lang);
  await checkFiguresLayout(page, lang);
  check(errors.length === 0, `[${lang}] no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  const shot = path.join(outDir, `page-${lang}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`     screenshot ${shot}`);
  await page.close();
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
  await checkFigures(page, 'en');
  await checkLegendBox(page, 'en');
  await checkFiguresLayout(page, 'en');

  // ---- legend ----------------------------------------------------------------------
  const legend = await page.evaluate(() => ({
    text: document.querySelector('#cm-legend').textContent,
    items: [...document.querySelectorAll('#cm-legend li')].map((li) => li.getAttribute('data-value')),
  }));
  for (const v of ['CHA', 'SHA', 'cancelled', 'reduced', 'cleared', 'open', 'worked_on', 'closed']) {
    check(legend.items.includes(v), `legend lists ${v}`);
  }
  check(/Confirmed hazardous area \(CHA\)/.test(legend.text) && /Suspected hazardous area \(SHA\)/.test(legend.text), 'legend names SHA and CHA');
  check(await page.evaluate(() => document.documentElement.lang === 'en' && document.documentElement.dir === 'ltr'),
    'without ?lang the page is in the bundle\'s language (en): <html lang="en" dir="ltr">');

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

    // a cluster point (hazards within two pixels) says how many hazards it holds
    // (one with no polygon under it and no other point next to it: those would
    // take the click)
    const findCluster = () => page.evaluate(() => {
      const m = window.clearmapMap;
      for (const f of m.queryRenderedFeatures({ layers: ['hazard-points'] })) {
        if (!(f.properties.count > 1)) continue;
        const p = m.project(f.geometry.coordinates);
        const near = m.queryRenderedFeatures([[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]], { layers: ['hazards-fill', 'hazard-points'] });
        if (near.length === 1) return { x: p.x, y: p.y, count: f.properties.count };
      }
      return null;
    });
    let cluster = await findCluster();
    if (!cluster) {
      await page.evaluate(() => new Promise((resolve) => {
        const m = window.clearmapMap;
        m.jumpTo({ zoom: Math.max(0, m.getZoom() - 2) });
        m.once('idle', resolve);
      }));
      cluster = await findCluster();
    }
    check(!!cluster, 'cluster points are rendered at low zoom');
    if (cluster) {
      // the first popup may cover the cluster: close it
      const open = await page.$('.maplibregl-popup-close-button');
      if (open) await open.click();
      const box = await page.locator('#cm-map canvas').boundingBox();
      await page.mouse.click(box.x + cluster.x, box.y + cluster.y);
      const heading = await page.waitForFunction(
        (n) => {
          const h = document.querySelector('.maplibregl-popup h3');
          return h && h.textContent.includes(String(n)) ? h.textContent : null;
        },
        cluster.count,
        { timeout: 3000 }
      ).then((h) => h.jsonValue()).catch(async () => {
        const h = await page.$('.maplibregl-popup');
        return h ? `popup: ${(await h.textContent()).slice(0, 120)}` : null;
      });
      check(!!heading && !heading.startsWith('popup:'), `a cluster's popup names its ${cluster.count} hazards (${heading})`);
      const shut = await page.$('.maplibregl-popup-close-button');
      if (shut) await shut.click();
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
  // and in Arabic, from the catalogues handed over by page.js
  await filePage.goto(pathToFileURL(path.join(bundle, 'index.html')).href + '?lang=ar', { waitUntil: 'load' });
  await filePage.evaluate(() => window.clearmapReady);
  const fileMsgAr = (await filePage.textContent('#cm-message')) || '';
  check(/HTTP/.test(fileMsgAr) && /[\u0600-\u06FF]/.test(fileMsgAr) && /python3 -m http\.server/.test(fileMsgAr),
    `opened from file:// with ?lang=ar the message is in Arabic ("${fileMsgAr.slice(0, 60)}…")`);
  await filePage.screenshot({ path: path.join(outDir, 'file-url-ar.png') });

  // ---- the other languages ------------------------------------------------------------
  for (const lang of ['ar', 'zh', 'fr', 'ru', 'es']) await checkLanguage(context, lang);
  // en gets its own screenshot name too
  fs.copyFileSync(path.join(outDir, 'page.png'), path.join(outDir, 'page-en.png'));

  // the switcher reloads the page in the chosen language
  await page.goto(server.url + 'index.html', { waitUntil: 'load' });
  await page.evaluate(() => window.clearmapReady);
  await Promise.all([page.waitForURL(/lang=fr/), page.selectOption('#cm-language', 'fr')]);
  await page.evaluate(() => window.clearmapReady);
  check(await page.evaluate(() => document.documentElement.lang === 'fr' && /Légende/.test(document.body.innerText)),
    'choosing Français in the switcher shows the page in French');

  // page.js (from the config's `language`) sets the language; ?lang= overrides it
  const langPage = await context.newPage();
  await langPage.route('**/page.js', async (route) => {
    const body = fs.readFileSync(path.join(bundle, 'page.js'), 'utf8').replace(/"language": "\w+"/, '"language": "ru"');
    await route.fulfill({ status: 200, contentType: 'text/javascript', body });
  });
  await langPage.goto(server.url + 'index.html', { waitUntil: 'load' });
  await langPage.evaluate(() => window.clearmapReady);
  check(await langPage.evaluate(() => document.documentElement.lang) === 'ru', 'page.js language "ru" shows the page in Russian');
  await langPage.goto(server.url + 'index.html?lang=es', { waitUntil: 'load' });
  await langPage.evaluate(() => window.clearmapReady);
  check(await langPage.evaluate(() => document.documentElement.lang) === 'es', '?lang=es overrides page.js language "ru"');
  await langPage.goto(server.url + 'index.html?lang=xx', { waitUntil: 'load' });
  await langPage.evaluate(() => window.clearmapReady);
  check(await langPage.evaluate(() => document.documentElement.lang) === 'ru', 'an unknown ?lang=xx keeps the page.js language');
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
