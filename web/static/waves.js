// Pickwave supervisor console: waves. Plan a wave from a template and see
// the plan (carts, stops, walking against first-come-first-served carts
// walked S-shape) before anything leaves the pool; release it, discard it,
// or, once it is being picked, cancel what has not started. A wave's page
// shows its carts with their pickers, stop n of m and units, and a map of
// the aisles with each cart's route. Plain ES module, no build step; text
// from the API is only inserted as text.

import { aisleMap, PALETTE } from './map.js';

const { h, showError, clearError, parseTime } = window.Pickwave;
const { t } = window.I18n;
const enc = encodeURIComponent;
const POLL_MS = 3000;

const st = { ctx: null, id: '', gen: 0, timer: 0, layout: null, built: false, wave: null };

const $ = (id) => document.getElementById(id);
const fmtM = (m) => t('wv.v_m', { v: Math.round(m).toLocaleString(I18n.locale) });
const pct = (part, whole) => (whole > 0 ? Math.round((100 * part) / whole) : 0);
const when = new Intl.DateTimeFormat(I18n.locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const fmtWhen = (iso) => { const d = parseTime(iso); return d ? when.format(d) : '—'; };

function statusBadge(s) {
  return h('span', { class: 'status status-' + (/^[a-z]+$/.test(s) ? s : 'unknown') }, I18n.has('status.' + s) ? t('status.' + s) : s);
}

function num(id, label, value, attrs) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', Object.assign({ id, type: 'number', inputmode: 'numeric', min: '0', step: '1', value: String(value) }, attrs || {})));
}

function text(id, label, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, autocomplete: 'off', spellcheck: 'false', placeholder: hint || '' }));
}

// build makes the screen's parts once: the list with the plan form, and
// the wave page.
function build() {
  const view = $('view-waves');
  view.replaceChildren(
    h('div', { id: 'waves-list', class: 'card' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'waves-title' }, t('wv.waves')),
        h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'waves-refresh', class: 'btn' }, t('wv.refresh')))),
      h('details', { id: 'plan-box', class: 'plan-box', open: true },
        h('summary', null, t('wv.plan_a_wave')),
        h('form', { id: 'plan-form', class: 'plan-form', novalidate: true },
          h('p', { class: 'muted' }, t('wv.takes_allocated_orders_in_no')),
          h('div', { class: 'plan-grid' },
            text('plan-name', t('wv.template_name'), t('wv.e_g_morning_ups')),
            text('plan-carriers', t('wv.carriers'), t('wv.comma_separated_e_g_ups')),
            text('plan-services', t('wv.services'), t('wv.comma_separated')),
            h('div', { class: 'field' },
              h('label', { for: 'plan-shipby' }, t('wv.ship_by_before')),
              h('input', { id: 'plan-shipby', type: 'datetime-local' })),
            num('plan-priority', t('wv.minimum_priority'), 0, { min: null }),
            text('plan-zones', t('wv.zones'), t('wv.comma_separated')),
            num('plan-max-orders', t('wv.max_orders'), 0),
            num('plan-max-lines', t('wv.max_lines'), 0),
            num('plan-max-units', t('wv.max_units'), 0),
            num('plan-max-carts', t('wv.max_carts'), 0),
            num('plan-totes', t('wv.totes_per_cart'), 8, { min: '1', max: '1000' }),
            num('plan-tote-units', t('wv.units_per_tote_0_no'), 0),
            num('plan-seed', t('wv.seed'), 1)),
          h('div', { class: 'field field-check' },
            h('input', { id: 'plan-zone-picking', type: 'checkbox' }),
            h('label', { for: 'plan-zone-picking' }, t('wv.zone_picking_each_cart_stays'))),
          h('div', { id: 'plan-error', class: 'error', role: 'alert', hidden: true }),
          h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'plan-submit', class: 'btn btn-primary' }, t('wv.plan_and_preview'))))),
      h('div', { id: 'waves-error', class: 'error', role: 'alert', hidden: true }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'waves-table', class: 'table table-click' },
          h('thead', null, h('tr', null,
            h('th', null, t('wv.wave')), h('th', null, t('wv.status')), h('th', { class: 'num' }, t('wv.orders')),
            h('th', { class: 'num hide-sm' }, t('wv.carts')), h('th', null, t('wv.progress')), h('th', { class: 'hide-sm' }, t('wv.created')))),
          h('tbody', { id: 'waves-body' }))),
      h('p', { id: 'waves-empty', class: 'empty', hidden: true }, t('wv.no_waves_yet_plan_one'))),
    h('div', { id: 'wave-page', class: 'card', hidden: true },
      h('div', { class: 'card-head' },
        h('h2', null, h('a', { href: '#waves', class: 'back-link' }, t('wv.waves2')), ' ', h('span', { id: 'wave-title' }), ' ', h('span', { id: 'wave-status' })),
        h('div', { class: 'toolbar', id: 'wave-actions' })),
      h('div', { id: 'wave-error', class: 'error', role: 'alert', hidden: true }),
      h('p', { id: 'wave-note', class: 'note', role: 'status', 'aria-live': 'polite' }),
      h('div', { id: 'wave-confirm', class: 'confirm', hidden: true }),
      h('dl', { id: 'wave-figures', class: 'facts wave-figures' }),
      h('div', { id: 'wave-progress' }),
      h('h3', null, t('wv.carts')),
      h('div', { class: 'table-wrap' }, h('table', { id: 'wave-carts', class: 'table' }, h('thead'), h('tbody'))),
      h('h3', null, t('wv.aisle_map')),
      h('div', { id: 'wave-map', class: 'map-box' }),
      h('ul', { id: 'wave-legend', class: 'legend' })));
  $('plan-form').addEventListener('submit', onPlan);
  $('waves-refresh').addEventListener('click', () => loadList());
  $('waves-body').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-id]');
    if (tr && !e.target.closest('a')) location.hash = '#waves/' + enc(tr.dataset.id);
  });
  st.built = true;
}

