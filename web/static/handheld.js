// Pickwave handheld picking page: for a picker on an Android handheld with
// a keyboard-wedge scanner (or a phone's camera). It speaks the handheld
// websocket (/ws/handheld, docs/protocol.md): log in by badge or
// password, take a cart, scan what each prompt asks for (once per pack,
// or once with a keyed quantity), report shorts, and at the end of the
// cart take it where the server says. Plain JavaScript modules, no build
// step; text from the server is only ever set with textContent.
//
// Field-ready:
//   - Every scan and short gets a client id and is written to IndexedDB
//     (handheld-store.js) before it is sent; it stays there until its
//     answer arrives. After a reconnect, a reload, a closed tab or a
//     browser restart the page says hello with its session and the last
//     sequence number processed, and sends what is still kept, in the
//     order it was made, with the same ids: the server answers an id it
//     has seen from record, so nothing is applied twice.
//   - The current prompt is kept there too, and a service worker
//     (handheld-sw.js) keeps the page itself, so a reload in a Wi-Fi dead
//     spot opens on the current task.
//   - Scanner bursts are told apart from typing (handheld-wedge.js);
//     the camera scans where the browser has a BarcodeDetector
//     (handheld-camera.js).
//   - Besides picking, a menu offers the floor work the user's role may
//     do (receive, put away, count, replenish, move); handheld-work.js
//     draws it, and its scans go through the same outbox.
import { Store } from './handheld-store.js';
import { Work } from './handheld-work.js';
import { Wedge } from './handheld-wedge.js';
import { Camera, formats as cameraFormats } from './handheld-camera.js';

const LEGACY_KEY = 'pickwave.handheld'; // the sessionStorage state of earlier versions
const DEVICE_KEY = 'pickwave.device';
const COOKIE = 'pickwave_session';
const WS_PATH = '/ws/handheld';
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 5000;
const MAX_PENDING = 500;  // scans kept while offline
const WINDOW = 16;        // kept scans sent ahead of their answers
const MAX_RETRIES = 3;    // sends of a scan the server could not carry out
const RETRY_MS = 2000;
const MAX_COUNT = 100000; // the protocol's bound on a keyed count and a found count

const $ = (id) => document.getElementById(id);
const { newID, wsURL } = window.Pickwave;
const { t } = window.I18n;
const scan = $('hh-scan');

// ---- Ids and the device name ---------------------------------------------

// deviceName names this handheld in the scan records: ?device=TC52-07
// in the address (kept), or a random name made once per browser.
function deviceName() {
  const ok = (s) => typeof s === 'string' && /^[\x21-\x7e]{1,64}$/.test(s);
  let name = new URLSearchParams(location.search).get('device');
  try {
    if (ok(name)) localStorage.setItem(DEVICE_KEY, name);
    else name = localStorage.getItem(DEVICE_KEY);
    if (!ok(name)) {
      name = 'web-' + newID().slice(0, 8);
      localStorage.setItem(DEVICE_KEY, name);
    }
  } catch (err) {
    if (!ok(name)) name = 'web-' + newID().slice(0, 8);
  }
  return name;
}
const device = deviceName();

// ---- The servers -----------------------------------------------------------

// The page's own server comes first; the site's other servers (--peers,
// named in every welcome and kept in localStorage) follow. When the
// socket cannot open on one (it is down, or a standby that refuses the
// upgrade), the next is tried. The page stays on its own origin, so its
// outbox in IndexedDB and the service worker's cache stay with it; only
// the socket goes elsewhere, with the token in hello.
const PEERS_KEY = 'pickwave.handheld.peers';

function loadPeers() {
  try {
    const v = JSON.parse(localStorage.getItem(PEERS_KEY) || '[]');
    return Array.isArray(v) ? v.filter((p) => typeof p === 'string') : [];
  } catch (err) {
    return [];
  }
}

// servers are the origins to open the socket on, own first.
let servers = [location.origin];
function setPeers(peers) {
  const list = [location.origin];
  for (const p of peers) {
    try {
      const u = new URL(p);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && !list.includes(u.origin)) list.push(u.origin);
    } catch (err) { /* not a URL: skip it */ }
  }
  const current = servers[rt.server] || location.origin;
  servers = list.slice(0, 17);
  rt.server = Math.max(servers.indexOf(current), 0);
}

// socketURL is the handheld socket's address on the server at index i.
function socketURL(i) {
  const origin = servers[i] || location.origin;
  if (origin === location.origin) return wsURL(WS_PATH);
  return origin.replace(/^http/, 'ws') + WS_PATH;
}
const work = new Work({ $, newID, device, queue: (m) => queue(m), send: (m) => send(m), choose: (k) => choose(k) });

// ---- State -----------------------------------------------------------------

// st is saved in IndexedDB: the session to resume, the last sequence
// number processed, the token that lets the socket say hello, and the
// last prompt. pending mirrors the outbox of the logged-in user, in order.
// mode is what the page is for: null until chosen (picking for a role
// that picks, else the menu), 'menu', 'pick' or a kind of floor work;
// kinds are what the role may do, work the last prompt of each kind.
function fresh() {
  return { session: '', lastSeq: 0, token: '', user: '', role: '', prompt: null, mode: null, kinds: [], work: {} };
}

let store = null;
let st = fresh();
let pending = []; // [{id, msg, kept}] oldest first; kept: in IndexedDB

let saving = Promise.resolve();

