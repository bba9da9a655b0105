// The live floor screen: waves with progress and ETA, pickers with their
// cart and pace, pack stations' devices, exceptions as they happen, over
// /ws/floor (docs/floor.md). An ES module; the console (app.js) tells it
// when its tab is shown with a pickwave:view event. Messages are numbered:
// the screen acknowledges what it drew and, after a drop, resumes its
// session from the last number, so nothing is lost or shown twice.

const { h } = window.Pickwave;
const { t } = window.I18n;
const $ = (id) => document.getElementById(id);

const timeFmt = new Intl.DateTimeFormat(I18n.locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const etaFmt = new Intl.DateTimeFormat(I18n.locale, { hour: '2-digit', minute: '2-digit' });
const num = new Intl.NumberFormat(I18n.locale, { maximumFractionDigits: 1 });
const MAX_EXCEPTIONS = 100;
const RETRY_MS = [500, 1000, 2000, 5000, 10000];

const state = {
  active: false,
  ws: null,
  session: '',
  lastSeq: 0,
  retries: 0,
  timer: 0,
  waves: new Map(),
  pickers: new Map(),
  stations: new Map(),
  exceptions: [],
};

function setLive(text, kind) {
  const el = $('floor-live');
  el.textContent = text;
  el.className = 'live' + (kind ? ' ' + kind : '');
  $('view-floor').dataset.connection = kind || 'live';
}

function connect() {
  clearTimeout(state.timer);
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/floor';
  const ws = new WebSocket(url);
  state.ws = ws;
  setLive('connecting', 'paused');
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'hello', session: state.session || undefined, last_seq: state.lastSeq || undefined }));
  };
  ws.onmessage = (e) => {
    if (ws !== state.ws) return;
    let m;
    try { m = JSON.parse(e.data); } catch (err) { return; }
    handle(m);
  };
  ws.onclose = () => {
    if (ws !== state.ws) return;
    state.ws = null;
    if (!state.active) return;
    const wait = RETRY_MS[Math.min(state.retries++, RETRY_MS.length - 1)];
    setLive('reconnecting', 'down');
    state.timer = setTimeout(connect, wait);
  };
}

let ackTimer = 0;
function scheduleAck() {
  if (ackTimer) return;
  ackTimer = setTimeout(() => {
    ackTimer = 0;
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ type: 'ack', seq: state.lastSeq }));
  }, 250);
}

function handle(m) {
  if (m.type === 'welcome') {
    if (m.session !== state.session) state.lastSeq = 0; // a new session starts with a snapshot
    state.session = m.session;
    state.retries = 0;
    setLive('live', '');
    return;
  }
  if (m.type === 'error') return;
  if (m.seq) {
    if (m.seq <= state.lastSeq) return; // already drawn
    state.lastSeq = m.seq;
    $('view-floor').dataset.seq = String(m.seq);
    scheduleAck();
  }
  switch (m.type) {
    case 'snapshot': {
      const f = m.floor;
      state.waves = new Map(f.waves.map((w) => [w.id, w]));
      state.pickers = new Map(f.pickers.map((p) => [p.name, p]));
      state.stations = new Map(f.stations.map((s) => [s.id, s]));
      state.exceptions = f.exceptions.slice().reverse();
      renderAll();
      break;
    }
    case 'wave': state.waves.set(m.wave.id, m.wave); renderWaves(); break;
    case 'picker': state.pickers.set(m.picker.name, m.picker); renderPickers(); break;
    case 'station': state.stations.set(m.station.id, m.station); renderStations(); break;
    case 'exception':
      state.exceptions.unshift(m.exception);
      state.exceptions.length = Math.min(state.exceptions.length, MAX_EXCEPTIONS);
      renderExceptions(m.exception);
      break;
  }
}

function renderAll() {
  renderWaves();
  renderPickers();
  renderStations();
  renderExceptions(null);
}

