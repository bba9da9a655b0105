// The KPI screen: the figures of docs/kpis.md for today and the last
// hours and days, with SVG charts and a CSV export. An ES module; the
// console (app.js) tells it when its tab is shown with a pickwave:view
// event. Figures come from GET /api/v1/kpis.

import { barChart } from '/charts.js';

const { client, h, showError, clearError } = window.Pickwave;
const { t } = window.I18n;
const $ = (id) => document.getElementById(id);
const api = client(null);

const num = new Intl.NumberFormat(I18n.locale, { maximumFractionDigits: 1 });
const pct = new Intl.NumberFormat(I18n.locale, { style: 'percent', maximumFractionDigits: 1 });
const hourFmt = new Intl.DateTimeFormat(I18n.locale, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(I18n.locale, { month: 'short', day: 'numeric' });

// duration says a number of seconds the way a supervisor reads it.
function duration(s) {
  if (s === null || s === undefined) return '—';
  if (s < 90) return t('kp.v_s', { v: Math.round(s) });
  if (s < 90 * 60) return t('kp.v_min', { v: Math.round(s / 60) });
  if (s < 48 * 3600) return t('kp.v_h', { v: num.format(s / 3600) });
  return t('kp.v_d', { v: num.format(s / 86400) });
}

const orDash = (v, f) => (v === null || v === undefined ? '—' : f(v));

// TILES are the headline figures: label, value, and how it was counted.
const TILES = [
  ['kpi-accuracy', t('kp.pick_accuracy'), (r) => orDash(r.pick_accuracy, pct.format), (r) => t('kp.wrong_scans_wrong_of_pick', { wrong_scans: r.wrong_scans, pick_scans: r.pick_scans })],
  ['kpi-pph', t('kp.picks_per_hour'), (r) => orDash(r.picks_per_hour, num.format), (r) => t('kp.picks_in_duration_of_work', { picks: r.picks, v: duration(r.active_hours * 3600) })],
  ['kpi-uph', t('kp.units_per_hour'), (r) => orDash(r.units_per_hour, num.format), (r) => t('kp.units_units', { units: r.units })],
  ['kpi-short', t('kp.short_pick_rate'), (r) => orDash(r.short_pick_rate, pct.format), (r) => t('kp.short_picks_of_picks_picks', { short_picks: r.short_picks, picks: r.picks })],
  ['kpi-cycle-picked', t('kp.received_picked'), (r) => duration(r.cycle_to_picked.p50_s), (r) => t('kp.p50_p90_v_over_orders', { v: duration(r.cycle_to_picked.p90_s), orders: r.cycle_to_picked.orders })],
  ['kpi-cycle-shipped', t('kp.received_shipped'), (r) => duration(r.cycle_to_shipped.p50_s), (r) => t('kp.p50_p90_v_over_orders', { v: duration(r.cycle_to_shipped.p90_s), orders: r.cycle_to_shipped.orders })],
  ['kpi-ontime', t('kp.on_time'), (r) => orDash(r.on_time_rate, pct.format), (r) => t('kp.on_time_of_shipped_due', { on_time: r.on_time, shipped_due: r.shipped_due })],
  ['kpi-mispick', t('kp.mispicks_at_pack'), (r) => String(r.pack_mispicks), (r) => t('kp.of_pack_scans_pack_scans', { pack_scans: r.pack_scans })],
  ['kpi-walk', t('kp.walking_per_unit'), (r) => orDash(r.walk_per_unit_m, (v) => t('kp.v_m', { v: num.format(v) })), (r) => t('kp.v_m_for_walk_units', { v: num.format(r.walk_m), walk_units: r.walk_units })],
];

const state = { active: false, gen: 0 };

function hourStart(d) {
  const hour = new Date(d);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
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
  $('kpis-range').textContent = t('kp.last_24_hours_to_v', { v: hourFmt.format(new Date(hours.to)) });
  $('kpis-tiles').replaceChildren(...TILES.map(([id, label, value, how]) => h('div', { class: 'kpi-tile', id },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value', 'data-figure': id }, value(hours)),
    h('div', { class: 'kpi-how' }, how(hours)))));
  const hourPoints = (key) => hours.series.map((s) => ({ label: hourFmt.format(new Date(s.from)), value: key(s), title: t('kp.v_v2', { v: hourFmt.format(new Date(s.from)), v2: hourFmt.format(new Date(s.to)) }) }));
  const dayPoints = (key) => days.series.map((s) => ({ label: dayFmt.format(new Date(s.from)), value: key(s) }));
  $('kpis-charts').replaceChildren(
    chartCard(t('kp.picks_per_hour_last_24'), barChart({ title: t('kp.picks_per_hour_by_hour'),
      points: hourPoints((s) => s.picks_per_hour), format: (v) => num.format(v), labelEvery: 4 })),
    chartCard(t('kp.wrong_scans_last_24_hours'), barChart({ title: t('kp.wrong_scans_by_hour_last'),
      points: hourPoints((s) => s.wrong_scans), format: (v) => num.format(v), labelEvery: 4 })),
    chartCard(t('kp.units_picked_last_14_days'), barChart({ title: t('kp.units_picked_by_day_last'),
      points: dayPoints((s) => s.units), format: (v) => num.format(v), labelEvery: 2 })),
    chartCard(t('kp.received_shipped_p90_last_14'), barChart({ title: t('kp.order_cycle_time_to_shipped'),
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
