// Headless-browser test of embedding a clearmap bundle's map on another origin.
//
//   node embed-test.mjs CLEARMAP_BIN EXAMPLE_CONFIG [OUTPUT_DIR]
//
// Builds the example twice into OUTPUT_DIR/served/ with an attribution that
// holds markup and a markdown link: `rel/` without a base URL, `abs/` with
// --base-url naming where it is served. `clearmap serve` serves OUTPUT_DIR/served
// on one loopback port (with CORS headers); the host pages are served by
// serve.mjs on another. Checks, each in headless Chromium:
// - a host page that imports rel/clearmap-map.js and mounts the map into a
//   <div> draws features (queryRenderedFeatures > 0), with its legend over the
//   map (collapsible), in the language asked for, the attribution's link as a
//   link and its markup as text, and no window.clearmapMap;
// - an <iframe> of rel/index.html?embed=1 shows the map alone with features
//   drawn, no figures, a collapsible legend;
// - a plain MapLibre page that registers the pmtiles protocol draws the
//   features of abs/style.json, whose archive URL is absolute.
// Screenshots go to OUTPUT_DIR (embed-*.png).
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [bin, exampleConfig, outArg] = process.argv.slice(2);
if (!bin || !exampleConfig) {
  console.error('usage: node embed-test.mjs CLEARMAP_BIN EXAMPLE_CONFIG [OUTPUT_DIR]');
  process.exit(2);
}
const outDir = path.resolve(outArg || path.join(here, '../../target/browser-test'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ATTRIBUTION = 'Example data: [Mine Action Centre](https://mac.example.org/data) <img src=x onerror="window.attributionRan=1">';

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

// ---- the bundles, served by clearmap serve -----------------------------------------
const served = path.join(outDir, 'served');
fs.rmSync(served, { recursive: true, force: true });
fs.mkdirSync(served, { recursive: true });
const exampleDir = path.dirname(path.resolve(exampleConfig));
const config = fs.readFileSync(exampleConfig, 'utf8')
  .replace(/^attribution = .*$/m, `attribution = ${JSON.stringify(ATTRIBUTION)}`)
  .replace(/^path = "([^"]+)"$/gm, (_, p) => `path = ${JSON.stringify(path.join(exampleDir, p))}`);
const configPath = path.join(outDir, 'embed-clearmap.toml');
fs.writeFileSync(configPath, config);

const server = spawn(bin, ['serve', served, '--addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const bundleOrigin = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`clearmap serve exited (${code}): ${out}`)));
});
const build = (name, args) => execFileSync(bin, ['build', configPath, '--out', path.join(served, name), '-q', '--force', ...args], { stdio: 'inherit' });
build('rel', []);
build('abs', ['--base-url', `${bundleOrigin}/abs/`]);
const rel = `${bundleOrigin}/rel/`;
const abs = `${bundleOrigin}/abs/`;
console.log(`bundles served by clearmap serve at ${rel} and ${abs}`);

// ---- the host pages, on another port -----------------------------------------------
const hostDir = path.join(outDir, 'host');
fs.rmSync(hostDir, { recursive: true, force: true });
fs.mkdirSync(hostDir, { recursive: true });
fs.writeFileSync(path.join(hostDir, 'module.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host page</title></head>
<body style="margin:0;font:16px serif">
<h1>A page of another site</h1>
<div id="map" style="width:900px;height:560px"></div>
<script type="module">
import { mount } from '${rel}clearmap-map.js';
window.mounted = mount(document.getElementById('map'), { bundle: '${rel}', lang: 'fr' })
  .then((view) => { window.view = view; return { ok: true, language: view.language }; },
        (e) => ({ ok: false, error: String(e && e.message || e) }));
</script>
</body></html>
`);
fs.writeFileSync(path.join(hostDir, 'iframe.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host page with an iframe</title></head>
<body style="margin:0">
<iframe id="frame" src="${rel}index.html?embed=1" title="Map of hazardous areas" style="width:900px;height:560px;border:0"></iframe>
</body></html>
`);
fs.writeFileSync(path.join(hostDir, 'plain.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plain MapLibre</title>
<link rel="stylesheet" href="${abs}maplibre-gl.css"></head>
<body style="margin:0">
<div id="map" style="width:900px;height:560px"></div>
<script src="${abs}maplibre-gl.js"></script>
<script src="${abs}pmtiles.js"></script>
<script>
maplibregl.addProtocol('pmtiles', new pmtiles.Protocol().tile);
window.map = new maplibregl.Map({ container: 'map', style: '${abs}style.json', center: [0, 0], zoom: 1 });
window.drawn = new Promise((resolve) => window.map.once('idle', resolve));
</script>
</body></html>
`);
const host = await serve(hostDir);
console.log(`host pages served at ${host.url}`);
check(new URL(host.url).port !== new URL(rel).port, `host page (${host.url}) and bundle (${rel}) are on different origins`);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  ],
});

function watch(page) {
  const errors = [];
  const offsite = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.url()} HTTP ${r.status()}`); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['blob:', 'data:'].includes(u.protocol) && u.hostname !== '127.0.0.1') offsite.push(u.href);
  });
  return { errors, offsite };
}

