// clearmap's map page and map: loads style.json, summary.json and tiles.pmtiles
// from a bundle (served over HTTP with range requests), draws the map, a legend
// derived from the style, and the land-release figures.
// No external requests: MapLibre GL JS and PMTiles are served beside this file.
// Every text comes from the message catalogues (web/i18n/<lang>.json): on the
// bundle's page, those page.js hands over (window.clearmapPage), in the bundle's
// language or the one of `?lang=xx`; a key a catalogue lacks falls back to
// English (tests/web/check-catalogues.mjs reports such gaps, not the page).
//
// Loaded by index.html (the script tag with data-clearmap-page), it runs the
// page: figures and map, or with `?embed=1` the map alone. Loaded by
// clearmap-map.js on any page, it only offers `clearmap.mount(element, options)`,
// which draws a bundle's map into an element (see clearmap-map.js).
(function () {
  'use strict';

  var OUTCOMES = ['cancelled', 'reduced', 'cleared'];
  var CLASSES = ['CHA', 'SHA', 'other'];
  var INTERACTIVE_LAYERS = ['quality-point', 'quality-fill', 'hazard-points', 'hazards-fill', 'releases-fill'];

  // ---- language --------------------------------------------------------------------

  // The Convention's official languages, each named in itself (for the switcher).
  var LANGUAGES = [
    ['ar', 'العربية'], ['zh', '中文'], ['en', 'English'],
    ['fr', 'Français'], ['ru', 'Русский'], ['es', 'Español']
  ];

  // `asked` if the catalogues have it, else `fallback` if they do, else English.
  function chooseLanguage(catalogues, asked, fallback) {
    var known = function (l) { return !!l && !!catalogues[l] && LANGUAGES.some(function (x) { return x[0] === l; }); };
    if (known(asked)) return asked;
    return known(fallback) ? fallback : 'en';
  }

  function fetchJson(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }

  // One pmtiles protocol for every map of the document: it keeps the archives
  // by URL, so maps of several bundles share it.
  var protocol = null;
  function pmtilesProtocol() {
    if (!protocol) {
      protocol = new pmtiles.Protocol();
      maplibregl.addProtocol('pmtiles', protocol.tile);
    }
    return protocol;
  }

  // A copy of `style` whose pmtiles:// sources are absolute: style.json names
  // the archive relative to itself (`pmtiles://tiles.pmtiles`), which MapLibre
  // would resolve against the page's URL, not the style's. `archives` maps
  // each such source to its archive's URL.
  function absoluteSources(style, styleUrl) {
    var copy = JSON.parse(JSON.stringify(style));
    var archives = {};
    Object.keys(copy.sources || {}).forEach(function (id) {
      var src = copy.sources[id];
      if (typeof src.url !== 'string' || src.url.indexOf('pmtiles://') !== 0) return;
      archives[id] = new URL(src.url.slice('pmtiles://'.length), styleUrl).href;
      src.url = 'pmtiles://' + archives[id];
    });
    return { style: copy, archives: archives };
  }

  function boundsFrom(tilejson, header) {
    var b = tilejson && Array.isArray(tilejson.bounds) && tilejson.bounds.length === 4 ? tilejson.bounds : null;
    if (!b && header) b = [header.minLon, header.minLat, header.maxLon, header.maxLat];
    if (!b || b.some(function (v) { return typeof v !== 'number' || !isFinite(v); })) return null;
    if (b[0] >= b[2] || b[1] >= b[3]) return null;
    return b;
  }

  // Records across ±180°: TileJSON bounds cannot cross the antimeridian, so
  // tiles.json gives the whole band of their latitudes and, as `center`, the
  // records' own centre and zoom, which the map opens on instead.
  function viewFrom(tilejson, bounds) {
    var c = tilejson && Array.isArray(tilejson.center) && tilejson.center.length === 3 ? tilejson.center : null;
    if (!bounds || bounds[2] - bounds[0] < 359.999 || !c) return null;
    if (c.some(function (v) { return typeof v !== 'number' || !isFinite(v); })) return null;
    return { center: [c[0], c[1]], zoom: c[2] };
  }

  var mounted = 0;

  // Everything that speaks: the page and the map, in the language `LANG` of
  // `CATALOGUES` ({lang: {key: message}}).
  function app(CATALOGUES, LANG) {
    var CAT = CATALOGUES[LANG] || {};
    var EN = CATALOGUES.en || {};

    function has(key) {
      return Object.prototype.hasOwnProperty.call(CAT, key) || Object.prototype.hasOwnProperty.call(EN, key);
    }
    // The message `key` in the page's language, else English, else `fallback`.
    function msg(key, fallback) {
      if (Object.prototype.hasOwnProperty.call(CAT, key)) return CAT[key];
      if (Object.prototype.hasOwnProperty.call(EN, key)) return EN[key];
      return fallback === undefined ? key : fallback;
    }
    // `key` with its {placeholders} replaced by the strings of `params`.
    function t(key, params) {
      return msg(key).replace(/\{(\w+)\}/g, function (m, name) {
        return params && params[name] != null ? String(params[name]) : m;
      });
    }
    // `key` as DOM nodes: placeholders may be elements (links, <code>, <time>).
    function tNodes(key, params) {
      return msg(key).split(/(\{\w+\})/).filter(Boolean).map(function (part) {
        var m = /^\{(\w+)\}$/.exec(part);
        var v = m && params ? params[m[1]] : undefined;
        if (v == null) return document.createTextNode(part);
        return typeof v === 'string' ? document.createTextNode(v) : v;
      });
    }

    var DIR = msg('meta.dir', 'ltr') === 'rtl' ? 'rtl' : 'ltr';
    var RTL = DIR === 'rtl';
    var LOCALE = msg('meta.locale', 'en-GB');
    var nf0 = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
    var nf2 = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var nfYear = new Intl.NumberFormat(LOCALE, { useGrouping: false, maximumFractionDigits: 0 });
    var df = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'long', timeZone: 'UTC' });

    function fmtM2(v) { return nf0.format(Math.round(v)); }
    function fmtKm2(v) { return nf2.format(v / 1e6); }
    function withM2(v) { return t('unit.m2', { n: fmtM2(v) }); }
    function withKm2(v) { return t('unit.km2', { n: fmtKm2(v) }); }
    function fmtYear(y) {
      if (y === 'undated') return msg('year.undated');
      return /^\d+$/.test(String(y)) ? nfYear.format(Number(y)) : String(y);
    }
    function fmtDate(iso) {
      var d = new Date(iso + 'T00:00:00Z');
      return isNaN(d.getTime()) ? iso : df.format(d);
    }

    // <html lang dir>, the static texts of index.html and the language switcher.
    function applyLanguage() {
      var root = document.documentElement;
      root.lang = LANG;
      root.dir = DIR;
      document.querySelectorAll('[data-i18n]').forEach(function (e) {
        var key = e.getAttribute('data-i18n');
        if (has(key)) e.textContent = msg(key);
      });
      var credits = document.getElementById('cm-credits');
      var links = credits.querySelectorAll('a');
      if (links.length === 2 && has('footer.credits')) {
        credits.textContent = '';
        tNodes('footer.credits', { maplibre: links[0], pmtiles: links[1] }).forEach(function (n) { credits.appendChild(n); });
      }
      document.getElementById('cm-map').setAttribute('data-missing', msg('map.unavailable'));
      var select = document.getElementById('cm-language');
      LANGUAGES.forEach(function (l) {
        if (!CATALOGUES[l[0]]) return;
        var o = el('option', { value: l[0], lang: l[0], text: l[1] });
        if (l[0] === LANG) o.selected = true;
        select.appendChild(o);
      });
      select.addEventListener('change', function () {
        var u = new URL(location.href);
        u.searchParams.set('lang', select.value);
        location.href = u.href;
      });
    }

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

    // `content`: a text, or DOM nodes built here.
    function showMessage(content, kind) {
      var m = document.getElementById('cm-message');
      if (typeof content === 'string') m.textContent = content;
      else {
        m.textContent = '';
        content.forEach(function (n) { m.appendChild(n); });
      }
      m.className = 'cm-message cm-message-' + (kind || 'error');
      m.hidden = false;
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

    // The legend into `box`; its checkboxes are named `idPrefix` + layer id.
    function buildLegend(style, map, box, idPrefix) {
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
          label = msg('legend.' + layer.id + '.' + (e[0] || 'other'), label);
          var sw = el('span', { class: 'cm-swatch cm-swatch-' + meta.symbol, 'aria-hidden': 'true' });
          if (meta.symbol === 'line') sw.style.borderColor = e[1];
          else {
            sw.style.backgroundColor = e[1];
            var op = layer.paint && layer.paint['fill-opacity'];
            if (typeof op === 'number') sw.style.opacity = String(Math.max(op, 0.5));
          }
          list.appendChild(el('li', { 'data-value': e[0] || 'other' }, [sw, el('span', { text: label })]));
        });
        var id = idPrefix + layer.id;
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
          // the borders and coasts belong with the countries' land
          if (layer.id === 'context-land' && map.getLayer('context-borders')) {
            map.setLayoutProperty('context-borders', 'visibility', vis);
          }
        });
        var section = el('fieldset', { class: 'cm-legend-section', 'data-layer': layer.id }, [
          el('legend', {}, [toggle, el('label', { for: id, text: msg('legend.' + layer.id + '.section', meta.section) })]),
          list
        ]);
        box.appendChild(section);
      });
    }

    // ---- data quality ----------------------------------------------------------------

    // The defects of the bundle's report (defects.geojson, a GeoJSON source, not
    // tiles), off until its checkbox is ticked, and only then fetched: the public
    // map shows none of it unless asked.
    var QUALITY_LAYERS = ['quality-fill', 'quality-line', 'quality-point'];
    function addQualityLayer(map, bundle, box, idPrefix) {
      // purples, so that defects never read as hazards (reds, oranges) or releases (blues, greens)
      var shades = [['error', '#4a148c'], ['warning', '#8e24aa'], ['info', '#ce93d8']];
      var colour = ['match', ['get', 'severity'], 'error', shades[0][1], 'warning', shades[1][1], shades[2][1]];
      var id = idPrefix + 'quality';
      var toggle = el('input', { type: 'checkbox', id: id });
      toggle.addEventListener('change', function () {
        if (!map.getSource('quality')) {
          map.addSource('quality', { type: 'geojson', data: new URL('defects.geojson', bundle).href });
          var kind = function (types) { return ['match', ['geometry-type'], types, true, false]; };
          map.addLayer({ id: 'quality-fill', type: 'fill', source: 'quality', filter: kind(['Polygon', 'MultiPolygon']),
            paint: { 'fill-color': colour, 'fill-opacity': 0.3 } });
          map.addLayer({ id: 'quality-line', type: 'line', source: 'quality',
            filter: kind(['Polygon', 'MultiPolygon', 'LineString', 'MultiLineString']), paint: { 'line-color': colour, 'line-width': 1.5 } });
          map.addLayer({ id: 'quality-point', type: 'circle', source: 'quality', filter: kind(['Point', 'MultiPoint']),
            paint: { 'circle-color': colour, 'circle-radius': 5, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } });
        }
        QUALITY_LAYERS.forEach(function (l) { map.setLayoutProperty(l, 'visibility', toggle.checked ? 'visible' : 'none'); });
      });
      var link = el('a', { href: new URL('report.html', bundle).href, text: msg('legend.defects.report') });
      var list = el('ul', { class: 'cm-legend-list' }, shades.map(function (s) {
        var sw = el('span', { class: 'cm-swatch cm-swatch-fill', 'aria-hidden': 'true' });
        sw.style.backgroundColor = s[1];
        return el('li', { 'data-value': s[0] }, [sw, el('span', { text: msg('report.level.' + s[0]) })]);
      }));
      box.appendChild(el('fieldset', { class: 'cm-legend-section', 'data-layer': 'quality' }, [
        el('legend', {}, [toggle, el('label', { for: id, text: msg('legend.defects.section') })]),
        list,
        el('p', { class: 'cm-legend-note' }, [link])
      ]));
    }

    // ---- figures -----------------------------------------------------------------

    function figureRow(label, m2, key, extra) {
      return el('tr', { 'data-key': key }, [
        el('th', { scope: 'row', text: label }),
        el('td', { class: 'cm-num', 'data-m2': String(m2), text: fmtM2(m2) }),
        el('td', { class: 'cm-num', 'data-km2': String(m2 / 1e6), text: fmtKm2(m2) }),
        extra === undefined ? null : el('td', { class: 'cm-num', 'data-count': extra === '' ? '' : String(extra), text: extra === '' ? '' : nf0.format(extra) })
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
      wrap.appendChild(el('figcaption', { id: capId, text: msg('chart.caption') }));
      if (!years.length) {
        wrap.appendChild(el('p', { text: msg('chart.empty') }));
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
        'aria-describedby': 'cm-release-table-caption', class: 'cm-chart-svg', direction: 'ltr'
      });
      // Right to left: years run from the right, the value axis stands on the right.
      // The SVG is laid out left to right (direction above) and mirrored here.
      var X = function (x) { return RTL ? W - x : x; };
      // y axis ticks in km²
      var maxKm2 = max / 1e6;
      var step = niceStep(maxKm2 / 4);
      var yTop = Math.max(step, Math.ceil(maxKm2 / step) * step);
      for (var v = 0; v <= yTop + 1e-9; v += step) {
        var yy = top + plotH - (v / yTop) * plotH;
        s.appendChild(svg('line', { x1: X(left), x2: X(W - right), y1: yy, y2: yy, class: 'cm-grid' }));
        var tick = svg('text', { x: X(left - 6), y: yy + 4, 'text-anchor': RTL ? 'start' : 'end', class: 'cm-tick' });
        tick.textContent = nf2.format(v);
        s.appendChild(tick);
      }
      years.forEach(function (y, i) {
        var x = left + i * band + (band - barW) / 2;
        if (RTL) x = W - x - barW;
        var acc = 0;
        var g = svg('g', { 'data-year': y });
        OUTCOMES.forEach(function (o) {
          var val = (by[y][o] || 0) / 1e6;
          if (val <= 0) return;
          var h = (val / yTop) * plotH;
          var yPos = top + plotH - ((acc + val) / yTop) * plotH;
          var r = svg('rect', { x: x, y: yPos, width: barW, height: Math.max(h, 0.5), fill: colourFor(style, 'releases-fill', o) });
          var title = svg('title', {});
          title.textContent = t('chart.bar', { year: fmtYear(y), outcome: msg('outcome.' + o), area: withKm2(val * 1e6) });
          r.appendChild(title);
          g.appendChild(r);
          acc += val;
        });
        var lbl = svg('text', { x: x + barW / 2, y: H - 10, 'text-anchor': 'middle', class: 'cm-tick' });
        lbl.textContent = fmtYear(y);
        g.appendChild(lbl);
        s.appendChild(g);
      });
      wrap.appendChild(s);
      var key = el('ul', { class: 'cm-chart-key', 'aria-hidden': 'true' });
      OUTCOMES.forEach(function (o) {
        var sw = el('span', { class: 'cm-swatch cm-swatch-fill' });
        sw.style.backgroundColor = colourFor(style, 'releases-fill', o);
        key.appendChild(el('li', {}, [sw, msg('outcome.' + o)]));
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
      table.appendChild(el('caption', { id: 'cm-release-table-caption', text: msg('table.by_year.caption') }));
      table.appendChild(el('thead', {}, [el('tr', {}, [
        el('th', { scope: 'col', text: msg('col.year') }),
        el('th', { scope: 'col', text: msg('outcome.cancelled') }),
        el('th', { scope: 'col', text: msg('outcome.reduced') }),
        el('th', { scope: 'col', text: msg('outcome.cleared') }),
        el('th', { scope: 'col', text: msg('col.total') })
      ])]));
      var body = el('tbody');
      yearsOf(summary).forEach(function (y) {
        var row = el('tr', { 'data-year': y }, [el('th', { scope: 'row', text: fmtYear(y) })]);
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

      var lead = el('p', { class: 'cm-lead', id: 'cm-remaining-lead' }, tNodes('figures.lead', {
        area: el('strong', { 'data-m2': String(a.remaining || 0), text: withKm2(a.remaining || 0) }),
        m2: withM2(a.remaining || 0)
      }));
      box.appendChild(lead);

      var rem = el('table', { class: 'cm-table', id: 'cm-remaining-table' });
      rem.appendChild(el('caption', { text: msg('table.remaining.caption') }));
      rem.appendChild(el('thead', {}, [el('tr', {}, [
        el('th', { scope: 'col', text: msg('col.classification') }),
        el('th', { scope: 'col', text: msg('col.area_m2') }),
        el('th', { scope: 'col', text: msg('col.area_km2') }),
        el('th', { scope: 'col', text: msg('col.hazards') })
      ])]));
      var rb = el('tbody');
      CLASSES.forEach(function (c) {
        var share = byClass[c];
        // "other" only when there is some: most exports classify every hazard
        if (c === 'other' && (!share || (!share.count && !share.area_m2))) return;
        share = share || { count: 0, area_m2: 0 };
        var row = figureRow(msg('class.' + c), share.area_m2, c, share.count);
        var sw = el('span', { class: 'cm-swatch cm-swatch-fill', 'aria-hidden': 'true' });
        sw.style.backgroundColor = colourFor(style, 'hazards-fill', c === 'other' ? '' : c);
        row.firstChild.insertBefore(sw, row.firstChild.firstChild);
        rb.appendChild(row);
      });
      rb.appendChild(figureRow(msg('row.total_remaining'), a.remaining || 0, 'remaining', ''));
      rem.appendChild(rb);
      box.appendChild(rem);

      var rel = el('table', { class: 'cm-table', id: 'cm-released-table' });
      rel.appendChild(el('caption', { text: msg('table.released.caption') }));
      rel.appendChild(el('thead', {}, [el('tr', {}, [
        el('th', { scope: 'col', text: msg('col.outcome') }),
        el('th', { scope: 'col', text: msg('col.area_m2') }),
        el('th', { scope: 'col', text: msg('col.area_km2') })
      ])]));
      var relb = el('tbody');
      OUTCOMES.forEach(function (o) {
        var row = figureRow(msg('outcome.' + o), a[o] || 0, o);
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
      var name = summary.name || summary.country || msg('name.fallback');
      document.title = t('title.document', { name: name });
      document.getElementById('cm-title').textContent = t('title.page', { name: name });
      var subEl = document.getElementById('cm-subtitle');
      subEl.textContent = '';
      var nodes = summary.as_of
        ? tNodes('subtitle.dated', { date: el('time', { datetime: summary.as_of, id: 'cm-as-of', text: fmtDate(summary.as_of) }) })
        : tNodes('subtitle.undated');
      nodes.forEach(function (n) { subEl.appendChild(n); });
      var src = document.getElementById('cm-source');
      var fullName = summary.name && summary.country ? t('name.with_country', { name: summary.name, country: summary.country }) : name;
      src.textContent = t(summary.as_of ? 'source.dated' : 'source.undated', {
        name: fullName, date: summary.as_of ? fmtDate(summary.as_of) : '', version: summary.clearmap_version || ''
      });
      src.setAttribute('data-country', summary.country || '');
      src.setAttribute('data-name', summary.name || '');
    }

    // ---- popups ------------------------------------------------------------------

    // [property, message key of its name, message-key prefix of its values]
    var HAZARD_FIELDS = [
      ['id', 'field.hazard_id'], ['classification', 'field.classification', 'class.'], ['status', 'field.status', 'status.'],
      ['contamination', 'field.contamination', 'contamination.'], ['region', 'field.region'],
      ['area_m2', 'field.area_m2'], ['remaining_m2', 'field.remaining_m2']
    ];
    var RELEASE_FIELDS = [
      ['id', 'field.release_id'], ['outcome', 'field.outcome', 'outcome.'], ['year', 'field.year'], ['area_m2', 'field.area_m2']
    ];
    var LIST_SEPARATOR = { ar: '، ', zh: '、' };

    // A property value for people: numbers per locale, canonical codes by name.
    function fmtValue(v, prefix) {
      if (typeof v === 'number') return fmtM2(v);
      var one = function (x) {
        x = String(x);
        return prefix ? msg(prefix + x, x.replace(/_/g, ' ')) : x.replace(/_/g, ' ');
      };
      var sep = LIST_SEPARATOR[LANG] || ', ';
      if (typeof v === 'string' && /^\s*[\[{]/.test(v)) {
        try {
          var p = JSON.parse(v);
          if (Array.isArray(p)) return p.map(one).join(sep);
          if (p && typeof p === 'object') return Object.keys(p).map(function (k) { return one(p[k]); }).join(sep);
        } catch (e) { /* shown as is */ }
      }
      return v == null || v === '' ? '—' : one(v);
    }

    // A cluster point: hazards within two pixels of each other at this zoom.
    var CLUSTER_FIELDS = [
      ['classification', 'field.classification', 'class.'], ['remaining_m2', 'field.remaining_all_m2']
    ];

    // A defect of the data-quality layer: its code, what is wrong, where in the export.
    function defectContent(p) {
      var dl = el('dl', { class: 'cm-popup' });
      [['report.col.message', p.message], ['report.col.record', p.record], ['report.col.done', p.fix]].forEach(function (f) {
        if (f[1] == null) return;
        dl.appendChild(el('dt', { text: msg(f[0]) }));
        dl.appendChild(el('dd', { dir: 'auto', text: String(f[1]) }));
      });
      return el('div', { role: 'dialog', 'aria-label': p.code }, [el('h3', { text: p.code }), dl]);
    }

    function popupContent(feature) {
      if (feature.layer.id.indexOf('quality-') === 0) return defectContent(feature.properties);
      var isRelease = feature.sourceLayer === 'releases';
      var count = feature.properties.count;
      var fields = isRelease ? RELEASE_FIELDS : count ? CLUSTER_FIELDS : HAZARD_FIELDS;
      var dl = el('dl', { class: 'cm-popup' });
      fields.forEach(function (f) {
        if (!(f[0] in feature.properties)) return;
        var v = feature.properties[f[0]];
        dl.appendChild(el('dt', { text: msg(f[1]) }));
        var shown = f[0] === 'id' ? String(v) : f[0] === 'year' ? fmtYear(v) : fmtValue(v, f[2]);
        dl.appendChild(el('dd', { text: shown }));
      });
      var heading = isRelease ? msg('popup.release')
        : count ? t('popup.hazards', { n: nf0.format(count) }) : msg('popup.hazard');
      var wrap = el('div', { role: 'dialog', 'aria-label': heading }, [el('h3', { text: heading }), dl]);
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
      // a defect shown over the land is what was clicked
      var defect = feats.filter(function (f) { return f.layer.id.indexOf('quality-') === 0; })[0];
      var hz = feats.filter(function (f) { return f.layer.id === 'hazards-fill'; })[0];
      return defect || hz || feats[0];
    }

    // Popups on click and Enter; `live` announces that nothing is at the centre.
    function wireInteraction(map, live) {
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
          live.textContent = msg('map.nothing_at_centre');
        }
      });
    }

    // ---- map -----------------------------------------------------------------------

    // The map of `style` (loaded from `o.styleUrl`) in `o.container`, its legend
    // in `o.legend`; resolves when the map is first drawn. `o.bundle` is the
    // bundle's folder URL, `o.live` a live region, `o.describedBy` the id of a help
    // text, `o.idPrefix` the prefix of the legend's element ids.
    function startMap(style, o) {
      var abs = absoluteSources(style, o.styleUrl);
      var mapStyle = abs.style;
      var tilesUrl = abs.archives.clearmap || new URL('tiles.pmtiles', o.bundle).href;
      var archive = new pmtiles.PMTiles(tilesUrl);
      pmtilesProtocol().add(archive);

      var headerP = archive.getHeader();
      var tilejsonP = fetchJson(new URL('tiles.json', o.bundle).href).catch(function () { return null; });

      return Promise.all([headerP, tilejsonP]).then(function (res) {
        var header = res[0], tilejson = res[1];
        var bounds = boundsFrom(tilejson, header);
        var view = viewFrom(tilejson, bounds);
        if (view) bounds = null;
        var map = new maplibregl.Map({
          container: o.container,
          style: mapStyle,
          bounds: bounds || undefined,
          fitBoundsOptions: { padding: 24 },
          center: view ? view.center : bounds ? undefined : [0, 0],
          zoom: view ? view.zoom : bounds ? undefined : 1,
          maxZoom: 17,
          attributionControl: false,
          cooperativeGestures: false
        });
        // controls mirror with the page: zoom buttons at the inline end, scale at the start
        map.addControl(new maplibregl.NavigationControl({ showCompass: false }), RTL ? 'top-left' : 'top-right');
        map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), RTL ? 'bottom-right' : 'bottom-left');
        // The sources' attributions (style.json's, escaped by clearmap build) are
        // shown by MapLibre; the catalogue's line only when the style has none.
        var sourced = Object.keys(mapStyle.sources || {}).some(function (k) { return !!mapStyle.sources[k].attribution; });
        map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: sourced ? undefined : msg('map.attribution') }),
          RTL ? 'bottom-left' : 'bottom-right');
        var canvas = map.getCanvas();
        canvas.setAttribute('tabindex', '0');
        canvas.setAttribute('role', 'region');
        canvas.setAttribute('aria-label', msg('map.aria'));
        if (o.describedBy) canvas.setAttribute('aria-describedby', o.describedBy);
        wireInteraction(map, o.live);
        buildLegend(style, map, o.legend, o.idPrefix);
        if (o.quality) addQualityLayer(map, o.bundle, o.legend, o.idPrefix);
        return new Promise(function (resolve) {
          map.once('idle', function () { resolve(map); });
          map.on('error', function (e) {
            console.warn('map:', e && e.error ? e.error.message : e);
          });
        });
      }, function (err) {
        buildLegend(style, null, o.legend, o.idPrefix);
        var why = /Byte Serving|content-length/i.test(err.message)
          ? t('error.no_ranges', { python: 'python3 -m http.server' })
          : err.message;
        throw new Error(t('error.tiles', { reason: why }));
      });
    }

    // The map of the bundle at `bundle` (a folder URL ending with /) in
    // `element`, with a collapsible legend over it; see clearmap-map.js.
    function mountMap(element, bundle, options) {
      var n = ++mounted;
      var root = el('div', { class: 'cm-mount', lang: LANG, dir: DIR });
      var box = el('div', { class: 'cm-mount-map' });
      var body = el('div', { class: 'cm-legend-body' });
      var legend = el('details', { class: 'cm-legend cm-legend-overlay' }, [el('summary', { text: msg('legend.heading') }), body]);
      // open where there is room for it beside the map, unless asked otherwise
      var open = options.legend === 'open' || (options.legend !== 'closed' && element.clientWidth >= 560);
      if (open) legend.setAttribute('open', '');
      var live = el('div', { class: 'cm-visually-hidden', 'aria-live': 'polite' });
      [box, legend, live].forEach(function (c) { root.appendChild(c); });
      element.appendChild(root);
      var styleUrl = new URL('style.json', bundle).href;
      return fetchJson(styleUrl).then(function (style) {
        return startMap(style, { container: box, bundle: bundle, styleUrl: styleUrl, legend: body, live: live, idPrefix: 'cm-' + n + '-toggle-', quality: options.quality === true });
      }).then(function (map) {
        return {
          map: map,
          language: LANG,
          element: root,
          remove: function () { map.remove(); root.remove(); }
        };
      }, function (e) {
        root.classList.add('cm-map-missing');
        root.setAttribute('data-missing', msg('map.unavailable'));
        throw e;
      });
    }

    // ---- the page ------------------------------------------------------------------

    // `bundle`: the bundle's folder URL; `embed`: the map alone (`?embed=1`).
    function page(bundle, embed) {
      var status = { figures: false, map: false, errors: [] };
      window.clearmapStatus = status;
      window.clearmapI18n = { language: LANG, locale: LOCALE, dir: DIR };
      applyLanguage();
      if (location.protocol === 'file:') {
        var code = function (s) { return el('code', { dir: 'ltr', text: s }); };
        showMessage([el('strong', { text: msg('file.title') }), document.createTextNode(' ')].concat(tNodes('file.body', {
          caddy: code('caddy file-server --listen :8000 --root DIR'),
          serve: code('node tests/web/serve.mjs DIR'),
          url: code('http://localhost:8000/'),
          python: code('python3 -m http.server')
        })), 'error');
        document.querySelector('.cm-map-section').hidden = true;
        document.getElementById('cm-figures').textContent = msg('file.figures');
        status.done = true;
        return Promise.resolve(status);
      }
      if (embed) {
        // The map alone, filling the window (an iframe's), its legend collapsible.
        status.embed = true;
        document.documentElement.classList.add('cm-embed');
        document.querySelector('.cm-page').hidden = true;
        var host = el('div', { class: 'cm-embed-host' });
        document.body.appendChild(host);
        // the data-quality layer only when the embedding asks (&quality=1)
        var quality = new URLSearchParams(location.search).get('quality') === '1';
        return mountMap(host, bundle, { quality: quality }).then(function (view) {
          window.clearmapMap = view.map;
          status.map = true;
        }).catch(function (e) {
          status.errors.push(String(e.message || e));
        }).then(function () { status.done = true; return status; });
      }
      var styleUrl = new URL('style.json', bundle).href;
      var styleP = fetchJson(styleUrl);
      var summaryP = fetchJson(new URL('summary.json', bundle).href);
      var live = el('div', { id: 'cm-live', class: 'cm-visually-hidden', 'aria-live': 'polite' });
      document.body.appendChild(live);

      var figures = Promise.all([styleP, summaryP]).then(function (r) {
        describeSource(r[1]);
        buildFigures(r[1], r[0]);
        status.figures = true;
      }).catch(function (e) {
        status.errors.push(String(e.message || e));
        showMessage(t('error.figures', { error: e.message }), 'error');
      });
      var mapP = styleP.then(function (style) {
        return startMap(style, {
          container: document.getElementById('cm-map'), bundle: bundle, styleUrl: styleUrl,
          legend: document.getElementById('cm-legend'), live: live, describedBy: 'cm-map-help', idPrefix: 'cm-toggle-', quality: true
        });
      }).then(function (map) {
        window.clearmapMap = map;
        status.map = true;
      }).catch(function (e) {
        status.errors.push(String(e.message || e));
        document.getElementById('cm-map').classList.add('cm-map-missing');
        showMessage(String(e.message || e), 'error');
      });
      return Promise.all([figures, mapP]).then(function () { status.done = true; return status; });
    }

    return { page: page, mount: mountMap, language: LANG };
  }

  // ---- mounting a bundle's map anywhere ------------------------------------------

  // The bundle's language, as its page.js names it (English if it cannot be read).
  function bundleLanguage(bundle) {
    return fetch(new URL('page.js', bundle).href)
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (text) {
        var m = /"language":\s*"(\w+)"/.exec(text);
        return m ? m[1] : 'en';
      }, function () { return 'en'; });
  }

  // Draw the map of the bundle at `options.bundle` (a folder URL; default: the
  // document's folder) into `element`, in `options.lang` (default: the bundle's
  // language). Resolves to {map, language, element, remove()} once drawn.
  function mount(element, options) {
    options = options || {};
    if (!element || !element.appendChild) return Promise.reject(new Error('clearmap.mount: no element to draw the map in'));
    var bundle = new URL(options.bundle || '.', document.baseURI).href;
    if (!/\/$/.test(bundle)) bundle += '/';
    var langP = options.lang ? Promise.resolve(options.lang) : bundleLanguage(bundle);
    return langP.then(function (asked) {
      var lang = LANGUAGES.some(function (x) { return x[0] === asked; }) ? asked : 'en';
      var wanted = lang === 'en' ? ['en'] : [lang, 'en'];
      return Promise.all(wanted.map(function (l) {
        return fetchJson(new URL('i18n/' + l + '.json', bundle).href).catch(function () { return {}; });
      })).then(function (cats) {
        var catalogues = {};
        wanted.forEach(function (l, i) { catalogues[l] = cats[i]; });
        return app(catalogues, lang).mount(element, bundle, options);
      });
    });
  }

  // The library's one global; the maps are reached through what mount resolves to.
  // The report page (clearmap-report.js) shares the languages, their choice
  // and the tiles' protocol.
  window.clearmap = {
    mount: mount, languages: LANGUAGES, chooseLanguage: chooseLanguage,
    absoluteSources: absoluteSources, pmtilesProtocol: pmtilesProtocol
  };

  var script = document.currentScript;
  if (script && script.hasAttribute('data-clearmap-page')) {
    var PAGE = window.clearmapPage || {};
    var catalogues = PAGE.catalogues || {};
    var params = new URLSearchParams(location.search);
    var lang = chooseLanguage(catalogues, params.get('lang'), PAGE.language);
    var bundle = PAGE.base_url || new URL('.', document.baseURI).href;
    window.clearmapReady = app(catalogues, lang).page(bundle, params.get('embed') === '1');
  }
})();