function list(v) {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function intOf(id) {
  const v = $(id).value.trim();
  return v === '' ? 0 : Number(v);
}

// template reads the plan form into a WaveTemplate, as the API has it.
function template() {
  const tpl = {
    name: $('plan-name').value.trim(),
    min_priority: intOf('plan-priority'),
    zone_picking: $('plan-zone-picking').checked,
    max_orders: intOf('plan-max-orders'),
    max_lines: intOf('plan-max-lines'),
    max_units: intOf('plan-max-units'),
    max_carts: intOf('plan-max-carts'),
    totes_per_cart: intOf('plan-totes'),
    tote: { max_units: intOf('plan-tote-units'), inner_mm: { length_mm: 0, width_mm: 0, height_mm: 0 }, fill_factor: 0 },
  };
  const carriers = list($('plan-carriers').value);
  const services = list($('plan-services').value);
  const zones = list($('plan-zones').value);
  if (carriers.length) tpl.carriers = carriers;
  if (services.length) tpl.services = services;
  if (zones.length) tpl.zones = zones;
  const shipBy = $('plan-shipby').value;
  if (shipBy) tpl.ship_by_before = new Date(shipBy).toISOString();
  return tpl;
}

async function onPlan(e) {
  e.preventDefault();
  const box = $('plan-error');
  clearError(box);
  $('plan-submit').disabled = true;
  try {
    const w = await st.ctx.api('POST', '/waves', { template: template(), seed: intOf('plan-seed') });
    location.hash = '#waves/' + enc(w.id);
  } catch (err) {
    showError(box, err);
  } finally {
    $('plan-submit').disabled = false;
  }
}

async function loadList() {
  const gen = st.gen;
  const table = $('waves-table');
  table.dataset.state = 'loading';
  try {
    const page = await st.ctx.api('GET', '/waves?limit=50');
    if (gen !== st.gen) return;
    clearError($('waves-error'));
    const rows = (page.items || []).map((w) => {
      const p = w.progress || {};
      const todo = (p.units || 0) - (p.units_cancelled || 0);
      const done = (p.units_picked || 0) + (p.units_short || 0);
      return h('tr', { dataset: { id: w.id, status: w.status } },
        h('td', { class: 'nowrap' }, h('a', { class: 'order-link', href: '#waves/' + enc(w.id) }, w.id),
          w.template && w.template.name ? h('span', { class: 'muted' }, ' ' + w.template.name) : null),
        h('td', null, statusBadge(w.status)),
        h('td', { class: 'num' }, (w.orders || []).length),
        h('td', { class: 'num hide-sm' }, p.carts || 0),
        h('td', null, w.status === 'planned' ? h('span', { class: 'muted' }, 'preview') :
          h('progress', { max: String(Math.max(todo, 1)), value: String(done), 'aria-label': t('wv.id_done_of_todo_units', { id: w.id, done, todo }) })),
        h('td', { class: 'hide-sm nowrap' }, fmtWhen(w.created_at)));
    });
    $('waves-body').replaceChildren(...rows);
    $('waves-empty').hidden = rows.length > 0;
    table.dataset.state = 'ready';
  } catch (err) {
    if (gen !== st.gen) return;
    showError($('waves-error'), err);
    table.dataset.state = 'error';
  }
}

// ---- One wave ------------------------------------------------------------

async function layout() {
  if (!st.layout) st.layout = await st.ctx.api('GET', '/layout');
  return st.layout;
}

async function loadWave(id, quiet) {
  const gen = st.gen;
  const page = $('wave-page');
  if (!quiet) page.dataset.state = 'loading';
  try {
    const [w, l] = await Promise.all([st.ctx.api('GET', '/waves/' + enc(id)), layout()]);
    const carts = w.status === 'planned' ? [] : (await st.ctx.api('GET', '/waves/' + enc(id) + '/carts')).items || [];
    if (gen !== st.gen) return;
    clearError($('wave-error'));
    st.wave = w;
    renderWave(w, carts, l);
    page.dataset.state = 'ready';
    page.dataset.status = w.status;
    if (w.status === 'released') st.timer = setTimeout(() => loadWave(id, true), POLL_MS);
  } catch (err) {
    if (gen !== st.gen) return;
    showError($('wave-error'), err);
    page.dataset.state = 'error';
    if (err.status !== 404 && err.status !== 403 && err.status !== 401) st.timer = setTimeout(() => loadWave(id, true), POLL_MS * 2);
  }
}

function planCarts(w) {
  return ((w.plan && w.plan.carts) || []).map((c, i) => ({
    id: `Cart ${i + 1}`,
    stops: c.stops || [],
    orders: (c.totes || []).length,
    units: (c.totes || []).reduce((n, t) => n + (t.picks || []).reduce((m, p) => m + p.qty, 0), 0),
    distance: c.distance_m,
    sshape: c.sshape_distance_m,
  }));
}

function renderWave(w, carts, l) {
  $('wave-title').textContent = w.id + (w.template && w.template.name ? ' · ' + w.template.name : '');
  $('wave-status').replaceChildren(statusBadge(w.status));
  const plan = w.plan || { carts: [], baseline: {} };
  const pc = planCarts(w);
  const stops = pc.reduce((n, c) => n + c.stops.length, 0);
  const base = plan.baseline || {};
  const saved = (base.fcfs_sshape_m || 0) - plan.distance_m;
  const p = w.progress || {};
  $('wave-figures').replaceChildren(
    h('dt', null, t('wv.orders')), h('dd', { id: 'wf-orders' }, (w.orders || []).length),
    h('dt', null, t('wv.carts')), h('dd', { id: 'wf-carts' }, pc.length),
    h('dt', null, t('wv.stops')), h('dd', { id: 'wf-stops' }, stops),
    h('dt', null, t('wv.units')), h('dd', { id: 'wf-units' }, p.units || 0),
    h('dt', null, t('wv.walking_this_plan')), h('dd', { id: 'wf-walk' }, fmtM(plan.distance_m || 0)),
    h('dt', null, t('wv.first_come_first_served_s')), h('dd', { id: 'wf-baseline' }, fmtM(base.fcfs_sshape_m || 0)),
    h('dt', null, t('wv.walking_saved')), h('dd', { id: 'wf-saved', class: saved > 0 ? 'good' : '' },
      t('wv.v_v2', { v: fmtM(saved), v2: pct(saved, base.fcfs_sshape_m) })),
    h('dt', { class: 'hide-sm' }, t('wv.same_carts_routed_like_the')), h('dd', { class: 'hide-sm' }, fmtM(base.fcfs_m || 0)),
    h('dt', { class: 'hide-sm' }, t('wv.every_order_on_its_own')), h('dd', { class: 'hide-sm' }, fmtM(base.order_by_order_m || 0)));

  const todo = (p.units || 0) - (p.units_cancelled || 0);
  const done = (p.units_picked || 0) + (p.units_short || 0);
  $('wave-progress').replaceChildren(...(w.status === 'planned' ? [] : [
    h('label', { for: 'wave-progress-bar' }, t('wv.picked_v_of_todo_units', { v: p.units_picked || 0, todo }) +
      (p.units_short ? t('wv.units_short_short', { units_short: p.units_short }) : '') + (p.units_cancelled ? t('wv.units_cancelled_cancelled', { units_cancelled: p.units_cancelled }) : '') +
      t('wv.carts_v_done_of_v2', { v: p.carts_done || 0, v2: p.carts || 0 }) + (p.carts_cancelled ? t('wv.carts_cancelled_cancelled', { carts_cancelled: p.carts_cancelled }) : '')),
    h('progress', { id: 'wave-progress-bar', max: String(Math.max(todo, 1)), value: String(done) })]));

  renderActions(w);
  renderCarts(w, carts, pc);

  // The map: the plan's stops for each cart; a released cart marks its
  // picker's current stop.
  const routes = pc.map((c, i) => ({
    label: carts[i] ? carts[i].id : c.id,
    stops: c.stops,
    color: PALETTE[i % PALETTE.length],
    current: carts[i] && carts[i].status === 'picking' ? carts[i].current : '',
  })).filter((r, i) => !carts[i] || carts[i].status !== 'cancelled');
  $('wave-map').replaceChildren(aisleMap(l, routes, t('wv.aisles_of_the_floor_with', { id: w.id })));
  $('wave-legend').replaceChildren(...routes.map((r) => h('li', { dataset: { cart: r.label } },
    swatch(r.color), ' ' + t('wv.legend_stops', { label: r.label, n: r.stops.length }))));
}

// swatch is a small square of a route's colour, drawn in SVG (the CSP
// allows no inline styles).
function swatch(color) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 10 10');
  svg.setAttribute('class', 'swatch');
  svg.setAttribute('aria-hidden', 'true');
  const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ width: 10, height: 10, rx: 2, fill: color })) r.setAttribute(k, String(v));
  svg.append(r);
  return svg;
}