// Features drawn in the map `expr` (evaluated in `frame`) once it is idle.
async function drawn(frame, expr) {
  return frame.evaluate((expr) => new Promise((resolve) => {
    const m = eval(expr);
    const count = () => ({
      hazards: m.queryRenderedFeatures({ layers: ['hazards-fill'] }).length,
      points: m.queryRenderedFeatures({ layers: ['hazard-points'] }).length,
      releases: m.queryRenderedFeatures({ layers: ['releases-fill'] }).length,
    });
    if (m.loaded() && m.areTilesLoaded()) resolve(count());
    else m.once('idle', () => resolve(count()));
  }), expr);
}

try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, deviceScaleFactor: 1 });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['blob:', 'data:'].includes(u.protocol) || u.hostname === '127.0.0.1') return route.continue();
    return route.abort('blockedbyclient');
  });

  // ---- the module on another origin -------------------------------------------------
  const page = await context.newPage();
  const w = watch(page);
  await page.goto(`${host.url}module.html`, { waitUntil: 'load' });
  const result = await page.evaluate(() => window.mounted);
  check(result.ok === true, `clearmap-map.js mounts the map on another origin (${result.error || 'drawn'})`);
  if (result.ok) {
    const n = await drawn(page, 'window.view.map');
    check(n.hazards + n.points > 0, `features drawn on the host page: ${JSON.stringify(n)}`);
    const info = await page.evaluate(() => {
      const attrib = document.querySelector('#map .maplibregl-ctrl-attrib-inner');
      const legend = document.querySelector('#map details.cm-legend-overlay');
      return {
        language: window.view.language,
        globalMap: 'clearmapMap' in window,
        legendOpen: legend && legend.open,
        summary: legend && legend.querySelector('summary').textContent,
        legendText: legend && legend.textContent,
        attribHtml: attrib ? attrib.innerHTML : null,
        attribText: attrib ? attrib.textContent : null,
        links: attrib ? [...attrib.querySelectorAll('a')].map((a) => a.getAttribute('href')) : [],
        imgs: document.querySelectorAll('#map .maplibregl-ctrl-attrib img').length,
        ran: !!window.attributionRan,
        hostTitle: document.querySelector('h1').textContent,
        hostFont: getComputedStyle(document.body).fontFamily,
      };
    });
    check(info.language === 'fr' && info.summary === 'Légende' && /Zone dangereuse confirmée/.test(info.legendText),
      `the map speaks the language asked for (${info.language}, legend "${info.summary}")`);
    check(info.legendOpen === true, 'the legend lies open over a 900-pixel map');
    check(!info.globalMap, 'no window.clearmapMap on the host page: the map is what mount() resolves to');
    check(info.links.includes('https://mac.example.org/data'), `the attribution's markdown link is a link (${JSON.stringify(info.links)})`);
    check(info.imgs === 0 && !info.ran && /<img src=x onerror=/.test(info.attribText || ''),
      `the attribution's markup is shown as text, not run ("${info.attribText}")`);
    check(info.hostFont.includes('serif') && !info.hostFont.includes('system-ui'), `the host page's own styles stay (font ${info.hostFont})`);
    // collapsing the legend
    await page.click('#map details.cm-legend-overlay > summary');
    check(await page.evaluate(() => !document.querySelector('#map details.cm-legend-overlay').open), 'the legend collapses on a click on its heading');
    await page.screenshot({ path: path.join(outDir, 'embed-module.png') });
    const removed = await page.evaluate(() => { window.view.remove(); return document.querySelector('#map').children.length; });
    check(removed === 0, 'remove() takes the map out of the element');
  }
  check(w.offsite.length === 0, `no request left 127.0.0.1${w.offsite.length ? ': ' + w.offsite.join(', ') : ''}`);
  check(w.errors.length === 0, `no console errors on the host page${w.errors.length ? ': ' + w.errors.join(' | ') : ''}`);

  // ---- the page in an iframe, ?embed=1 ---------------------------------------------
  const framed = await context.newPage();
  const wf = watch(framed);
  await framed.goto(`${host.url}iframe.html`, { waitUntil: 'load' });
  const frame = await (await framed.waitForSelector('#frame')).contentFrame();
  const status = await frame.evaluate(() => window.clearmapReady);
  check(status.map === true && status.embed === true, `index.html?embed=1 in an iframe draws the map (${status.errors?.join('; ') || 'no errors'})`);
  if (status.map) {
    const n = await drawn(frame, 'window.clearmapMap');
    check(n.hazards + n.points > 0, `features drawn in the iframe: ${JSON.stringify(n)}`);
    const e = await frame.evaluate(() => {
      const visible = (sel) => { const x = document.querySelector(sel); return !!x && x.getClientRects().length > 0; };
      const map = document.querySelector('.cm-embed-host').getBoundingClientRect();
      return {
        figures: visible('#cm-figures'), header: visible('.cm-header'), footer: visible('.cm-footer'),
        legend: !!document.querySelector('.cm-embed-host details.cm-legend-overlay'),
        width: map.width, height: map.height, inner: [innerWidth, innerHeight],
      };
    });
    check(!e.figures && !e.header && !e.footer, `the map alone: no figures, header or footer (${JSON.stringify(e)})`);
    check(e.legend, 'a collapsible legend over the map');
    check(Math.abs(e.width - e.inner[0]) < 2 && Math.abs(e.height - e.inner[1]) < 2, `the map fills the iframe (${e.width}×${e.height})`);
  }
  await framed.screenshot({ path: path.join(outDir, 'embed-iframe.png') });
  check(wf.errors.length === 0, `no console errors around the iframe${wf.errors.length ? ': ' + wf.errors.join(' | ') : ''}`);

  // ---- style.json in a plain MapLibre app -------------------------------------------
  const plain = await context.newPage();
  const wp = watch(plain);
  await plain.goto(`${host.url}plain.html`, { waitUntil: 'load' });
  await plain.evaluate(() => window.drawn);
  // The style's own URL, as MapLibre read it: no page code rewrote it.
  const style = await plain.evaluate(() => window.map.getStyle().sources.clearmap.url);
  check(style === `pmtiles://${abs}tiles.pmtiles`, `a --base-url bundle's style.json names its archive absolutely (${style})`);
  const tj = JSON.parse(fs.readFileSync(path.join(served, 'abs', 'tiles.json'), 'utf8'));
  await plain.evaluate((b) => new Promise((resolve) => {
    window.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { duration: 0, padding: 20 });
    window.map.once('idle', resolve);
  }), tj.bounds);
  const np = await drawn(plain, 'window.map');
  check(np.hazards + np.points > 0, `a plain MapLibre page draws the features of style.json: ${JSON.stringify(np)}`);
  await plain.screenshot({ path: path.join(outDir, 'embed-plain-maplibre.png') });
  check(wp.errors.length === 0, `no console errors on the plain MapLibre page${wp.errors.length ? ': ' + wp.errors.join(' | ') : ''}`);
} finally {
  await browser.close();
  await host.close();
  server.kill();
}

if (failures.length) {
  console.error(`\n${failures.length} embedding check(s) failed:\n  - ${failures.join('\n  - ')}`);
  process.exit(1);
}
console.log('all embedding checks passed');