function renderWaves() {
  const list = [...state.waves.values()].sort((a, b) => a.id.localeCompare(b.id));
  $('floor-waves').replaceChildren(...list.map((w) => {
    const p = w.progress;
    const done = p.tasks ? p.tasks_done / p.tasks : 0;
    let eta = '';
    if (w.status === 'released') eta = w.eta ? t('fl.eta_v', { v: etaFmt.format(new Date(w.eta)) }) : t('fl.eta_nobody_picking');
    return h('li', { class: 'wave-card', 'data-wave': w.id, 'data-done': String(p.tasks_done), 'data-tasks': String(p.tasks) },
      h('div', { class: 'wave-head' }, h('strong', { class: 'mono' }, w.id), h('span', { class: 'status status-' + w.status }, I18n.has('status.' + w.status) ? t('status.' + w.status) : w.status)),
      h('label', { class: 'sr-only', for: 'prog-' + w.id }, t('fl.progress_of_wave_id', { id: w.id })),
      h('progress', { id: 'prog-' + w.id, max: String(p.tasks || 1), value: String(p.tasks_done) }, t('fl.v', { v: Math.round(done * 100) })),
      h('div', { class: 'wave-facts' },
        h('span', null, t('fl.tasks_done_of_tasks_picks', { tasks_done: p.tasks_done, tasks: p.tasks })),
        h('span', null, t('fl.units_picked_of_units_units', { units_picked: p.units_picked, units: p.units }) + (p.units_short ? t('fl.units_short_short', { units_short: p.units_short }) : '')),
        h('span', null, t('fl.carts_carts_done_carts', { carts_done: p.carts_done, carts: p.carts }))),
      h('div', { class: 'wave-facts' },
        h('span', { class: 'wave-eta' }, eta),
        h('span', null, w.picks_per_hour ? t('fl.v_picks_h', { v: num.format(w.picks_per_hour) }) : ''),
        h('span', { class: 'muted' }, w.pickers.length ? w.pickers.join(', ') : '')));
  }));
  $('floor-waves-empty').hidden = list.length > 0;
}

function renderPickers() {
  const list = [...state.pickers.values()].sort((a, b) => a.name.localeCompare(b.name));
  $('floor-pickers').replaceChildren(...list.map((p) => h('tr', { 'data-picker': p.name },
    h('td', null, h('span', { class: 'dot ' + (p.online ? 'dot-on' : 'dot-off'), title: p.online ? t('fl.handheld_online') : t('fl.handheld_offline') }),
      h('span', { class: 'sr-only' }, p.online ? t('fl.online') : t('fl.offline')), p.name),
    h('td', { class: 'mono' }, p.cart || '—'),
    h('td', { class: 'num hide-sm' }, String(p.picks)),
    h('td', { class: 'num' }, p.picks_per_hour ? num.format(p.picks_per_hour) : '—'),
    h('td', { class: 'num hide-sm' }, String(p.wrong_scans)),
    h('td', { class: 'hide-sm' }, p.last_scan ? timeFmt.format(new Date(p.last_scan)) : '—'))));
  $('floor-pickers-empty').hidden = list.length > 0;
}

function renderStations() {
  const list = [...state.stations.values()].sort((a, b) => a.id.localeCompare(b.id));
  $('floor-stations').replaceChildren(...list.map((s) => h('li', { class: 'station-card' + (s.healthy ? '' : ' unhealthy'), 'data-station': s.id },
    h('strong', null, s.id), s.packer ? h('span', { class: 'muted' }, ' · ' + s.packer) : null,
    h('ul', { class: 'devices' }, s.devices.map((d) => h('li', { class: d.online ? 'dev-on' : 'dev-off' },
      `${d.kind}: ${d.online ? t('fl.ok') : (d.error || d.state || t('fl.offline'))}`))),
    s.queued ? h('div', { class: 'muted' }, t('fl.queued_label_s_queued', { queued: s.queued })) : null)));
  $('floor-stations-empty').hidden = list.length > 0;
}

const KIND_TEXT = {
  wrong_scan: t('fl.wrong_scan'), short: t('fl.short'), mispick_at_pack: t('fl.mispick_at_pack'), weight_blocked: t('fl.weight_blocked'),
  printer_error: t('fl.printer'), device_offline: t('fl.device_offline'), device_online: t('fl.device_back'),
  handheld_offline: t('fl.handheld_offline'), handheld_online: t('fl.handheld_back'),
};

function exceptionRow(e) {
  return h('li', { class: 'exception ex-' + e.kind, 'data-kind': e.kind },
    h('span', { class: 'ex-time' }, timeFmt.format(new Date(e.time))),
    h('span', { class: 'ex-kind' }, KIND_TEXT[e.kind] || e.kind),
    h('span', { class: 'ex-msg' }, e.message));
}

function renderExceptions(added) {
  const box = $('floor-exceptions');
  if (added) {
    box.prepend(exceptionRow(added));
    while (box.children.length > MAX_EXCEPTIONS) box.lastElementChild.remove();
  } else {
    box.replaceChildren(...state.exceptions.map(exceptionRow));
  }
  $('floor-exceptions-empty').hidden = state.exceptions.length > 0;
}

function stop() {
  state.active = false;
  clearTimeout(state.timer);
  if (state.ws) {
    const ws = state.ws;
    state.ws = null;
    ws.close(1000, 'left the floor screen');
  }
}

document.addEventListener('pickwave:view', (e) => {
  const on = e.detail.view === 'floor';
  if (on && !state.active) {
    state.active = true;
    state.retries = 0;
    connect();
  } else if (!on && state.active) {
    stop();
  }
  if (e.detail.view === 'login') {
    state.session = '';
    state.lastSeq = 0;
  }
});