function renderCarts(w, carts, pc) {
  const table = $('wave-carts');
  if (w.status === 'planned') {
    table.tHead.replaceChildren(h('tr', null, h('th', null, t('wv.cart')), h('th', { class: 'num' }, t('wv.orders')),
      h('th', { class: 'num' }, t('wv.stops')), h('th', { class: 'num' }, t('wv.units')), h('th', { class: 'num' }, t('wv.walk')),
      h('th', { class: 'num hide-sm' }, t('wv.s_shape'))));
    table.tBodies[0].replaceChildren(...pc.map((c) => h('tr', { dataset: { cart: c.id } },
      h('td', null, c.id), h('td', { class: 'num' }, c.orders), h('td', { class: 'num' }, c.stops.length),
      h('td', { class: 'num' }, c.units), h('td', { class: 'num' }, fmtM(c.distance)), h('td', { class: 'num hide-sm' }, fmtM(c.sshape)))));
    return;
  }
  table.tHead.replaceChildren(h('tr', null, h('th', null, t('wv.cart')), h('th', null, t('wv.picker')), h('th', null, t('wv.status')),
    h('th', null, t('wv.stop')), h('th', { class: 'num' }, t('wv.units')), h('th', { class: 'num hide-sm' }, t('wv.walk'))));
  table.tBodies[0].replaceChildren(...carts.map((c) => {
    const at = Math.min(c.stops_done + 1, c.stops);
    const stop = c.status === 'done' ? t('wv.stops_of_stops2_done', { stops: c.stops, stops2: c.stops }) : c.status === 'cancelled' ? '—' :
      t('wv.at_of_stops', { at, stops: c.stops }) + (c.current ? t('wv.current', { current: c.current }) : '');
    return h('tr', { dataset: { cart: c.id, status: c.status } },
      h('td', { class: 'mono nowrap' }, c.id),
      h('td', null, c.picker || h('span', { class: 'muted' }, c.status === 'open' ? 'waiting' : '—')),
      h('td', null, statusBadge(c.status)),
      h('td', { class: 'stop' }, stop),
      h('td', { class: 'num' }, t('wv.units_picked_of_units', { units_picked: c.units_picked, units: c.units }) + (c.units_short ? t('wv.units_short_short2', { units_short: c.units_short }) : '')),
      h('td', { class: 'num hide-sm' }, fmtM(c.distance_m)));
  }));
}

