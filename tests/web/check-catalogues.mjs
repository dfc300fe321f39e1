// Checks the map page's message catalogues (web/i18n/<lang>.json), no deps:
//
//   node tests/web/check-catalogues.mjs
//
// Every catalogue has exactly the keys of en.json, each a non-empty string with
// the same {placeholders}; meta.dir is rtl for Arabic only; every legend label
// of styles/clearmap.json and every message key clearmap.js and index.html use
// has an English entry. The page itself falls back to English silently: gaps
// are reported here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(root, 'web/i18n');
const LANGUAGES = ['ar', 'zh', 'en', 'fr', 'ru', 'es'];

let failures = 0;
let checks = 0;
const check = (ok, what) => {
  checks++;
  if (!ok) {
    failures++;
    console.log(`FAIL ${what}`);
  }
};

const load = (lang) => {
  const file = path.join(dir, `${lang}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    check(false, `${file}: ${e.message}`);
    return null;
  }
};
const placeholders = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
check(files.join() === [...LANGUAGES].sort().join(), `web/i18n holds one catalogue per language (${files.join(', ')})`);

const en = load('en');
if (!en) process.exit(1);
const enKeys = Object.keys(en);
for (const lang of LANGUAGES) {
  const cat = load(lang);
  if (!cat) continue;
  const missing = enKeys.filter((k) => !(k in cat));
  const extra = Object.keys(cat).filter((k) => !(k in en));
  check(missing.length === 0, `${lang}.json lacks ${missing.length} key(s) of en.json: ${missing.join(', ')}`);
  check(extra.length === 0, `${lang}.json has ${extra.length} key(s) en.json has not: ${extra.join(', ')}`);
  for (const [k, v] of Object.entries(cat)) {
    check(typeof v === 'string' && v.trim() !== '', `${lang}.json ${k} is a non-empty string`);
    if (k in en) {
      check(placeholders(v) === placeholders(en[k]),
        `${lang}.json ${k}: placeholders {${placeholders(v)}} differ from en.json's {${placeholders(en[k])}}`);
    }
  }
  check(cat['meta.dir'] === (lang === 'ar' ? 'rtl' : 'ltr'), `${lang}.json meta.dir is ${lang === 'ar' ? 'rtl' : 'ltr'}`);
  try {
    check(Intl.NumberFormat.supportedLocalesOf([cat['meta.locale']]).length === 1, `${lang}.json meta.locale ${cat['meta.locale']} is a locale Intl knows`);
  } catch (e) {
    check(false, `${lang}.json meta.locale ${cat['meta.locale']}: ${e.message}`);
  }
}

// every legend entry of the style has a message
const style = JSON.parse(fs.readFileSync(path.join(root, 'styles/clearmap.json'), 'utf8'));
for (const layer of style.layers) {
  const meta = layer.metadata?.['clearmap:legend'];
  if (!meta) continue;
  check(`legend.${layer.id}.section` in en, `en.json has legend.${layer.id}.section`);
  for (const v of Object.keys(meta.labels || {})) {
    check(`legend.${layer.id}.${v || 'other'}` in en, `en.json has legend.${layer.id}.${v || 'other'}`);
  }
}

// every literal key the page uses has a message
const js = fs.readFileSync(path.join(root, 'web/clearmap.js'), 'utf8');
const html = fs.readFileSync(path.join(root, 'web/index.html'), 'utf8');
const used = new Set([
  ...[...js.matchAll(/\b(?:msg|t|tNodes)\('([\w.-]+)'\s*[,)]/g)].map((m) => m[1]),
  ...[...js.matchAll(/'((?:field|popup)\.[\w.]+)'/g)].map((m) => m[1]),
  ...[...html.matchAll(/data-i18n="([\w.-]+)"/g)].map((m) => m[1]),
]);
for (const k of used) check(k in en, `en.json has ${k}, used by the page`);
// prefixes the page completes at run time
for (const [prefix, values] of [['class.', ['CHA', 'SHA', 'other']], ['outcome.', ['cancelled', 'reduced', 'cleared']],
  ['status.', ['open', 'worked_on', 'closed']],
  ['contamination.', ['ap_mine', 'av_mine', 'improvised_mine', 'cmr', 'uxo', 'axo', 'ied', 'unknown']]]) {
  for (const v of values) check(prefix + v in en, `en.json has ${prefix}${v}`);
}

console.log(`catalogues: ${checks - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
