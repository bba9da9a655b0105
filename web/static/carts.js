// Pickwave supervisor console: carts and pickers. The carts on the floor
// (waiting for a picker or being picked) with stop n of m; take a cart off
// its picker, so that it waits for the next one with what was picked kept,
// or give it to a named picker. Who is logged in on which device (handheld
// sockets, pack-station sockets, the packer at each bench), and a forced
// logout that ends a device's session. Plain ES module, no build step.

const { h, showError, clearError, parseTime } = window.Pickwave;
const { t } = window.I18n;
const enc = encodeURIComponent;
const POLL_MS = 4000;

const st = { ctx: null, gen: 0, timer: 0, built: false, pickers: [] };
const $ = (id) => document.getElementById(id);
const time = new Intl.DateTimeFormat(I18n.locale, { hour: '2-digit', minute: '2-digit' });
const fmtTime = (iso) => { const d = parseTime(iso); return d ? time.format(d) : '—'; };

function statusBadge(s) {
  return h('span', { class: 'status status-' + (/^[a-z]+$/.test(s) ? s : 'unknown') }, I18n.has('status.' + s) ? t('status.' + s) : s);
}

function build() {
  $('view-carts').replaceChildren(
    h('div', { class: 'card' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'carts-title' }, t('ca.carts_on_the_floor')),
        h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'carts-refresh', class: 'btn' }, t('ca.refresh')))),
      h('p', { id: 'carts-note', class: 'note', role: 'status', 'aria-live': 'polite' }),
      h('div', { id: 'carts-error', class: 'error', role: 'alert', hidden: true }),
      h('datalist', { id: 'carts-pickers' }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'carts-table', class: 'table' },
          h('thead', null, h('tr', null, h('th', null, t('ca.cart')), h('th', null, t('ca.picker')), h('th', null, t('ca.stop')),
            h('th', { class: 'num' }, t('ca.units')), h('th', null, t('ca.actions')))),
          h('tbody', { id: 'carts-body' }))),
      h('p', { id: 'carts-empty', class: 'empty', hidden: true }, t('ca.no_cart_is_on_the'))),
    h('div', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', null, t('ca.who_is_logged_in'))),
      h('div', { id: 'devices-error', class: 'error', role: 'alert', hidden: true }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'devices-table', class: 'table' },
          h('thead', null, h('tr', null, h('th', null, t('ca.user')), h('th', null, t('ca.device')), h('th', { class: 'hide-sm' }, t('ca.cart')),
            h('th', { class: 'hide-sm' }, t('ca.since')), h('th', { class: 'hide-md' }, t('ca.from')), h('th', null, t('ca.actions')))),
          h('tbody', { id: 'devices-body' }))),
      h('p', { id: 'devices-empty', class: 'empty', hidden: true }, t('ca.nobody_is_logged_in_on')),
      h('h3', null, t('ca.pack_benches')),
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
  return t('ca.at_of_stops', { at, stops: c.stops }) + (c.current ? t('ca.current', { current: c.current }) : '');
}

function cartRow(c) {
  const actions = [];
  if (c.status === 'picking') {
    const off = h('button', { type: 'button', class: 'btn', dataset: { action: 'unassign', cart: c.id } }, t('ca.take_off_picker'));
    off.addEventListener('click', () => unassign(c));
    actions.push(off);
  }
  const inputID = 'give-' + c.id;
  const form = h('form', { class: 'give-form', dataset: { cart: c.id } },
    h('label', { for: inputID, class: 'sr-only' }, t('ca.give_cart_id_to_picker', { id: c.id })),
    h('input', { id: inputID, list: 'carts-pickers', placeholder: t('ca.picker_name'), autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '64', required: true }),
    h('button', { type: 'submit', class: 'btn' }, c.picker ? t('ca.give_to') : t('ca.assign')));
  form.addEventListener('submit', (e) => { e.preventDefault(); assign(c, form.querySelector('input').value.trim()); });
  actions.push(form);
  return h('tr', { dataset: { cart: c.id, status: c.status, picker: c.picker || '' } },
    h('td', { class: 'mono nowrap' }, h('a', { href: '#waves/' + enc(c.wave_id) }, c.id)),
    h('td', null, c.picker ? c.picker : h('span', { class: 'muted' }, 'waiting'), ' ', statusBadge(c.status)),
    h('td', { class: 'stop' }, stopText(c)),
    h('td', { class: 'num' }, t('ca.units_picked_of_units', { units_picked: c.units_picked, units: c.units }) + (c.units_short ? t('ca.units_short_short', { units_short: c.units_short }) : '')),
    h('td', { class: 'actions-cell' }, ...actions));
}

function deviceRow(d) {
  const out = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'logout', device: d.id } }, t('ca.force_logout'));
  out.addEventListener('click', () => forceLogout(d, out));
  const what = d.kind === 'station' ? t('ca.station_station', { station: d.station }) : (d.device ? t('ca.handheld_named', { device: d.device }) : t('ca.handheld'));
  return h('tr', { dataset: { device: d.id, user: d.user, kind: d.kind } },
    h('td', null, d.user, d.role ? h('span', { class: 'muted' }, ' ' + d.role) : null),
    h('td', null, what),
    h('td', { class: 'hide-sm mono' }, d.cart || '—'),
    h('td', { class: 'hide-sm nowrap' }, fmtTime(d.connected_at), d.last_seen ? h('span', { class: 'muted' }, t('ca.seen') + fmtTime(d.last_seen)) : null),
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
      h('span', { class: 'mono' }, s.id), t('ca.name', { name: s.name }), s.packer ? s.packer : h('span', { class: 'muted' }, t('ca.nobody_signed_in')))));
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
    showError($('carts-error'), { message: t('ca.what_message', { what, message: err.message }), details: err.details });
    return null;
  }
}

async function unassign(c) {
  const res = await post(`/carts/${enc(c.id)}/unassign`, undefined, t('ca.taking_id_off_picker', { id: c.id, picker: c.picker }));
  if (res) note(res.changed ? t('ca.id_taken_off_from_it', { id: c.id, from: res.from }) : t('ca.id_was_waiting_already', { id: c.id }));
  refresh();
}

async function assign(c, picker) {
  if (!picker) {
    showError($('carts-error'), { message: t('ca.type_the_name_of_the', { id: c.id }) });
    return;
  }
  const res = await post(`/carts/${enc(c.id)}/assign`, { picker }, t('ca.giving_id_to_picker', { id: c.id, picker }));
  if (res) note(res.changed ? t('ca.id_given_to_to', { id: c.id, to: res.to }) + (res.from ? t('ca.taken_off_from', { from: res.from }) : '.') : t('ca.id_is_with_picker_already', { id: c.id, picker }));
  refresh();
}

async function forceLogout(d, btn) {
  if (!btn.dataset.armed) {
    // A second click confirms: a forced logout ends the device's session.
    btn.dataset.armed = '1';
    btn.textContent = t('ca.log_user_out', { user: d.user });
    return;
  }
  btn.disabled = true;
  try {
    await st.ctx.api('POST', `/devices/${enc(d.id)}/logout`);
    note(d.kind === 'station' ? t('ca.logged_out_station', { user: d.user, station: d.station }) : t('ca.logged_out_handheld', { user: d.user }));
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

window.Pickwave.addScreen('carts', { title: t('ca.carts_pickers'), enter, leave });