function button(id, label, cls, onClick) {
  const b = h('button', { type: 'button', id, class: 'btn ' + (cls || '') }, label);
  b.addEventListener('click', onClick);
  return b;
}

function renderActions(w) {
  const p = w.progress || {};
  const started = (p.tasks_done || 0) > 0 || (p.units_picked || 0) > 0 || (p.units_short || 0) > 0;
  const acts = [];
  if (w.status === 'planned') {
    acts.push(button('wave-release', t('wv.release_to_the_floor'), 'btn-primary', () => act('release', t('wv.released_the_carts_wait_for'))));
    acts.push(button('wave-discard', t('wv.discard_plan'), '', () => act('cancel', t('wv.plan_discarded_its_orders_stay'))));
  } else if (w.status === 'released') {
    if (!started) acts.push(button('wave-cancel', t('wv.cancel_wave'), '', () => act('cancel', t('wv.wave_cancelled_its_orders_are'))));
    acts.push(button('wave-cancel-rest', t('wv.cancel_what_has_not_started'), 'btn-danger', confirmCancelRest));
  }
  $('wave-actions').replaceChildren(...acts);
  if (w.status === 'planned') {
    $('wave-note').textContent = t('wv.preview_these_orders_stay_in');
  } else if (!$('wave-note').dataset.keep) {
    $('wave-note').textContent = '';
  }
}

