// Pickwave's charts: small SVG bar charts built with DOM calls, for the
// KPI screen. No library: a bar chart of a few dozen points is less code
// than a charting library's configuration, and it obeys the page's CSP
// (no inline styles) and its colours. Text is only ever set as text.

const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so the
// axis reads in round numbers.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) {
    if (v <= m * p) return m * p;
  }
  return 10 * p;
}

// barChart draws points ({label, value, title}) as bars; a null value is a
// gap (no figure), drawn as a faint tick. format formats axis and tooltip
// values. The chart scales to its container's width (viewBox), and says
// what it shows to screen readers in its title and description.
export function barChart({ title, description, points, format = String, labelEvery = 1 }) {
  const W = 640, H = 220, left = 64, right = 8, top = 12, bottom = 34;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', null, title));
  if (description) svg.append(el('desc', null, description));
  const values = points.map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const max = niceMax(Math.max(0, ...values));
  const plotW = W - left - right, plotH = H - top - bottom;
  const y = (v) => top + plotH - (v / max) * plotH;
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    svg.append(el('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'chart-grid' }));
    svg.append(el('text', { x: left - 6, y: y(v) + 4, class: 'chart-axis', 'text-anchor': 'end' }, format(v)));
  }
  const n = Math.max(points.length, 1);
  const slot = plotW / n;
  const bw = Math.max(2, slot * 0.7);
  points.forEach((p, i) => {
    const x = left + i * slot + (slot - bw) / 2;
    const g = el('g', { class: 'chart-bar' });
    const tip = `${p.title || p.label}: ${p.value === null || p.value === undefined ? window.I18n.t('ch.no_figure') : format(p.value)}`;
    g.append(el('title', null, tip));
    if (p.value === null || p.value === undefined) {
      g.append(el('rect', { x, y: y(0) - 2, width: bw, height: 2, class: 'chart-none' }));
    } else {
      const h = Math.max(p.value > 0 ? 1 : 0, y(0) - y(p.value));
      g.append(el('rect', { x, y: y(0) - h, width: bw, height: h, class: 'chart-fill' }));
    }
    svg.append(g);
    if (i % labelEvery === 0) {
      svg.append(el('text', { x: x + bw / 2, y: H - bottom + 16, class: 'chart-axis', 'text-anchor': 'middle' }, p.label));
    }
  });
  return svg;
}
