// Pickwave supervisor console: login, orders, inventory look-up and a live
// tail of the event log. Plain JavaScript, no build step. Text that comes
// from the API is only ever inserted as text (textContent or text nodes),
// never parsed as HTML.
'use strict';

(() => {
  const API = '/api/v1';
  // floor and kpis are drawn by their own modules (floor.js, kpis.js),
  // which follow the pickwave:view event showView dispatches.
  const VIEWS = ['orders', 'inventory', 'events', 'floor', 'kpis'];
  const MANAGERS = ['supervisor', 'admin'];
  const CANCELLABLE = ['allocated', 'backordered', 'released'];
  const EVENTS_POLL_MS = 2000;
  const EVENTS_PAGE = 100;
  const EVENTS_MAX_ROWS = 500;
  const EVENTS_MAX_PAGES_PER_TICK = 10;

  const $ = (id) => document.getElementById(id);
  const { client, h, showError, clearError, parseTime, loginForm } = window.Pickwave;
  const { t } = window.I18n;
  const enc = encodeURIComponent;

  // ---- API ---------------------------------------------------------------

  const api = client(() => sessionEnded());

  // ---- DOM helpers -------------------------------------------------------

  function setText(id, value) {
    $(id).textContent = value === null || value === undefined || value === '' ? '—' : String(value);
  }

  function showBanner(message, kind) {
    $('banner-text').textContent = message;
    $('banner').className = 'banner' + (kind ? ' ' + kind : '');
    $('banner').hidden = false;
  }

  function statusBadge(status) {
    const s = String(status || 'unknown');
    return h('span', { class: 'status' + (/^[a-z]+$/.test(s) ? ' status-' + s : '') }, statusText(s));
  }

  // statusText is a status code in the user's language (the code itself
  // when the catalog has no text for it).
  function statusText(s) {
    return I18n.has('status.' + s) ? t('status.' + s) : s;
  }

  // ---- Formatting --------------------------------------------------------

  const dateTimeFmt = new Intl.DateTimeFormat(I18n.locale, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
  const timeFmt = new Intl.DateTimeFormat(I18n.locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dayFmt = new Intl.DateTimeFormat(I18n.locale, { month: 'short', day: 'numeric' });

  function fmtDateTime(iso) {
    const d = parseTime(iso);
    return d ? dateTimeFmt.format(d) : '—';
  }

  const shortFmt = new Intl.DateTimeFormat(I18n.locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  // fmtShort is fmtDateTime without the year when it is this year, for lists.
  function fmtShort(iso) {
    const d = parseTime(iso);
    if (!d) return '—';
    return d.getFullYear() === new Date().getFullYear() ? shortFmt.format(d) : dateTimeFmt.format(d);
  }

  // fmtEventTime shows the time of day, with the day when it is not today.
  function fmtEventTime(iso) {
    const d = parseTime(iso);
    if (!d) return '—';
    const sameDay = d.toDateString() === new Date().toDateString();
    return (sameDay ? '' : dayFmt.format(d) + ' ') + timeFmt.format(d);
  }

  // fmtDay shows a calendar date (expiry dates are whole UTC days).
  function fmtDay(iso) {
    const d = parseTime(iso);
    return d ? d.toISOString().slice(0, 10) : '—';
  }

  // ---- Screens in ES modules ----------------------------------------------

  // Screens kept in their own ES modules (waves.js, carts.js) register
  // with Pickwave.addScreen(name, {title, enter(arg, ctx), leave()}); the
  // router shows their section, view-<name>, as it shows its own. ctx has
  // the API client and the user.
  const screens = {};
  window.Pickwave.addScreen = (name, screen) => {
    screens[name] = screen;
    if (state.user && parseHash().view === name) route();
  };
  const isView = (name) => VIEWS.includes(name) || Object.hasOwn(screens, name);

  // ---- State and routing -------------------------------------------------

  const state = {
    user: null, // {user, role}
    view: null,
    orders: { status: '', limit: 25, cursors: [''], page: 0, next: '', loaded: false, seq: 0 },
    order: { id: null, seq: 0, data: null },
    inv: { seq: 0, shown: null },
    events: { active: false, gen: 0, timer: 0, last: null, paused: false, resumed: false },
  };

  function canManage() {
    return !!state.user && MANAGERS.includes(state.user.role);
  }

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const i = raw.indexOf('/');
    const view = i < 0 ? raw : raw.slice(0, i);
    let arg = i < 0 ? '' : raw.slice(i + 1);
    try { arg = decodeURIComponent(arg); } catch (err) { arg = ''; }
    return { view, arg };
  }

  function showView(name) {
    state.view = name;
    $('boot').hidden = true;
    for (const v of ['login', ...VIEWS, ...Object.keys(screens)]) {
      const el = $('view-' + v);
      if (el) el.hidden = v !== name;
    }
    $('topbar').hidden = name === 'login';
    for (const a of document.querySelectorAll('.tabs a')) {
      const on = a.dataset.view === name;
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    const titles = { login: t('con.log_in'), orders: t('con.orders'), inventory: t('con.inventory'), events: t('con.events'), floor: t('con.floor'), kpis: t('con.kpis') };
    document.title = `${titles[name] || (screens[name] && screens[name].title) || name} · Pickwave`;
    document.dispatchEvent(new CustomEvent('pickwave:view', { detail: { view: name } }));
  }

  function route() {
    if (!state.user) {
      stopEvents();
      showView('login');
      return;
    }
    let { view, arg } = parseHash();
    if (!isView(view)) {
      view = 'orders';
      arg = '';
      history.replaceState(null, '', '#orders');
    }
    const entering = state.view !== view;
    if (entering && screens[state.view] && screens[state.view].leave) screens[state.view].leave();
    showView(view);
    if (screens[view]) screens[view].enter(arg, { api, user: state.user });
    if (view === 'events') startEvents(); else stopEvents();
    if (view === 'orders') enterOrders(arg, entering);
    if (view === 'inventory') enterInventory(arg);
  }

  // ---- Session -----------------------------------------------------------

  function resetScreens() {
    stopEvents();
    for (const sc of Object.values(screens)) if (sc.leave) sc.leave();
    state.orders = { status: '', limit: Number($('orders-limit').value) || 25, cursors: [''], page: 0, next: '', loaded: false, seq: state.orders.seq + 1 };
    $('orders-status').value = '';
    $('orders-body').replaceChildren();
    closeOrder();
    state.inv = { seq: state.inv.seq + 1, shown: null };
    $('inv-query').value = '';
    $('sku-detail').hidden = true;
    clearError($('inv-error'));
    state.events = { active: false, gen: state.events.gen + 1, timer: 0, last: null, paused: false, resumed: false };
    $('events-body').replaceChildren();
    $('events-empty').hidden = true;
    $('events-pause').textContent = t('con.pause');
    clearError($('events-error'));
  }

  function loggedIn(user) {
    // The user's locale, else the browser's: a page drawn in another is
    // drawn again (once: the locale is remembered for the next load).
    if (I18n.use(user.locale)) {
      location.reload();
      return;
    }
    state.user = { user: user.user, role: user.role };
    $('locale-select').value = user.locale ? user.locale.split('-')[0] : '';
    $('who-name').textContent = user.user;
    $('who-role').textContent = I18n.has('role.' + user.role) ? t('role.' + user.role) : user.role;
    clearError($('login-error'));
    if (!isView(parseHash().view)) history.replaceState(null, '', '#orders');
    route();
  }

  // sessionEnded runs when the server no longer knows the session.
  function sessionEnded() {
    if (!state.user) return;
    state.user = null;
    resetScreens();
    showView('login');
    showError($('login-error'), { message: t('con.session_ended') });
    $('login-username').focus();
  }

  // onLocaleChange saves the user's choice of language (PATCH /me) and
  // draws the page again in it.
  async function onLocaleChange() {
    const sel = $('locale-select');
    sel.disabled = true;
    try {
      const u = await api('PATCH', '/me', { locale: sel.value });
      if (I18n.use(u.locale)) location.reload();
    } catch (err) {
      showBanner(err.message);
    } finally {
      sel.disabled = false;
    }
  }

  async function onLogout() {
    try {
      await api('POST', '/logout');
    } catch (err) {
      if (err.status !== 401) showBanner(t('con.logout_failed', { error: err.message }));
    }
    state.user = null;
    resetScreens();
    showView('login');
    $('login-username').focus();
  }

  // ---- Orders ------------------------------------------------------------

  // enterOrders shows the list, fresh when coming from another screen, and
  // the order named in the address, if any.
  function enterOrders(id, entering) {
    if (!state.orders.loaded || entering) loadOrders();
    if (id) openOrder(id); else closeOrder();
  }

  async function loadOrders() {
    const o = state.orders;
    const seq = ++o.seq;
    o.loaded = true;
    const table = $('orders-table');
    table.dataset.state = 'loading';
    $('orders-refresh').disabled = true;
    const q = new URLSearchParams();
    if (o.status) q.set('status', o.status);
    if (o.cursors[o.page]) q.set('after', o.cursors[o.page]);
    q.set('limit', String(o.limit));
    try {
      const page = await api('GET', '/orders?' + q.toString());
      if (seq !== o.seq) return;
      clearError($('orders-error'));
      o.next = page.next || '';
      renderOrders(page.items || []);
    } catch (err) {
      if (seq !== o.seq) return;
      showError($('orders-error'), err);
      table.dataset.state = 'error';
    } finally {
      if (seq === o.seq) $('orders-refresh').disabled = false;
    }
  }

  function renderOrders(items) {
    const o = state.orders;
    const rows = items.map((ord) => {
      const shipBy = parseTime(ord.ship_by);
      const late = shipBy && shipBy < new Date() && !['shipped', 'cancelled'].includes(ord.status);
      return h('tr', { dataset: { id: ord.id }, class: ord.id === state.order.id ? 'selected' : null },
        h('td', { class: 'nowrap' }, h('a', { class: 'order-link', href: '#orders/' + enc(ord.id) }, ord.id)),
        h('td', { class: 'hide-sm hide-split mono' }, ord.external_id),
        h('td', null, ord.customer && ord.customer.name),
        h('td', null, statusBadge(ord.status)),
        h('td', { class: 'num hide-sm' }, (ord.lines || []).length),
        h('td', { class: 'nowrap' + (late ? ' missing' : ''), title: late ? t('con.past_ship_by') : null }, fmtShort(ord.ship_by)),
        h('td', { class: 'num hide-md' }, ord.priority || 0));
    });
    $('orders-body').replaceChildren(...rows);
    const empty = $('orders-empty');
    empty.textContent = o.status ? t(o.page ? 'con.no_status_orders_page' : 'con.no_status_orders', { status: statusText(o.status) }) : t('con.no_orders_yet');
    empty.hidden = rows.length > 0;
    $('orders-prev').disabled = o.page === 0;
    $('orders-next').disabled = !o.next;
    $('orders-page').textContent = t('con.page', { page: o.page + 1 }) + (rows.length ? ' · ' + t('con.n_orders', { n: rows.length }) : '');
    const table = $('orders-table');
    table.dataset.filter = o.status;
    table.dataset.page = String(o.page + 1);
    table.dataset.state = 'ready';
  }

  function onOrdersFilter() {
    const o = state.orders;
    o.status = $('orders-status').value;
    o.limit = Number($('orders-limit').value) || 25;
    o.cursors = [''];
    o.page = 0;
    loadOrders();
  }

  function onOrdersRowClick(e) {
    const tr = e.target.closest('tr[data-id]');
    if (!tr || e.target.closest('a')) return;
    location.hash = '#orders/' + enc(tr.dataset.id);
  }

  function markSelected() {
    for (const tr of $('orders-body').rows) tr.classList.toggle('selected', tr.dataset.id === state.order.id);
  }

  async function openOrder(id) {
    const d = state.order;
    const seq = ++d.seq;
    const fresh = d.id !== id;
    d.id = id;
    markSelected();
    $('order-detail').hidden = false;
    document.querySelector('.orders-layout').classList.add('with-detail');
    $('od-title').textContent = id;
    clearError($('od-error'));
    if (fresh) {
      d.data = null;
      $('od-body').hidden = true;
      $('od-loading').hidden = false;
      $('order-detail').dataset.state = 'loading';
      if (window.matchMedia('(max-width: 1099px)').matches) {
        $('order-detail').scrollIntoView({ block: 'start' });
      }
    }
    try {
      const ord = await api('GET', '/orders/' + enc(id));
      if (seq !== d.seq) return;
      d.data = ord;
      renderOrder(ord);
    } catch (err) {
      if (seq !== d.seq) return;
      $('od-loading').hidden = true;
      $('od-body').hidden = true;
      $('order-detail').dataset.state = 'error';
      showError($('od-error'), err);
    }
  }

  function closeOrder() {
    const d = state.order;
    d.seq++;
    d.id = null;
    d.data = null;
    $('order-detail').hidden = true;
    $('order-detail').removeAttribute('data-id');
    document.querySelector('.orders-layout').classList.remove('with-detail');
    markSelected();
  }

  function renderOrder(o) {
    $('od-loading').hidden = true;
    $('od-title').textContent = o.id;
    $('od-status').replaceWith(Object.assign(statusBadge(o.status), { id: 'od-status' }));
    setText('od-external', o.external_id ? t('con.external_id_value', { id: o.external_id }) : '');

    const c = o.customer || {};
    $('od-customer').replaceChildren(
      h('div', null, c.name || '—'),
      (c.email || c.phone) ? h('div', { class: 'muted' }, [c.email, c.phone].filter(Boolean).join(' · ')) : null);
    const a = o.ship_to || {};
    $('od-shipto').replaceChildren(
      ...[a.name, a.address1, a.address2,
        [a.city, [a.region, a.postal_code].filter(Boolean).join(' ')].filter(Boolean).join(', '),
        a.country].filter(Boolean).map((line) => h('div', null, line)));
    setText('od-carrier', [o.carrier, o.service].filter(Boolean).join(' · '));
    setText('od-shipby', fmtDateTime(o.ship_by));
    setText('od-priority', o.priority ? I18n.num(o.priority) : t('con.priority_normal'));
    setText('od-wave', o.wave_id);
    setText('od-created', fmtDateTime(o.created_at));

    const lines = (o.lines || []).map((l) => {
      // allocated is reserved and not yet picked; picked units are in a
      // tote; short ones were given up at picking.
      const picked = l.picked || 0;
      const gaveUp = l.short || 0;
      const missing = l.qty - l.allocated - picked - gaveUp;
      const allocs = (l.allocations || []).map((al) => h('li', null,
        h('span', { class: 'loc' }, al.location),
        h('span', { class: 'meta' },
          (al.lot ? ' · ' + t('con.lot_value', { lot: al.lot }) : '') + (al.expiry ? ' · ' + t('con.exp', { date: fmtDay(al.expiry) }) : '')),
        ` × ${I18n.num(al.qty)}`));
      return h('tr', { dataset: { sku: l.sku } },
        h('td', { class: 'mono nowrap' }, l.sku),
        h('td', { class: 'num' }, I18n.num(l.qty)),
        h('td', { class: 'num' + (missing > 0 ? ' missing' : '') }, I18n.num(l.allocated), missing > 0 ? ' ' + t('con.n_missing_paren', { n: missing }) : ''),
        h('td', { class: 'num' + (gaveUp > 0 ? ' missing' : '') }, I18n.num(picked), gaveUp > 0 ? ' ' + t('con.n_short_paren', { n: gaveUp }) : ''),
        h('td', null, allocs.length ? h('ul', { class: 'alloc-list' }, allocs) : h('span', { class: 'muted' }, picked ? statusText('picked') : t('con.nothing_reserved'))));
    });
    $('od-lines-body').replaceChildren(...lines);

    const steps = (o.timeline || []).map((s) => h('li', null,
      statusBadge(s.status),
      h('span', { class: 'when' }, fmtDateTime(s.at) + (s.actor ? ' ' + t('con.by', { actor: s.actor }) : '')),
      s.note ? h('span', { class: 'note' }, s.note) : null));
    $('od-timeline').replaceChildren(...steps);

    $('od-cancel').hidden = !(canManage() && CANCELLABLE.includes(o.status));
    $('od-cancel-form').hidden = true;
    $('od-cancel-open').hidden = false;
    $('od-cancel-reason').value = '';
    clearError($('od-cancel-error'));

    $('od-body').hidden = false;
    const panel = $('order-detail');
    panel.dataset.id = o.id;
    panel.dataset.status = o.status;
    panel.dataset.state = 'ready';
  }

  async function onCancelOrder(e) {
    e.preventDefault();
    const d = state.order;
    if (!d.data) return;
    const id = d.data.id;
    const box = $('od-cancel-error');
    clearError(box);
    $('od-cancel-confirm').disabled = true;
    try {
      const ord = await api('POST', '/orders/' + enc(id) + '/cancel', { reason: $('od-cancel-reason').value.trim() });
      if (d.id === id) {
        d.data = ord;
        renderOrder(ord);
      }
      loadOrders();
    } catch (err) {
      showError(box, err);
    } finally {
      $('od-cancel-confirm').disabled = false;
    }
  }

  // ---- Inventory ---------------------------------------------------------

  const coarsePointer = window.matchMedia('(pointer: coarse)');

  function enterInventory(code) {
    if (!coarsePointer.matches) $('inv-query').focus();
    if (code && code !== state.inv.shown) {
      $('inv-query').value = code;
      lookup(code, 'sku');
    }
  }

  // lookup finds a SKU by code or barcode. In auto mode a run of digits is
  // tried as a barcode first and anything else as a SKU code first; the
  // other way is tried when the first finds nothing.
  async function lookup(raw, mode) {
    const q = raw.trim();
    const box = $('inv-error');
    if (!q) {
      showError(box, { message: t('con.type_sku') });
      return;
    }
    const seq = ++state.inv.seq;
    clearError(box);
    $('inv-submit').disabled = true;
    const digits = /^\d+$/.test(q);
    const order = mode === 'sku' ? ['sku'] : mode === 'barcode' ? ['barcode'] : digits ? ['barcode', 'sku'] : ['sku', 'barcode'];
    let found = null;
    let firstErr = null;
    for (const how of order) {
      try {
        if (how === 'sku') {
          found = { sku: await api('GET', '/skus/' + enc(q)), barcode: null };
        } else {
          const r = await api('GET', '/barcodes/' + enc(q));
          found = { sku: r.sku, barcode: r.barcode };
        }
        break;
      } catch (err) {
        if (!firstErr) firstErr = err;
        if (err.status !== 404 && err.status !== 400) break;
      }
    }
    if (seq !== state.inv.seq) return;
    $('inv-submit').disabled = false;
    const here = state.view === 'inventory';
    if (here) $('inv-query').select(); // the next scan replaces this one
    if (!found) {
      showError(box, firstErr);
      return;
    }
    state.inv.shown = found.sku.code;
    if (here) history.replaceState(null, '', '#inventory/' + enc(found.sku.code));
    renderSKU(found.sku, found.barcode);
    loadStock(found.sku.code, seq);
  }

  function renderSKU(sku, via) {
    $('sku-code').textContent = sku.code;
    $('sku-name').textContent = sku.name;
    $('sku-via').textContent = via ? t('con.found_by_barcode', { code: via.code }) + (via.qty > 1 ? ' ' + t('con.pack_of', { n: via.qty }) : '') : '';
    $('sku-barcodes').replaceChildren(...(sku.barcodes || []).map((b) =>
      h('span', { class: 'barcode' + (via && via.code === b.code ? ' hit' : '') },
        b.code, h('span', { class: 'qty' }, b.qty > 1 ? `× ${I18n.num(b.qty)}` : t('con.each')))));
    if (!(sku.barcodes || []).length) setText('sku-barcodes', '');
    setText('sku-weight', sku.weight_g ? I18n.weight(sku.weight_g) : '');
    setText('sku-dims', sku.length_mm || sku.width_mm || sku.height_mm
      ? `${I18n.num(sku.length_mm)} × ${I18n.num(sku.width_mm)} × ${I18n.num(sku.height_mm)} mm` : '');
    setText('sku-tracking', [sku.lot_tracked ? t('con.tracking_lot') : '', sku.expiry_tracked ? t('con.tracking_expiry') : ''].filter(Boolean).join(' ' + t('con.and') + ' ') || t('con.none'));
    const panel = $('sku-detail');
    panel.dataset.sku = sku.code;
    panel.hidden = false;
    $('stock-body').replaceChildren();
    $('stock-foot').replaceChildren();
    $('stock-empty').hidden = true;
    $('stock-table').dataset.state = 'loading';
    clearError($('stock-error'));
  }

  async function loadStock(code, seq) {
    const table = $('stock-table');
    try {
      const res = await api('GET', '/stock?sku=' + enc(code));
      if (seq !== state.inv.seq) return;
      renderStock(code, res.items || []);
    } catch (err) {
      if (seq !== state.inv.seq) return;
      table.dataset.state = 'error';
      showError($('stock-error'), err);
    }
  }

  function renderStock(code, rows) {
    const today = new Date();
    const soon = new Date(today.getTime() + 30 * 24 * 3600 * 1000);
    let onHand = 0;
    let reserved = 0;
    const trs = rows.map((s) => {
      const avail = s.on_hand - s.reserved;
      onHand += s.on_hand;
      reserved += s.reserved;
      const exp = parseTime(s.expiry);
      const expClass = !exp ? '' : exp < today ? 'expired' : exp < soon ? 'expiring' : '';
      return h('tr', { dataset: { location: s.location, lot: s.lot || '' } },
        h('td', { class: 'mono nowrap' }, s.location),
        h('td', { class: 'mono' }, s.lot || '—'),
        h('td', { class: 'nowrap ' + expClass }, exp ? fmtDay(s.expiry) : '—', expClass === 'expired' ? ' ' + t('con.expired_paren') : ''),
        h('td', { class: 'num' }, I18n.num(s.on_hand)),
        h('td', { class: 'num' }, I18n.num(s.reserved)),
        h('td', { class: 'num' + (avail <= 0 ? ' zero' : '') }, I18n.num(avail)));
    });
    $('stock-body').replaceChildren(...trs);
    $('stock-foot').replaceChildren(...(trs.length > 1 ? [h('tr', null,
      h('td', { colspan: 3 }, t('con.total_in_rows', { n: trs.length })),
      h('td', { class: 'num' }, I18n.num(onHand)),
      h('td', { class: 'num' }, I18n.num(reserved)),
      h('td', { class: 'num' }, I18n.num(onHand - reserved)))] : []));
    $('stock-empty').hidden = trs.length > 0;
    const table = $('stock-table');
    table.dataset.sku = code;
    table.dataset.state = 'ready';
  }

  // ---- Events ------------------------------------------------------------

  function setLive(kind, text) {
    const live = $('events-live');
    live.className = 'live' + (kind === 'ok' ? '' : ' ' + kind);
    live.textContent = kind === 'paused' ? t('con.live_paused') : kind === 'down' ? t('con.live_offline') : t('con.live_live');
    $('events-status').textContent = text || '';
  }

  function startEvents() {
    const ev = state.events;
    if (ev.active) return;
    ev.active = true;
    ev.resumed = ev.last !== null;
    const gen = ++ev.gen;
    if (ev.paused) {
      setLive('paused');
      return;
    }
    tick(gen);
  }

  function stopEvents() {
    const ev = state.events;
    ev.active = false;
    ev.gen++;
    clearTimeout(ev.timer);
  }

  async function eventsAfter(after, limit) {
    const page = await api('GET', `/events?after=${after}&limit=${limit}`);
    return page.items || [];
  }

  // lastSeq finds the newest event's sequence with a few one-event probes
  // (the API lists events oldest first), so the tail starts at the end of a
  // long log instead of reading all of it.
  async function lastSeq() {
    const first = await eventsAfter(0, 1);
    if (!first.length) return 0;
    let lo = first[0].seq; // an event that exists
    let hi = null; //         no event is newer than hi
    while (hi === null || lo < hi) {
      const k = hi === null ? lo * 2 : Math.floor((lo + hi) / 2);
      const next = await eventsAfter(k, 1);
      if (next.length) lo = next[0].seq; else hi = k;
    }
    return lo;
  }

  async function tick(gen) {
    const ev = state.events;
    if (gen !== ev.gen || ev.paused || !state.user) return;
    try {
      if (ev.resumed) {
        // Back on this screen: when far behind, jump to the end rather
        // than replay everything that happened meanwhile.
        const behind = (await eventsAfter(ev.last + EVENTS_MAX_ROWS, 1)).length > 0;
        if (gen !== ev.gen) return;
        ev.resumed = false;
        if (behind) {
          ev.last = null;
          $('events-body').replaceChildren();
        }
      }
      let initial = false;
      if (ev.last === null) {
        const last = await lastSeq();
        if (gen !== ev.gen) return;
        ev.last = Math.max(0, last - EVENTS_PAGE);
        initial = true;
      }
      for (let i = 0; i < EVENTS_MAX_PAGES_PER_TICK; i++) {
        const items = await eventsAfter(ev.last, EVENTS_PAGE);
        if (gen !== ev.gen) return;
        if (items.length) {
          addEvents(items, !initial);
          ev.last = items[items.length - 1].seq;
        }
        if (items.length < EVENTS_PAGE) break;
      }
      clearError($('events-error'));
      $('events-empty').hidden = $('events-body').rows.length > 0;
      $('events-table').dataset.state = 'ready';
      setLive('ok', t('con.updated', { time: timeFmt.format(new Date()) }));
    } catch (err) {
      if (gen !== ev.gen) return;
      setLive('down');
      showError($('events-error'), err.status === 403 ? err
        : { message: err.message + ' ' + t('con.retrying') });
      if (err.status === 401 || err.status === 403) return; // retrying will not help
    }
    if (gen === ev.gen && !ev.paused) ev.timer = setTimeout(() => tick(gen), EVENTS_POLL_MS);
  }

  function addEvents(items, fresh) {
    const body = $('events-body');
    const frag = document.createDocumentFragment();
    for (let i = items.length - 1; i >= 0; i--) frag.append(eventRow(items[i], fresh));
    body.prepend(frag);
    while (body.rows.length > EVENTS_MAX_ROWS) body.lastElementChild.remove();
  }

  function entityCell(entity) {
    const s = String(entity || '');
    const i = s.indexOf('/');
    const kind = i < 0 ? '' : s.slice(0, i);
    const id = i < 0 ? s : s.slice(i + 1);
    if (kind === 'order') return h('a', { href: '#orders/' + enc(id) }, s);
    if (kind === 'sku') return h('a', { href: '#inventory/' + enc(id) }, s);
    return s;
  }

  function eventRow(e, fresh) {
    const kind = String(e.type || '').split('.')[0];
    return h('tr', { class: fresh ? 'fresh' : null, dataset: { seq: String(e.seq), type: e.type, entity: e.entity } },
      h('td', { class: 'num muted' }, e.seq),
      h('td', { class: 'nowrap' }, fmtEventTime(e.time)),
      h('td', null, h('span', { class: 'etype' + (/^[a-z]+$/.test(kind) ? ' etype-' + kind : '') }, e.type)),
      h('td', { class: 'entity' }, entityCell(e.entity)),
      h('td', { class: 'hide-sm' }, e.actor),
      h('td', { class: 'hide-md details' }, summarize(e.type, e.payload)));
  }

  // summarize says in a few words what an event's payload holds.
  function summarize(type, p) {
    if (!p || typeof p !== 'object') return '';
    const kind = String(type || '').split('.')[0];
    if (kind === 'order') {
      return [p.external_id, p.status,
        p.lines !== undefined ? t('con.n_lines', { n: p.lines }) + ', ' + t('con.n_units', { n: p.units || 0 }) : '',
        p.missing ? t('con.n_missing', { n: p.missing }) : '', p.note].filter(Boolean).join(' · ');
    }
    if (kind === 'stock' && typeof p.delta === 'number') {
      return t('con.delta_at', { delta: (p.delta > 0 ? '+' : '') + I18n.num(p.delta), location: p.location }) + (p.lot ? ' ' + t('con.lot_value', { lot: p.lot }) : '') + (p.reason ? ` (${p.reason})` : '');
    }
    if (kind === 'sku' && p.name) return p.name;
    if (kind === 'location' && p.kind) return `${p.kind}` + (p.zone ? ', ' + t('con.zone', { zone: p.zone }) : '');
    if (kind === 'user' && p.role) return p.role;
    return Object.entries(p)
      .filter(([, v]) => v !== null && typeof v !== 'object' && v !== '')
      .slice(0, 4).map(([k, v]) => `${k}: ${v}`).join(', ');
  }

  function onEventsPause() {
    const ev = state.events;
    ev.paused = !ev.paused;
    $('events-pause').textContent = ev.paused ? t('con.resume') : t('con.pause');
    if (ev.paused) {
      clearTimeout(ev.timer);
      ev.gen++;
      setLive('paused', t('con.paused'));
    } else if (ev.active) {
      tick(++ev.gen);
    }
  }

  // ---- Start -------------------------------------------------------------

  async function boot() {
    // The login's answer has no locale: the session's /me has it.
    loginForm(api, async () => {
      resetScreens();
      try {
        loggedIn(await api('GET', '/me'));
      } catch (err) {
        showError($('login-error'), err);
      }
    });
    $('logout').addEventListener('click', onLogout);
    $('banner-close').addEventListener('click', () => { $('banner').hidden = true; });
    $('orders-status').addEventListener('change', onOrdersFilter);
    $('orders-limit').addEventListener('change', onOrdersFilter);
    $('orders-filter').addEventListener('submit', (e) => e.preventDefault());
    $('orders-refresh').addEventListener('click', () => loadOrders());
    $('orders-prev').addEventListener('click', () => {
      const o = state.orders;
      if (o.page > 0) { o.page--; loadOrders(); }
    });
    $('orders-next').addEventListener('click', () => {
      const o = state.orders;
      if (o.next) { o.cursors[o.page + 1] = o.next; o.page++; loadOrders(); }
    });
    $('orders-body').addEventListener('click', onOrdersRowClick);
    $('od-cancel-open').addEventListener('click', () => {
      $('od-cancel-open').hidden = true;
      $('od-cancel-form').hidden = false;
      $('od-cancel-reason').focus();
    });
    $('od-cancel-back').addEventListener('click', () => {
      $('od-cancel-form').hidden = true;
      $('od-cancel-open').hidden = false;
      clearError($('od-cancel-error'));
    });
    $('od-cancel-form').addEventListener('submit', onCancelOrder);
    $('inv-form').addEventListener('submit', (e) => {
      e.preventDefault();
      lookup($('inv-query').value, $('inv-mode').value);
    });
    $('events-pause').addEventListener('click', onEventsPause);
    $('locale-select').addEventListener('change', onLocaleChange);
    window.addEventListener('hashchange', route);

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