function confirmCancelRest() {
  const box = $('wave-confirm');
  const yes = button('wave-cancel-rest-confirm', t('wv.yes_cancel_the_rest'), 'btn-danger', async () => {
    box.hidden = true;
    await act('cancel-rest', null);
  });
  const no = button('wave-cancel-rest-back', t('wv.keep_picking'), '', () => { box.hidden = true; });
  box.replaceChildren(h('p', null, t('wv.orders_on_which_nothing_has')),
    h('div', { class: 'actions' }, yes, no));
  box.hidden = false;
  yes.focus();
}

async function act(action, message) {
  const id = st.id;
  clearError($('wave-error'));
  for (const b of $('wave-actions').querySelectorAll('button')) b.disabled = true;
  try {
    const res = await st.ctx.api('POST', `/waves/${enc(id)}/${action}`);
    let note = message;
    if (action === 'cancel-rest') {
      note = t('wv.rest_cancelled', { orders: t('con.n_orders', { n: res.orders_returned.length }), carts: t('wv.n_carts', { n: res.carts_cancelled.length }), units: t('con.n_units', { n: res.units_cancelled }) }) +
        (res.carts_done.length ? ' ' + t('wv.n_carts_finished', { n: res.carts_done.length }) : '');
    }
    $('wave-note').textContent = note;
    $('wave-note').dataset.keep = '1';
    clearTimeout(st.timer);
    st.gen++;
    await loadWave(id, true);
  } catch (err) {
    showError($('wave-error'), err);
    for (const b of $('wave-actions').querySelectorAll('button')) b.disabled = false;
  }
}

// ---- The screen ----------------------------------------------------------

function enter(arg, ctx) {
  if (!st.built) build();
  st.ctx = ctx;
  clearTimeout(st.timer);
  st.gen++;
  if (arg !== st.id) delete $('wave-note').dataset.keep;
  st.id = arg;
  $('waves-list').hidden = !!arg;
  $('wave-page').hidden = !arg;
  if (arg) {
    $('wave-note').textContent = $('wave-note').dataset.keep ? $('wave-note').textContent : '';
    $('wave-confirm').hidden = true;
    loadWave(arg);
  } else {
    loadList();
  }
}

function leave() {
  clearTimeout(st.timer);
  st.gen++;
  st.layout = null; // a new layout shows on the next visit
}

window.Pickwave.addScreen('waves', { title: t('wv.waves'), enter, leave });
