// Pickwave handheld picking page: for a picker on an Android handheld with a
// keyboard-wedge scanner. It speaks the handheld websocket (/ws/handheld,
// see server/handheld.go): log in by badge or password, take a cart, scan
// what each prompt asks for, report shorts. Plain JavaScript, no build
// step; text from the server is only ever set with textContent.
//
// Resilience: every scan gets a client id and stays in a pending list
// (kept in sessionStorage) until its verdict arrives; after a reconnect or
// a reload the page says hello with its session and the last sequence
// number it processed, the server replays what was missed, and pending
// scans are sent again with the same id (the server answers a repeat with
// the stored verdict and applies it once).
'use strict';

(() => {
  const STORE_KEY = 'pickwave.handheld';
  const DEVICE_KEY = 'pickwave.device';
  const COOKIE = 'pickwave_session';
  const WS_PATH = '/ws/handheld';
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 5000;
  const MAX_PENDING = 50;
  const MAX_RETRIES = 3;   // sends of a scan the server could not carry out
  const RETRY_MS = 2000;
  const GS = '\u001d';

  const $ = (id) => document.getElementById(id);
  const { newID, plural, wsURL } = window.Pickwave;
  const scan = $('hh-scan');

  // ---- Ids and the device name -------------------------------------------

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

  // ---- Stored state ------------------------------------------------------

  // st survives reloads of this tab (sessionStorage): the session to
  // resume, the last sequence number processed, the token that lets the
  // socket say hello, the scans not yet answered and the last prompt.
  function fresh() {
    return { session: '', lastSeq: 0, token: '', user: '', role: '', pending: [], prompt: null };
  }

  function load() {
    try {
      const raw = sessionStorage.getItem(STORE_KEY);
      if (!raw) return null;
      const v = JSON.parse(raw);
      if (!v || typeof v !== 'object' || !Array.isArray(v.pending)) return null;
      return Object.assign(fresh(), v);
    } catch (err) {
      return null;
    }
  }

  function save() {
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(st)); } catch (err) { /* storage full or off */ }
    document.body.dataset.seq = String(st.lastSeq);
    document.body.dataset.pending = String(st.pending.length);
    const n = st.pending.length;
    $('hh-pending').hidden = n === 0;
    $('hh-pending').textContent = n === 1 ? '1 waiting' : `${n} waiting`;
  }

  // The socket authenticates its upgrade with the session cookie. The
  // token from the welcome is set as a cookie for the handheld socket only,
  // so that a reconnect can say hello without the badge again.
  function cookieTail() {
    return `; Path=${WS_PATH}; SameSite=Strict` + (location.protocol === 'https:' ? '; Secure' : '');
  }
  function setCookie(token) {
    if (/^[A-Za-z0-9._~-]+$/.test(token)) document.cookie = `${COOKIE}=${token}` + cookieTail();
  }
  function clearCookie() {
    document.cookie = `${COOKIE}=; Max-Age=0` + cookieTail();
  }

  let st = load();
  if (!st) {
    // A new tab: nobody is logged in here, whatever an old cookie says.
    st = fresh();
    clearCookie();
  }

  // ---- Runtime state -----------------------------------------------------

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
    retries: {},       // scan id → sends answered unavailable or internal
  };

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

  function beep(ok) {
    try {
      if (!audio || audio.state !== 'running') return;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'square';
      osc.frequency.value = ok ? 1760 : 220;
      gain.gain.value = 0.06;
      osc.connect(gain);
      gain.connect(audio.destination);
      const t = audio.currentTime;
      osc.start(t);
      osc.stop(t + (ok ? 0.07 : 0.4));
    } catch (err) { /* no sound then */ }
  }

  function buzz(pattern) {
    try {
      if (typeof navigator.vibrate === 'function') navigator.vibrate(pattern);
    } catch (err) { /* no vibration then */ }
  }

  // ---- Screens -----------------------------------------------------------

  const SCREENS = ['login', 'idle', 'pick', 'done'];

  function showScreen(name) {
    $('hh-boot').hidden = true;
    for (const s of SCREENS) $('hh-' + s).hidden = s !== name;
    document.body.dataset.screen = name;
    const titles = { login: 'Log in', idle: 'Take a cart', pick: 'Picking', done: 'Cart done' };
    document.title = `${titles[name]} · Pickwave`;
  }

  function setConn(state) {
    const el = $('hh-conn');
    el.dataset.state = state;
    el.textContent = { online: 'Online', connecting: 'Connecting…', reconnecting: 'Reconnecting…' }[state] || state;
  }

  // showVerdict shows the answer to a scan: green when accepted, red with
  // the server's message otherwise.
  function showVerdict(v, feedback) {
    const box = $('hh-verdict');
    const ok = v.code === 'ok';
    box.className = 'hh-verdict ' + (ok ? 'hh-ok' : 'hh-bad');
    box.dataset.code = v.code || '';
    $('hh-verdict-msg').textContent = v.message || (ok ? 'OK' : v.code);
    const exp = $('hh-verdict-expected');
    // The expected value, unless the message says it already.
    exp.hidden = ok || !v.expected || String(v.message || '').includes(v.expected);
    exp.textContent = v.expected ? 'Expected: ' + v.expected : '';
    box.hidden = false;
    if (feedback !== false) {
      beep(ok);
      if (!ok) buzz([180, 80, 180]);
    }
  }

  // showNotice shows something that is not a verdict, in amber.
  function showNotice(message) {
    const box = $('hh-verdict');
    box.className = 'hh-verdict hh-warn';
    box.dataset.code = 'notice';
    $('hh-verdict-msg').textContent = message;
    $('hh-verdict-expected').hidden = true;
    box.hidden = false;
  }

  function hideVerdict() {
    $('hh-verdict').hidden = true;
    $('hh-verdict').dataset.code = '';
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

  const STEP_TITLES = { location: 'Go to location', item: 'Pick item', tote: 'Put in tote' };

  function render() {
    $('hh-user').textContent = st.user || '';
    $('hh-logout').hidden = !st.token;
    if (!st.token) {
      showScreen('login');
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
      $('hh-next').disabled = !!rt.takeRef;
      closeShort();
      showScreen('done');
      return;
    }
    renderPick(p);
    showScreen('pick');
  }

  function renderPick(p) {
    const pick = $('hh-pick');
    pick.dataset.step = p.step || '';
    pick.dataset.cart = p.cart_id || '';
    $('hh-cart').textContent = p.cart_id || '';
    $('hh-left').textContent = plural(p.tasks_left || 0, 'task') + ' left';

    const bind = p.step === 'bind_tote' || !p.task;
    $('hh-p-bind').hidden = !bind;
    $('hh-p-task').hidden = bind;
    if (bind) {
      pick.dataset.task = '';
      $('hh-bind-slot').textContent = String(p.slot || '');
      $('hh-bind-big').textContent = String(p.slot || '');
      closeShort();
      return;
    }

    const t = p.task;
    pick.dataset.task = t.id || '';
    const card = $('hh-p-task');
    card.dataset.step = p.step;
    $('hh-step').textContent = STEP_TITLES[p.step] || p.step;
    $('hh-loc').textContent = t.location || '';
    const where = [];
    if (t.aisle) where.push('Aisle ' + t.aisle);
    if (t.bay) where.push('Bay ' + t.bay);
    $('hh-aislebay').textContent = where.join(' · ');

    // The item: what to pick here, shown from the location step on.
    const tote = p.step === 'tote';
    $('hh-item').hidden = false;
    $('hh-sku').textContent = t.sku || '';
    $('hh-name').textContent = p.sku_name || '';
    const img = $('hh-img');
    if (sameOrigin(p.image_url) && !tote) {
      if (img.getAttribute('src') !== p.image_url) img.src = p.image_url;
      img.hidden = false;
    } else {
      img.hidden = true;
      img.removeAttribute('src');
    }
    const lot = t.lot || '';
    const exp = day(t.expiry);
    $('hh-lot').textContent = lot;
    $('hh-exp').textContent = exp;
    $('hh-lot-wrap').hidden = !lot;
    $('hh-exp-wrap').hidden = !exp;
    $('hh-lotexp').hidden = !lot && !exp;

    const qty = t.qty || 0;
    const picked = t.picked || 0;
    const short = t.short || 0;
    const left = Math.max(qty - picked - short, 0);
    $('hh-qtyrow').hidden = tote;
    $('hh-qty').textContent = String(left);
    $('hh-qty-total').textContent = String(qty);
    const notes = [];
    if (picked) notes.push(`${picked} picked`);
    if (short) notes.push(`${short} short`);
    $('hh-qty-note').textContent = notes.length ? ' · ' + notes.join(' · ') : '';

    $('hh-toterow').hidden = !tote;
    $('hh-slot').textContent = String(t.tote_slot || '');

    const instr = {
      location: 'Scan the location label.',
      item: left === 1 ? 'Scan the item.' : `Scan each unit (or a case), ${left} to go. Then put them in slot ${t.tote_slot}.`,
      tote: `Put the ${plural(picked, 'unit')} in the tote in slot ${t.tote_slot} and scan the tote.`,
    }[p.step] || '';
    $('hh-instr').textContent = instr;
    // A short is reported while the units are being looked for.
    $('hh-short-open').hidden = tote;
    if (tote) closeShort();
  }

  // ---- The socket --------------------------------------------------------

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
    const url = wsURL(WS_PATH);
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    rt.ws = ws;
    rt.opened = false;
    rt.authed = false;
    setConn(rt.everOpened ? 'reconnecting' : 'connecting');
    ws.addEventListener('open', () => {
      if (rt.ws !== ws) return;
      rt.opened = true;
      rt.everOpened = true;
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
      if (rt.takeRef) {
        rt.takeRef = '';
        render();
      }
      if (!opened) probe();
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
      send({ type: 'hello', id: rt.helloRef, session: st.session || undefined, last_seq: st.lastSeq || undefined });
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
          sessionEnded('Your session has ended. Scan your badge to go on.');
        } else {
          showLoginError('The server refuses an old login saved in this browser. Log out in the supervisor console, or clear this site’s cookies, then try again.');
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
      case 'verdict': onSequenced(m); break;
      case 'error': onError(m); break;
      default: break;
    }
  }

  function onWelcome(m) {
    const resumed = !!st.session && m.session === st.session;
    if (st.user && m.user !== st.user) {
      // Someone else logged in on this handheld: the old picker's scans
      // and prompt are not theirs.
      st.pending = [];
      st.prompt = null;
    }
    if (!resumed) st.lastSeq = 0; // a new session numbers from 1
    st.session = m.session || '';
    st.user = m.user || '';
    st.role = m.role || '';
    if (m.token) {
      st.token = m.token;
      setCookie(m.token);
    }
    rt.loginMsg = null;
    rt.loginRef = '';
    rt.helloRef = '';
    rt.authed = true;
    rt.backoff = BACKOFF_MIN_MS;
    $('hh-password').value = '';
    showLoginError('');
    save();
    setConn('online');
    render();
    // Scans not answered yet go again with their ids; then ask where we
    // are, which settles whatever the prompt on screen was.
    for (const msg of st.pending) send(msg);
    rt.syncRef = 'sync-' + newID();
    send({ type: 'prompt', id: rt.syncRef });
  }

  function takePending(id) {
    if (!id) return null;
    const i = st.pending.findIndex((p) => p.id === id);
    if (i < 0) return null;
    return st.pending.splice(i, 1)[0];
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
    const message = m.message || 'Something went wrong.';
    if (ref && (ref === rt.loginRef || ref === rt.helloRef)) {
      rt.loginMsg = null;
      rt.loginRef = '';
      rt.helloRef = '';
      if (m.code === 'forbidden') {
        // A user who may not pick: the server has logged the socket in
        // anyway, so drop it rather than leave that session on it.
        sessionEnded(message);
        dropSocket();
      } else if (ref === rt.helloRef && m.code === 'unauthorized') {
        sessionEnded('Your session has ended. Scan your badge to go on.');
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
    const pending = st.pending.find((p) => p.id === ref);
    if (pending && (m.code === 'unavailable' || m.code === 'internal')) {
      // Not carried out, and worth another go with the same id: now and
      // then after a reconnect (the server may be stopping).
      const tries = (rt.retries[ref] || 0) + 1;
      rt.retries[ref] = tries;
      if (tries <= MAX_RETRIES) {
        showNotice(message + ' Trying again…');
        setTimeout(() => {
          if (rt.authed && st.pending.some((p) => p.id === ref)) send(pending);
        }, RETRY_MS * tries);
        return;
      }
    }
    if (takePending(ref)) {
      delete rt.retries[ref];
      save();
      showVerdict({ code: m.code || 'error', message });
      return;
    }
    if (m.code === 'unauthorized') {
      sessionEnded('Your session has ended. Scan your badge to go on.');
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
  // number and the pending scans: logging in again resumes them.
  function sessionEnded(message) {
    st.token = '';
    clearCookie();
    save();
    render();
    showLoginError(message);
  }

  // ---- Actions -----------------------------------------------------------

  function login(fields) {
    showLoginError('');
    rt.loginRef = 'login-' + newID();
    rt.loginMsg = Object.assign({ type: 'login', id: rt.loginRef, session: st.session || undefined, last_seq: st.lastSeq || undefined }, fields);
    if (rt.opened && !rt.authed) {
      send(rt.loginMsg);
    } else if (rt.authed) {
      // A socket logged in by an old cookie: log in on it anew.
      send(rt.loginMsg);
    } else {
      reconnectNow();
    }
  }

  function submitScan(raw) {
    if (typeof raw !== 'string' || raw.trim() === '') return;
    if (!st.token) {
      login({ badge: raw.trim() });
      return;
    }
    closeShort();
    queue({ type: 'scan', id: newID(), device, data: raw });
  }

  // queue sends a scan or short report now, or when the connection is
  // back; it stays pending until its answer arrives.
  function queue(msg) {
    if (st.pending.length >= MAX_PENDING) {
      showVerdict({ code: 'queue_full', message: `${MAX_PENDING} scans are waiting for the connection. Wait until it is back, then scan again.` });
      return;
    }
    st.pending.push(msg);
    save();
    if (!rt.authed || !send(msg)) {
      showNotice('No connection. The scan is kept and sent when the connection is back.');
    }
  }

  function takeCart() {
    if (!rt.authed) {
      showNotice('No connection. Wait until it is back, then take a cart.');
      return;
    }
    $('hh-idle-msg').hidden = true;
    rt.takeRef = 'take-' + newID();
    send({ type: 'take_cart', id: rt.takeRef });
    render();
  }

  async function logout() {
    const n = st.pending.length;
    if (n && !window.confirm(`${plural(n, 'scan')} not sent yet will be lost. Log out anyway?`)) return;
    const token = st.token;
    st = fresh();
    clearCookie();
    save();
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

  // ---- Short picks -------------------------------------------------------

  function openShort() {
    const p = st.prompt;
    const t = p && p.task;
    if (t) {
      const left = Math.max((t.qty || 0) - (t.picked || 0) - (t.short || 0), 0);
      $('hh-short-what').textContent = `${t.sku} at ${t.location}: ${left} of ${t.qty} not picked yet`;
    }
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
  }

  function closeShort() {
    if ($('hh-short').hidden) return;
    $('hh-short').hidden = true;
    if (st.prompt && st.prompt.task && st.prompt.step !== 'bind_tote') $('hh-p-task').hidden = false;
  }

  // MAX_FOUND is the protocol's bound on a count.
  const MAX_FOUND = 100000;

  // foundValue is the typed count: a whole number 0 to MAX_FOUND, or -1.
  function foundValue() {
    const v = $('hh-found').value.trim();
    if (!/^\d{1,6}$/.test(v) || Number(v) > MAX_FOUND) return -1;
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
      box.textContent = 'Choose why the units are short.';
      box.hidden = false;
      return;
    }
    const skip = $('hh-found-skip').checked;
    const found = foundValue();
    if (!skip && found < 0) {
      box.textContent = `Count the units left at the location and type the number (0 to ${MAX_FOUND}), or tick “Not counted”.`;
      box.hidden = false;
      return;
    }
    closeShort();
    const m = { type: 'short', id: newID(), device, reason: rt.shortReason };
    if (!skip) m.found = found; // not counted: no found at all
    queue(m);
  }

  // ---- Focus and keys ----------------------------------------------------

  // ownsFocus says whether a focused element takes typing itself (the
  // password, the found count); anything else hands focus back to the
  // scan box, so the next scan always lands there.
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

  function insertAtCaret(text) {
    const start = scan.selectionStart ?? scan.value.length;
    const end = scan.selectionEnd ?? scan.value.length;
    scan.setRangeText(text, start, end, 'end');
  }

  function onScanKey(e) {
    unlockAudio();
    if (e.key === 'Enter' || e.keyCode === 13 || (e.key === 'Tab' && scan.value !== '')) {
      e.preventDefault();
      const v = scan.value;
      scan.value = '';
      submitScan(v);
      return;
    }
    // GS (FNC1) of GS1 barcodes: a wedge types it as the control character
    // or as Ctrl+]. It goes into the value as is.
    if (e.key === GS || (e.ctrlKey && !e.altKey && !e.metaKey && (e.key === ']' || e.code === 'BracketRight'))) {
      e.preventDefault();
      insertAtCaret(GS);
    }
  }

  function toggleKeyboard() {
    const on = scan.inputMode !== 'text';
    scan.inputMode = on ? 'text' : 'none';
    $('hh-keyboard').setAttribute('aria-pressed', on ? 'true' : 'false');
    scan.blur();
    scan.focus();
  }

  // ---- Start -------------------------------------------------------------

  function boot() {
    scan.addEventListener('keydown', onScanKey);
    scan.addEventListener('blur', () => setTimeout(refocus, 0));
    document.addEventListener('click', () => setTimeout(refocus, 0));
    document.addEventListener('pointerdown', unlockAudio, { passive: true });
    window.addEventListener('focus', refocus);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        refocus();
        reconnectNow();
      }
    });
    window.addEventListener('online', reconnectNow);

    $('hh-pw-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const username = $('hh-username').value.trim();
      const password = $('hh-password').value;
      if (!username || !password) {
        showLoginError('Enter your user name and password.');
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
    $('hh-take').addEventListener('click', takeCart);
    $('hh-next').addEventListener('click', takeCart);
    $('hh-logout').addEventListener('click', logout);
    $('hh-keyboard').addEventListener('click', toggleKeyboard);
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
      const v = Math.min(Math.max(Math.max(cur, 0) + d, 0), MAX_FOUND);
      $('hh-found').value = String(v);
      updateShortSend();
    };
    $('hh-found-minus').addEventListener('click', () => step(-1));
    $('hh-found-plus').addEventListener('click', () => step(1));
    $('hh-img').addEventListener('error', () => { $('hh-img').hidden = true; });

    save();
    render();
    refocus();
    connect();
  }

  boot();
})();
