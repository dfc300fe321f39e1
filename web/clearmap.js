// clearmap map page: loads style.json, summary.json and tiles.pmtiles from the
// bundle directory (served over HTTP with range requests), draws the map, a
// legend derived from the style, and the land-release figures.
// No external requests: MapLibre GL JS and PMTiles are served beside this file.
(function () {
  'use strict';

  var OUTCOMES = ['cancelled', 'reduced', 'cleared'];
  var OUTCOME_LABELS = { cancelled: 'Cancelled', reduced: 'Reduced', cleared: 'Cleared' };
  var CLASSES = ['CHA', 'SHA', 'other'];
  var CLASS_LABELS = { CHA: 'Confirmed (CHA)', SHA: 'Suspected (SHA)', other: 'Other' };
  var INTERACTIVE_LAYERS = ['hazard-points', 'hazards-fill', 'releases-fill'];

  var nf0 = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
  var nf2 = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function fmtM2(v) { return nf0.format(Math.round(v)); }
  function fmtKm2(v) { return nf2.format(v / 1e6); }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'class') e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  // `html` is trusted markup written here; `text` is anything else (error messages).
  function showMessage(content, kind, asText) {
    var m = document.getElementById('cm-message');
    if (asText) m.textContent = content; else m.innerHTML = content;
    m.className = 'cm-message cm-message-' + (kind || 'error');
    m.hidden = false;
  }

  function fetchJson(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }

  // ---- colours from the style ------------------------------------------------

  // ["match", ["get", prop], v1, c1, v2, c2, ..., fallback] -> [[v1, c1], ..., ['', fallback]]
  function matchEntries(expr) {
    if (!Array.isArray(expr) || expr[0] !== 'match') return null;
    var out = [];
    for (var i = 2; i + 1 < expr.length; i += 2) {
      var keys = Array.isArray(expr[i]) ? expr[i] : [expr[i]];
      keys.forEach(function (k) { out.push([String(k), expr[i + 1]]); });
    }
    out.push(['', expr[expr.length - 1]]);
    return out;
  }

  function layerColour(layer) {
    var p = layer.paint || {};
    return p['fill-color'] || p['line-color'] || p['circle-color'];
  }

  // Colour for a value of a layer's legend property, read from the style.
  function colourFor(style, layerId, value) {
    var layer = style.layers.filter(function (l) { return l.id === layerId; })[0];
    if (!layer) return '#999999';
    var entries = matchEntries(layerColour(layer));
    if (!entries) return layerColour(layer);
    var hit = entries.filter(function (e) { return e[0] === value; })[0] || entries[entries.length - 1];
    return hit[1];
  }

  // ---- legend ------------------------------------------------------------------

  function buildLegend(style, map) {
    var box = document.getElementById('cm-legend');
    box.textContent = '';
    // top-most layers first, as they are drawn over the others
    style.layers.slice().reverse().forEach(function (layer) {
      var meta = layer.metadata && layer.metadata['clearmap:legend'];
      if (!meta) return;
      var entries = matchEntries(layerColour(layer)) || [['', layerColour(layer)]];
      var list = el('ul', { class: 'cm-legend-list' });
      entries.forEach(function (e) {
        var label = meta.labels && meta.labels[e[0]];
        if (!label) return; // fallback colours without a label are not listed
        var sw = el('span', { class: 'cm-swatch cm-swatch-' + meta.symbol, 'aria-hidden': 'true' });
        if (meta.symbol === 'line') sw.style.borderColor = e[1];
        else {
          sw.style.backgroundColor = e[1];
          var op = layer.paint && layer.paint['fill-opacity'];
          if (typeof op === 'number') sw.style.opacity = String(Math.max(op, 0.5));
        }
        list.appendChild(el('li', { 'data-value': e[0] || 'other' }, [sw, el('span', { text: label })]));
      });
      var id = 'cm-toggle-' + layer.id;
      var toggle = el('input', { type: 'checkbox', id: id, checked: 'checked' });
      toggle.addEventListener('change', function () {
        if (!map) return;
        var vis = toggle.checked ? 'visible' : 'none';
        map.setLayoutProperty(layer.id, 'visibility', vis);
        // hazard points belong with the hazard fills
        if (layer.id === 'hazards-fill' && map.getLayer('hazard-points')) {
          map.setLayoutProperty('hazard-points', 'visibility', vis);
        }
        if (layer.id === 'releases-fill' && map.getLayer('releases-outline')) {
          map.setLayoutProperty('releases-outline', 'visibility', vis);
        }
      });
      var section = el('fieldset', { class: 'cm-legend-section', 'data-layer': layer.id }, [
        el('legend', {}, [toggle, el('label', { for: id, text: meta.section })]),
        list
      ]);
      box.appendChild(section);
    });
  }

  // ---- figures -----------------------------------------------------------------

  function figureRow(label, m2, key, extra) {
    return el('tr', { 'data-key': key }, [
      el('th', { scope: 'row', text: label }),
      el('td', { class: 'cm-num', 'data-m2': String(m2), text: fmtM2(m2) }),
      el('td', { class: 'cm-num', 'data-km2': String(m2 / 1e6), text: fmtKm2(m2) }),
      extra === undefined ? null : el('td', { class: 'cm-num', text: extra })
    ]);
  }

  function yearsOf(summary) {
    var by = summary.released_by_year || {};
    var years = Object.keys(by).filter(function (y) { return y !== 'undated'; }).sort();
    if (by.undated) years.push('undated');
    return years;
  }

  function buildChart(summary, style) {
    var by = summary.released_by_year || {};
    var years = yearsOf(summary);
    var wrap = el('figure', { class: 'cm-chart' });
    var capId = 'cm-chart-caption';
    wrap.appendChild(el('figcaption', { id: capId, text: 'Land released per year, by outcome (km²)' }));
    if (!years.length) {
      wrap.appendChild(el('p', { text: 'No land release recorded.' }));
      return wrap;
    }
    var max = 0;
    years.forEach(function (y) {
      var t = OUTCOMES.reduce(function (s, o) { return s + (by[y][o] || 0); }, 0);
      max = Math.max(max, t);
    });
    var W = 640, H = 240, left = 56, right = 8, top = 10, bottom = 28;
    var plotW = W - left - right, plotH = H - top - bottom;
    var band = plotW / years.length;
    var barW = Math.min(48, band * 0.7);
    var s = svg('svg', {
      viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': capId,
      'aria-describedby': 'cm-release-table-caption', class: 'cm-chart-svg'
    });
    // y axis ticks in km²
    var maxKm2 = max / 1e6;
    var step = niceStep(maxKm2 / 4);
    var yTop = Math.max(step, Math.ceil(maxKm2 / step) * step);
    for (var v = 0; v <= yTop + 1e-9; v += step) {
      var yy = top + plotH - (v / yTop) * plotH;
      s.appendChild(svg('line', { x1: left, x2: W - right, y1: yy, y2: yy, class: 'cm-grid' }));
      var t = svg('text', { x: left - 6, y: yy + 4, 'text-anchor': 'end', class: 'cm-tick' });
      t.textContent = nf2.format(v);
      s.appendChild(t);
    }
    years.forEach(function (y, i) {
      var x = left + i * band + (band - barW) / 2;
      var acc = 0;
      var g = svg('g', { 'data-year': y });
      OUTCOMES.forEach(function (o) {
        var val = (by[y][o] || 0) / 1e6;
        if (val <= 0) return;
        var h = (val / yTop) * plotH;
        var yPos = top + plotH - ((acc + val) / yTop) * plotH;
        var r = svg('rect', { x: x, y: yPos, width: barW, height: Math.max(h, 0.5), fill: colourFor(style, 'releases-fill', o) });
        var title = svg('title', {});
        title.textContent = y + ', ' + OUTCOME_LABELS[o] + ': ' + nf2.format(val) + ' km²';
        r.appendChild(title);
        g.appendChild(r);
        acc += val;
      });
      var lbl = svg('text', { x: x + barW / 2, y: H - 10, 'text-anchor': 'middle', class: 'cm-tick' });
      lbl.textContent = y === 'undated' ? 'Undated' : y;
      g.appendChild(lbl);
      s.appendChild(g);
    });
    wrap.appendChild(s);
    var key = el('ul', { class: 'cm-chart-key', 'aria-hidden': 'true' });
    OUTCOMES.forEach(function (o) {
      var sw = el('span', { class: 'cm-swatch cm-swatch-fill' });
      sw.style.backgroundColor = colourFor(style, 'releases-fill', o);
      key.appendChild(el('li', {}, [sw, OUTCOME_LABELS[o]]));
    });
    wrap.appendChild(key);
    return wrap;
  }

  function niceStep(x) {
    if (!(x > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(x)));
    var f = x / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }

  function buildReleaseTable(summary) {
    var by = summary.released_by_year || {};
    var table = el('table', { class: 'cm-table', id: 'cm-release-table' });
    table.appendChild(el('caption', { id: 'cm-release-table-caption', text: 'Land released per year, by outcome (m²)' }));
    table.appendChild(el('thead', {}, [el('tr', {}, [
      el('th', { scope: 'col', text: 'Year' }),
      el('th', { scope: 'col', text: 'Cancelled' }),
      el('th', { scope: 'col', text: 'Reduced' }),
      el('th', { scope: 'col', text: 'Cleared' }),
      el('th', { scope: 'col', text: 'Total' })
    ])]));
    var body = el('tbody');
    yearsOf(summary).forEach(function (y) {
      var row = el('tr', { 'data-year': y }, [el('th', { scope: 'row', text: y === 'undated' ? 'Undated' : y })]);
      OUTCOMES.concat(['total']).forEach(function (o) {
        var v = by[y][o] || 0;
        row.appendChild(el('td', { class: 'cm-num', 'data-outcome': o, 'data-m2': String(v), text: fmtM2(v) }));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function buildFigures(summary, style) {
    var box = document.getElementById('cm-figures');
    box.textContent = '';
    var a = summary.area_m2 || {};
    var byClass = summary.remaining_by_classification || {};

    var lead = el('p', { class: 'cm-lead', id: 'cm-remaining-lead' }, [
      el('strong', { 'data-m2': String(a.remaining || 0), text: fmtKm2(a.remaining || 0) + ' km²' }),
      ' of land remains suspected or confirmed to be hazardous (' + fmtM2(a.remaining || 0) + ' m²).'
    ]);
    box.appendChild(lead);

    var rem = el('table', { class: 'cm-table', id: 'cm-remaining-table' });
    rem.appendChild(el('caption', { text: 'Remaining hazardous area, by classification' }));
    rem.appendChild(el('thead', {}, [el('tr', {}, [
      el('th', { scope: 'col', text: 'Classification' }),
      el('th', { scope: 'col', text: 'Area (m²)' }),
      el('th', { scope: 'col', text: 'Area (km²)' }),
      el('th', { scope: 'col', text: 'Hazards' })
    ])]));
    var rb = el('tbody');
    CLASSES.forEach(function (c) {
      var share = byClass[c];
      // "other" only when there is some: most exports classify every hazard
      if (c === 'other' && (!share || (!share.count && !share.area_m2))) return;
      share = share || { count: 0, area_m2: 0 };
      var row = figureRow(CLASS_LABELS[c], share.area_m2, c, nf0.format(share.count));
      var sw = el('span', { class: 'cm-swatch cm-swatch-fill', 'aria-hidden': 'true' });
      sw.style.backgroundColor = colourFor(style, 'hazards-fill', c === 'other' ? '' : c);
      row.firstChild.insertBefore(sw, row.firstChild.firstChild);
      rb.appendChild(row);
    });
    rb.appendChild(figureRow('Total remaining', a.remaining || 0, 'remaining', ''));
    rem.appendChild(rb);
    box.appendChild(rem);

    var rel = el('table', { class: 'cm-table', id: 'cm-released-table' });
    rel.appendChild(el('caption', { text: 'Land released, all years' }));
    rel.appendChild(el('thead', {}, [el('tr', {}, [
      el('th', { scope: 'col', text: 'Outcome' }),
      el('th', { scope: 'col', text: 'Area (m²)' }),
      el('th', { scope: 'col', text: 'Area (km²)' })
    ])]));
    var relb = el('tbody');
    OUTCOMES.forEach(function (o) {
      var row = figureRow(OUTCOME_LABELS[o], a[o] || 0, o);
      var sw = el('span', { class: 'cm-swatch cm-swatch-fill', 'aria-hidden': 'true' });
      sw.style.backgroundColor = colourFor(style, 'releases-fill', o);
      row.firstChild.insertBefore(sw, row.firstChild.firstChild);
      relb.appendChild(row);
    });
    rel.appendChild(relb);
    box.appendChild(rel);

    box.appendChild(el('div', { class: 'cm-by-year' }, [buildChart(summary, style), buildReleaseTable(summary)]));
  }

  function describeSource(summary) {
    var name = summary.name || summary.country || 'this State';
    var title = 'Maps: ' + name;
    document.title = title + ' (land release)';
    document.getElementById('cm-title').textContent = title;
    var subEl = document.getElementById('cm-subtitle');
    subEl.textContent = 'Remaining hazardous areas and land release';
    if (summary.as_of) {
      subEl.appendChild(document.createTextNode(' as of '));
      subEl.appendChild(el('time', { datetime: summary.as_of, id: 'cm-as-of', text: summary.as_of }));
    }
    subEl.appendChild(document.createTextNode('. Nationally owned data from IMSMA.'));
    var src = document.getElementById('cm-source');
    src.textContent = 'Source: nationally owned IMSMA data of ' + name +
      (summary.country ? ' (' + summary.country + ')' : '') +
      (summary.as_of ? ', as of ' + summary.as_of : '') +
      '. Figures by clearmap ' + (summary.clearmap_version || '') + '.';
    src.setAttribute('data-country', summary.country || '');
    src.setAttribute('data-name', summary.name || '');
  }

  // ---- popups ------------------------------------------------------------------

  var HAZARD_FIELDS = [
    ['id', 'Hazard'], ['classification', 'Classification'], ['status', 'Status'],
    ['contamination', 'Contamination'], ['region', 'Region'],
    ['area_m2', 'Area (m²)'], ['remaining_m2', 'Remaining (m²)']
  ];
  var RELEASE_FIELDS = [['id', 'Release'], ['outcome', 'Outcome'], ['year', 'Year'], ['area_m2', 'Area (m²)']];

  function fmtValue(v) {
    if (typeof v === 'number') return fmtM2(v);
    if (typeof v === 'string' && /^\s*[\[{]/.test(v)) {
      try {
        var p = JSON.parse(v);
        if (Array.isArray(p)) return p.join(', ');
        if (p && typeof p === 'object') return Object.keys(p).map(function (k) { return p[k]; }).join(', ');
      } catch (e) { /* shown as is */ }
    }
    return v == null || v === '' ? '—' : String(v).replace(/_/g, ' ');
  }

  function popupContent(feature) {
    var isRelease = feature.sourceLayer === 'releases';
    var fields = isRelease ? RELEASE_FIELDS : HAZARD_FIELDS;
    var dl = el('dl', { class: 'cm-popup' });
    fields.forEach(function (f) {
      if (!(f[0] in feature.properties)) return;
      var v = feature.properties[f[0]];
      dl.appendChild(el('dt', { text: f[1] }));
      dl.appendChild(el('dd', { text: f[0] === 'id' ? String(v) : fmtValue(v) }));
    });
    var wrap = el('div', { role: 'dialog', 'aria-label': isRelease ? 'Released land' : 'Hazardous area' }, [
      el('h3', { text: isRelease ? 'Released land' : 'Hazardous area' }), dl
    ]);
    return wrap;
  }

  function pickFeature(map, point) {
    var layers = INTERACTIVE_LAYERS.filter(function (id) {
      return map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none';
    });
    var pad = 4;
    var box = [[point.x - pad, point.y - pad], [point.x + pad, point.y + pad]];
    var feats = map.queryRenderedFeatures(box, { layers: layers });
    // hazards before releases, polygons before points once both are drawn
    feats.sort(function (a, b) { return INTERACTIVE_LAYERS.indexOf(a.layer.id) - INTERACTIVE_LAYERS.indexOf(b.layer.id); });
    var hz = feats.filter(function (f) { return f.layer.id === 'hazards-fill'; })[0];
    return hz || feats[0];
  }

  function wireInteraction(map) {
    var popup = new maplibregl.Popup({ maxWidth: '320px', closeButton: true, focusAfterOpen: true });
    function open(lngLat, point) {
      var f = pickFeature(map, point);
      if (!f) { popup.remove(); return false; }
      popup.setLngLat(lngLat).setDOMContent(popupContent(f)).addTo(map);
      return true;
    }
    map.on('click', function (e) { open(e.lngLat, e.point); });
    map.on('mousemove', function (e) {
      map.getCanvas().style.cursor = pickFeature(map, e.point) ? 'pointer' : '';
    });
    // Escape closes the popup and gives the focus back to the map
    map.getContainer().addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && popup.isOpen()) {
        popup.remove();
        map.getCanvas().focus();
      }
    });
    map.getCanvas().addEventListener('keydown', function (e) {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      var c = map.getCanvas();
      var pt = new maplibregl.Point(c.clientWidth / 2, c.clientHeight / 2);
      if (!open(map.getCenter(), pt)) {
        var live = document.getElementById('cm-live');
        live.textContent = 'No hazard or released land at the centre of the map.';
      }
    });
  }

  // ---- map -----------------------------------------------------------------------

  function boundsFrom(tilejson, header) {
    var b = tilejson && Array.isArray(tilejson.bounds) && tilejson.bounds.length === 4 ? tilejson.bounds : null;
    if (!b && header) b = [header.minLon, header.minLat, header.maxLon, header.maxLat];
    if (!b || b.some(function (v) { return typeof v !== 'number' || !isFinite(v); })) return null;
    if (b[0] >= b[2] || b[1] >= b[3]) return null;
    return b;
  }

  function startMap(style) {
    var tilesUrl = new URL('tiles.pmtiles', document.baseURI).href;
    var protocol = new pmtiles.Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile);
    var archive = new pmtiles.PMTiles(tilesUrl);
    protocol.add(archive);
    var mapStyle = JSON.parse(JSON.stringify(style));
    mapStyle.sources.clearmap.url = 'pmtiles://' + tilesUrl;

    var headerP = archive.getHeader();
    var tilejsonP = fetchJson('tiles.json').catch(function () { return null; });

    return Promise.all([headerP, tilejsonP]).then(function (res) {
      var header = res[0], tilejson = res[1];
      var bounds = boundsFrom(tilejson, header);
      var map = new maplibregl.Map({
        container: 'cm-map',
        style: mapStyle,
        bounds: bounds || undefined,
        fitBoundsOptions: { padding: 24 },
        center: bounds ? undefined : [0, 0],
        zoom: bounds ? undefined : 1,
        maxZoom: 17,
        attributionControl: false,
        cooperativeGestures: false
      });
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
      map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
      var attribution = tilejson && tilejson.attribution;
      map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: attribution || 'IMSMA data, nationally owned' }));
      var canvas = map.getCanvas();
      canvas.setAttribute('tabindex', '0');
      canvas.setAttribute('role', 'region');
      canvas.setAttribute('aria-label', 'Map of remaining hazardous areas and released land. Arrow keys pan, plus and minus zoom, Enter describes the area at the centre.');
      canvas.setAttribute('aria-describedby', 'cm-map-help');
      window.clearmapMap = map;
      wireInteraction(map);
      buildLegend(style, map);
      return new Promise(function (resolve) {
        map.once('idle', function () { resolve(map); });
        map.on('error', function (e) {
          console.warn('map:', e && e.error ? e.error.message : e);
        });
      });
    }, function (err) {
      buildLegend(style, null);
      var why = /Byte Serving|content-length/i.test(err.message)
        ? 'the web server does not support HTTP range requests (python3 -m http.server does not; nginx, Apache and Caddy do)'
        : err.message;
      throw new Error('The map tiles (tiles.pmtiles) could not be read: ' + why);
    });
  }

  function main() {
    var status = { figures: false, map: false, errors: [] };
    window.clearmapStatus = status;
    if (location.protocol === 'file:') {
      showMessage('<strong>This page must be served over HTTP.</strong> Browsers do not let a page opened from a file read ' +
        'its map tiles, style and figures. Serve the bundle directory with a web server that supports HTTP range requests ' +
        '(nginx, Apache, Caddy: <code>caddy file-server --listen :8000 --root DIR</code>, or clearmap\'s test server ' +
        '<code>node tests/web/serve.mjs DIR</code>) and open <code>http://localhost:8000/</code>. ' +
        'Note that <code>python3 -m http.server</code> does not support range requests, so the map will not load with it.', 'error');
      document.querySelector('.cm-map-section').hidden = true;
      document.getElementById('cm-figures').textContent = 'Figures are not available when the page is opened from a file.';
      status.done = true;
      return Promise.resolve(status);
    }
    var styleP = fetchJson('style.json');
    var summaryP = fetchJson('summary.json');
    var live = el('div', { id: 'cm-live', class: 'cm-visually-hidden', 'aria-live': 'polite' });
    document.body.appendChild(live);

    var figures = Promise.all([styleP, summaryP]).then(function (r) {
      describeSource(r[1]);
      buildFigures(r[1], r[0]);
      status.figures = true;
    }).catch(function (e) {
      status.errors.push(String(e.message || e));
      showMessage('The figures could not be loaded: ' + e.message, 'error', true);
    });
    var mapP = styleP.then(startMap).then(function () { status.map = true; }).catch(function (e) {
      status.errors.push(String(e.message || e));
      document.getElementById('cm-map').classList.add('cm-map-missing');
      showMessage(String(e.message || e), 'error', true);
    });
    return Promise.all([figures, mapP]).then(function () { status.done = true; return status; });
  }

  window.clearmapReady = main();
})();
