// clearmap-map.js: draw a clearmap bundle's map into any element of any page.
//
//   <div id="map" style="height: 480px"></div>
//   <script type="module">
//     import { mount } from 'https://maps.example.org/khm/clearmap-map.js';
//     const view = await mount(document.getElementById('map'), {
//       bundle: 'https://maps.example.org/khm/',  // default: this module's folder
//       lang: 'fr',                               // default: the bundle's language
//     });
//     view.map;       // the MapLibre GL JS map, drawn
//     view.remove();  // takes the map out of the element again
//   </script>
//
// Options:
//   bundle  URL of the bundle's folder (where style.json, tiles.pmtiles, tiles.json
//           and i18n/ are). Default: the folder this module was loaded from.
//   lang    ar, zh, en, fr, ru or es. Default: the language the bundle was built in.
//   legend  'open' or 'closed'; default: open where the element is at least 560
//           pixels wide. The legend lies over the map and can be collapsed.
//   quality true: offer the bundle's data-quality layer (defects.geojson) in the
//           legend, off until ticked. Default: not offered.
//
// mount() resolves to {map, language, element, remove()} once the map is drawn,
// and rejects with an Error that says what failed (the element then shows that the
// map is unavailable). The element needs a height; the map fills it.
//
// The module loads, once per page, what the map runs on from the bundle:
// maplibre-gl.js and pmtiles.js unless the page has them already (as the globals
// maplibregl and pmtiles), clearmap.js (the bundle page's own code, which draws
// the map, legend and popups), maplibre-gl.css and clearmap-map.css. A bundle on
// another origin must be served with CORS headers and range requests (clearmap
// serve sends both).

const here = new URL('./', import.meta.url).href;
const loading = new Map();

// Load a classic script once per URL.
function script(url) {
  if (!loading.has(url)) {
    loading.set(url, new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.async = false;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error(`clearmap-map.js: cannot load ${url}`));
      document.head.appendChild(s);
    }));
  }
  return loading.get(url);
}

// Add a stylesheet once per URL; it need not have loaded for the map to start.
function stylesheet(url) {
  if (loading.has(url)) return;
  loading.set(url, null);
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = url;
  document.head.appendChild(l);
}

// What the map runs on, from the bundle at `bundle`.
async function runtime(bundle) {
  stylesheet(new URL('maplibre-gl.css', bundle).href);
  stylesheet(new URL('clearmap-map.css', bundle).href);
  const wait = [];
  if (!window.maplibregl) wait.push(script(new URL('maplibre-gl.js', bundle).href));
  if (!window.pmtiles) wait.push(script(new URL('pmtiles.js', bundle).href));
  await Promise.all(wait);
  if (!window.clearmap || typeof window.clearmap.mount !== 'function') {
    await script(new URL('clearmap.js', bundle).href);
  }
  return window.clearmap;
}

/**
 * Draw the map of a clearmap bundle into `element`.
 * @param {HTMLElement} element  where the map goes; it needs a height
 * @param {{bundle?: string, lang?: string, legend?: 'open'|'closed', quality?: boolean}} [options]
 * @returns {Promise<{map: object, language: string, element: HTMLElement, remove: () => void}>}
 */
export async function mount(element, options = {}) {
  const bundle = new URL(options.bundle || here, document.baseURI).href.replace(/\/?$/, '/');
  const clearmap = await runtime(bundle);
  return clearmap.mount(element, { ...options, bundle });
}

export default { mount };
