// The KPI screen: the figures of docs/kpis.md for today and the last
// hours and days, with SVG charts and a CSV export. An ES module; the
// console (app.js) tells it when its tab is shown with a pickwave:view
// event. Figures come from GET /api/v1/kpis.

import { barChart } from '/charts.js';

const { client, h, showError, clearError } = window.Pickwave;
const $ = (id) => document.getElementById(id);
const api = client(null);

const num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const pct = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const hourFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

// duration says a number of seconds the way a supervisor reads it.
function duration(s) {
  if (s === null || s === undefined) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${num.format(s / 3600)} h`;
  return `${num.format(s / 86400)} d`;
}

const orDash = (v, f) => (v === null || v === undefined ? '—' : f(v));

// TILES are the headline figures: label, value, and how it was counted.
const TILES = [
  ['kpi-accuracy', 'Pick accuracy', (r) => orDash(r.pick_accuracy, pct.format), (r) => `${r.wrong_scans} wrong of ${r.pick_scans} scans`],
  ['kpi-pph', 'Picks per hour', (r) => orDash(r.picks_per_hour, num.format), (r) => `${r.picks} picks in ${duration(r.active_hours * 3600)} of work`],
  ['kpi-uph', 'Units per hour', (r) => orDash(r.units_per_hour, num.format), (r) => `${r.units} units`],
  ['kpi-short', 'Short-pick rate', (r) => orDash(r.short_pick_rate, pct.format), (r) => `${r.short_picks} of ${r.picks} picks`],
  ['kpi-cycle-picked', 'Received → picked', (r) => duration(r.cycle_to_picked.p50_s), (r) => `p50; p90 ${duration(r.cycle_to_picked.p90_s)} over ${r.cycle_to_picked.orders} orders`],
  ['kpi-cycle-shipped', 'Received → shipped', (r) => duration(r.cycle_to_shipped.p50_s), (r) => `p50; p90 ${duration(r.cycle_to_shipped.p90_s)} over ${r.cycle_to_shipped.orders} orders`],
  ['kpi-ontime', 'On time', (r) => orDash(r.on_time_rate, pct.format), (r) => `${r.on_time} of ${r.shipped_due} shipped by ship_by`],
  ['kpi-mispick', 'Mispicks at pack', (r) => String(r.pack_mispicks), (r) => `of ${r.pack_scans} pack scans`],
  ['kpi-walk', 'Walking per unit', (r) => orDash(r.walk_per_unit_m, (v) => `${num.format(v)} m`), (r) => `${num.format(r.walk_m)} m for ${r.walk_units} units`],
];

const state = { active: false, gen: 0 };

function hourStart(d) {
  const t = new Date(d);
  t.setUTCMinutes(0, 0, 0);
  return t;
}

async function load() {
  const gen = ++state.gen;
  const box = $('kpis-error');
  clearError(box);
  $('view-kpis').dataset.state = 'loading';
  const to = hourStart(Date.now() + 3600e3);
  const hoursFrom = new Date(to - 24 * 3600e3);
  const daysTo = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate() + 1));
  const daysFrom = new Date(daysTo - 14 * 86400e3);
  const q = (from, t, step) => `/kpis?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(t.toISOString())}&step=${step}`;
  try {
    const [hours, days] = await Promise.all([api('GET', q(hoursFrom, to, 'hour')), api('GET', q(daysFrom, daysTo, 'day'))]);
    if (gen !== state.gen || !state.active) return;
    render(hours, days);
    $('kpis-csv').href = `/api/v1/kpis?format=csv&step=hour&from=${encodeURIComponent(hoursFrom.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    $('view-kpis').dataset.state = 'ready';
  } catch (err) {
    if (gen !== state.gen) return;
    showError(box, err);
    $('view-kpis').dataset.state = 'error';
  }
}

function render(hours, days) {
  $('kpis-range').textContent = `Last 24 hours, to ${hourFmt.format(new Date(hours.to))}`;
  $('kpis-tiles').replaceChildren(...TILES.map(([id, label, value, how]) => h('div', { class: 'kpi-tile', id },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value', 'data-figure': id }, value(hours)),
    h('div', { class: 'kpi-how' }, how(hours)))));
  const hourPoints = (key) => hours.series.map((s) => ({ label: hourFmt.format(new Date(s.from)), value: key(s), title: `${hourFmt.format(new Date(s.from))}–${hourFmt.format(new Date(s.to))}` }));
  const dayPoints = (key) => days.series.map((s) => ({ label: dayFmt.format(new Date(s.from)), value: key(s) }));
  $('kpis-charts').replaceChildren(
    chartCard('Picks per hour, last 24 hours', barChart({ title: 'Picks per hour, by hour, last 24 hours',
      points: hourPoints((s) => s.picks_per_hour), format: (v) => num.format(v), labelEvery: 4 })),
    chartCard('Wrong scans, last 24 hours', barChart({ title: 'Wrong scans by hour, last 24 hours',
      points: hourPoints((s) => s.wrong_scans), format: (v) => num.format(v), labelEvery: 4 })),
    chartCard('Units picked, last 14 days', barChart({ title: 'Units picked by day, last 14 days',
      points: dayPoints((s) => s.units), format: (v) => num.format(v), labelEvery: 2 })),
    chartCard('Received → shipped p90, last 14 days', barChart({ title: 'Order cycle time to shipped, 90th percentile, by day, last 14 days',
      points: dayPoints((s) => s.cycle_to_shipped.p90_s), format: duration, labelEvery: 2 })),
  );
  const rows = (list) => (list || []).map((r) => h('tr', null,
    h('td', null, r.name), h('td', { class: 'num' }, String(r.picks)), h('td', { class: 'num' }, String(r.units)),
    h('td', { class: 'num' }, duration(r.active_hours * 3600)),
    h('td', { class: 'num' }, orDash(r.picks_per_hour, num.format)), h('td', { class: 'num' }, orDash(r.units_per_hour, num.format))));
  $('kpis-pickers').replaceChildren(...rows(hours.pickers));
  $('kpis-waves').replaceChildren(...rows(hours.waves));
  $('kpis-pickers-empty').hidden = (hours.pickers || []).length > 0;
  $('kpis-waves-empty').hidden = (hours.waves || []).length > 0;
}

function chartCard(title, svg) {
  return h('figure', { class: 'chart-card' }, h('figcaption', null, title), svg);
}

document.addEventListener('pickwave:view', (e) => {
  const on = e.detail.view === 'kpis';
  if (on && !state.active) {
    state.active = true;
    load();
  } else if (!on) {
    state.active = false;
    state.gen++;
  }
});

$('kpis-refresh').addEventListener('click', () => { if (state.active) load(); });
