// clearmap's data-quality report (report.html): the summary, every code with
// what it means and how to fix it, and every diagnostic in a list that sorts,
// filters and shows each defect on a map. Its data is inlined in the page
// (#cm-report-data, written by clearmap build, which also inlines this script),
// so it reads from file:// and as an attachment too; beside its bundle it
// draws a map of the defects, over the bundle's style and tiles when served.
// The languages, their switch and the pmtiles protocol are the map page's
// (clearmap.js, window.clearmap; without it, as an attachment, the languages
// are named by their codes); texts come from the same catalogues, English
// where a catalogue lacks a key.
(function () {
  'use strict';

  var DATA = JSON.parse(document.getElementById('cm-report-data').textContent);
  var CM = window.clearmap || {};
  var CATALOGUES = DATA.catalogues || {};
  var params = new URLSearchParams(location.search);
  var LANG = CM.chooseLanguage ? CM.chooseLanguage(CATALOGUES, params.get('lang'), DATA.language)
    : (CATALOGUES[DATA.language] ? DATA.language : 'en');
  var CAT = CATALOGUES[LANG] || {};
  var EN = CATALOGUES.en || {};
  var own = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };

  function msg(key, fallback) {
    if (own(CAT, key)) return CAT[key];
    if (own(EN, key)) return EN[key];
    return fallback === undefined ? key : fallback;
  }
  function t(key, p) {
    return msg(key).replace(/\{(\w+)\}/g, function (m, name) { return p && p[name] != null ? String(p[name]) : m; });
  }
  var DIR = msg('meta.dir', 'ltr') === 'rtl' ? 'rtl' : 'ltr';
  var LOCALE = msg('meta.locale', 'en-GB');
  var nf0 = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
  var nf2 = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var df = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'long', timeZone: 'UTC' });

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function table(caption, head, rows, cls) {
    var thead = el('thead', {}, [el('tr', {}, head.map(function (h) {
      return el('th', { scope: 'col', class: h[1] || '', text: h[0] });
    }))]);
    return el('table', { class: 'cr-table ' + (cls || '') }, [caption ? el('caption', { text: caption }) : null, thead, el('tbody', {}, rows)]);
  }
  function num(n, attrs) {
    var a = attrs || {};
    a.class = 'cr-num';
    a.text = nf0.format(n);
    return el('td', a);
  }
  function severity(s) {
    return el('span', { class: 'cr-sev cr-sev-' + s, 'data-severity': s, text: msg('report.level.' + s, s) });
  }
  var codeMeaning = function (c) { return msg('code.' + c.code + '.meaning', c.meaning); };
  var codeFix = function (c) { return msg('code.' + c.code + '.fix', c.fix); };

  // ---- language --------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = LANG;
    document.documentElement.dir = DIR;
    document.querySelectorAll('[data-i18n]').forEach(function (e) {
      var k = e.getAttribute('data-i18n');
      if (own(CAT, k) || own(EN, k)) e.textContent = msg(k);
    });
    var place = DATA.name || DATA.country;
    var title = place ? t('report.title_named', { name: place }) : msg('report.title');
    document.getElementById('cr-title').textContent = title;
    document.title = title;
    document.getElementById('cr-subtitle').textContent = t(DATA.as_of ? 'report.subtitle.dated' : 'report.subtitle.undated', {
      date: DATA.as_of ? df.format(new Date(DATA.as_of + 'T00:00:00Z')) : '', version: DATA.version
    });
    var select = document.getElementById('cr-language');
    var languages = CM.languages || Object.keys(CATALOGUES).map(function (l) { return [l, l]; });
    languages.forEach(function (l) {
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
    document.getElementById('cr-print').addEventListener('click', function () { window.print(); });
  }

  // ---- summary -----------------------------------------------------------------

  var COUNTS = ['read', 'used', 'quarantined', 'superseded', 'after_as_of'];
  var FIGURES = ['total', 'remaining', 'cleared', 'reduced', 'cancelled', 'closed_unreleased', 'released_outside_hazards'];

  function summary() {
    var rows = Object.keys(DATA.records || {}).map(function (role) {
      var c = DATA.records[role];
      return el('tr', { 'data-role': role }, [el('th', { scope: 'row', text: msg('report.role.' + role, role) })]
        .concat(COUNTS.map(function (k) { return num(c[k], { 'data-key': k, 'data-count': String(c[k]) }); })));
    });
    document.getElementById('cr-records').appendChild(table(msg('report.records.caption'),
      [[msg('report.records.role')]].concat(COUNTS.map(function (k) { return [msg('report.records.' + k), 'cr-num']; })), rows));

    var figs = FIGURES.filter(function (k) { return k in (DATA.area_m2 || {}); }).map(function (k) {
      var v = DATA.area_m2[k];
      return el('tr', { 'data-key': k }, [el('th', { scope: 'row', text: msg('report.figure.' + k, k) }),
        el('td', { class: 'cr-num', 'data-m2': String(v), text: nf0.format(v) }),
        el('td', { class: 'cr-num', text: nf2.format(v / 1e6) })]);
    });
    document.getElementById('cr-figures').appendChild(table(msg('report.figures.caption'),
      [[msg('report.figures.figure')], [msg('col.area_m2'), 'cr-num'], [msg('col.area_km2'), 'cr-num']], figs));

    // per source: records read, used, quarantined, and the diagnostics of its file
    var byFile = {};
    (DATA.files || []).forEach(function (f) { byFile[f.file] = f; });
    var seen = {};
    var sourceRows = (DATA.sources || []).map(function (src) {
      var f = byFile[src.file] || { error: 0, warning: 0, info: 0 };
      seen[src.file] = true;
      var n = function (k) { return num(src[k], { 'data-key': k, 'data-count': String(src[k]) }); };
      return el('tr', { 'data-file': src.file, 'data-role': src.role }, [el('th', { scope: 'row', class: 'cr-record', dir: 'ltr', text: src.file }),
        el('td', { text: msg('report.role.' + src.role, src.role) }),
        n('read'), n('used'), n('quarantined'), num(f.error), num(f.warning), num(f.info)]);
    });
    (DATA.files || []).filter(function (f) { return !seen[f.file]; }).forEach(function (f) {
      sourceRows.push(el('tr', { 'data-file': f.file }, [el('th', { scope: 'row', class: 'cr-record', dir: 'ltr', text: f.file }),
        el('td'), el('td'), el('td'), el('td'), num(f.error), num(f.warning), num(f.info)]));
    });
    if (sourceRows.length) {
      document.getElementById('cr-files').appendChild(table(msg('report.files.caption'),
        [[msg('report.files.file')], [msg('report.records.role')], [msg('report.records.read'), 'cr-num'],
          [msg('report.records.used'), 'cr-num'], [msg('report.records.quarantined'), 'cr-num'],
          [msg('report.severity.error'), 'cr-num'], [msg('report.severity.warning'), 'cr-num'],
          [msg('report.severity.info'), 'cr-num']], sourceRows));
    }

    var top = document.getElementById('cr-top');
    top.appendChild(el('h3', { text: msg('report.top.heading') }));
    if (!DATA.codes.length) {
      top.appendChild(el('p', { text: msg('report.none') }));
      return;
    }
    top.appendChild(el('ol', { class: 'cr-top' }, DATA.codes.slice(0, 5).map(function (c) {
      return el('li', { 'data-code': c.code }, [codeButton(c.code), ' ', severity(c.severity), ' ',
        t('report.top.count', { n: nf0.format(c.count) }), ': ', el('span', { dir: 'auto', text: codeMeaning(c) })]);
    })));
  }

  function codeButton(code) {
    var b = el('button', { type: 'button', class: 'cr-code', text: code, title: msg('report.codes.show') });
    b.addEventListener('click', function () {
      state.code = code;
      document.getElementById('cr-filter-code').value = code;
      render();
      document.getElementById('cr-list-heading').scrollIntoView();
    });
    return b;
  }

  function codes() {
    var rows = DATA.codes.map(function (c) {
      return el('tr', { 'data-code': c.code, id: 'code-' + c.code }, [
        el('th', { scope: 'row' }, [codeButton(c.code)]),
        el('td', {}, [severity(c.severity)]),
        num(c.count, { 'data-count': String(c.count) }),
        el('td', { dir: 'auto', text: codeMeaning(c) }),
        el('td', { dir: 'auto', text: codeFix(c) })
      ]);
    });
    document.getElementById('cr-codes').appendChild(table(null, [[msg('report.col.code')], [msg('report.col.severity')],
      [msg('report.col.count'), 'cr-num'], [msg('report.col.meaning')], [msg('report.col.fix')]], rows, 'cr-codes'));
  }

  // ---- the list ------------------------------------------------------------------

  // A row of DATA.diagnostics: [number, code, severity, record, message, fix, feature, file index, row,
  // other record of a pair].
  var SEVERITY_RANK = { error: 0, warning: 1, info: 2 };
  var COLUMNS = [
    ['number', 'report.col.number', function (d) { return d[0]; }],
    ['code', 'report.col.code', function (d) { return d[1]; }],
    ['severity', 'report.col.severity', function (d) { return SEVERITY_RANK[d[2]]; }],
    ['record', 'report.col.record', function (d) { return [d[7] == null ? -1 : d[7], d[8] == null ? -1 : d[8]]; }],
    ['message', 'report.col.message', function (d) { return d[4]; }],
    ['fix', 'report.col.done', function (d) { return d[5] || ''; }]
  ];
  var PAGE = 200;
  var state = { code: '', severity: '', text: '', sort: 'number', dir: 1, shown: PAGE, selected: null };

  function compare(a, b) {
    if (Array.isArray(a)) {
      for (var i = 0; i < a.length; i++) { var c = compare(a[i], b[i]); if (c) return c; }
      return 0;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function filtered() {
    var text = state.text.toLowerCase();
    var col = COLUMNS.filter(function (c) { return c[0] === state.sort; })[0];
    var rows = DATA.diagnostics.filter(function (d) {
      if (state.code && d[1] !== state.code) return false;
      if (state.severity && d[2] !== state.severity) return false;
      if (text && ((d[3] || '') + ' ' + d[4] + ' ' + (d[5] || '')).toLowerCase().indexOf(text) < 0) return false;
      return true;
    });
    rows.sort(function (a, b) { return state.dir * compare(col[2](a), col[2](b)) || a[0] - b[0]; });
    return rows;
  }

  function filters() {
    var form = document.getElementById('cr-filters');
    var all = msg('report.filter.all');
    var code = el('select', { id: 'cr-filter-code' }, [el('option', { value: '', text: all })].concat(DATA.codes.map(function (c) {
      return el('option', { value: c.code, text: c.code + ' (' + nf0.format(c.count) + ')' });
    })));
    var sev = el('select', { id: 'cr-filter-severity' }, [el('option', { value: '', text: all })].concat(['error', 'warning', 'info'].map(function (s) {
      return el('option', { value: s, text: msg('report.level.' + s) });
    })));
    var text = el('input', { id: 'cr-filter-text', type: 'search' });
    form.appendChild(el('label', {}, [msg('report.col.code'), code]));
    form.appendChild(el('label', {}, [msg('report.col.severity'), sev]));
    form.appendChild(el('label', {}, [msg('report.filter.text'), text]));
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    code.addEventListener('change', function () { state.code = code.value; state.shown = PAGE; render(); });
    sev.addEventListener('change', function () { state.severity = sev.value; state.shown = PAGE; render(); });
    text.addEventListener('input', function () { state.text = text.value; state.shown = PAGE; render(); });
    document.getElementById('cr-more').addEventListener('click', function () { state.shown += PAGE * 5; render(); });
  }

  function head() {
    return el('thead', {}, [el('tr', {}, COLUMNS.map(function (c) {
      var th = el('th', { scope: 'col', 'data-sort': c[0] });
      if (state.sort === c[0]) th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      var b = el('button', { type: 'button', text: msg(c[1]) });
      b.addEventListener('click', function () {
        state.dir = state.sort === c[0] ? -state.dir : 1;
        state.sort = c[0];
        render();
      });
      th.appendChild(b);
      return th;
    }).concat([el('th', { scope: 'col', text: msg('report.col.place') })]))]);
  }

  function rowOf(d) {
    var tr = el('tr', { 'data-number': String(d[0]), 'data-code': d[1] }, [
      el('td', { class: 'cr-num', text: nf0.format(d[0]) }),
      el('td', { class: 'cr-code', text: d[1] }),
      el('td', {}, [severity(d[2])]),
      el('td', { class: 'cr-record', dir: 'ltr' }, [d[3] || '—'].concat(d[9] ? [el('br'), '↔ ' + d[9]] : [])),
      el('td', { dir: 'auto', text: d[4] }),
      el('td', { dir: 'auto', text: d[5] || '' }),
      el('td', { class: 'cr-place' })
    ]);
    if (d[6] != null) {
      tr.setAttribute('data-feature', String(d[6]));
      tr.tabIndex = 0;
      var b = el('button', { type: 'button', text: msg('report.list.show') });
      tr.lastChild.appendChild(b);
      var go = function () { select(d[6], tr); };
      tr.addEventListener('click', go);
      tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); go(); } });
    } else {
      tr.lastChild.textContent = msg('report.list.no_place');
    }
    if (state.selected === d[6] && d[6] != null) tr.classList.add('cr-selected');
    return tr;
  }

  function render(all) {
    var rows = filtered();
    var shown = all ? rows : rows.slice(0, state.shown);
    var list = document.getElementById('cr-list');
    list.textContent = '';
    list.appendChild(head());
    list.appendChild(el('tbody', {}, shown.map(rowOf)));
    document.getElementById('cr-shown').textContent = t('report.list.shown', { shown: nf0.format(shown.length), total: nf0.format(rows.length) });
    document.getElementById('cr-more').hidden = shown.length >= rows.length;
    if (map) showOnly(rows);
  }

  // ---- the map --------------------------------------------------------------------

  var map = null;
  var features = {};
  // the map page's Data quality layer's purples, apart from the hazards' and releases' colours
  var COLOURS = ['match', ['get', 'severity'], 'error', '#4a148c', 'warning', '#8e24aa', '#ce93d8'];
  var SEVERITY_OF = {};
  DATA.diagnostics.forEach(function (d) { if (d[6] != null) SEVERITY_OF[d[6]] = d[2]; });

  function bboxOf(g) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    (function walk(c) {
      if (typeof c[0] === 'number') {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(walk);
    })(g.coordinates);
    return b;
  }

  function defectsData() {
    var fc = DATA.defects || { type: 'FeatureCollection', features: [] };
    fc.features.forEach(function (f) {
      f.properties.severity = SEVERITY_OF[f.id] || 'info';
      if (f.geometry) features[f.id] = f;
    });
    return fc;
  }

  function showOnly(rows) {
    var ids = rows.filter(function (d) { return d[6] != null; }).map(function (d) { return d[6]; });
    var filter = state.code || state.severity || state.text ? ['in', ['id'], ['literal', ids]] : null;
    ['defects-fill', 'defects-line', 'defects-point'].forEach(function (id) {
      var base = map.getLayer(id) && map.getLayer(id).metadata && map.getLayer(id).metadata['clearmap:kind'];
      if (!base) return;
      map.setFilter(id, filter ? ['all', KIND[base], filter] : KIND[base]);
    });
  }

  var POLYGONAL = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
  var LINEAR = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon', 'LineString', 'MultiLineString'], true, false];
  var POINTS = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];
  var KIND = { polygon: POLYGONAL, line: LINEAR, point: POINTS };

  function defectLayers() {
    return [
      { id: 'defects-fill', type: 'fill', source: 'defects', filter: POLYGONAL, metadata: { 'clearmap:kind': 'polygon' },
        paint: { 'fill-color': COLOURS, 'fill-opacity': 0.3 } },
      { id: 'defects-line', type: 'line', source: 'defects', filter: LINEAR, metadata: { 'clearmap:kind': 'line' },
        paint: { 'line-color': COLOURS, 'line-width': 1.5 } },
      { id: 'defects-point', type: 'circle', source: 'defects', filter: POINTS, metadata: { 'clearmap:kind': 'point' },
        paint: { 'circle-color': COLOURS, 'circle-radius': 5, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } },
      { id: 'defects-selected', type: 'line', source: 'defects', filter: ['==', ['id'], -1],
        paint: { 'line-color': '#111111', 'line-width': 3 } },
      { id: 'defects-selected-point', type: 'circle', source: 'defects', filter: ['==', ['id'], -1],
        paint: { 'circle-radius': 9, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111111', 'circle-stroke-width': 3 } }
    ];
  }

  // The bundle's style (served over HTTP) or a plain background (file://).
  function baseStyle() {
    var plain = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ec' } }] };
    if (location.protocol === 'file:' || !CM.absoluteSources) return Promise.resolve(plain);
    var url = new URL('style.json', location.href).href;
    return fetch(url).then(function (r) { return r.ok ? r.json() : null; }).then(function (style) {
      if (!style) return plain;
      var abs = CM.absoluteSources(style, url);
      Object.keys(abs.archives).forEach(function (id) { CM.pmtilesProtocol().add(new pmtiles.PMTiles(abs.archives[id])); });
      return abs.style;
    }).catch(function () { return plain; });
  }

  function startMap() {
    var status = window.clearmapReport.status;
    if (!window.maplibregl) return Promise.resolve();
    var fc = defectsData();
    var all = [Infinity, Infinity, -Infinity, -Infinity];
    Object.keys(features).forEach(function (id) {
      var b = bboxOf(features[id].geometry);
      all = [Math.min(all[0], b[0]), Math.min(all[1], b[1]), Math.max(all[2], b[2]), Math.max(all[3], b[3])];
    });
    var bounds = isFinite(all[0]) ? [[all[0], all[1]], [all[2], all[3]]] : null;
    return baseStyle().then(function (style) {
      style.sources.defects = { type: 'geojson', data: fc };
      style.layers = style.layers.concat(defectLayers());
      map = new maplibregl.Map({
        container: 'cr-map', style: style, maxZoom: 18, attributionControl: false,
        bounds: bounds || undefined, fitBoundsOptions: { padding: 24, maxZoom: 15 },
        center: bounds ? undefined : [0, 0], zoom: bounds ? undefined : 1
      });
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), DIR === 'rtl' ? 'top-left' : 'top-right');
      map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), DIR === 'rtl' ? 'bottom-right' : 'bottom-left');
      map.on('error', function (e) { status.mapErrors.push(String(e && e.error ? e.error.message : e)); });
      map.on('click', function (e) {
        var hit = map.queryRenderedFeatures(e.point, { layers: ['defects-point', 'defects-fill', 'defects-line'] })[0];
        if (!hit) return;
        var tr = document.querySelector('#cr-list tr[data-feature="' + hit.id + '"]');
        if (tr) { select(hit.id, tr); tr.scrollIntoView({ block: 'nearest' }); }
      });
      window.clearmapReport.map = map;
      return new Promise(function (resolve) { map.once('load', function () { status.map = true; resolve(); }); });
    });
  }

  // Show feature `id` on the map and mark its row.
  function select(id, tr) {
    state.selected = id;
    document.querySelectorAll('#cr-list tr.cr-selected').forEach(function (r) { r.classList.remove('cr-selected'); });
    if (tr) tr.classList.add('cr-selected');
    var f = features[id];
    if (!map || !f) return;
    map.setFilter('defects-selected', ['==', ['id'], id]);
    map.setFilter('defects-selected-point', ['all', POINTS, ['==', ['id'], id]]);
    var b = bboxOf(f.geometry);
    if (b[0] === b[2] && b[1] === b[3]) map.jumpTo({ center: [b[0], b[1]], zoom: Math.max(map.getZoom(), 16) });
    else map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 17, animate: false });
  }

  // ---- the page -------------------------------------------------------------------

  window.clearmapReport = { status: { done: false, map: false, mapErrors: [] }, language: LANG, dir: DIR, locale: LOCALE, select: select };
  applyLanguage();
  summary();
  codes();
  filters();
  render();
  // A PDF gets every row the filters let through, not the first pages alone.
  window.addEventListener('beforeprint', function () { render(true); });
  window.addEventListener('afterprint', function () { render(); });
  startMap().catch(function (e) {
    window.clearmapReport.status.mapErrors.push(String(e && e.message || e));
  }).then(function () {
    if (map) showOnly(filtered());
    window.clearmapReport.status.done = true;
  });
})();
