// parkd operator console: plain JavaScript, no framework, no build step.
// Talks only to /console/api/* (docs/console-api.md). Every string from the
// server reaches the DOM through textContent or attributes, never innerHTML.
'use strict';

(function () {
  const API = '/console/api';
  const $ = (id) => document.getElementById(id);

  // ---------- DOM helpers ----------

  // h builds an element: h('td', {class: 'num'}, 'text', childNode, ...).
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'testid') e.dataset.testid = v;
      else if (k === 'style') e.style.cssText = v; // the CSSOM, which the page's CSP allows
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    append(e, kids);
    return e;
  }
  function append(e, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === undefined || k === null || k === false) continue;
      e.appendChild(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  const bi = (zh, en) => [zh, ' ', h('small', null, en)];

  // ---------- formatting ----------

  const nf = new Intl.NumberFormat('zh-CN');
  const num = (n) => (n === undefined || n === null ? '—' : nf.format(n));
  const pct = (x) => (x === null || x === undefined || isNaN(x) ? '—' : (x * 100).toFixed(1) + '%');
  // CST strings "2006-01-02T15:04:05+08:00" shown as "01-02 15:04:05".
  function when(s) {
    if (!s) return '—';
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)/.exec(s);
    return m ? `${m[2]}-${m[3]} ${m[4]}` : String(s);
  }
  function occColor(o) {
    if (o === null || o === undefined) return '#9aa3b0';
    if (o < 0.7) return '#1a9a55';
    if (o < 0.9) return '#e0a100';
    return '#d64545';
  }
  function occBar(o) {
    const w = o === null || o === undefined ? 0 : Math.min(1, Math.max(0, o)) * 100;
    return h('span', null, h('span', {class: 'bar'}, h('span', {style: `width:${w}%;background:${occColor(o)}`})), pct(o));
  }
  const onlineBadge = (on) => h('span', {class: 'badge ' + (on ? 'on' : 'off')}, on ? '在线 online' : '离线 offline');
  function todayCST() {
    const d = new Date(Date.now() + 8 * 3600e3);
    return d.toISOString().slice(0, 10);
  }

  // ---------- API ----------

  class AuthError extends Error {}
  class NotFound extends Error {}

  // refreshing is set while a timer of every() runs: its requests carry
  // X-Console-Refresh, which does not count as the operator's use of the
  // session (the idle timeout, docs/console-api.md).
  let refreshing = false;
  const refreshHeaders = (hs) => (refreshing ? Object.assign({'X-Console-Refresh': '1'}, hs) : hs);
  async function api(path, opts) {
    const o = Object.assign({credentials: 'same-origin', headers: {Accept: 'application/json'}}, opts);
    o.headers = refreshHeaders(o.headers);
    const res = await fetch(API + path, o);
    if (res.status === 401) { showLogin(); throw new AuthError('login required'); }
    if (res.status === 404) throw new NotFound(path);
    if (!res.ok) {
      let msg = res.status + ' ' + res.statusText, body = {};
      try { body = await res.json(); msg = body.error || msg; } catch (_) { /* not JSON */ }
      if (body.passwordChangeRequired) { me.passwordChangeRequired = true; me.reason = body.reason; location.hash = '#/password'; }
      throw new Error(msg);
    }
    return res.status === 204 ? null : res.json();
  }
  const post = (path, body) => api(path, {method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: JSON.stringify(body || {})});
  const qs = (o) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(o)) if (v !== '' && v !== undefined && v !== null) p.set(k, v);
    const s = p.toString();
    return s ? '?' + s : '';
  };

  // ---------- login ----------

  let cityCache = null; // city of the last overview, for region names
  // me is the signed-in operator: name, role (admin, operator, auditor),
  // passwordChangeRequired and its reason. The server enforces the role
  // on every route; the page only hides what the role cannot use.
  let me = {};

  function showLogin() {
    stopView();
    $('topbar').hidden = true;
    $('view').hidden = true;
    $('login').hidden = false;
    document.body.dataset.state = 'login';
    $('login-name').focus();
  }
  const roleNames = {admin: '管理员 admin', operator: '值班员 operator', auditor: '审计员 auditor'};
  function showApp(who) {
    me = who;
    $('login').hidden = true;
    $('topbar').hidden = false;
    $('view').hidden = false;
    $('me').textContent = who.name;
    $('me-role').textContent = roleNames[who.role] || who.role || '';
    document.body.dataset.role = who.role || '';
    for (const a of document.querySelectorAll('#nav a')) a.hidden = !(a.dataset.roles || '').split(' ').includes(who.role);
    document.body.dataset.state = 'app';
  }
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    const btn = $('login-submit');
    btn.disabled = true;
    try {
      const res = await fetch(API + '/login', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({name: $('login-name').value, password: $('login-password').value})});
      const body = await res.json().catch(() => ({}));
      if (!res.ok) { $('login-error').textContent = '登录失败 Sign-in failed: ' + (body.error || res.status); return; }
      $('login-password').value = '';
      showApp(body);
      route();
    } catch (e) {
      $('login-error').textContent = String(e.message || e);
    } finally { btn.disabled = false; }
  });
  $('logout').addEventListener('click', async () => {
    try { await post('/logout'); } catch (_) { /* already out */ }
    showLogin();
  });

  // ---------- router ----------

  let cleanups = [];
  let viewSeq = 0;
  function stopView() { for (const f of cleanups) f(); cleanups = []; viewSeq++; }
  // every(fn, ms) runs fn periodically while the current view is shown.
  // Its requests (those sent before fn's first await) are refreshes.
  function every(fn, ms) {
    const t = setInterval(() => { refreshing = true; try { fn(); } finally { refreshing = false; } }, ms);
    cleanups.push(() => clearInterval(t));
  }

  const routes = [
    [/^\/?$/, 'overview', viewOverview],
    [/^\/parks\/?$/, 'parks', viewParks],
    [/^\/parks\/(.+)$/, 'parks', viewPark],
    [/^\/vendors\/?$/, 'vendors', viewVendors],
    [/^\/reservations\/?$/, 'reservations', viewReservations],
    [/^\/reservations\/(.+)$/, 'reservations', viewReservation],
    [/^\/stats\/?$/, 'stats', viewStats],
    [/^\/offpeak\/?$/, 'offpeak', viewOffpeak],
    [/^\/audit\/?$/, 'audit', viewAudit],
    [/^\/password\/?$/, 'password', viewPassword],
  ];
  // home is where a role starts; routes names who may open each view.
  const home = () => (me.role === 'auditor' ? 'audit' : 'overview');
  const viewRoles = {audit: ['auditor'], password: ['admin', 'operator', 'auditor']};

  async function route() {
    if (document.body.dataset.state !== 'app') return;
    stopView();
    const seq = viewSeq;
    const path = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0]);
    const view = clear($('view'));
    let found = routes.find(([re]) => re.test(path)) || routes[0];
    const allowed = (n) => (viewRoles[n] || ['admin', 'operator']).includes(me.role);
    if (me.passwordChangeRequired) found = routes.find(([, n]) => n === 'password');
    else if (!allowed(found[1])) found = routes.find(([, n]) => n === home());
    const [re, name, fn] = found;
    const m = re.exec(path) || [];
    for (const a of document.querySelectorAll('#nav a')) {
      a.classList.toggle('active', a.dataset.route === name);
      if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    view.dataset.view = name;
    delete view.dataset.ready;
    try {
      await fn(view, m[1], () => seq === viewSeq);
    } catch (e) {
      if (e instanceof AuthError || seq !== viewSeq) return;
      append(view, [h('div', {class: 'err-box', role: 'alert', testid: 'view-error'}, '加载失败 Failed to load: ' + (e.message || e))]);
    }
  }
  window.addEventListener('hashchange', route);
  // Leaving the page ends its event stream and timers at once: over
  // HTTP/1.1 a browser holds only six connections to a host.
  window.addEventListener('pagehide', stopView);
  window.addEventListener('pageshow', (ev) => { if (ev.persisted) route(); });

  function pageHead(title, sub, ...extra) {
    return h('div', {class: 'page-head'}, h('div', null, h('h1', null, title), sub ? h('div', {class: 'sub'}, sub) : null), h('div', {class: 'filters'}, extra));
  }
  function panel(title, attrs, ...kids) {
    return h('section', Object.assign({class: 'card panel'}, attrs || {}), title ? h('h2', null, title) : null, kids);
  }
  // table renders rows with columns [{label, get(row) -> node|string, num}].
  function table(cols, rows, attrs, empty) {
    if (!rows || rows.length === 0) return h('div', {class: 'empty', testid: (attrs && attrs.testid ? attrs.testid + '-empty' : undefined)}, empty || '暂无数据 No data');
    return h('div', {class: 'table-wrap'}, h('table', attrs,
      h('thead', null, h('tr', null, cols.map((c) => h('th', {class: c.num ? 'num' : null, scope: 'col'}, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', null, cols.map((c) => h('td', {class: c.num ? 'num' : (c.cls || null)}, c.get(r))))))));
  }
  function regionOptions(sel, selected) {
    const regions = (cityCache && cityCache.regions) || {};
    append(sel, [h('option', {value: ''}, '全部区域 All districts')]);
    for (const code of Object.keys(regions).sort()) append(sel, [h('option', {value: code, selected: code === selected}, regions[code] + ' ' + code)]);
  }
  async function ensureCity() {
    if (!cityCache) cityCache = (await api('/overview')).city;
    return cityCache;
  }

  // ---------- overview ----------

  const totalDefs = [
    ['parks', '停车场 Parks', (t) => num(t.parks), (t) => `在线 ${num(t.parksOnline)} · 离线 ${num(t.parksOffline)}`],
    ['parksOnline', '在线 Online', (t) => num(t.parksOnline), (t) => `离线 offline ${num(t.parksOffline)}`, 'ok'],
    ['totalSpaces', '总车位 Spaces', (t) => num(t.totalSpaces), null],
    ['freeSpaces', '空余车位 Free', (t) => num(t.freeSpaces), (t) => t.totalSpaces ? '占用 ' + pct(1 - t.freeSpaces / t.totalSpaces) : ''],
    ['entriesToday', '今日入场 Entries', (t) => num(t.entriesToday), null],
    ['exitsToday', '今日出场 Exits', (t) => num(t.exitsToday), null],
    ['accountsOnline', '在线账号 Accounts', (t) => num(t.accountsOnline), (t) => `共 ${num(t.accounts)} total`],
  ];

  function renderTotals(box, t) {
    clear(box);
    for (const [key, label, val, hint, cls] of totalDefs) {
      append(box, [h('div', {class: 'card tile'},
        h('div', {class: 'label'}, label),
        h('div', {class: 'value' + (cls ? ' ' + cls : ''), testid: 'total-' + key, 'data-value': t[key]}, val(t)),
        hint ? h('div', {class: 'hint'}, hint(t)) : null)]);
    }
  }

  async function viewOverview(view, _, alive) {
    const live = h('span', {class: 'live', testid: 'live'}, '实时 live');
    const at = h('span', {testid: 'overview-at'});
    const totals = h('div', {class: 'tiles', testid: 'totals'});
    const mapBox = h('div', {class: 'map-wrap'});
    const districts = h('div', {testid: 'districts'});
    append(view, [
      pageHead(bi('城市总览', 'City overview'), [at], live),
      totals,
      h('div', {class: 'grid two'},
        panel(bi('停车场分布', 'Parks map'), null, mapBox,
          h('div', {class: 'legend'}, [['#1a9a55', '< 70%'], ['#e0a100', '70–90%'], ['#d64545', '≥ 90%'], ['#9aa3b0', '未知 unknown']]
            .map(([c, l]) => h('span', null, h('i', {style: 'background:' + c}), l)),
          h('span', null, h('i', {style: 'background:#fff;border:2px solid #5a6372'}), '离线 offline'),
          h('span', null, '拖动平移 · 滚轮缩放 · 点击查看 drag, wheel, click'))),
        panel(bi('各区', 'Districts'), null, districts)),
    ]);
    const map = new ParkMap(mapBox);
    cleanups.push(() => map.destroy());

    const load = async () => {
      const o = await api('/overview');
      if (!alive()) return;
      cityCache = o.city;
      at.textContent = '更新于 ' + when(o.at);
      renderTotals(totals, o.totals);
      clear(districts).appendChild(table([
        {label: '区域 District', get: (d) => d.name || d.areaCode},
        {label: '在线/停车场 Parks', num: true, get: (d) => `${num(d.parksOnline)} / ${num(d.parks)}`},
        {label: '空余/车位 Free', num: true, get: (d) => `${num(d.freeSpaces)} / ${num(d.totalSpaces)}`},
        {label: '占用 Occ.', get: (d) => occBar(d.totalSpaces ? 1 - d.freeSpaces / d.totalSpaces : null)},
        {label: '入/出 In/Out', num: true, get: (d) => `${num(d.entriesToday)} / ${num(d.exitsToday)}`},
      ], o.districts, {testid: 'districts-table'}));
      map.setData(o.city, o.parks);
      if (!view.dataset.ready) {
        view.dataset.ready = '1';
        performance.mark('overview-rendered');
        document.body.dataset.overviewRenderedMs = performance.now().toFixed(1);
      }
    };
    await load();
    every(() => load().catch(() => {}), 10000);

    if (window.EventSource) {
      const es = new EventSource(API + '/events');
      cleanups.push(() => es.close());
      es.addEventListener('open', () => live.classList.add('on'));
      es.addEventListener('overview', (ev) => {
        let t;
        try { t = JSON.parse(ev.data); } catch (_) { return; }
        renderTotals(totals, t);
        if (t.at) at.textContent = '更新于 ' + when(t.at);
        live.classList.add('on');
        live.dataset.events = String((+live.dataset.events || 0) + 1);
      });
      es.addEventListener('error', () => {
        live.classList.remove('on');
        live.dataset.errors = String((+live.dataset.errors || 0) + 1);
        if (es.readyState === EventSource.CLOSED) api('/me').catch(() => {});
      });
    }
  }

  // ---------- map (Web Mercator on a canvas) ----------

  const TILE = 256;
  function project(lng, lat) { // world pixels at zoom 0
    const s = Math.sin(Math.max(-85.05, Math.min(85.05, lat)) * Math.PI / 180);
    return [TILE * (lng + 180) / 360, TILE * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI))];
  }

  function unproject(x, y) { // world pixels at zoom 0 to lng, lat
    return [x / TILE * 360 - 180, Math.atan(Math.sinh(Math.PI * (1 - 2 * y / TILE))) * 180 / Math.PI];
  }

  class ParkMap {
    constructor(box) {
      this.box = box;
      this.canvas = h('canvas', {id: 'map', testid: 'map', tabindex: '0', role: 'img', 'aria-label': '停车场地图 Parks map; 方向键平移, +/- 缩放'});
      this.tip = h('div', {class: 'map-tip', hidden: true, testid: 'map-tip'});
      const zoomBtn = (label, d, id) => h('button', {type: 'button', class: 'btn', testid: id, 'aria-label': id, onclick: () => this.zoomAt(d)}, label);
      append(box, [this.canvas, this.tip, h('div', {class: 'map-ctl'}, zoomBtn('+', 1, 'map-zoom-in'), zoomBtn('−', -1, 'map-zoom-out'),
        h('button', {type: 'button', class: 'btn', testid: 'map-reset', 'aria-label': '复位 reset', onclick: () => { this.fitted = false; this.fit(); }}, '⌂'))]);
      this.parks = [];
      this.tiles = new Map();
      this.zoom = 11; this.cx = 0; this.cy = 0; // centre in world pixels at zoom 0
      this.fitted = false;
      this.hover = null;
      this.bind();
      this.ro = new ResizeObserver(() => this.draw());
      this.ro.observe(box);
    }
    destroy() { this.ro.disconnect(); this.dead = true; }
    setData(city, parks) {
      this.city = city || {};
      this.parks = parks || [];
      if (!this.fitted) this.fit(); else this.draw();
    }
    size() { return [this.box.clientWidth || 600, this.box.clientHeight || 400]; }
    fit() {
      const c = this.city || {};
      const [w, hgt] = this.size();
      const b = c.bounds;
      if (b && b.maxLng > b.minLng && b.maxLat > b.minLat) {
        const [x0, y0] = project(b.minLng, b.maxLat);
        const [x1, y1] = project(b.maxLng, b.minLat);
        this.zoom = Math.log2(Math.min(w / (x1 - x0), hgt / (y1 - y0)) * 0.9);
        [this.cx, this.cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
      } else if (c.center) {
        this.zoom = c.zoom || 11;
        [this.cx, this.cy] = project(c.center.lng, c.center.lat);
      }
      this.fitted = true;
      this.draw();
    }
    scale() { return Math.pow(2, this.zoom); }
    toScreen(lng, lat) {
      const [x, y] = project(lng, lat);
      const [w, hgt] = this.size();
      const s = this.scale();
      return [(x - this.cx) * s + w / 2, (y - this.cy) * s + hgt / 2];
    }
    zoomAt(d, sx, sy) {
      const [w, hgt] = this.size();
      if (sx === undefined) { sx = w / 2; sy = hgt / 2; }
      const s0 = this.scale();
      const wx = this.cx + (sx - w / 2) / s0, wy = this.cy + (sy - hgt / 2) / s0;
      this.zoom = Math.max(3, Math.min(19, this.zoom + d));
      const s1 = this.scale();
      this.cx = wx - (sx - w / 2) / s1; this.cy = wy - (sy - hgt / 2) / s1;
      this.draw();
    }
    pan(dx, dy) { const s = this.scale(); this.cx -= dx / s; this.cy -= dy / s; this.draw(); }
    bind() {
      const c = this.canvas;
      let drag = null;
      c.addEventListener('pointerdown', (e) => { drag = {x: e.clientX, y: e.clientY, moved: 0}; c.setPointerCapture(e.pointerId); c.classList.add('dragging'); });
      c.addEventListener('pointermove', (e) => {
        if (drag) {
          const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
          drag.moved += Math.abs(dx) + Math.abs(dy);
          drag.x = e.clientX; drag.y = e.clientY;
          if (drag.moved > 3) { this.pan(dx, dy); this.showTip(null); return; }
        }
        const r = c.getBoundingClientRect();
        this.showTip(this.pick(e.clientX - r.left, e.clientY - r.top), e.clientX - r.left, e.clientY - r.top);
      });
      c.addEventListener('pointerup', (e) => {
        c.classList.remove('dragging');
        const d = drag; drag = null;
        if (d && d.moved <= 3) {
          const r = c.getBoundingClientRect();
          const p = this.pick(e.clientX - r.left, e.clientY - r.top);
          if (p) location.hash = '#/parks/' + encodeURIComponent(p.isvParkId);
        }
      });
      c.addEventListener('pointerleave', () => this.showTip(null));
      c.addEventListener('wheel', (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        this.zoomAt(e.deltaY < 0 ? 0.5 : -0.5, e.clientX - r.left, e.clientY - r.top);
      }, {passive: false});
      c.addEventListener('keydown', (e) => {
        const k = {ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60]}[e.key];
        if (k) { e.preventDefault(); this.pan(k[0], k[1]); } else if (e.key === '+' || e.key === '=') this.zoomAt(1);
        else if (e.key === '-') this.zoomAt(-1);
      });
    }
    pick(x, y) {
      let best = null, bd = 100; // within 10 px
      for (const p of this.parks) {
        if (typeof p.lng !== 'number' || typeof p.lat !== 'number') continue;
        const [px, py] = this.toScreen(p.lng, p.lat);
        const d = (px - x) ** 2 + (py - y) ** 2;
        if (d < bd) { bd = d; best = p; }
      }
      return best;
    }
    showTip(p, x, y) {
      this.hover = p;
      this.canvas.style.cursor = p ? 'pointer' : '';
      if (!p) { this.tip.hidden = true; this.draw(); return; }
      clear(this.tip);
      append(this.tip, [h('strong', null, p.name || p.isvParkId), h('br'),
        h('small', null, `${(cityCache && cityCache.regions && cityCache.regions[p.areaCode]) || p.areaCode} · `),
        `空余 ${num(p.freeSpaces)} / ${num(p.totalSpaces)} · ${pct(p.occupancy)} · ${p.online ? '在线' : '离线'}`]);
      this.tip.style.left = x + 'px'; this.tip.style.top = y + 'px';
      this.tip.hidden = false;
      this.draw();
    }
    tile(z, x, y) {
      const key = z + '/' + x + '/' + y;
      let t = this.tiles.get(key);
      if (!t) {
        const n = 1 << z;
        const url = this.city.tileUrl.replace('{z}', z).replace('{x}', ((x % n) + n) % n).replace('{y}', y)
          .replace('{s}', 'abc'[(x + y) % 3]);
        t = new Image();
        t.onload = () => { if (!this.dead) this.draw(); };
        t.src = url;
        this.tiles.set(key, t);
        if (this.tiles.size > 400) this.tiles.delete(this.tiles.keys().next().value);
      }
      return t;
    }
    drawTiles(ctx, w, hgt) {
      const z = Math.max(0, Math.min(19, Math.round(this.zoom)));
      const k = Math.pow(2, this.zoom - z); // screen px per tile px
      const s = this.scale();
      const left = this.cx - w / 2 / s, top = this.cy - hgt / 2 / s; // world px at zoom 0
      const tz = Math.pow(2, z);
      const x0 = Math.floor(left * tz / TILE), y0 = Math.floor(top * tz / TILE);
      const x1 = Math.floor((left + w / s) * tz / TILE), y1 = Math.floor((top + hgt / s) * tz / TILE);
      let drawn = 0;
      for (let ty = Math.max(0, y0); ty <= Math.min(tz - 1, y1); ty++) {
        for (let tx = x0; tx <= x1; tx++) {
          const img = this.tile(z, tx, ty);
          if (!img.complete || !img.naturalWidth) continue;
          const sx = (tx * TILE / tz - left) * s, sy = (ty * TILE / tz - top) * s;
          ctx.drawImage(img, Math.floor(sx), Math.floor(sy), Math.ceil(TILE * k) + 1, Math.ceil(TILE * k) + 1);
          drawn++;
        }
      }
      this.canvas.dataset.tiles = String(drawn);
    }
    draw() {
      if (this.dead || this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.paint(); });
    }
    paint() {
      const c = this.canvas, [w, hgt] = this.size(), dpr = window.devicePixelRatio || 1;
      if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(hgt * dpr); }
      const ctx = c.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = '#e8edf3';
      ctx.fillRect(0, 0, w, hgt);
      if (this.city && this.city.tileUrl) this.drawTiles(ctx, w, hgt);
      else this.drawGraticule(ctx, w, hgt);
      const b = this.city && this.city.bounds;
      if (b) { // the city's extent
        const [x0, y0] = this.toScreen(b.minLng, b.maxLat), [x1, y1] = this.toScreen(b.maxLng, b.minLat);
        ctx.strokeStyle = 'rgba(31,111,235,.45)'; ctx.setLineDash([6, 4]); ctx.lineWidth = 1;
        ctx.strokeRect(x0, y0, x1 - x0, y1 - y0); ctx.setLineDash([]);
      }
      let plotted = 0;
      const r = Math.max(4, Math.min(9, 2 + this.zoom - 9));
      for (const p of this.parks) {
        if (typeof p.lng !== 'number' || typeof p.lat !== 'number') continue;
        const [x, y] = this.toScreen(p.lng, p.lat);
        if (x < -20 || y < -20 || x > w + 20 || y > hgt + 20) continue;
        ctx.beginPath();
        ctx.arc(x, y, p === this.hover ? r + 3 : r, 0, 2 * Math.PI);
        ctx.fillStyle = occColor(p.occupancy);
        ctx.globalAlpha = p.online ? 0.95 : 0.55;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.lineWidth = p.online ? 1.5 : 2;
        ctx.strokeStyle = p.online ? '#fff' : '#5a6372';
        ctx.stroke();
        plotted++;
      }
      if (this.city && this.city.name) {
        ctx.font = '600 13px system-ui, sans-serif'; ctx.fillStyle = 'rgba(28,36,48,.55)';
        ctx.fillText(this.city.name + (this.city.tileUrl ? '' : ' · Web Mercator'), 12, hgt - 12);
      }
      c.dataset.points = String(plotted);
      c.dataset.parks = String(this.parks.length);
      c.dataset.zoom = this.zoom.toFixed(4);
      const [clng, clat] = unproject(this.cx, this.cy);
      c.dataset.center = clng.toFixed(6) + ',' + clat.toFixed(6);
    }
    drawGraticule(ctx, w, hgt) { // a light grid of 0.1° (or coarser) lines when there are no tiles
      const s = this.scale();
      const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10].find((d) => d * TILE * s / 360 >= 90) || 20;
      const lngAt = (sx) => ((this.cx + (sx - w / 2) / s) / TILE) * 360 - 180;
      const latAt = (sy) => { const y = (this.cy + (sy - hgt / 2) / s) / TILE; return Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI; };
      ctx.strokeStyle = '#d5dde7'; ctx.lineWidth = 1; ctx.fillStyle = '#9aa6b6'; ctx.font = '10px system-ui, sans-serif';
      for (let lng = Math.ceil(lngAt(0) / step) * step; lng < lngAt(w); lng += step) {
        const [x] = this.toScreen(lng, 0);
        ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, hgt); ctx.stroke();
        ctx.fillText(lng.toFixed(step < 0.1 ? 2 : 1) + '°E', x + 3, 12);
      }
      for (let lat = Math.ceil(latAt(hgt) / step) * step; lat < latAt(0); lat += step) {
        const [, y] = this.toScreen(0, lat);
        ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
        ctx.fillText(lat.toFixed(step < 0.1 ? 2 : 1) + '°N', 3, y - 3);
      }
    }
  }

  // ---------- charts ----------

  // lineChart draws series [{label, color, points:[[x,y]], fill}] on canvas
  // with x labels from xTick(x) at xTicks and y from 0 to yMax.
  function lineChart(canvas, opt) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 600, hgt = canvas.clientHeight || 260;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const pad = {l: 48, r: 12, t: 26, b: 28};
    const pw = w - pad.l - pad.r, ph = hgt - pad.t - pad.b;
    const [x0, x1] = opt.xRange;
    const yMax = opt.yMax > 0 ? opt.yMax : 1;
    const X = (x) => pad.l + (x - x0) / (x1 - x0 || 1) * pw;
    const Y = (y) => pad.t + ph - y / yMax * ph;
    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = '#e2e6ec'; ctx.fillStyle = '#647084'; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) { // y grid
      const v = yMax * i / 4, y = Y(v);
      ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
      ctx.textAlign = 'right'; ctx.fillText(opt.yFmt ? opt.yFmt(v) : String(Math.round(v)), pad.l - 6, y + 4);
    }
    ctx.textAlign = 'center';
    for (const x of opt.xTicks) {
      const px = X(x);
      ctx.beginPath(); ctx.moveTo(px, pad.t + ph); ctx.lineTo(px, pad.t + ph + 4); ctx.strokeStyle = '#9aa3b0'; ctx.stroke();
      ctx.fillText(opt.xTick(x), px, pad.t + ph + 16);
    }
    ctx.strokeStyle = '#9aa3b0';
    ctx.beginPath(); ctx.moveTo(pad.l, pad.t); ctx.lineTo(pad.l, pad.t + ph); ctx.lineTo(pad.l + pw, pad.t + ph); ctx.stroke();
    let drawn = 0;
    for (const s of opt.series) {
      if (!s.points.length) continue;
      ctx.beginPath();
      s.points.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      if (s.fill) {
        ctx.save();
        ctx.lineTo(X(s.points[s.points.length - 1][0]), Y(0)); ctx.lineTo(X(s.points[0][0]), Y(0)); ctx.closePath();
        ctx.fillStyle = s.fill; ctx.fill(); ctx.restore();
        ctx.beginPath();
        s.points.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      }
      ctx.setLineDash(s.dash || []); ctx.strokeStyle = s.color; ctx.lineWidth = s.width || 2; ctx.stroke(); ctx.setLineDash([]);
      if (s.points.length === 1 || s.marker) { // the latest value, marked and labelled
        const [lx, ly] = s.points[s.points.length - 1];
        ctx.fillStyle = s.color; ctx.beginPath(); ctx.arc(X(lx), Y(ly), 3.5, 0, 7); ctx.fill();
        if (s.marker) { ctx.textAlign = 'right'; ctx.fillText(s.marker(ly), X(lx) - 6, Y(ly) - 6); }
      }
      drawn += s.points.length;
    }
    let lx = pad.l; // legend
    ctx.textAlign = 'left';
    for (const s of opt.series) {
      ctx.fillStyle = s.color; ctx.fillRect(lx, 8, 10, 10);
      ctx.fillStyle = '#1c2430'; ctx.fillText(s.label, lx + 14, 17);
      lx += ctx.measureText(s.label).width + 30;
    }
    if (!drawn) { ctx.fillStyle = '#647084'; ctx.textAlign = 'center'; ctx.fillText('暂无数据 No data', pad.l + pw / 2, pad.t + ph / 2); }
    canvas.dataset.points = String(drawn);
  }

  const cstMs = (s) => Date.parse(s);
  const hourLabel = (ms) => String(new Date(ms + 8 * 3600e3).getUTCHours()).padStart(2, '0') + ':00';

  function occupancyChart(canvas, series, now) {
    const end = now || (series.length ? cstMs(series[series.length - 1].at) : Date.now());
    const start = end - 24 * 3600e3;
    const used = [], total = [];
    let max = 0;
    for (const p of series) { // a step line: each report holds until the next
      const t = Math.max(start, cstMs(p.at));
      if (isNaN(t)) continue;
      if (used.length) { used.push([t, used[used.length - 1][1]]); total.push([t, total[total.length - 1][1]]); }
      used.push([t, p.used]); total.push([t, p.used + p.unused]);
      max = Math.max(max, p.used + p.unused, p.used);
    }
    if (used.length) { used.push([end, used[used.length - 1][1]]); total.push([end, total[total.length - 1][1]]); }
    const ticks = [];
    for (let t = Math.ceil(start / 3600e3) * 3600e3; t <= end; t += 3600e3) if (((t / 3600e3) + 8) % 3 === 0) ticks.push(t);
    lineChart(canvas, {xRange: [start, end], yMax: Math.ceil(max * 1.1) || 10, xTicks: ticks, xTick: hourLabel,
      series: [{label: '总车位 Total', color: '#9aa3b0', points: total, dash: [5, 4], width: 1.5, marker: (v) => '总 ' + num(v)},
        {label: '已用 Used', color: '#1f6feb', fill: 'rgba(31,111,235,.15)', points: used, marker: (v) => '已用 ' + num(v)}]});
  }

  // ---------- parks ----------

  async function viewParks(view, _, alive) {
    await ensureCity().catch((e) => { if (e instanceof AuthError) throw e; });
    const params = new URLSearchParams(location.hash.split('?')[1] || '');
    const q = h('input', {type: 'search', id: 'parks-q', testid: 'parks-q', placeholder: '名称 / 编码 / ID  Search', value: params.get('q') || '', 'aria-label': '搜索 Search'});
    const district = h('select', {id: 'parks-district', testid: 'parks-district', 'aria-label': '区域 District'});
    regionOptions(district, params.get('district') || '');
    const online = h('select', {id: 'parks-online', testid: 'parks-online', 'aria-label': '在线 Online'},
      h('option', {value: ''}, '全部 All'), h('option', {value: 'true'}, '在线 Online'), h('option', {value: 'false'}, '离线 Offline'));
    const count = h('span', {class: 'sub', testid: 'parks-count'});
    const list = h('div', {testid: 'parks-list'});
    append(view, [pageHead(bi('停车场', 'Parks'), count), panel(null, null, h('div', {class: 'filters'}, q, district, online), list)]);
    const load = async () => {
      const res = await api('/parks' + qs({q: q.value.trim(), district: district.value, online: online.value, userId: params.get('userId') || ''}));
      if (!alive()) return;
      count.textContent = `共 ${num(res.parks.length)} 个 parks`;
      clear(list).appendChild(table([
        {label: '名称 Name', get: (p) => h('a', {href: '#/parks/' + encodeURIComponent(p.isvParkId), testid: 'park-link'}, p.name || p.isvParkId)},
        {label: '编码 Code', cls: 'mono', get: (p) => p.parkCode},
        {label: '厂商 Vendor', get: (p) => p.userId},
        {label: '区域 District', get: (p) => p.district || p.areaCode},
        {label: '车位 Spaces', num: true, get: (p) => num(p.totalSpaces)},
        {label: '空余 Free', num: true, get: (p) => num(p.freeSpaces)},
        {label: '占用 Occ.', get: (p) => occBar(p.occupancy)},
        {label: '状态 State', get: (p) => onlineBadge(p.online)},
        {label: '营业 Biz', get: (p) => String(p.bizStatus ?? '—')},
        {label: '预约 Resv.', get: (p) => (p.reservable ? '✓' : '—')},
        {label: '更新 Updated', get: (p) => when(p.updatedAt)},
      ], res.parks, {testid: 'parks-table'}, '没有符合条件的停车场 No parks match'));
      view.dataset.ready = '1';
    };
    let t;
    q.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => load().catch(showErr(list)), 250); });
    district.addEventListener('change', () => load().catch(showErr(list)));
    online.addEventListener('change', () => load().catch(showErr(list)));
    await load();
    every(() => load().catch(() => {}), 15000);
  }
  const showErr = (box) => (e) => { if (!(e instanceof AuthError)) clear(box).appendChild(h('div', {class: 'err-box', role: 'alert'}, String(e.message || e))); };

  function openPhoto(url, caption) {
    const d = $('photo-dialog');
    $('photo-large').src = url;
    $('photo-large').alt = caption;
    $('photo-caption').textContent = caption;
    if (d.showModal) d.showModal(); else d.setAttribute('open', '');
  }

  function recordTable(rows, kind) {
    return table([
      {label: '照片 Photo', get: (r) => (r.photo
        ? h('button', {type: 'button', class: 'thumb-btn', 'aria-label': '放大照片 enlarge ' + r.plateNo, onclick: () => openPhoto(r.photo, `${r.plateNo} · ${when(r.time)}`)},
          h('img', {class: 'thumb', src: r.photo, alt: r.plateNo, testid: kind + '-photo', decoding: 'async'}))
        : h('span', {class: 'badge'}, '无 none'))},
      {label: '车牌 Plate', get: (r) => h('strong', null, r.plateNo)},
      {label: '时间 Time', get: (r) => when(r.time)},
      {label: '预约码 Book', cls: 'mono', get: (r) => r.bookCode || '—'},
      {label: '', get: (r) => (r.noEntry ? h('span', {class: 'badge warn'}, '无入场 no entry') : '')},
    ], rows, {testid: kind + '-table'});
  }

  async function viewPark(view, id, alive) {
    let last = '';
    const render = async () => {
      const res = await fetch(API + '/parks/' + encodeURIComponent(id), {credentials: 'same-origin', headers: refreshHeaders({})});
      if (res.status === 401) { showLogin(); throw new AuthError('login required'); }
      if (res.status === 404) { clear(view).appendChild(panel(null, null, h('div', {class: 'empty', testid: 'park-missing'}, '未找到停车场 Park not found: ' + id))); return; }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const text = await res.text();
      if (!alive() || text === last) return;
      last = text;
      const scrollY = window.scrollY;
      renderPark(clear(view), JSON.parse(text));
      window.scrollTo(0, scrollY);
      view.dataset.ready = '1';
    };
    await render();
    every(() => render().catch(() => {}), 10000);
  }

  function renderPark(view, d) {
    const p = d.park, v = d.vacancy;
    let info = p.info;
    const facts = [
      ['ID', h('span', {class: 'mono'}, p.isvParkId)], ['编码 Code', h('span', {class: 'mono'}, p.parkCode)],
      ['厂商 Vendor', p.userId], ['区域 District', `${p.district || ''} ${p.areaCode || ''}`],
      ['车位 Spaces', num(p.totalSpaces)], ['营业 Biz status', String(p.bizStatus ?? '—')],
      ['预约 Reservable', p.reservable ? '是 yes' : '否 no'], ['坐标 Position', typeof p.lng === 'number' ? `${p.lng.toFixed(6)}, ${p.lat.toFixed(6)}` : '—'],
      ['更新 Updated', when(p.updatedAt)],
    ];
    if (info && typeof info === 'object') for (const k of ['address', 'parkType', 'chargeInfo', 'openTime', 'contactPhone']) if (info[k] !== undefined && info[k] !== '') facts.push([k, String(typeof info[k] === 'object' ? JSON.stringify(info[k]) : info[k])]);
    const chart = h('canvas', {class: 'chart', id: 'park-chart', testid: 'park-chart', role: 'img', 'aria-label': '24小时占用 24 h occupancy'});
    append(view, [
      pageHead([p.name || p.isvParkId, ' ', onlineBadge(p.online)], h('a', {href: '#/parks'}, '← 全部停车场 All parks')),
      h('div', {class: 'tiles'},
        tileOf('空余 Free', v ? num(v.unusedStalls) : '—', v ? '于 ' + when(v.at) : '未上报 not reported', 'park-free'),
        tileOf('已用 Used', v ? num(v.usedStalls) : '—', null, 'park-used'),
        tileOf('占用 Occupancy', pct(p.occupancy), null, 'park-occupancy'),
        tileOf('可预约 Reservable free', v ? num(v.unusedReservableStalls) : '—', null, 'park-reservable')),
      h('div', {class: 'grid two'},
        panel(bi('24 小时占用', '24 h occupancy'), null, chart),
        panel(bi('基本信息', 'Facts'), {testid: 'park-facts'}, h('dl', {class: 'facts'}, facts.map(([k, val]) => [h('dt', null, k), h('dd', null, val)])))),
      h('div', {class: 'grid halves'},
        panel(bi('最近入场', 'Latest entries'), {testid: 'park-entries'}, h('div', {class: 'scroll'}, recordTable(d.entries, 'entries'))),
        panel(bi('最近出场', 'Latest exits'), {testid: 'park-exits'}, h('div', {class: 'scroll'}, recordTable(d.exits, 'exits')))),
      h('div', {class: 'grid halves'},
        panel(bi('出入口', 'Entrances'), {testid: 'park-entrances'}, table([
          {label: 'ID', cls: 'mono', get: (e) => e.id}, {label: '编码 Code', cls: 'mono', get: (e) => e.code},
          {label: '信息 Info', get: (e) => entranceInfo(e.info)}], d.entrances)),
        panel(bi('每小时核查', 'Hourly verification'), {testid: 'park-verifications'}, h('div', {class: 'scroll'}, table([
          {label: '小时 Hour', get: (r) => when(r.hour)},
          {label: '在场车牌 Plates', num: true, get: (r) => num(r.plates)},
          {label: '已用 Used', num: true, get: (r) => num(r.usedStalls)},
          {label: '无入场 No entry', get: (r) => plateList(r.noEntry, 'warn')},
          {label: '缺失 Missing', get: (r) => plateList(r.missing, 'off')}], d.verifications)))),
      h('div', {class: 'grid halves'},
        panel(bi('数据质量', 'Data-quality warnings'), {testid: 'park-warnings'}, eventList(d.warnings, (w) => [h('span', {class: 'badge warn'}, w.kind), ' ', w.detail])),
        panel(bi('在线记录', 'Online / offline history'), {testid: 'park-liveness'}, eventList((d.liveness || []).slice().reverse(), (l) => [onlineBadge(l.online), ' ', l.cause || '']))),
    ]);
    requestAnimationFrame(() => occupancyChart(chart, d.series || [], Date.now()));
  }
  function tileOf(label, value, hint, testid) {
    return h('div', {class: 'card tile'}, h('div', {class: 'label'}, label), h('div', {class: 'value', testid}, value), hint ? h('div', {class: 'hint'}, hint) : null);
  }
  function entranceInfo(info) {
    if (!info) return '—';
    if (typeof info !== 'object') return String(info);
    const bits = [];
    for (const k of ['name', 'entranceName', 'type', 'entranceType', 'direction']) if (info[k] !== undefined) bits.push(String(info[k]));
    return bits.length ? bits.join(' · ') : JSON.stringify(info);
  }
  function plateList(list, cls) {
    if (!list || !list.length) return '—';
    return h('span', {class: 'chips'}, list.slice(0, 6).map((p) => h('span', {class: 'badge ' + cls}, p)), list.length > 6 ? `+${list.length - 6}` : null);
  }
  function eventList(items, body) {
    if (!items || !items.length) return h('div', {class: 'empty'}, '暂无 None');
    return h('ul', {class: 'list'}, items.map((it) => h('li', null, h('span', {class: 'when'}, when(it.at)), h('span', null, body(it)))));
  }

  // ---------- vendors ----------

  async function viewVendors(view, _, alive) {
    const box = h('div', {testid: 'vendors-list'});
    const count = h('span', {class: 'sub'});
    append(view, [pageHead(bi('厂商账号', 'Vendors'), count), panel(null, null, box)]);
    const load = async () => {
      const res = await api('/vendors');
      if (!alive()) return;
      const on = res.vendors.filter((x) => x.online).length;
      count.textContent = `在线 ${on} / ${res.vendors.length} online`;
      clear(box).appendChild(table([
        {label: '账号 userId', get: (x) => h('a', {href: '#/parks?userId=' + encodeURIComponent(x.userId)}, x.userId)},
        {label: '角色 Role', get: (x) => x.role || '—'},
        {label: '状态 State', get: (x) => [onlineBadge(x.online), x.disabled ? [' ', h('span', {class: 'badge off'}, '停用 disabled')] : null]},
        {label: '自 Since', get: (x) => when(x.stateSince)},
        {label: '最后心跳 Heartbeat', get: (x) => when(x.lastHeartbeat)},
        {label: '停车场 Parks', num: true, get: (x) => num(x.parks)},
        {label: '请求 Requests', num: true, get: (x) => num(x.requests)},
        {label: '错误率 Errors', num: true, get: (x) => h('span', {style: x.errorRate > 0.05 ? 'color:var(--red)' : null}, pct(x.errorRate))},
        {label: '返回码 Codes', get: (x) => h('span', {class: 'chips'}, Object.entries(x.codes || {}).sort((a, b) => a[0] - b[0])
          .map(([c, n]) => h('span', {class: 'badge ' + (c === '0' ? 'on' : 'warn'), title: 'code ' + c}, `${c}: ${num(n)}`)))},
      ], res.vendors, {testid: 'vendors-table'}));
      view.dataset.ready = '1';
    };
    await load();
    every(() => load().catch(() => {}), 10000);
  }

  // ---------- reservations ----------

  const STATES = ['pending', 'dispatched', 'waitlisted', 'confirmed', 'arrived', 'completed', 'cancelled', 'expired', 'rejected'];
  const stateBadge = (s) => h('span', {class: 'badge ' + ({confirmed: 'info', arrived: 'on', completed: 'on', cancelled: '', expired: 'off', rejected: 'off', waitlisted: 'warn', pending: 'warn', dispatched: 'warn'}[s] || '')}, s);
  const resvCols = [
    {label: '预约码 Book code', cls: 'mono', get: (r) => h('a', {href: '#/reservations/' + encodeURIComponent(r.bookCode), testid: 'resv-link'}, r.bookCode)},
    {label: '停车场 Park', get: (r) => h('a', {href: '#/parks/' + encodeURIComponent(r.isvParkId)}, r.parkName || r.isvParkId)},
    {label: '车牌 Plate', get: (r) => r.plateNo},
    {label: '状态 State', get: (r) => [stateBadge(r.state), r.noShow ? [' ', h('span', {class: 'badge off'}, '爽约 no-show')] : null]},
    {label: '预约时间 Book time', get: (r) => when(r.bookTime)},
    {label: '超时 Over', get: (r) => when(r.overTime)},
    {label: '保留至 Hold', get: (r) => when(r.holdUntil)},
    {label: '排队 Wait#', num: true, get: (r) => (r.waitSeq ? num(r.waitSeq) : '—')},
    {label: '创建 Created', get: (r) => when(r.createdAt)},
  ];

  async function viewReservations(view, _, alive) {
    const params = new URLSearchParams(location.hash.split('?')[1] || '');
    const state = h('select', {testid: 'resv-state', 'aria-label': '状态 State'}, h('option', {value: ''}, '全部状态 All states'),
      STATES.map((s) => h('option', {value: s, selected: s === params.get('state')}, s)));
    const park = h('input', {type: 'search', testid: 'resv-park', placeholder: '停车场 ID parkId', value: params.get('parkId') || '', 'aria-label': 'parkId'});
    const plate = h('input', {type: 'search', testid: 'resv-plate', placeholder: '车牌 Plate', value: params.get('plate') || '', 'aria-label': '车牌 Plate'});
    const box = h('div', {testid: 'resv-list'});
    const waits = h('div', {testid: 'waitlists'});
    const count = h('span', {class: 'sub'});
    append(view, [pageHead(bi('预约', 'Reservations'), count),
      panel(null, null, h('div', {class: 'filters'}, state, park, plate), h('div', {class: 'scroll'}, box)),
      panel(bi('候补队列', 'Waitlists'), null, waits)]);
    const load = async () => {
      const [res, wl] = await Promise.all([
        api('/reservations' + qs({state: state.value, parkId: park.value.trim(), plate: plate.value.trim()})),
        api('/waitlists')]);
      if (!alive()) return;
      count.textContent = `${num(res.reservations.length)} 条 orders`;
      clear(box).appendChild(table(resvCols, res.reservations, {testid: 'resv-table'}, '暂无预约 No reservations'));
      clear(waits);
      if (!wl.waitlists.length) waits.appendChild(h('div', {class: 'empty', testid: 'waitlists-empty'}, '无候补 No waitlists'));
      for (const w of wl.waitlists) append(waits, [h('h2', null, w.parkName || w.isvParkId, ' ', h('small', null, `${w.orders.length} 候补 waiting`)), table(resvCols, w.orders)]);
      view.dataset.ready = '1';
    };
    let t;
    const later = () => { clearTimeout(t); t = setTimeout(() => load().catch(showErr(box)), 250); };
    state.addEventListener('change', later); park.addEventListener('input', later); plate.addEventListener('input', later);
    await load();
    every(() => load().catch(() => {}), 15000);
  }

  async function viewReservation(view, code, alive) {
    let res;
    try { res = await api('/reservations/' + encodeURIComponent(code)); } catch (e) {
      if (e instanceof NotFound) { view.appendChild(panel(null, null, h('div', {class: 'empty'}, '未找到预约 Reservation not found: ' + code))); return; }
      throw e;
    }
    if (!alive()) return;
    const r = res.reservation;
    append(view, [
      pageHead([bi('预约', 'Reservation'), ' ', h('span', {class: 'mono'}, r.bookCode), ' ', stateBadge(r.state)], h('a', {href: '#/reservations'}, '← 全部预约 All reservations')),
      panel(bi('订单', 'Order'), {testid: 'resv-facts'}, h('dl', {class: 'facts'}, [
        ['停车场 Park', h('a', {href: '#/parks/' + encodeURIComponent(r.isvParkId)}, r.parkName || r.isvParkId)], ['车牌 Plate', r.plateNo],
        ['预约时间 Book time', when(r.bookTime)], ['超时 Over time', when(r.overTime)], ['保留至 Hold until', when(r.holdUntil)],
        ['排队 Wait#', r.waitSeq ? num(r.waitSeq) : '—'], ['爽约 No-show', r.noShow ? '是 yes' : '否 no'],
        ['创建 Created', when(r.createdAt)], ['更新 Updated', when(r.updatedAt)],
      ].map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
      h('div', {class: 'grid halves'},
        panel(bi('状态变化', 'Events'), {testid: 'resv-events'}, table([
          {label: '时间 At', get: (e) => when(e.at)}, {label: '从 From', get: (e) => (e.from ? stateBadge(e.from) : '—')},
          {label: '到 To', get: (e) => stateBadge(e.to)}, {label: '原因 Cause', get: (e) => e.cause || ''}], res.events)),
        panel(bi('下发', 'Dispatches'), {testid: 'resv-dispatches'}, table([
          {label: '操作 Op', get: (x) => x.op}, {label: '尝试 Attempts', num: true, get: (x) => num(x.attempts)},
          {label: '下次 Next', get: (x) => when(x.nextAt)}, {label: '错误 Last error', get: (x) => x.lastError || '—'}], res.dispatches))),
    ]);
    view.dataset.ready = '1';
  }

  // ---------- statistics ----------

  const PALETTE = ['#1f6feb', '#1a9a55', '#e0a100', '#d64545', '#8250df', '#0a9396', '#bc4c00', '#6e7781', '#bf3989', '#57606a', '#3fb950'];

  async function viewStats(view, _, alive) {
    const params = new URLSearchParams(location.hash.split('?')[1] || '');
    const date = h('input', {type: 'date', id: 'stats-date', testid: 'stats-date', value: params.get('date') || todayCST(), 'aria-label': '日期 Date'});
    const csv = h('a', {class: 'btn', testid: 'stats-csv', download: ''}, '下载 CSV Download');
    const peak = h('div', {class: 'tiles', testid: 'stats-peak'});
    const chart = h('canvas', {class: 'chart', id: 'stats-chart', testid: 'stats-chart', role: 'img', 'aria-label': '各区每小时占用 occupancy by district and hour'});
    const dist = h('div', {testid: 'stats-districts'});
    const hours = h('div', {testid: 'stats-hours', class: 'scroll'});
    append(view, [pageHead(bi('统计', 'Statistics'), null, date, csv), peak,
      panel(bi('各区每小时平均占用', 'Mean occupancy by district and hour'), null, chart),
      panel(bi('各区汇总', 'Districts'), null, dist),
      panel(bi('每小时明细', 'By hour'), null, hours)]);
    const load = async () => {
      const d = date.value || todayCST();
      csv.href = API + '/stats.csv?date=' + encodeURIComponent(d);
      const s = await api('/stats' + qs({date: d}));
      if (!alive()) return;
      clear(peak);
      const totE = s.districts.reduce((a, x) => a + x.entries, 0), totX = s.districts.reduce((a, x) => a + x.exits, 0);
      append(peak, [
        tileOf('高峰时段 Peak hour', s.peak && s.peak.occupancy != null ? String(s.peak.hour).padStart(2, '0') + ':00' : '—', null, 'stats-peak-hour'),
        tileOf('高峰占用 Peak occupancy', pct(s.peak && s.peak.occupancy), null, 'stats-peak-occupancy'),
        tileOf('入场 Entries', num(totE), s.date, 'stats-entries'), tileOf('出场 Exits', num(totX), s.date, 'stats-exits')]);
      const active = s.districts.filter((x) => x.entries || x.exits || x.avgOccupancy);
      const shown = active.length ? active : s.districts.slice(0, 4);
      let max = 0;
      const series = shown.map((x, i) => {
        const pts = [];
        for (const hr of s.hours) {
          const dd = hr.districts.find((y) => y.areaCode === x.areaCode);
          if (dd && dd.avgOccupancy !== null && dd.avgOccupancy !== undefined) { pts.push([hr.hour, dd.avgOccupancy]); max = Math.max(max, dd.avgOccupancy); }
        }
        return {label: x.name || x.areaCode, color: PALETTE[i % PALETTE.length], points: pts};
      });
      const yMax = [0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1].find((m) => m >= max * 1.1) || 1;
      lineChart(chart, {xRange: [0, 23], yMax, xTicks: [0, 3, 6, 9, 12, 15, 18, 21],
        xTick: (x) => String(x).padStart(2, '0') + ':00', yFmt: (v) => +(v * 100).toFixed(2) + '%', series});
      clear(dist).appendChild(table([
        {label: '区域 District', get: (x) => x.name || x.areaCode},
        {label: '入场 Entries', num: true, get: (x) => num(x.entries)}, {label: '出场 Exits', num: true, get: (x) => num(x.exits)},
        {label: '平均占用 Avg', get: (x) => occBar(x.avgOccupancy)},
        {label: '高峰 Peak', get: (x) => (x.peakOccupancy == null ? '—' : `${String(x.peakHour).padStart(2, '0')}:00 · ${pct(x.peakOccupancy)}`)},
        {label: '周转率 Turnover', num: true, get: (x) => (x.turnover == null ? '—' : x.turnover.toFixed(2))},
      ], s.districts, {testid: 'stats-districts-table'}));
      const rows = [];
      for (const hr of s.hours) for (const x of hr.districts) if (x.entries || x.exits || x.avgOccupancy) rows.push(Object.assign({hour: hr.hour}, x));
      clear(hours).appendChild(table([
        {label: '小时 Hour', get: (x) => String(x.hour).padStart(2, '0') + ':00'}, {label: '区域 District', get: (x) => x.name || x.areaCode},
        {label: '入场 Entries', num: true, get: (x) => num(x.entries)}, {label: '出场 Exits', num: true, get: (x) => num(x.exits)},
        {label: '平均 Avg', get: (x) => occBar(x.avgOccupancy)}, {label: '最高 Max', num: true, get: (x) => pct(x.maxOccupancy)},
        {label: '周转 Turnover', num: true, get: (x) => (x.turnover == null ? '—' : x.turnover.toFixed(2))},
      ], rows, {testid: 'stats-hours-table'}, '当日无数据 No activity this day'));
      view.dataset.ready = '1';
    };
    date.addEventListener('change', () => load().catch(showErr(dist)));
    await load();
  }

  // ---------- off-peak ----------

  const PKG_TYPES = {1: '按次 per use', 2: '包日 day', 3: '包月 month', 9: '其他 other'};
  const ORDER_STATUS = {0: ['未付 unpaid', 'warn'], 1: ['已付 paid', 'info'], 2: ['完成 completed', 'on'], 3: ['取消 cancelled', ''], 4: ['退款 refunded', 'off']};
  const yuan = (x) => (x === null || x === undefined ? '—' : '¥' + Number(x).toFixed(2));
  const orderStatus = (st) => { const [l, c] = ORDER_STATUS[st] || [String(st), '']; return h('span', {class: 'badge ' + c}, l); };
  const parkLink = (id) => h('a', {class: 'mono', href: '#/parks/' + encodeURIComponent(id), title: id}, id.length > 12 ? id.slice(0, 12) + '…' : id);

  async function viewOffpeak(view, _, alive) {
    const date = h('input', {type: 'date', testid: 'offpeak-date', value: todayCST(), 'aria-label': '日期 Date'});
    const park = h('input', {type: 'search', testid: 'offpeak-park', placeholder: '停车场 ID parkId', 'aria-label': 'parkId'});
    const platform = h('input', {type: 'search', testid: 'offpeak-platform', placeholder: '平台账号 platform userId', 'aria-label': 'userId'});
    const totals = h('div', {class: 'tiles', testid: 'offpeak-totals'});
    const boxes = {daily: h('div', {testid: 'offpeak-daily'}), packages: h('div', {testid: 'offpeak-packages'}), orders: h('div', {testid: 'offpeak-orders'})};
    append(view, [pageHead(bi('错峰停车', 'Off-peak parking'), null, park, platform, date), totals,
      panel(bi('当日统计', 'Daily counts'), null, boxes.daily),
      panel(bi('订单', 'Orders'), null, h('div', {class: 'scroll'}, boxes.orders)),
      panel(bi('套餐', 'Packages'), null, h('div', {class: 'scroll'}, boxes.packages))]);
    const sumCols = (first) => [first,
      {label: '订单 Orders', num: true, get: (r) => num(r.orders)}, {label: '已付 Paid', num: true, get: (r) => num(r.paid)},
      {label: '金额 Amount', num: true, get: (r) => yuan(r.amount)}];
    const renders = {
      daily: (res) => {
        clear(totals);
        const t = res.total || {};
        append(totals, [tileOf('订单 Orders', num(t.orders), res.date, 'offpeak-orders-total'), tileOf('已付 Paid', num(t.paid), null, 'offpeak-paid-total'),
          tileOf('金额 Amount', yuan(t.amount), null, 'offpeak-amount-total')]);
        return h('div', {class: 'grid halves'},
          h('div', null, h('h2', null, bi('按停车场', 'By park')), table(sumCols({label: '停车场 Park', get: (r) => parkLink(r.isvParkId)}), res.parks, {testid: 'offpeak-daily-parks'})),
          h('div', null, h('h2', null, bi('按平台', 'By platform')), table(sumCols({label: '平台 Platform', get: (r) => r.userId}), res.platforms, {testid: 'offpeak-daily-platforms'})));
      },
      packages: (res) => table([
        {label: '平台 Platform', get: (x) => x.userId}, {label: '停车场 Park', get: (x) => parkLink(x.isvParkId)},
        {label: '套餐号 No.', cls: 'mono', get: (x) => x.packageNo}, {label: '名称 Name', get: (x) => x.name},
        {label: '类型 Type', get: (x) => PKG_TYPES[x.type] || String(x.type)}, {label: '价格 Price', num: true, get: (x) => yuan(x.price)},
        {label: '时段 Hours', get: (x) => `${(x.startTime || '').slice(0, 5)}–${(x.endTime || '').slice(0, 5)}`},
        {label: '状态 Sale', get: (x) => h('span', {class: 'badge ' + (x.onSale ? 'on' : '')}, x.onSale ? '在售 on sale' : '下架 off')},
        {label: '更新 Updated', get: (x) => when(x.updatedAt)}], res.packages, {testid: 'offpeak-packages-table'}, '暂无套餐 No packages'),
      orders: (res) => table([
        {label: '订单号 Order', cls: 'mono', get: (x) => x.orderNo}, {label: '车牌 Plate', get: (x) => x.plateNo},
        {label: '停车场 Park', get: (x) => parkLink(x.isvParkId)}, {label: '平台 Platform', get: (x) => x.userId},
        {label: '套餐 Package', cls: 'mono', get: (x) => x.packageNo}, {label: '金额 Amount', num: true, get: (x) => yuan(x.amount)},
        {label: '状态 Status', get: (x) => orderStatus(x.status)}, {label: '下单 Ordered', get: (x) => when(x.orderTime)},
        {label: '变化 History', get: (x) => h('span', {class: 'chips'}, (x.events || []).map((e) => h('span', {class: 'badge', title: when(e.at)}, `${e.from < 0 ? '∅' : e.from}→${e.to}`)))}],
      res.orders, {testid: 'offpeak-orders-table'}, '当日无订单 No orders this day'),
    };
    const one = async (name, path) => {
      const box = boxes[name];
      try {
        const res = await api(path);
        if (!alive()) return;
        clear(box).appendChild(renders[name](res));
      } catch (e) {
        if (e instanceof AuthError) throw e;
        clear(box).appendChild(h('div', {class: 'empty', testid: 'offpeak-' + name + '-empty'},
          e instanceof NotFound ? '错峰停车尚未启用 Off-peak parking is not enabled on this server' : '加载失败 ' + (e.message || e)));
      }
    };
    const load = () => {
      const f = {parkId: park.value.trim(), userId: platform.value.trim()};
      return Promise.all([
        one('daily', '/offpeak/daily' + qs({date: date.value})),
        one('packages', '/offpeak/packages' + qs(f)),
        one('orders', '/offpeak/orders' + qs(Object.assign({date: date.value}, f)))]).then(() => { view.dataset.ready = '1'; });
    };
    let t;
    const later = () => { clearTimeout(t); t = setTimeout(() => load().catch(() => {}), 300); };
    date.addEventListener('change', later); park.addEventListener('input', later); platform.addEventListener('input', later);
    await load();
    every(() => load().catch(() => {}), 30000);
  }

  // ---------- password ----------

  async function viewPassword(view) {
    const reasons = {new: '首次登录或密码已重置，请先修改密码。 A new or reset password must be changed first.',
      expired: '密码已过期，请修改。 The password has expired.'};
    const cur = h('input', {type: 'password', id: 'pw-current', testid: 'pw-current', autocomplete: 'current-password', required: true});
    const next = h('input', {type: 'password', id: 'pw-new', testid: 'pw-new', autocomplete: 'new-password', required: true});
    const again = h('input', {type: 'password', id: 'pw-again', testid: 'pw-again', autocomplete: 'new-password', required: true});
    const msg = h('p', {class: 'error', role: 'alert', testid: 'pw-error'});
    const form = h('form', {class: 'card login-card', testid: 'pw-form'},
      h('h1', null, bi('修改密码', 'Change password')),
      me.passwordChangeRequired ? h('p', {testid: 'pw-reason'}, reasons[me.reason] || reasons.new) : null,
      h('p', {class: 'sub'}, '至少 12 个字符，含大写、小写、数字、其他字符中至少 3 类，不含用户名。 At least 12 characters of 3 classes (lower, upper, digits, other), not holding the name.'),
      h('label', {for: 'pw-current'}, '当前密码 Current'), cur,
      h('label', {for: 'pw-new'}, '新密码 New'), next,
      h('label', {for: 'pw-again'}, '再次输入 Again'), again,
      msg, h('button', {type: 'submit', class: 'btn primary', testid: 'pw-submit'}, '修改 Change'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      msg.textContent = '';
      if (next.value !== again.value) { msg.textContent = '两次输入不一致 The new passwords differ'; return; }
      try {
        await post('/password', {current: cur.value, new: next.value});
        showApp(await api('/me'));
        location.hash = '#/' + (home() === 'audit' ? 'audit' : '');
        route();
      } catch (e) { if (!(e instanceof AuthError)) msg.textContent = String(e.message || e); }
    });
    append(view, [form]);
    view.dataset.ready = '1';
  }

  // ---------- audit log (auditor) ----------

  async function viewAudit(view, _, alive) {
    const since = h('input', {type: 'date', testid: 'audit-since', 'aria-label': '起 Since'});
    const until = h('input', {type: 'date', testid: 'audit-until', 'aria-label': '止 Until'});
    const actor = h('input', {type: 'search', placeholder: '操作者 Actor', testid: 'audit-actor', 'aria-label': '操作者 Actor'});
    const query = () => qs({since: since.value, until: until.value, actor: actor.value.trim()});
    const csv = h('a', {class: 'btn', testid: 'audit-csv', href: API + '/audit.csv', download: 'audit.csv'}, '导出 CSV Export');
    const box = h('div');
    append(view, [pageHead(bi('审计日志', 'Audit log'), '只可读取，不可修改 Read only; kept at least 180 days', since, until, actor, csv), box]);
    const load = async () => {
      const q = query();
      csv.href = API + '/audit.csv' + q;
      const rows = [];
      let next = 0;
      do {
        const page = await api('/audit' + q + (q ? '&' : '?') + qs({after: next || '', limit: 1000}).slice(1));
        rows.push(...page.entries);
        next = page.next;
      } while (next && rows.length < 5000 && alive());
      if (!alive()) return;
      rows.reverse();
      clear(box).appendChild(panel(null, null, table([
        {label: '时间 Time', cls: 'mono', get: (r) => r.at},
        {label: '操作者 Actor', get: (r) => r.actor}, {label: '角色 Role', get: (r) => r.role},
        {label: '地址 From', cls: 'mono', get: (r) => r.addr}, {label: '操作 Action', cls: 'mono', get: (r) => r.action},
        {label: '对象 Object', cls: 'mono', get: (r) => r.object},
        {label: '结果 Result', get: (r) => h('span', {class: 'badge ' + (r.result === 'ok' ? 'on' : 'off')}, r.result)},
        {label: '详情 Detail', get: (r) => r.detail},
      ], rows, {testid: 'audit-table'})));
      view.dataset.ready = '1';
    };
    let t;
    const later = () => { clearTimeout(t); t = setTimeout(() => load().catch(() => {}), 300); };
    since.addEventListener('change', later); until.addEventListener('change', later); actor.addEventListener('input', later);
    await load();
  }

  // ---------- start ----------

  async function boot() {
    try {
      showApp(await api('/me'));
      route();
    } catch (e) {
      if (!(e instanceof AuthError)) { showLogin(); $('login-error').textContent = String(e.message || e); }
    }
  }
  boot();
})();
