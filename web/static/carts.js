// Pickwave supervisor console: carts and pickers. The carts on the floor
// (waiting for a picker or being picked) with stop n of m; take a cart off
// its picker, so that it waits for the next one with what was picked kept,
// or give it to a named picker. Who is logged in on which device (handheld
// sockets, pack-station sockets, the packer at each bench), and a forced
// logout that ends a device's session. Plain ES module, no build step.

const { h, showError, clearError, parseTime } = window.Pickwave;
const enc = encodeURIComponent;
const POLL_MS = 4000;

const st = { ctx: null, gen: 0, timer: 0, built: false, pickers: [] };
const $ = (id) => document.getElementById(id);
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fmtTime = (iso) => { const d = parseTime(iso); return d ? time.format(d) : '—'; };

function statusBadge(s) {
  return h('span', { class: 'status status-' + (/^[a-z]+$/.test(s) ? s : 'unknown') }, s);
}

function build() {
  $('view-carts').replaceChildren(
    h('div', { class: 'card' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'carts-title' }, 'Carts on the floor'),
        h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'carts-refresh', class: 'btn' }, 'Refresh'))),
      h('p', { id: 'carts-note', class: 'note', role: 'status', 'aria-live': 'polite' }),
      h('div', { id: 'carts-error', class: 'error', role: 'alert', hidden: true }),
      h('datalist', { id: 'carts-pickers' }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'carts-table', class: 'table' },
          h('thead', null, h('tr', null, h('th', null, 'Cart'), h('th', null, 'Picker'), h('th', null, 'Stop'),
            h('th', { class: 'num' }, 'Units'), h('th', null, 'Actions'))),
          h('tbody', { id: 'carts-body' }))),
      h('p', { id: 'carts-empty', class: 'empty', hidden: true }, 'No cart is on the floor: release a wave.')),
    h('div', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', null, 'Who is logged in')),
      h('div', { id: 'devices-error', class: 'error', role: 'alert', hidden: true }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'devices-table', class: 'table' },
          h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Device'), h('th', { class: 'hide-sm' }, 'Cart'),
            h('th', { class: 'hide-sm' }, 'Since'), h('th', { class: 'hide-md' }, 'From'), h('th', null, 'Actions'))),
          h('tbody', { id: 'devices-body' }))),
      h('p', { id: 'devices-empty', class: 'empty', hidden: true }, 'Nobody is logged in on a handheld or station.'),
      h('h3', null, 'Pack benches'),
      h('ul', { id: 'stations-list', class: 'bench-list' })));
  $('carts-refresh').addEventListener('click', () => refresh());
  st.built = true;
}

function note(text) {
  $('carts-note').textContent = text;
}

function stopText(c) {
  if (!c.stops) return '—';
  const at = Math.min(c.stops_done + 1, c.stops);
  return `${at} of ${c.stops}` + (c.current ? ` · ${c.current}` : '');
}

function cartRow(c) {
  const actions = [];
  if (c.status === 'picking') {
    const off = h('button', { type: 'button', class: 'btn', dataset: { action: 'unassign', cart: c.id } }, 'Take off picker');
    off.addEventListener('click', () => unassign(c));
    actions.push(off);
  }
  const inputID = 'give-' + c.id;
  const form = h('form', { class: 'give-form', dataset: { cart: c.id } },
    h('label', { for: inputID, class: 'sr-only' }, `Give cart ${c.id} to picker`),
    h('input', { id: inputID, list: 'carts-pickers', placeholder: 'picker name', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '64', required: true }),
    h('button', { type: 'submit', class: 'btn' }, c.picker ? 'Give to' : 'Assign'));
  form.addEventListener('submit', (e) => { e.preventDefault(); assign(c, form.querySelector('input').value.trim()); });
  actions.push(form);
  return h('tr', { dataset: { cart: c.id, status: c.status, picker: c.picker || '' } },
    h('td', { class: 'mono nowrap' }, h('a', { href: '#waves/' + enc(c.wave_id) }, c.id)),
    h('td', null, c.picker ? c.picker : h('span', { class: 'muted' }, 'waiting'), ' ', statusBadge(c.status)),
    h('td', { class: 'stop' }, stopText(c)),
    h('td', { class: 'num' }, `${c.units_picked} of ${c.units}` + (c.units_short ? ` (${c.units_short} short)` : '')),
    h('td', { class: 'actions-cell' }, ...actions));
}