function save() {
  const snap = JSON.parse(JSON.stringify(st));
  saving = saving.then(() => store.saveState(snap)).catch(() => { /* storage full or off */ });
  showPending();
}

function showPending() {
  document.body.dataset.seq = String(st.lastSeq);
  document.body.dataset.pending = String(pending.length);
  const n = pending.length;
  $('hh-pending').hidden = n === 0;
  $('hh-pending').textContent = n === 1 ? '1 waiting' : `${n} waiting`;
}

// The socket authenticates its upgrade with the session cookie, and hello
// carries the token too (a browser restart drops the cookie, not the
// token kept in IndexedDB).
function cookieTail() {
  return `; Path=${WS_PATH}; SameSite=Strict` + (location.protocol === 'https:' ? '; Secure' : '');
}
function setCookie(token) {
  if (/^[A-Za-z0-9._~-]+$/.test(token)) document.cookie = `${COOKIE}=${token}` + cookieTail();
}
function clearCookie() {
  document.cookie = `${COOKIE}=; Max-Age=0` + cookieTail();
}

// ---- Runtime state -------------------------------------------------------

const rt = {
  ws: null,
  opened: false,     // the current socket has opened
  authed: false,     // the current socket got a welcome
  everOpened: false,
  backoff: BACKOFF_MIN_MS,
  timer: 0,
  loginMsg: null,    // a login to send when the socket opens (held in memory only)
  loginRef: '',
  helloRef: '',
  syncRef: '',
  takeRef: '',
  probing: false,
  shortReason: '',
  sent: new Set(),   // ids sent on this socket, not answered yet
  retries: {},       // scan id → sends answered unavailable or internal
  count: 0,          // the keyed quantity for the next item scan; 0: none
  queueing: Promise.resolve(),
  server: 0,         // index in servers of the one the socket is (or goes) to
  roundStart: 0,     // the server a round of failed opens started from
};
setPeers(loadPeers());

// ---- Feedback: sound and vibration -------------------------------------

let audio = null;

