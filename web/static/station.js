// Pickwave pack station page: a packer's PC shows its station's devices
// live (/ws/station/{id}, see docs/protocol.md): scanner, scale and label
// printer, the last scan, the weight, and the print jobs with test labels
// and reprints; and the pack bench: sign in, scan (or type) a tote, an
// order and its items into a checklist, the weight against the expected
// band, the suggested carton, the last label with reprint and void, a
// supervisor's override, and an error panel for every refusal. Plain JavaScript, no build step. Text that comes from the
// server is only ever inserted as text, never parsed as HTML.
'use strict';

(() => {
  const API = '/api/v1';
  const STATION_KEY = 'pickwave.station';
  const STATION_ROLES = ['packer', 'supervisor', 'admin'];
  const MANAGERS = ['supervisor', 'admin'];
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 5000;
  // CLOSE_SIGNED_OUT is the close code of a socket whose session ended: a
  // supervisor signed the device out, or it was logged out elsewhere.
  const CLOSE_SIGNED_OUT = 4003;
  const JOBS_LIMIT = 15;
  const JOBS_POLL_MS = 1500;
  const MAX_SCANS = 8;

  const $ = (id) => document.getElementById(id);
  const { client, h, showError, clearError, parseTime, newID, loginForm, wsURL } = window.Pickwave;
  const { t } = window.I18n;
  const enc = encodeURIComponent;

  // ---- API ---------------------------------------------------------------

  const api = client(() => sessionEnded());

  // ---- DOM helpers -------------------------------------------------------

  function showBanner(message) {
    $('banner-text').textContent = message;
    $('banner').hidden = false;
  }

  // ---- Formatting --------------------------------------------------------

  const timeFmt = new Intl.DateTimeFormat(I18n.locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dayTimeFmt = new Intl.DateTimeFormat(I18n.locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  function fmtTime(iso) {
    const d = parseTime(iso);
    if (!d) return '';
    return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dayTimeFmt.format(d);
  }

  const gramsFmt = new Intl.NumberFormat(I18n.locale, { maximumFractionDigits: 1 });

  // visible shows control characters of a barcode as their Unicode
  // pictures: GS (the GS1 separator) as ␝.
  function visible(s) {
    return String(s).replace(/[\u0000-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)));
  }

  const CONTROL_NAMES = ['NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'BEL', 'BS', 'HT', 'LF', 'VT', 'FF', 'CR', 'SO', 'SI',
    'DLE', 'DC1', 'DC2', 'DC3', 'DC4', 'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'FS', 'GS', 'RS', 'US'];

  // scanNodes is a barcode as text, each control character as its Unicode
  // picture (GS as ␝) in a mark that the stylesheet labels with the
  // character's name, since few fonts draw the pictures.
  function scanNodes(data) {
    const out = [];
    for (const part of visible(data).split(/([\u2400-\u241f])/)) {
      if (!part) continue;
      if (/^[\u2400-\u241f]$/.test(part)) {
        const name = CONTROL_NAMES[part.charCodeAt(0) - 0x2400];
        out.push(h('span', { class: 'ctl', title: name === 'GS' ? t('st.gs_group_separator_fnc1') : name, dataset: { name } }, part));
      } else {
        out.push(part);
      }
    }
    return out;
  }

  const SYMBOLOGIES = {
    ']C0': t('st.code_128'), ']C1': t('st.gs1_128'), ']d1': t('st.data_matrix'), ']d2': t('st.gs1_datamatrix'), ']Q1': t('st.qr_code'), ']Q3': t('st.gs1_qr_code'),
    ']E0': t('st.ean_13_upc_a'), ']E4': t('st.ean_8'), ']e0': t('st.gs1_databar'), ']A0': t('st.code_39'), ']I0': t('st.itf'), ']I1': t('st.itf'),
  };

  function symbologyText(id) {
    if (!id) return '';
    const name = SYMBOLOGIES[id];
    return name ? t('st.name_id', { name, id }) : id;
  }

  // ---- State -------------------------------------------------------------

  const state = {
    user: null,
    id: '',          // the station shown
    gen: 0,          // bumps when the station view closes, to drop late answers
    ws: null,
    opened: false,
    backoff: BACKOFF_MIN_MS,
    timer: 0,
    lastSeq: 0,
    // The page's own server first, then the site's other servers
    // (--peers, from /me): when the socket cannot open on one (down, or a
    // standby refusing the upgrade), the next is tried. The page keeps
    // its origin; the socket carries the session cookie.
    servers: [location.origin],
    server: 0,       // index in servers of the one the socket is (or goes) to
    roundStart: 0,   // the server a round of failed opens started from
    queued: null,    // the printer's queued count last shown
    scans: [],       // newest first
    jobsTimer: 0,
    jobsBusy: false,
    jobsAgain: false,
    testKey: '',     // idempotency key of a test label not yet answered
    reprintKeys: {}, // job id → idempotency key of a reprint not yet answered
    pack: null,      // the station's pack session (state.pack)
    scale: null,     // the scale's state, for the weight against the band
    shipment: '',    // the shipment shown under "Last shipment"
    shipmentGen: 0,
    pkKeys: {},      // action → idempotency key not yet answered
  };

  function showView(name) {
    $('boot').hidden = true;
    for (const v of ['login', 'pick', 'station']) $('view-' + v).hidden = v !== name;
    $('topbar').hidden = name === 'login';
    const titles = { login: t('st.log_in'), pick: t('st.pack_stations'), station: t('st.pack_station') };
    document.title = t('st.v_pickwave', { v: titles[name] });
  }

  // ---- Session -----------------------------------------------------------

  function loggedIn(user) {
    // The user's locale, else the browser's: a page drawn in another is
    // drawn again (once: the locale is remembered for the next load).
    if (I18n.use(user.locale)) {
      location.reload();
      return;
    }
    state.user = { user: user.user, role: user.role };
    setPeers(Array.isArray(user.peers) ? user.peers : []);
    $('who-name').textContent = user.user;
    $('who-role').textContent = I18n.has('role.' + user.role) ? t('role.' + user.role) : user.role;
    $('nav-console').hidden = !MANAGERS.includes(user.role);
    clearError($('login-error'));
    if (!STATION_ROLES.includes(user.role)) {
      showView('login');
      showError($('login-error'), { message: t('st.a_role_cannot_use_pack', { role: user.role }) });
      return;
    }
    route();
  }

  function sessionEnded() {
    if (!state.user) return;
    state.user = null;
    closeStation();
    showView('login');
    showError($('login-error'), { message: t('st.your_session_has_ended_log') });
    $('login-username').focus();
  }

  async function onLogout() {
    try {
      await api('POST', '/logout');
    } catch (err) {
      if (err.status !== 401) showBanner(t('st.logging_out_failed') + err.message);
    }
    state.user = null;
    closeStation();
    showView('login');
    $('login-username').focus();
  }

  // ---- Routing: #STATION-ID shows that station, no hash the list ----------

  function hashStation() {
    const raw = location.hash.replace(/^#\/?/, '');
    try { return decodeURIComponent(raw); } catch (err) { return ''; }
  }

  function route() {
    if (!state.user) return;
    let id = hashStation();
    if (!id) {
      let saved = '';
      try { saved = localStorage.getItem(STATION_KEY) || ''; } catch (err) { saved = ''; }
      if (saved && !state.choosing) {
        history.replaceState(null, '', '#' + enc(saved));
        id = saved;
      }
    }
    if (id) {
      if (id !== state.id) openStation(id);
      else showView('station');
    } else {
      closeStation();
      loadStations();
    }
  }

  // ---- The list of stations ------------------------------------------------

  function deviceSummary(st) {
    const s = st.state || {};
    const parts = [];
    for (const [name, cfg, live] of [['scanner', st.scanner, s.scanner], ['scale', st.scale, s.scale], ['printer', st.printer, s.printer]]) {
      if (!cfg) continue;
      const on = live ? live.online : null;
      parts.push(h('span', { class: 'st-chip', dataset: { online: on === null ? 'unknown' : on ? 'online' : 'offline' } },
        h('span', { class: 'light light-sm' }), name));
    }
    return parts;
  }

  async function loadStations() {
    showView('pick');
    const box = $('pick-error');
    clearError(box);
    const list = $('pick-list');
    list.dataset.state = 'loading';
    try {
      const page = await api('GET', '/stations?limit=100');
      const items = page && Array.isArray(page.items) ? page.items : [];
      list.replaceChildren(...items.map((st) => h('li', null,
        h('a', { class: 'st-pick', href: '#' + enc(st.id), dataset: { id: st.id } },
          h('span', { class: 'st-pick-name' }, st.name || st.id),
          h('span', { class: 'st-pick-id mono' }, st.id),
          h('span', { class: 'st-pick-devs' }, deviceSummary(st))))));
      $('pick-empty').hidden = items.length > 0;
      list.dataset.state = 'ready';
    } catch (err) {
      list.dataset.state = 'error';
      if (err.status !== 401) showError(box, err);
    }
  }

  // ---- One station -------------------------------------------------------

  async function openStation(id) {
    closeStation();
    state.id = id;
    const gen = state.gen;
    showView('station');
    const view = $('view-station');
    view.dataset.station = id;
    view.dataset.state = 'loading';
    $('st-name').textContent = id;
    $('st-id').textContent = '';
    clearError($('st-error'));
    clearError($('st-print-error'));
    clearError($('st-jobs-error'));
    $('st-print-msg').textContent = '';
    $('st-jobs-body').replaceChildren();
    $('st-jobs-empty').hidden = true;
    $('st-scans').replaceChildren();
    // Nothing of the previous station may stay on screen: its last scan
    // (the scans list is emptied above, the big last scan here) and its
    // packing.
    $('st-scan-data').replaceChildren('—');
    $('st-scan-data').dataset.raw = '';
    $('st-scan-sym').textContent = '';
    $('st-scan-time').textContent = '';
    clearError($('pk-error'));
    $('pk-verdict').hidden = true;
    renderPack(null);
    renderShipment(null);
    renderState({ scanner: null, scale: null, printer: null });
    setLive('connecting');
    let st;
    try {
      st = await api('GET', '/stations/' + enc(id));
    } catch (err) {
      if (gen !== state.gen) return;
      if (err.status === 401) return;
      if (err.status === 404) {
        try { localStorage.removeItem(STATION_KEY); } catch (e) { /* ignore */ }
        state.id = '';
        state.choosing = true;
        history.replaceState(null, '', location.pathname);
        await loadStations();
        showError($('pick-error'), err);
        return;
      }
      showError($('st-error'), err);
      view.dataset.state = 'error';
      return;
    }
    if (gen !== state.gen) return;
    try { localStorage.setItem(STATION_KEY, id); } catch (err) { /* ignore */ }
    $('st-name').textContent = st.name || id;
    $('st-id').textContent = st.id;
    document.title = t('st.v_pickwave', { v: st.name || id });
    // Devices the station has, before the live state says how they are.
    renderState(st.state || {
      scanner: st.scanner ? { device: st.scanner.port, online: false, error: 'connecting' } : null,
      scale: st.scale ? { device: st.scale.port, online: false, error: 'connecting' } : null,
      printer: st.printer ? { device: st.printer.uri, online: false, error: 'connecting', state: 'unknown', problems: [], queued: 0 } : null,
    });
    $('st-test').disabled = !st.printer;
    view.dataset.state = 'ready';
    connect();
    loadJobs();
  }

  function closeStation() {
    state.gen++;
    state.id = '';
    state.queued = null;
    state.scans = [];
    state.testKey = '';
    state.reprintKeys = {};
    state.pack = null;
    state.scale = null;
    state.shipment = '';
    state.packSig = '';
    state.shipmentGen++;
    state.pkKeys = {};
    clearTimeout(state.timer);
    state.timer = 0;
    clearTimeout(state.jobsTimer);
    state.jobsTimer = 0;
    const ws = state.ws;
    state.ws = null;
    state.opened = false;
    if (ws) ws.close();
    $('view-station').dataset.station = '';
  }

  // ---- The station socket ------------------------------------------------

  function setLive(s) {
    const el = $('st-live');
    el.dataset.state = s;
    el.className = 'live' + (s === 'live' ? '' : ' down');
    el.textContent = { live: t('st.live'), connecting: t('st.connecting'), reconnecting: t('st.reconnecting') }[s] || s;
  }

  function setPeers(peers) {
    const list = [location.origin];
    for (const p of peers) {
      try {
        const u = new URL(p);
        if ((u.protocol === 'http:' || u.protocol === 'https:') && !list.includes(u.origin)) list.push(u.origin);
      } catch (err) { /* not a URL: skip it */ }
    }
    const current = state.servers[state.server] || location.origin;
    state.servers = list.slice(0, 17);
    state.server = Math.max(state.servers.indexOf(current), 0);
  }

  // socketURL is the station socket's address of path on the server at
  // index i.
  function socketURL(i, path) {
    const origin = state.servers[i] || location.origin;
    if (origin === location.origin) return wsURL(path);
    return origin.replace(/^http/, 'ws') + path;
  }

  function connect() {
    clearTimeout(state.timer);
    state.timer = 0;
    if (state.ws || !state.id) return;
    const id = state.id;
    const url = socketURL(state.server, '/ws/station/' + enc(id));
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    state.opened = false;
    state.lastSeq = 0; // numbers restart with the server
    ws.addEventListener('open', () => {
      if (state.ws !== ws) return;
      state.opened = true;
      state.roundStart = state.server;
      state.backoff = BACKOFF_MIN_MS;
      setLive('live');
    });
    ws.addEventListener('message', (ev) => {
      if (state.ws !== ws) return;
      let m;
      try { m = JSON.parse(ev.data); } catch (err) { return; }
      if (!m || typeof m !== 'object') return;
      const seq = Number(m.seq) || 0;
      if (seq && seq <= state.lastSeq) return;
      if (seq) state.lastSeq = seq;
      if (m.type === 'state' && m.state) renderState(m.state);
      else if (m.type === 'scan' && m.scan) addScan(m.scan);
      else if (m.type === 'pack_verdict' && m.verdict) showVerdict(m.verdict);
      else if (m.type === 'pack_error' && m.error) showError($('pk-error'), m.error);
    });
    ws.addEventListener('close', (ev) => {
      if (state.ws !== ws) return;
      const opened = state.opened;
      state.ws = null;
      state.opened = false;
      if (ev.code === CLOSE_SIGNED_OUT) {
        // The token is gone: no reconnecting with it, the login at once.
        sessionEnded();
        return;
      }
      if (!opened && state.server === 0) whyRefused(id);
      if (!opened && state.servers.length > 1) {
        // Try the next server at once, until a whole round has failed.
        state.server = (state.server + 1) % state.servers.length;
        if (state.server !== state.roundStart) {
          connect();
          return;
        }
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (state.timer || state.ws || !state.id) return;
    setLive('reconnecting');
    const delay = state.backoff;
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    state.timer = setTimeout(connect, delay);
  }

  // whyRefused asks the API why the socket could not open (the browser does
  // not tell): an ended session shows the login, a removed station the list.
  async function whyRefused(id) {
    const gen = state.gen;
    try {
      await api('GET', '/stations/' + enc(id));
    } catch (err) {
      if (gen !== state.gen || err.status === 401 || err.status === 0) return;
      showError($('st-error'), err);
    }
  }

  // ---- Rendering the live state --------------------------------------------

  function renderDevice(name, d) {
    const card = $('st-' + name);
    card.dataset.online = d ? (d.online ? 'online' : 'offline') : 'none';
    const status = !d ? t('st.not_set_up') : d.online ? t('st.online') : t('st.offline');
    $(`st-${name}-status`).textContent = status;
    $(`st-${name}-light`).title = status;
    const since = d && d.online ? fmtTime(d.since) : '';
    $(`st-${name}-device`).textContent = d ? (d.device || '') + (since ? t('st.since_since', { since }) : '') : '';
    const errBox = $(`st-${name}-error`);
    const err = d && !d.online ? (d.error || t('st.not_connected')) : '';
    errBox.textContent = err;
    errBox.hidden = !err;
  }

  function renderState(s) {
    renderDevice('scanner', s.scanner);
    renderDevice('scale', s.scale);
    renderDevice('printer', s.printer);
    if (s.scanner && s.scanner.last_scan) noteScan(s.scanner.last_scan);
    renderScale(s.scale);
    renderPrinter(s.printer);
    state.scale = s.scale || null;
    if ('pack' in s) renderPack(s.pack || null);
    else renderWeight();
  }

  function renderScale(sc) {
    const card = $('st-scale');
    const w = $('st-weight');
    if (!sc) {
      card.dataset.weight = '';
      card.dataset.stable = '';
      w.textContent = '—';
      $('st-weight-kg').textContent = '';
      $('st-stable').textContent = '';
      $('st-stable').className = 'st-stable';
      $('st-flags').replaceChildren();
      $('st-scale-msg').hidden = true;
      return;
    }
    const flags = Array.isArray(sc.flags) ? sc.flags : [];
    const g = Number(sc.weight_g) || 0;
    const hasReading = sc.online && (flags.length > 0 || g !== 0);
    card.dataset.weight = hasReading ? String(g) : '';
    card.dataset.stable = sc.stable ? 'true' : 'false';
    w.textContent = hasReading ? t('st.v_g', { v: gramsFmt.format(g) }) : '—';
    $('st-weight-kg').textContent = hasReading ? t('st.v_kg', { v: (g / 1000).toFixed(3) }) : '';
    const stable = $('st-stable');
    if (!hasReading) {
      stable.textContent = '';
      stable.className = 'st-stable';
    } else if (sc.stable) {
      stable.textContent = t('st.stable');
      stable.className = 'st-stable st-stable-yes';
    } else if (flags.includes('motion')) {
      stable.textContent = t('st.in_motion');
      stable.className = 'st-stable st-stable-no';
    } else {
      stable.textContent = t('st.not_stable');
      stable.className = 'st-stable st-stable-no';
    }
    // Stable and motion are the indicator above; other flags (net, under
    // zero, over capacity…) show as chips.
    const other = flags.filter((f) => f !== 'stable' && f !== 'motion');
    $('st-flags').replaceChildren(...other.map((f) => h('span', { class: 'st-flag' + (f === 'net' || f === 'gross' ? '' : ' st-flag-warn') }, String(f).replace(/_/g, ' '))));
    const msg = $('st-scale-msg');
    msg.textContent = sc.message || '';
    msg.hidden = !sc.message;
  }

  function renderPrinter(p) {
    const stateEl = $('st-printer-state');
    if (!p) {
      stateEl.textContent = '—';
      stateEl.className = 'st-printer-state';
      $('st-queued').textContent = '—';
      $('st-problems').replaceChildren();
      $('st-printer').dataset.ready = '';
      return;
    }
    stateEl.textContent = p.state || 'unknown';
    stateEl.className = 'st-printer-state' + (p.ready ? ' ok' : p.online ? ' bad' : ' off');
    $('st-printer').dataset.ready = p.ready ? 'true' : 'false';
    const queued = Number(p.queued) || 0;
    $('st-queued').textContent = String(queued);
    $('st-printer').dataset.queued = String(queued);
    const problems = Array.isArray(p.problems) ? p.problems : [];
    $('st-problems').replaceChildren(...problems.map((x) => h('li', null, String(x))));
    if (state.queued !== null && state.queued !== queued) loadJobs();
    state.queued = queued;
  }

  // ---- Scans ---------------------------------------------------------------

  // addScan notes a scan message; noteScan also takes the state's
  // last_scan, which carries a scan missed while the socket was down.
  function addScan(scan) {
    noteScan(scan);
  }

  function noteScan(scan) {
    const top = state.scans[0];
    if (top && top.time === scan.time && top.data === scan.data) {
      if (!top.symbology && scan.symbology) top.symbology = scan.symbology;
    } else {
      state.scans.unshift({ data: String(scan.data || ''), symbology: scan.symbology || '', time: scan.time || '' });
      state.scans.length = Math.min(state.scans.length, MAX_SCANS + 1);
    }
    renderScans();
  }

  function renderScans() {
    const [last, ...rest] = state.scans;
    if (!last) {
      $('st-scan-data').replaceChildren('—');
      $('st-scan-sym').textContent = '';
      $('st-scan-time').textContent = '';
      $('st-scans').replaceChildren();
      return;
    }
    const data = $('st-scan-data');
    data.replaceChildren(...scanNodes(last.data));
    data.dataset.raw = last.data;
    $('st-scan-sym').textContent = symbologyText(last.symbology);
    $('st-scan-time').textContent = fmtTime(last.time);
    $('st-scans').replaceChildren(...rest.map((s) => h('li', null,
      h('span', { class: 'mono' }, scanNodes(s.data)),
      h('span', { class: 'muted' }, ' ' + [symbologyText(s.symbology), fmtTime(s.time)].filter(Boolean).join(' · ')))));
  }

  // ---- Packing -------------------------------------------------------------

  const STEP_TEXT = { idle: t('st.waiting_for_an_order'), scan: t('st.scanning_items'), weigh: t('st.weigh_the_package'), blocked: t('st.weight_outside_the_tolerance') };

  function renderPack(p) {
    const before = state.pack;
    // Answers and the socket's state messages may arrive out of order: a
    // session older than the one shown must not draw the card back.
    if (before && p && before.station_id === p.station_id && Date.parse(p.updated_at) < Date.parse(before.updated_at)) return;
    state.pack = p;
    const card = $('pk');
    const step = p ? p.step : 'idle';
    // A package that was being weighed and no longer is was labelled: the
    // weight's complaint, if any, is over.
    const labelled = before && p && before.station_id === p.station_id && ['weigh', 'blocked'].includes(before.step) &&
      ((step === 'scan' && p.package > before.package) || (step === 'idle' && p.last_shipment_id && p.last_shipment_id !== before.last_shipment_id));
    if (labelled) {
      clearError($('pk-error'));
      showVerdict({ code: 'ok', message: t('st.package_package_of_order_id', { package: before.package, order_id: before.order_id }) });
    }
    card.dataset.step = step;
    const packer = p && p.packer ? p.packer : '';
    card.dataset.packer = packer;
    $('pk-packer').textContent = packer ? t('st.signed_in_packer', { packer }) : t('st.nobody_signed_in');
    const me = state.user && packer === state.user.user;
    $('pk-signin').hidden = me;
    $('pk-signout').hidden = !packer;
    $('pk-scan').disabled = !me;
    $('pk-scan-submit').disabled = !me;
    const order = p && p.order_id ? p.order_id : '';
    card.dataset.order = order;
    $('pk-order').textContent = order || '—';
    $('pk-tote').textContent = p && p.tote ? t('st.tote_tote', { tote: p.tote }) : '';
    $('pk-package').textContent = order && p.package ? t('st.package_package', { package: p.package }) : '';
    const stepEl = $('pk-step');
    stepEl.textContent = STEP_TEXT[step] || step;
    stepEl.className = 'status pk-step-' + step;
    const lines = p && Array.isArray(p.lines) ? p.lines : [];
    $('pk-lines').replaceChildren(...lines.map((l) => {
      const left = l.qty - l.packed - l.scanned;
      return h('tr', { dataset: { sku: l.sku, done: String(left <= 0), scanned: String(l.scanned) } },
        h('td', { class: 'pk-tick' }, left <= 0 ? '✓' : ''),
        h('td', { class: 'mono' }, l.sku),
        h('td', null, l.name || ''),
        h('td', { class: 'num' }, String(l.scanned)),
        h('td', { class: 'num' }, String(l.packed)),
        h('td', { class: 'num' }, t('st.v_of_qty', { v: l.packed + l.scanned, qty: l.qty }) + (l.ordered > l.qty ? t('st.ordered_ordered', { ordered: l.ordered }) : '')));
    }));
    $('pk-lines-empty').hidden = lines.length > 0;
    $('pk-close').disabled = !(step === 'scan' && lines.some((l) => l.scanned > 0));
    $('pk-aside').disabled = !order;
    const slip = $('pk-slip');
    slip.hidden = !order;
    if (order) slip.href = `${API}/orders/${enc(order)}/packing-slip`;
    const c = p && p.carton;
    $('pk-carton').textContent = c ? `${c.code} · ${c.name || ''} (${I18n.num(c.length_mm)} × ${I18n.num(c.width_mm)} × ${I18n.num(c.height_mm)} mm)` : order ? t('st.none_of_the_catalog_fits') : '—';
    const canOverride = state.user && MANAGERS.includes(state.user.role);
    $('pk-override').hidden = !(canOverride && (step === 'weigh' || step === 'blocked'));
    renderWeight();
    // The shipment shown changes with a package labelled: a new package
    // number, or the bench idle again.
    const shown = p ? (p.shipment_id || p.last_shipment_id || '') : '';
    const sig = p ? `${shown}|${p.step}|${p.package}` : '';
    if (shown !== state.shipment || sig !== state.packSig) {
      state.packSig = sig;
      loadShipment(shown);
    }
  }

  // renderWeight shows the live weight against the open package's band.
  function renderWeight() {
    const p = state.pack;
    const sc = state.scale;
    const box = $('pk-weight');
    const weighing = p && (p.step === 'weigh' || p.step === 'blocked' || p.step === 'scan') && p.expected_g > 0;
    const g = sc && sc.online ? Number(sc.weight_g) || 0 : null;
    $('pk-weight-now').textContent = g === null ? (sc ? t('st.scale_offline') : t('st.no_scale')) : t('st.v_g', { v: gramsFmt.format(g) });
    $('pk-weight-expected').textContent = weighing ? t('st.expected_expected_g_g_v', { expected_g: String(p.expected_g), v: gramsFmt.format(p.min_g), v2: gramsFmt.format(p.max_g) }) : '';
    const band = $('pk-band');
    band.hidden = !weighing;
    if (weighing) {
      band.min = 0;
      band.max = Math.max(p.max_g * 1.3, (g || 0) * 1.05, 1);
      band.low = p.min_g;
      band.high = p.max_g;
      band.optimum = p.expected_g;
      band.value = Math.max(0, g || 0);
    }
    const inBand = weighing && g !== null && g >= p.min_g && g <= p.max_g;
    box.dataset.band = !weighing || g === null ? 'none' : inBand ? 'in' : 'out';
    box.dataset.stable = sc && sc.stable ? 'true' : 'false';
    let text = '';
    if (p && p.step === 'weigh') text = sc ? (sc.stable ? t('st.reading_the_weight') : t('st.waiting_for_a_stable_weight')) : t('st.no_scale_the_label_prints');
    if (p && p.step === 'blocked' && p.check) text = t('st.weighed_v_g_outside_v2', { v: gramsFmt.format(p.check.measured_g), v2: gramsFmt.format(p.check.min_g), v3: gramsFmt.format(p.check.max_g) });
    $('pk-check').textContent = text;
    $('pk-band-text').textContent = '';
  }

  function showVerdict(v) {
    const box = $('pk-verdict');
    box.dataset.code = String(v.code || '');
    box.textContent = v.message || v.code || '';
    box.hidden = false;
    const refused = ['wrong', 'extra', 'refused', 'unknown'].includes(v.code);
    if (refused) showError($('pk-error'), { message: v.message || t('st.refused') });
    else clearError($('pk-error'));
  }

  // pkCall runs a pack action, with one idempotency key per action until
  // the server answers, and shows any refusal in the error panel.
  async function pkCall(action, method, path, body) {
    const id = state.id;
    if (!id) return null;
    clearError($('pk-error'));
    try {
      const key = state.pkKeys[action] || (state.pkKeys[action] = newID());
      const res = await api(method, path, body, method === 'POST' ? { 'Idempotency-Key': key } : undefined);
      delete state.pkKeys[action];
      return res;
    } catch (err) {
      if (err.status !== 0) delete state.pkKeys[action];
      if (err.status !== 401 && id === state.id) showError($('pk-error'), err);
      return null;
    }
  }

  async function onPackScan(e) {
    e.preventDefault();
    const input = $('pk-scan');
    const data = input.value.trim();
    if (!data || !state.id) return;
    const res = await pkCall('scan:' + data, 'POST', `/stations/${enc(state.id)}/pack/scan`, { data });
    if (res) {
      input.value = '';
      showVerdict(res.verdict);
      renderPack(res.session);
    }
    input.focus();
  }

  async function packStep(action, btn, path, body) {
    if (btn) btn.disabled = true;
    const res = await pkCall(action, 'POST', `/stations/${enc(state.id)}/pack/${path}`, body);
    if (btn) btn.disabled = false;
    if (res) renderPack(res);
    return res;
  }

  async function onOverride() {
    const reason = $('pk-override-reason').value.trim();
    if (!reason) {
      showError($('pk-error'), { message: t('st.an_override_needs_a_reason') });
      return;
    }
    if (await packStep('override', $('pk-override-submit'), 'override', { reason })) $('pk-override-reason').value = '';
  }

  // ---- The last shipment: label preview, reprint and void ---------------------

  async function loadShipment(id) {
    state.shipment = id;
    const gen = ++state.shipmentGen;
    if (!id) {
      renderShipment(null);
      return;
    }
    try {
      const sh = await api('GET', `/shipments/${enc(id)}`);
      if (gen === state.shipmentGen) renderShipment(sh);
    } catch (err) {
      if (gen === state.shipmentGen && err.status !== 401) showError($('pk-error'), err);
    }
  }

  function renderShipment(sh) {
    $('pk-last').hidden = !sh;
    const img = $('pk-label');
    if (!sh) {
      img.removeAttribute('src');
      $('pk-packages').replaceChildren();
      return;
    }
    $('pk-last-id').textContent = sh.id;
    $('pk-last').dataset.status = sh.status;
    $('pk-last-status').textContent = sh.status + (sh.no_scale ? t('st.no_scale2') : '');
    const packages = Array.isArray(sh.packages) ? sh.packages : [];
    const last = packages[packages.length - 1];
    if (last) img.src = `${API}/shipments/${enc(sh.id)}/packages/${last.number}/label`;
    else img.removeAttribute('src');
    $('pk-packages').replaceChildren(...packages.map((p) => h('li', { dataset: { number: String(p.number), status: p.status } },
      h('span', null, `#${p.number}`),
      h('span', { class: 'mono' }, p.tracking_number),
      h('span', { class: 'status' }, p.status),
      h('span', { class: 'muted' }, t('st.weight_g_g', { weight_g: p.weight_g }) + (p.override ? t('st.overridden_by_by', { by: p.override.by }) : '') + (p.void_reason ? t('st.void_reason', { void_reason: p.void_reason }) : '')),
      p.status === 'voided' ? null : h('button', { type: 'button', class: 'btn btn-small', dataset: { pkg: 'reprint', n: String(p.number) } }, t('st.reprint')),
      p.status === 'labelled' ? h('button', { type: 'button', class: 'btn btn-small', dataset: { pkg: 'void', n: String(p.number) } }, t('st.void')) : null)));
  }

  async function onPackageClick(e) {
    const btn = e.target.closest('button[data-pkg]');
    if (!btn || !state.shipment) return;
    const reason = $('pk-reason').value.trim();
    if (!reason) {
      showError($('pk-error'), { message: t('st.a_pkg_needs_a_reason', { pkg: btn.dataset.pkg }) });
      return;
    }
    const id = state.shipment;
    const n = btn.dataset.n;
    btn.disabled = true;
    const res = await pkCall(`${btn.dataset.pkg}:${id}:${n}`, 'POST', `/shipments/${enc(id)}/packages/${enc(n)}/${btn.dataset.pkg}`,
      { reason });
    btn.disabled = false;
    if (!res) return;
    $('pk-reason').value = '';
    const sh = res.shipment || res;
    if (id === state.shipment) renderShipment(sh);
    if (res.print_job) $('st-print-msg').textContent = t('st.label_of_package_n_queued', { n, id: res.print_job.id });
    loadJobs();
  }

  // ---- Print jobs ----------------------------------------------------------

  const DONE = ['printed', 'failed', 'cancelled'];

  async function loadJobs() {
    if (!state.id) return;
    if (state.jobsBusy) {
      state.jobsAgain = true;
      return;
    }
    clearTimeout(state.jobsTimer);
    state.jobsTimer = 0;
    state.jobsBusy = true;
    const gen = state.gen;
    const id = state.id;
    const table = $('st-jobs');
    try {
      const page = await api('GET', `/stations/${enc(id)}/print-jobs?limit=${JOBS_LIMIT}`);
      if (gen !== state.gen) return;
      const jobs = page && Array.isArray(page.items) ? page.items : [];
      clearError($('st-jobs-error'));
      $('st-jobs-body').replaceChildren(...jobs.map(jobRow));
      $('st-jobs-empty').hidden = jobs.length > 0;
      table.dataset.state = 'ready';
      // Jobs on their way: look again shortly.
      if (jobs.some((j) => !DONE.includes(j.status))) state.jobsTimer = setTimeout(loadJobs, JOBS_POLL_MS);
    } catch (err) {
      if (gen !== state.gen) return;
      table.dataset.state = 'error';
      if (err.status !== 401) showError($('st-jobs-error'), err);
    } finally {
      if (gen === state.gen) {
        state.jobsBusy = false;
        if (state.jobsAgain) {
          state.jobsAgain = false;
          loadJobs();
        }
      }
    }
  }

  function jobRow(j) {
    const status = String(j.status || 'unknown');
    // A printed job's old error (the printer was unreachable, then came
    // back) is no note any more.
    const err = status === 'printed' ? '' : j.last_error;
    const note = err ? err : j.reprint_of ? t('st.reprint_of_reprint_of', { reprint_of: j.reprint_of }) : '';
    let action = null;
    if (DONE.includes(status)) {
      action = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'reprint', id: j.id } }, t('st.reprint'));
    } else if (status === 'queued') {
      action = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'cancel', id: j.id } }, t('st.cancel'));
    }
    return h('tr', { dataset: { id: j.id, status } },
      h('td', { class: 'mono nowrap' }, j.id),
      h('td', null, j.kind || ''),
      h('td', null, h('span', { class: 'status' + (/^[a-z]+$/.test(status) ? ' job-' + status : '') }, status)),
      h('td', { class: 'num hide-sm' }, String(j.attempts || 0)),
      h('td', { class: 'nowrap' }, fmtTime(j.printed_at || j.created_at)),
      h('td', { class: 'hide-md st-note' }, note),
      h('td', { class: 'num' }, action));
  }

  async function onJobsClick(e) {
    const btn = e.target.closest('button[data-action]');
    if (!btn) return;
    const id = btn.dataset.id;
    const box = $('st-print-error');
    clearError(box);
    btn.disabled = true;
    try {
      if (btn.dataset.action === 'reprint') {
        // One key per job until the server answers: pressing again after a
        // lost answer cannot print the label twice.
        const key = state.reprintKeys[id] || (state.reprintKeys[id] = newID());
        const job = await api('POST', `/print-jobs/${enc(id)}/reprint`, undefined, { 'Idempotency-Key': key });
        delete state.reprintKeys[id];
        $('st-print-msg').textContent = t('st.reprint_of_id_queued_as', { id, id2: job.id });
      } else {
        await api('POST', `/print-jobs/${enc(id)}/cancel`);
        $('st-print-msg').textContent = t('st.job_id_cancelled', { id });
      }
    } catch (err) {
      if (err.status !== 0) delete state.reprintKeys[id];
      if (err.status !== 401) showError(box, err);
    } finally {
      btn.disabled = false;
      loadJobs();
    }
  }

  async function onTestLabel() {
    const id = state.id;
    if (!id) return;
    const btn = $('st-test');
    const box = $('st-print-error');
    clearError(box);
    btn.disabled = true;
    $('st-print-msg').textContent = t('st.queuing_a_test_label');
    // The key is kept until the server answers, so a retry after a lost
    // answer is the same request, never a second label.
    if (!state.testKey) state.testKey = newID();
    try {
      const job = await api('POST', `/stations/${enc(id)}/test-label`, undefined, { 'Idempotency-Key': state.testKey });
      state.testKey = '';
      if (id === state.id) $('st-print-msg').textContent = t('st.test_label_queued_as_id', { id: job.id });
    } catch (err) {
      if (err.status !== 0) state.testKey = '';
      $('st-print-msg').textContent = '';
      if (err.status !== 401) showError(box, err);
    } finally {
      btn.disabled = false;
      loadJobs();
    }
  }

  // ---- Start -------------------------------------------------------------

  async function boot() {
    // The login's answer has no locale: the session's /me has it.
    loginForm(api, async () => {
      try {
        loggedIn(await api('GET', '/me'));
      } catch (err) {
        showError($('login-error'), err);
      }
    });
    $('logout').addEventListener('click', onLogout);
    $('banner-close').addEventListener('click', () => { $('banner').hidden = true; });
    $('pick-refresh').addEventListener('click', loadStations);
    $('st-change').addEventListener('click', () => {
      state.choosing = true;
      try { localStorage.removeItem(STATION_KEY); } catch (err) { /* ignore */ }
      location.hash = '';
    });
    $('st-test').addEventListener('click', onTestLabel);
    $('pk-scan-form').addEventListener('submit', onPackScan);
    $('pk-signin').addEventListener('click', () => packStep('sign-in', $('pk-signin'), 'sign-in'));
    $('pk-signout').addEventListener('click', () => packStep('sign-out', $('pk-signout'), 'sign-out'));
    $('pk-close').addEventListener('click', () => packStep('close', $('pk-close'), 'close-package'));
    $('pk-aside').addEventListener('click', () => packStep('aside', $('pk-aside'), 'set-aside'));
    $('pk-override-submit').addEventListener('click', onOverride);
    $('pk-packages').addEventListener('click', onPackageClick);
    $('st-jobs-refresh').addEventListener('click', loadJobs);
    $('st-jobs-body').addEventListener('click', onJobsClick);
    window.addEventListener('hashchange', route);
    window.addEventListener('online', () => {
      if (state.id && !state.ws) {
        state.backoff = BACKOFF_MIN_MS;
        connect();
      }
    });

    try {
      loggedIn(await api('GET', '/me'));
    } catch (err) {
      if (err.status !== 401) showBanner(err.message);
      showView('login');
      $('login-username').focus();
    }
  }

  boot();
})();