function deviceRow(d) {
  const out = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'logout', device: d.id } }, 'Force logout');
  out.addEventListener('click', () => forceLogout(d, out));
  const what = d.kind === 'station' ? `Station ${d.station}` : `Handheld${d.device ? ' ' + d.device : ''}`;
  return h('tr', { dataset: { device: d.id, user: d.user, kind: d.kind } },
    h('td', null, d.user, d.role ? h('span', { class: 'muted' }, ' ' + d.role) : null),
    h('td', null, what),
    h('td', { class: 'hide-sm mono' }, d.cart || '—'),
    h('td', { class: 'hide-sm nowrap' }, fmtTime(d.connected_at), d.last_seen ? h('span', { class: 'muted' }, ' · seen ' + fmtTime(d.last_seen)) : null),
    h('td', { class: 'hide-md mono' }, d.remote),
    h('td', null, out));
}

// busy reports whether the supervisor is typing in a row's form, which a
// refresh would wipe.
function busy() {
  const a = document.activeElement;
  return !!(a && a.closest && a.closest('#carts-body form') && a.value);
}

async function refresh(quiet) {
  const gen = ++st.gen;
  clearTimeout(st.timer);
  if (quiet && busy()) {
    st.timer = setTimeout(() => refresh(true), POLL_MS);
    return;
  }
  const table = $('carts-table');
  try {
    const [carts, devices] = await Promise.all([st.ctx.api('GET', '/carts'), st.ctx.api('GET', '/devices')]);
    if (gen !== st.gen) return;
    clearError($('carts-error'));
    clearError($('devices-error'));
    const items = carts.items || [];
    $('carts-body').replaceChildren(...items.map(cartRow));
    $('carts-empty').hidden = items.length > 0;
    const devs = devices.items || [];
    $('devices-body').replaceChildren(...devs.map(deviceRow));
    $('devices-empty').hidden = devs.length > 0;
    $('stations-list').replaceChildren(...(devices.stations || []).map((s) => h('li', { dataset: { station: s.id } },
      h('span', { class: 'mono' }, s.id), ` ${s.name}: `, s.packer ? s.packer : h('span', { class: 'muted' }, 'nobody signed in'))));
    // Names to offer: pickers on the floor and those with a cart.
    const names = new Set([...devs.filter((d) => d.kind === 'handheld').map((d) => d.user), ...items.map((c) => c.picker).filter(Boolean)]);
    $('carts-pickers').replaceChildren(...[...names].sort().map((n) => h('option', { value: n })));
    table.dataset.state = 'ready';
  } catch (err) {
    if (gen !== st.gen) return;
    showError($('carts-error'), err);
    table.dataset.state = 'error';
    if (err.status === 401 || err.status === 403) return;
  }
  if (gen === st.gen) st.timer = setTimeout(() => refresh(true), POLL_MS);
}

async function post(path, body, what) {
  clearError($('carts-error'));
  try {
    return await st.ctx.api('POST', path, body);
  } catch (err) {
    showError($('carts-error'), { message: `${what}: ${err.message}`, details: err.details });
    return null;
  }
}

async function unassign(c) {
  const res = await post(`/carts/${enc(c.id)}/unassign`, undefined, `Taking ${c.id} off ${c.picker}`);
  if (res) note(res.changed ? `${c.id} taken off ${res.from}: it waits for the next picker, with what was picked.` : `${c.id} was waiting already.`);
  refresh();
}

async function assign(c, picker) {
  if (!picker) {
    showError($('carts-error'), { message: `Type the name of the picker to give ${c.id} to.` });
    return;
  }
  const res = await post(`/carts/${enc(c.id)}/assign`, { picker }, `Giving ${c.id} to ${picker}`);
  if (res) note(res.changed ? `${c.id} given to ${res.to}` + (res.from ? ` (taken off ${res.from}).` : '.') : `${c.id} is with ${picker} already.`);
  refresh();
}

async function forceLogout(d, btn) {
  if (!btn.dataset.armed) {
    // A second click confirms: a forced logout ends the device's session.
    btn.dataset.armed = '1';
    btn.textContent = `Log ${d.user} out?`;
    return;
  }
  btn.disabled = true;
  try {
    await st.ctx.api('POST', `/devices/${enc(d.id)}/logout`);
    note(`${d.user} is logged out of ${d.kind === 'station' ? 'station ' + d.station : 'the handheld'}; the device must log in again.`);
  } catch (err) {
    showError($('devices-error'), err);
  }
  refresh();
}

function enter(_arg, ctx) {
  if (!st.built) build();
  st.ctx = ctx;
  refresh();
}

function leave() {
  st.gen++;
  clearTimeout(st.timer);
}

window.Pickwave.addScreen('carts', { title: 'Carts & pickers', enter, leave });