// unlockAudio makes the audio context during a user gesture (a key press
// of the scanner counts), as browsers require.
function unlockAudio() {
  try {
    if (!audio) {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      audio = new AC();
    }
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch (err) {
    audio = null;
  }
}

function beep(kind) {
  try {
    if (!audio || audio.state !== 'running') return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'square';
    osc.frequency.value = { pick: 1760, short: 660 }[kind] || 220;
    gain.gain.value = 0.06;
    osc.connect(gain);
    gain.connect(audio.destination);
    const t = audio.currentTime;
    osc.start(t);
    osc.stop(t + (kind === 'pick' ? 0.07 : kind === 'short' ? 0.2 : 0.4));
  } catch (err) { /* no sound then */ }
}

function buzz(pattern) {
  try {
    if (typeof navigator.vibrate === 'function') navigator.vibrate(pattern);
  } catch (err) { /* no vibration then */ }
}

// ---- Screens -------------------------------------------------------------

const SCREENS = ['login', 'idle', 'pick', 'done', 'menu', 'work'];

function showScreen(name) {
  $('hh-boot').hidden = true;
  for (const s of SCREENS) $('hh-' + s).hidden = s !== name;
  document.body.dataset.screen = name;
  const titles = { login: t('hh.title.login'), idle: t('hh.title.idle'), pick: t('hh.title.pick'), done: t('hh.title.done'), menu: t('hh.title.menu'), work: t('hh.title.work') };
  document.title = `${titles[name]} · Pickwave`;
}

function setConn(state) {
  const el = $('hh-conn');
  el.dataset.state = state;
  el.textContent = { online: t('hh.conn.online'), connecting: t('hh.connecting'), reconnecting: t('hh.conn.offline') }[state] || state;
}

// showVerdict shows the answer to a scan: green when units or a step were
// accepted, amber with a warning sign for an accepted short (units
// missing is never good news), red with the server's message otherwise.
function showVerdict(v, feedback) {
  const box = $('hh-verdict');
  const ok = v.code === 'ok';
  const kind = !ok ? 'wrong' : v.short > 0 ? 'short' : 'pick';
  box.className = 'hh-verdict ' + { pick: 'hh-ok', short: 'hh-shortv', wrong: 'hh-bad' }[kind];
  box.dataset.code = v.code || '';
  box.dataset.kind = kind;
  // The server's message is English, the protocol's language; in any
  // other language the catalog's text for the verdict code stands for it.
  const text = verdictText(v, kind);
  $('hh-verdict-msg').textContent = text;
  const exp = $('hh-verdict-expected');
  // The expected value, unless the message says it already.
  exp.hidden = ok || !v.expected || text.includes(v.expected);
  exp.textContent = v.expected ? t('hh.expected', { value: v.expected }) : '';
  box.hidden = false;
  if (feedback !== false) {
    beep(kind);
    if (kind !== 'pick') buzz(kind === 'short' ? [120, 60, 120] : [180, 80, 180]);
  }
}

// verdictText is what the picker reads for a verdict: the server's own
// message in English, else the catalog's text for its code.
function verdictText(v, kind) {
  if (I18n.lang === 'en' && v.message) return v.message;
  if (kind === 'short') return t('verdict.ok_short', { n: v.short });
  const key = 'verdict.' + (v.code || 'ok');
  if (I18n.has(key)) return t(key);
  return v.message || v.code;
}

// showNotice shows something that is not a verdict, in amber.
function showNotice(message) {
  const box = $('hh-verdict');
  box.className = 'hh-verdict hh-warn';
  box.dataset.code = 'notice';
  box.dataset.kind = 'notice';
  $('hh-verdict-msg').textContent = message;
  $('hh-verdict-expected').hidden = true;
  box.hidden = false;
}

function hideVerdict() {
  $('hh-verdict').hidden = true;
  $('hh-verdict').dataset.code = '';
  $('hh-verdict').dataset.kind = '';
}

function showLoginError(message) {
  const box = $('hh-login-error');
  box.textContent = message;
  box.hidden = !message;
}

function day(iso) {
  if (!iso || iso.startsWith('0001-01-01')) return '';
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toISOString().slice(0, 10);
}

// sameOrigin says whether an image may be shown under the page's CSP
// (img-src 'self' data:); others are left out rather than refused.
function sameOrigin(url) {
  if (typeof url !== 'string' || !url) return false;
  if (url.startsWith('data:image/')) return true;
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch (err) {
    return false;
  }
}

const stepTitle = (step) => ({ location: t('hh.step.location'), item: t('hh.step.item'), tote: t('hh.step.tote') })[step] || step;

function render() {
  $('hh-user').textContent = st.user || '';
  $('hh-logout').hidden = !st.token;
  $('hh-menu-open').hidden = !st.token || (st.kinds || []).length < 2;
  if (!st.token) {
    showScreen('login');
    return;
  }
  const mode = currentMode();
  if (mode === 'menu') {
    work.renderMenu(st.kinds || [], '');
    showScreen('menu');
    return;
  }
  if (mode !== 'pick') {
    work.render(mode, (st.work || {})[mode] || null);
    showScreen('work');
    return;
  }
  const p = st.prompt;
  if (!p) {
    showScreen('idle');
    $('hh-take').disabled = !!rt.takeRef;
    return;
  }
  if (p.done) {
    $('hh-done-cart').textContent = p.cart_id || '';
    $('hh-dropoff').textContent = p.drop_off || '';
    $('hh-dropoff-box').hidden = !p.drop_off;
    $('hh-next').disabled = !!rt.takeRef;
    closeShort();
    setCount(0);
    showScreen('done');
    return;
  }
  renderPick(p);
  showScreen('pick');
}

function renderNextStop(p, first) {
  const ns = p.next_stop;
  $('hh-nextstop').hidden = !ns;
  if (!ns) return;
  const here = p.task && ns.location === p.task.location;
  $('hh-nextstop-label').textContent = first ? t('hh.next.first') : here ? t('hh.next.same') : t('hh.next.stop');
  $('hh-nextstop-loc').textContent = ns.location || '';
  $('hh-nextstop-what').textContent = `${ns.sku} × ${ns.qty}` + (ns.sku_name ? ` · ${ns.sku_name}` : '');
}

function renderPick(p) {
  const pick = $('hh-pick');
  pick.dataset.step = p.step || '';
  pick.dataset.cart = p.cart_id || '';
  $('hh-cart').textContent = p.cart_id || '';
  $('hh-left').textContent = t('hh.tasks_left', { n: p.tasks_left || 0 });

  const bind = p.step === 'bind_tote' || !p.task;
  $('hh-p-bind').hidden = !bind;
  $('hh-p-task').hidden = bind || !$('hh-short').hidden;
  renderNextStop(p, bind);
  if (bind) {
    pick.dataset.task = '';
    $('hh-bind-slot').textContent = String(p.slot || '');
    $('hh-bind-big').textContent = String(p.slot || '');
    closeShort();
    setCount(0);
    return;
  }

  const task = p.task;
  if (pick.dataset.task !== (task.id || '') || p.step !== 'item') setCount(0);
  pick.dataset.task = task.id || '';
  const card = $('hh-p-task');
  card.dataset.step = p.step;
  $('hh-step').textContent = stepTitle(p.step);
  $('hh-loc').textContent = task.location || '';
  const where = [];
  if (task.aisle) where.push(t('hh.aisle', { aisle: task.aisle }));
  if (task.bay) where.push(t('hh.bay', { bay: task.bay }));
  $('hh-aislebay').textContent = where.join(' · ');

  // The item: what to pick here, shown from the location step on.
  const tote = p.step === 'tote';
  $('hh-item').hidden = false;
  $('hh-sku').textContent = task.sku || '';
  $('hh-name').textContent = p.sku_name || '';
  const img = $('hh-img');
  if (sameOrigin(p.image_url) && !tote) {
    if (img.getAttribute('src') !== p.image_url) img.src = p.image_url;
    img.hidden = false;
  } else {
    img.hidden = true;
    img.removeAttribute('src');
  }
  const lot = task.lot || '';
  const exp = day(task.expiry);
  $('hh-lot').textContent = lot;
  $('hh-exp').textContent = exp;
  $('hh-lot-wrap').hidden = !lot;
  $('hh-exp-wrap').hidden = !exp;
  $('hh-lotexp').hidden = !lot && !exp;

  const qty = task.qty || 0;
  const picked = task.picked || 0;
  const short = task.short || 0;
  const left = Math.max(qty - picked - short, 0);
  $('hh-qtyrow').hidden = tote;
  $('hh-qty').textContent = String(left);
  $('hh-qty-total').textContent = String(qty);
  const notes = [];
  if (picked) notes.push(t('hh.n_picked', { n: picked }));
  if (short) notes.push(t('hh.n_short', { n: short }));
  $('hh-qty-note').textContent = notes.length ? ' · ' + notes.join(' · ') : '';

  $('hh-toterow').hidden = !tote;
  $('hh-slot').textContent = String(task.tote_slot || '');

  const instr = {
    location: t('hh.instr.location'),
    item: left === 1 ? t('hh.instr.item_one') : t('hh.instr.item_many', { n: left, slot: task.tote_slot }),
    tote: t('hh.instr.tote', { n: picked, slot: task.tote_slot }),
  }[p.step] || '';
  $('hh-instr').textContent = instr;
  // A quantity is keyed for item scans of more than one unit.
  $('hh-count-open').hidden = p.step !== 'item' || left < 2;
  if (p.step !== 'item' || left < 2) closeCount();
  // A short is reported while the units are being looked for.
  $('hh-short-open').hidden = tote;
  if (tote) closeShort();
}

// ---- The socket ------------------------------------------------------------

function send(msg) {
  const ws = rt.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  try {
    ws.send(JSON.stringify(msg));
    return true;
  } catch (err) {
    return false;
  }
}

function connect() {
  clearTimeout(rt.timer);
  rt.timer = 0;
  if (rt.ws) return;
  let ws;
  try {
    ws = new WebSocket(socketURL(rt.server));
  } catch (err) {
    scheduleReconnect();
    return;
  }
  rt.ws = ws;
  rt.opened = false;
  rt.authed = false;
  rt.sent.clear();
  setConn(rt.everOpened || pending.length ? 'reconnecting' : 'connecting');
  ws.addEventListener('open', () => {
    if (rt.ws !== ws) return;
    rt.opened = true;
    rt.everOpened = true;
    rt.roundStart = rt.server;
    onOpen();
  });
  ws.addEventListener('message', (ev) => {
    if (rt.ws !== ws) return;
    let m;
    try { m = JSON.parse(ev.data); } catch (err) { return; }
    if (m && typeof m === 'object') onMessage(m);
  });
  ws.addEventListener('close', () => {
    if (rt.ws !== ws) return;
    const opened = rt.opened;
    rt.ws = null;
    rt.opened = false;
    rt.authed = false;
    rt.syncRef = '';
    rt.sent.clear();
    if (rt.takeRef) {
      rt.takeRef = '';
      render();
    }
    if (!opened && rt.server === 0) probe();
    if (!opened && servers.length > 1) {
      // Try the next server at once, until a whole round has failed.
      rt.server = (rt.server + 1) % servers.length;
      if (rt.server !== rt.roundStart) {
        connect();
        return;
      }
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  if (rt.timer || rt.ws) return;
  setConn('reconnecting');
  const delay = rt.backoff;
  rt.backoff = Math.min(rt.backoff * 2, BACKOFF_MAX_MS);
  rt.timer = setTimeout(connect, delay);
}

// reconnectNow skips the wait, when the network or the page comes back.
function reconnectNow() {
  if (rt.ws) return;
  rt.backoff = BACKOFF_MIN_MS;
  connect();
}

function onOpen() {
  if (st.token) {
    rt.helloRef = 'hello-' + newID();
    send({ type: 'hello', id: rt.helloRef, token: st.token, session: st.session || undefined, last_seq: st.lastSeq || undefined });
    return;
  }
  rt.backoff = BACKOFF_MIN_MS;
  setConn('online');
  if (rt.loginMsg) send(rt.loginMsg);
}

// probe runs when a socket could not even open. The server refuses the
// upgrade with 401 when the cookie's token is no longer valid; a plain
// GET of the socket's address tells that apart from a server that is
// down (the browser does not show a websocket's HTTP status).
async function probe() {
  if (rt.probing) return;
  rt.probing = true;
  try {
    const res = await fetch(WS_PATH, { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401) {
      if (st.token) {
        sessionEnded(t('hh.session_ended'));
      } else {
        showLoginError(t('hh.old_login'));
      }
    }
  } catch (err) {
    // The server cannot be reached: keep trying.
  } finally {
    rt.probing = false;
  }
}

function onMessage(m) {
  switch (m.type) {
    case 'welcome': onWelcome(m); break;
    case 'prompt':
    case 'verdict':
    case 'work':
    case 'work_verdict': onSequenced(m); break;
    case 'error': onError(m); break;
    default: break;
  }
}

async function onWelcome(m) {
  const resumed = !!st.session && m.session === st.session;
  const newUser = m.user !== st.user;
  if (st.user && newUser) {
    // Someone else logged in on this handheld: the old picker's prompt is
    // not theirs. The old picker's kept scans stay in the outbox and go
    // out when that picker logs in here again.
    st.prompt = null;
  }
  if (!resumed) st.lastSeq = 0; // a new session numbers from 1
  st.session = m.session || '';
  st.user = m.user || '';
  st.role = m.role || '';
  st.kinds = Array.isArray(m.kinds) ? m.kinds : [];
  const peers = Array.isArray(m.peers) ? m.peers : [];
  try { localStorage.setItem(PEERS_KEY, JSON.stringify(peers)); } catch (err) { /* private mode: this page load only */ }
  setPeers(peers);
  if (newUser) {
    st.mode = null;
    st.work = {};
  }
  if (m.token) {
    st.token = m.token;
    setCookie(m.token);
  }
  rt.loginMsg = null;
  rt.loginRef = '';
  rt.helloRef = '';
  rt.authed = true;
  rt.backoff = BACKOFF_MIN_MS;
  // The user's own locale, or the browser's when they have none: redraw
  // the static text in it; render() below draws the rest.
  const drawnIn = I18n.locale;
  I18n.use(m.locale);
  if (I18n.locale !== drawnIn) I18n.apply(document);
  $('hh-password').value = '';
  showLoginError('');
  if (newUser) {
    await rt.queueing;
    await loadPending();
  }
  save();
  setConn('online');
  render();
  // Scans not answered yet go again, in order, with their ids; with none
  // kept, ask where we are, which settles whatever prompt is on screen
  // (each verdict carries the prompt after it).
  if (pending.length) flush();
  else syncMode();
}

// ---- Modes: picking, the menu, floor work --------------------------------

// currentMode is what the page shows: the mode chosen, else picking for
// a role that picks (and a server that names no kinds), else the menu.
function currentMode() {
  const kinds = st.kinds || [];
  if (st.mode === 'menu' || (st.mode && kinds.includes(st.mode))) return st.mode;
  return kinds.length === 0 || kinds.includes('pick') ? 'pick' : 'menu';
}

// syncMode asks the server where the user is in the current mode.
function syncMode() {
  if (!rt.authed) return;
  const mode = currentMode();
  if (mode === 'pick') requestSync();
  else if (mode !== 'menu') work.ask(mode);
}

// choose switches the page to a kind of work, or to the menu.
function choose(kind) {
  st.mode = kind || 'menu';
  hideVerdict();
  closeShort();
  save();
  render();
  syncMode();
}

function applyWork(p) {
  if (!p || !p.kind) return;
  st.work = Object.assign({}, st.work, { [p.kind]: p });
  save();
  render();
}

// loadPending reads the logged-in picker's kept scans.
async function loadPending() {
  try {
    const all = await store.outbox();
    pending = all.filter((r) => r.user === st.user).map((r) => ({ id: r.id, msg: r.msg, kept: true }));
  } catch (err) { /* keep what is in memory */ }
  showPending();
}

// flush sends kept scans in order, at most WINDOW ahead of their answers;
// none goes before it is kept, nor before one made earlier.
function flush() {
  if (!rt.authed) return;
  for (const p of pending) {
    if (rt.sent.size >= WINDOW || !p.kept) break;
    if (rt.sent.has(p.id)) continue;
    if (!send(p.msg)) break;
    rt.sent.add(p.id);
  }
}

function takePending(id) {
  if (!id) return null;
  const i = pending.findIndex((p) => p.id === id);
  if (i < 0) return null;
  const [p] = pending.splice(i, 1);
  rt.sent.delete(id);
  store.remove(id).catch(() => {});
  showPending();
  return p;
}

function onSequenced(m) {
  const seq = Number(m.seq) || 0;
  if (seq && seq <= st.lastSeq) {
    // Seen already (a replay after a reconnect): just acknowledge.
    send({ type: 'ack', seq: st.lastSeq });
    return;
  }
  const gap = seq > st.lastSeq + 1 && st.lastSeq > 0;
  if (m.type === 'prompt') {
    if (m.prompt) {
      if (rt.takeRef) hideVerdict(); // a fresh cart
      rt.takeRef = '';
      applyPrompt(m.prompt);
    }
  } else if (m.type === 'work') {
    if (m.work) applyWork(m.work);
  } else if (m.type === 'work_verdict' && m.work_result) {
    const r = m.work_result;
    const mine = takePending(r.scan_id);
    delete rt.retries[r.scan_id];
    if (mine || !r.replayed) {
      showVerdict(r.verdict || { code: 'ok', message: '' });
      if (r.prompt) applyWork(r.prompt);
    }
  } else if (m.result) {
    const r = m.result;
    const mine = takePending(r.scan_id);
    delete rt.retries[r.scan_id];
    // A replayed answer to a scan no longer pending was shown before.
    if (mine || !r.replayed) {
      showVerdict(r.verdict || { code: 'ok', message: '' });
      if (r.prompt) applyPrompt(r.prompt);
    }
  }
  if (seq) st.lastSeq = seq;
  save();
  if (seq) send({ type: 'ack', seq: st.lastSeq });
  flush();
  if (gap && rt.authed) requestSync();
}

function requestSync() {
  rt.syncRef = 'sync-' + newID();
  send({ type: 'prompt', id: rt.syncRef });
}

function applyPrompt(p) {
  if (p.done) st.prompt = p;
  else if (!p.cart_id) st.prompt = null; // no cart
  else st.prompt = p;
  save();
  render();
  // A supervisor took the cart away, gave one, or cancelled work on it
  // (docs/protocol.md): say so on whatever screen the prompt left.
  if (p.notice) showNotice(p.notice);
}

function onError(m) {
  const ref = m.ref || '';
  // Server messages are English; a catalog text for the code stands
  // for them in other languages.
  const message = I18n.lang !== 'en' && I18n.has('error.' + m.code) ? t('error.' + m.code) : m.message || t('common.something_wrong');
  if (ref && (ref === rt.loginRef || ref === rt.helloRef)) {
    const hello = ref === rt.helloRef;
    rt.loginMsg = null;
    rt.loginRef = '';
    rt.helloRef = '';
    if (m.code === 'forbidden') {
      // A user who may not pick: the server has logged the socket in
      // anyway, so drop it rather than leave that session on it.
      sessionEnded(message);
      dropSocket();
    } else if (hello && m.code === 'unauthorized') {
      sessionEnded(t('hh.session_ended'));
    } else {
      showLoginError(message); // a wrong badge or password
    }
    return;
  }
  if (ref && ref === rt.syncRef) {
    rt.syncRef = '';
    if (m.code === 'not_found') {
      // No cart. A finished cart stays on screen until the next is taken.
      if (!(st.prompt && st.prompt.done)) {
        st.prompt = null;
        save();
        render();
      }
    } else {
      showNotice(message);
    }
    return;
  }
  if (ref && ref === rt.takeRef) {
    rt.takeRef = '';
    const box = $('hh-idle-msg');
    box.textContent = message;
    box.hidden = false;
    if (!(st.prompt && st.prompt.done)) st.prompt = null;
    save();
    render();
    if (st.prompt && st.prompt.done) showNotice(message);
    return;
  }
  const kept = pending.find((p) => p.id === ref);
  if (kept && (m.code === 'unavailable' || m.code === 'internal')) {
    // Not carried out, and worth another go with the same id: later on
    // this socket, and after a reconnect (the server may be stopping).
    const tries = (rt.retries[ref] || 0) + 1;
    rt.retries[ref] = tries;
    if (tries <= MAX_RETRIES) {
      showNotice(message + ' ' + t('hh.trying_again'));
      const wait = Number(m.retry_after_ms) > 0 ? Number(m.retry_after_ms) : RETRY_MS * tries;
      setTimeout(() => {
        if (rt.authed && pending.some((p) => p.id === ref)) send(kept.msg);
      }, wait);
      return;
    }
  }
  if (takePending(ref)) {
    // Refused for good (invalid, gone): the scan is not kept.
    delete rt.retries[ref];
    save();
    showVerdict({ code: m.code || 'error', message });
    flush();
    return;
  }
  if (m.code === 'unauthorized') {
    sessionEnded(t('hh.session_ended'));
    dropSocket();
    return;
  }
  showVerdict({ code: m.code || 'error', message });
}

// dropSocket closes the current socket; a new one opens after the backoff.
function dropSocket() {
  const ws = rt.ws;
  if (ws) ws.close();
}

// sessionEnded forgets the token but keeps the session, the sequence
// number and the kept scans: logging in again resumes them.
function sessionEnded(message) {
  st.token = '';
  clearCookie();
  save();
  render();
  showLoginError(message);
}

// ---- Actions -------------------------------------------------------------

function login(fields) {
  showLoginError('');
  rt.loginRef = 'login-' + newID();
  rt.loginMsg = Object.assign({ type: 'login', id: rt.loginRef, session: st.session || undefined, last_seq: st.lastSeq || undefined }, fields);
  if (rt.opened) {
    // A fresh socket, or one logged in by an old cookie: log in on it.
    send(rt.loginMsg);
  } else {
    reconnectNow();
  }
}

// submitScan takes one scan from the wedge, a person's Enter or the
// camera: a badge before login, else a scan for the server.
function submitScan(raw) {
  if (typeof raw !== 'string' || raw.trim() === '') return;
  if (!st.token) {
    login({ badge: raw.trim() });
    return;
  }
  closeShort();
  const mode = currentMode();
  if (mode === 'menu') {
    showNotice('Choose your work first.');
    return;
  }
  if (mode !== 'pick') {
    queue(work.scanMessage(mode, raw));
    return;
  }
  const msg = { type: 'scan', id: newID(), device, data: raw };
  if (rt.count > 1 && st.prompt && st.prompt.step === 'item') msg.count = rt.count;
  closeCount();
  setCount(0);
  queue(msg);
}

// queue keeps a scan or short report, then sends it now or when the
// connection is back; it stays kept until its answer arrives. Messages
// are kept and sent in the order they were made.
function queue(msg) {
  if (pending.length >= MAX_PENDING) {
    showVerdict({ code: 'queue_full', message: t('hh.queue_full', { n: MAX_PENDING }) });
    return;
  }
  const user = st.user;
  const entry = { id: msg.id, msg, kept: false };
  pending.push(entry);
  showPending();
  rt.queueing = rt.queueing.then(async () => {
    try {
      await store.add(user, msg);
    } catch (err) {
      showNotice(t('hh.not_kept'));
    }
    entry.kept = true; // or could not be: it goes anyway
    if (!rt.authed) {
      showNotice(t('hh.offline_kept'));
      return;
    }
    flush();
  });
}

function takeCart() {
  if (!rt.authed) {
    showNotice(t('hh.offline_take'));
    return;
  }
  $('hh-idle-msg').hidden = true;
  rt.takeRef = 'take-' + newID();
  send({ type: 'take_cart', id: rt.takeRef });
  render();
}

async function logout() {
  const n = pending.length;
  if (n && !window.confirm(t('hh.logout_confirm', { n }))) return;
  const token = st.token;
  const user = st.user;
  st = fresh();
  pending = [];
  clearCookie();
  save();
  store.clear(user).catch(() => {});
  rt.loginMsg = null;
  rt.retries = {};
  hideVerdict();
  closeShort();
  render();
  const ws = rt.ws;
  rt.ws = null;
  rt.opened = false;
  rt.authed = false;
  if (ws) ws.close();
  reconnectNow();
  if (token) {
    try {
      await fetch('/api/v1/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + token }, credentials: 'omit' });
    } catch (err) { /* the token expires by itself */ }
  }
}

// ---- Keyed quantity ------------------------------------------------------

// countValue is the typed quantity: a whole number 1 to MAX_COUNT, or 0.
function countValue() {
  const v = $('hh-count').value.trim();
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > MAX_COUNT) return 0;
  return Number(v);
}

function setCount(n) {
  rt.count = n;
  const chip = $('hh-count-chip');
  chip.hidden = n < 2;
  chip.textContent = n >= 2 ? `× ${n}` : '';
  document.body.dataset.count = String(n);
}

function openCount() {
  const p = st.prompt;
  if (!p || p.step !== 'item' || !p.task) return;
  const task = p.task;
  const left = Math.max((task.qty || 0) - (task.picked || 0) - (task.short || 0), 0);
  closeShort();
  $('hh-count-box').hidden = false;
  // The units still to pick: the usual answer, typed over when not.
  $('hh-count').value = String(left);
  setCount(left);
  $('hh-count').focus();
  $('hh-count').select();
  $('hh-count-box').scrollIntoView({ block: 'nearest' });
}

function closeCount() {
  $('hh-count-box').hidden = true;
  if (document.activeElement === $('hh-count')) scan.focus();
}

// ---- Short picks -------------------------------------------------------

function openShort() {
  const p = st.prompt;
  const task = p && p.task;
  if (!task) return;
  closeCount();
  setCount(0);
  const left = Math.max((task.qty || 0) - (task.picked || 0) - (task.short || 0), 0);
  $('hh-short-what').textContent = t('hh.short_what', { sku: task.sku, location: task.location, n: left, qty: task.qty });
  rt.shortReason = '';
  for (const b of document.querySelectorAll('.hh-reason')) b.setAttribute('aria-pressed', 'false');
  // The count starts empty: the picker types what is there, or says it
  // was not counted. A default of 0 would record "none left" untouched.
  $('hh-found').value = '';
  $('hh-found').disabled = false;
  $('hh-found-skip').checked = false;
  $('hh-short-error').hidden = true;
  updateShortSend();
  $('hh-short').hidden = false;
  $('hh-p-task').hidden = true;
  $('hh-short').scrollIntoView({ block: 'start' });
}

function closeShort() {
  if ($('hh-short').hidden) return;
  $('hh-short').hidden = true;
  if (st.prompt && st.prompt.task && st.prompt.step !== 'bind_tote') $('hh-p-task').hidden = false;
}

// foundValue is the typed count: a whole number 0 to MAX_COUNT, or -1.
function foundValue() {
  const v = $('hh-found').value.trim();
  if (!/^\d{1,6}$/.test(v) || Number(v) > MAX_COUNT) return -1;
  return Number(v);
}

// shortReady says the form can be sent: a reason, and a count or "not counted".
function shortReady() {
  return !!rt.shortReason && ($('hh-found-skip').checked || foundValue() >= 0);
}

function updateShortSend() {
  $('hh-short-send').disabled = !shortReady();
}

function sendShort() {
  const box = $('hh-short-error');
  if (!rt.shortReason) {
    box.textContent = t('hh.short.reason');
    box.hidden = false;
    return;
  }
  const skip = $('hh-found-skip').checked;
  const found = foundValue();
  if (!skip && found < 0) {
    box.textContent = t('hh.short.count', { max: MAX_COUNT });
    box.hidden = false;
    return;
  }
  closeShort();
  const m = { type: 'short', id: newID(), device, reason: rt.shortReason };
  if (!skip) m.found = found; // not counted: no found at all
  queue(m);
}

// ---- Camera --------------------------------------------------------------

let camera = null;

async function setUpCamera() {
  const fmts = await cameraFormats();
  $('hh-camera-open').hidden = fmts.length === 0;
  if (fmts.length) camera = new Camera($('hh-camera-video'), fmts);
}

async function openCamera() {
  if (!camera) return;
  $('hh-camera').hidden = false;
  $('hh-camera').scrollIntoView({ block: 'nearest' });
  try {
    // The camera stays open, as a scanner does, until it is closed.
    await camera.start((code) => submitScan(code));
  } catch (err) {
    $('hh-camera').hidden = true;
    showNotice(t('hh.camera_failed'));
  }
}

function closeCamera() {
  if (camera) camera.stop();
  $('hh-camera').hidden = true;
}

// ---- Focus and keys ------------------------------------------------------

// ownsFocus says whether a focused element takes typing itself (the
// password, the counts); anything else hands focus back to the scan box,
// so the next scan always lands there.
function ownsFocus(el) {
  if (!el || el === scan || el === document.body) return false;
  const tag = el.tagName;
  return (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') && !el.disabled;
}

function refocus() {
  if (ownsFocus(document.activeElement)) return;
  if (document.activeElement !== scan) {
    try { scan.focus({ preventScroll: true }); } catch (err) { scan.focus(); }
  }
}

// onScanKey handles a person's keys in the scan box (a scanner's bursts
// are taken by the wedge before they get here): Enter sends what was typed.
function onScanKey(e) {
  unlockAudio();
  if (e.key === 'Enter' || e.keyCode === 13 || (e.key === 'Tab' && scan.value !== '')) {
    e.preventDefault();
    const v = scan.value;
    scan.value = '';
    submitScan(v);
  }
}

function toggleKeyboard() {
  const on = scan.inputMode !== 'text';
  scan.inputMode = on ? 'text' : 'none';
  $('hh-keyboard').setAttribute('aria-pressed', on ? 'true' : 'false');
  scan.blur();
  scan.focus();
}

// canShortcut: shortcuts act on the picking screen with no form open.
function canShortcut() {
  return document.body.dataset.screen === 'pick' && $('hh-short').hidden && $('hh-camera').hidden;
}

// ---- Start -----------------------------------------------------------------

async function loadState() {
  store = await Store.open();
  let saved = null;
  try { saved = await store.loadState(); } catch (err) { saved = null; }
  // An earlier version kept its state and unanswered scans in this tab's
  // sessionStorage: carry them over once.
  try {
    const raw = sessionStorage.getItem(LEGACY_KEY);
    if (raw) {
      const v = JSON.parse(raw);
      if (v && typeof v === 'object' && Array.isArray(v.pending)) {
        if (!saved) saved = { session: v.session, lastSeq: v.lastSeq, token: v.token, user: v.user, role: v.role, prompt: v.prompt };
        for (const msg of v.pending) {
          if (msg && msg.id) await store.add(v.user || '', msg).catch(() => {});
        }
      }
      sessionStorage.removeItem(LEGACY_KEY);
    }
  } catch (err) { /* nothing to carry over */ }
  if (saved && typeof saved === 'object') st = Object.assign(fresh(), saved);
  if (st.token) setCookie(st.token);
  else clearCookie(); // nobody is logged in here, whatever an old cookie says
  await loadPending();
  if (!store.durable) showNotice(t('hh.no_store'));
}

function wire() {
  scan.addEventListener('keydown', onScanKey);
  scan.addEventListener('blur', () => setTimeout(refocus, 0));
  document.addEventListener('click', () => setTimeout(refocus, 0));
  document.addEventListener('pointerdown', unlockAudio, { passive: true });
  window.addEventListener('focus', refocus);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      refocus();
      reconnectNow();
    } else {
      closeCamera();
    }
  });
  window.addEventListener('online', reconnectNow);

  // The wedge: bursts are scans wherever the focus is; "*" keys a
  // quantity and "#" reports a short, on an empty scan box only.
  new Wedge({
    scanField: scan,
    onScan: (data) => { unlockAudio(); submitScan(data); },
    shortcuts: {
      '*': () => { if (!$('hh-count-open').hidden) openCount(); },
      '#': () => { if (!$('hh-short-open').hidden && !$('hh-p-task').hidden) openShort(); },
    },
    canShortcut,
  });
  window.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    closeCount();
    setCount(0);
    closeShort();
    closeCamera();
    refocus();
  });

  $('hh-pw-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const username = $('hh-username').value.trim();
    const password = $('hh-password').value;
    if (!username || !password) {
      showLoginError(t('common.enter_user_password'));
      return;
    }
    login({ username, password });
  });
  // Enter in the found count sends the short; it must not reach the scan box.
  $('hh-found').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      sendShort();
    }
  });
  // A quantity typed and confirmed with Enter waits for the item scan.
  $('hh-count').addEventListener('input', () => setCount(countValue()));
  $('hh-count').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      setCount(countValue());
      scan.focus();
    }
  });
  $('hh-count-open').addEventListener('click', openCount);
  $('hh-count-clear').addEventListener('click', () => {
    setCount(0);
    closeCount();
  });
  $('hh-take').addEventListener('click', takeCart);
  $('hh-next').addEventListener('click', takeCart);
  $('hh-logout').addEventListener('click', logout);
  $('hh-menu-open').addEventListener('click', () => choose('menu'));
  work.wire();
  $('hh-keyboard').addEventListener('click', toggleKeyboard);
  $('hh-camera-open').addEventListener('click', openCamera);
  $('hh-camera-close').addEventListener('click', closeCamera);
  $('hh-short-open').addEventListener('click', openShort);
  $('hh-short-cancel').addEventListener('click', closeShort);
  $('hh-short-send').addEventListener('click', sendShort);
  for (const b of document.querySelectorAll('.hh-reason')) {
    b.addEventListener('click', () => {
      rt.shortReason = b.dataset.reason;
      for (const o of document.querySelectorAll('.hh-reason')) o.setAttribute('aria-pressed', o === b ? 'true' : 'false');
      $('hh-short-error').hidden = true;
      updateShortSend();
    });
  }
  $('hh-found').addEventListener('input', () => {
    $('hh-short-error').hidden = true;
    updateShortSend();
  });
  $('hh-found-skip').addEventListener('change', () => {
    const skip = $('hh-found-skip').checked;
    $('hh-found').disabled = skip;
    if (skip) $('hh-found').value = '';
    updateShortSend();
  });
  // + and − adjust a typed count; on an empty field + starts at 1, − does nothing.
  const step = (d) => {
    if ($('hh-found-skip').checked) return;
    const cur = foundValue();
    if (cur < 0 && d < 0) return;
    const v = Math.min(Math.max(Math.max(cur, 0) + d, 0), MAX_COUNT);
    $('hh-found').value = String(v);
    updateShortSend();
  };
  $('hh-found-minus').addEventListener('click', () => step(-1));
  $('hh-found-plus').addEventListener('click', () => step(1));
  $('hh-img').addEventListener('error', () => { $('hh-img').hidden = true; });
}

async function boot() {
  wire();
  await loadState();
  setCount(0);
  showPending();
  render();
  refocus();
  connect();
  setUpCamera();
  // The page itself is kept for dead spots (browsers allow service
  // workers on https and on localhost only).
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/handheld-sw.js', { scope: '/handheld' }).catch(() => {});
  }
  document.body.dataset.ready = '1';
}

boot();
