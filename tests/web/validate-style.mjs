// Validate clearmap's MapLibre style with the official style-spec validator.
//   node validate-style.mjs [STYLE.json ...]   (default: ../../styles/clearmap.json)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : [path.join(here, '../../styles/clearmap.json')];
let failed = 0;
for (const f of files) {
  const style = JSON.parse(fs.readFileSync(f, 'utf8'));
  const errors = validateStyleMin(style);
  // clearmap's own rules: offline (no glyphs, sprite or remote sources), IMAS colours present.
  const own = [];
  if (style.glyphs || style.sprite) own.push('glyphs/sprite are not allowed: the bundle must work offline');
  if (style.layers.some((l) => l.type === 'symbol')) own.push('symbol layers need glyphs: not allowed');
  for (const [id, s] of Object.entries(style.sources)) {
    for (const u of [s.url, ...(s.tiles || [])].filter(Boolean)) {
      if (/^(https?:)?\/\//.test(u)) own.push(`source ${id}: remote URL ${u}`);
    }
  }
  const text = JSON.stringify(style.layers);
  for (const c of ['#FF0000', '#F4A718']) if (!text.includes(c)) own.push(`IMAS 07.11 colour ${c} missing`);
  for (const e of errors) console.error(`${f}: ${e.line ? `line ${e.line}: ` : ''}${e.message}`);
  for (const e of own) console.error(`${f}: ${e}`);
  if (errors.length || own.length) failed++;
  else console.log(`${f}: valid MapLibre style v${style.version} (${style.layers.length} layers)`);
}
process.exit(failed ? 1 : 0);
