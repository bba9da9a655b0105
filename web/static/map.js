// Pickwave aisle map: an SVG of the picking floor (docs/layout.md) with
// each cart's route drawn. A route is the walk the plan's distances are
// measured on: depot → stops in order → depot, each leg the shortest walk
// between two bays (along an aisle, or to the cross aisle that makes the
// leg shortest, across, and into the next aisle). Plain ES module; every
// node is built with createElementNS, nothing is parsed as markup.

const { t } = window.I18n;
const SVG = 'http://www.w3.org/2000/svg';

// PALETTE holds route colours that stay apart for common colour-vision
// deficiencies and keep at least 4.5:1 contrast on white.
export const PALETTE = ['#0f6b6b', '#b3261e', '#5b3aa8', '#8a5300', '#1d5fa8', '#a1306b', '#3d6b1f', '#4a4a4a'];

function el(tag, attrs, ...kids) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) n.setAttribute(k, String(v));
  }
  for (const k of kids) if (k) n.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return n;
}

// crossAisles returns the y (in metres) of every cross aisle, front first.
export function crossAisles(layout) {
  const n = layout.cross_aisles || 2;
  const bays = layout.bays_per_aisle;
  const ys = [0];
  for (let k = 1; k <= n - 2; k++) ys.push(Math.floor((k * bays) / (n - 1)) * layout.bay_width_m);
  ys.push(bays * layout.bay_width_m);
  return ys;
}

const xOf = (layout, aisle) => (aisle - 1) * layout.aisle_pitch_m;
const yOf = (layout, bay) => (bay - 0.5) * layout.bay_width_m;

export function depotPoint(layout) {
  const d = layout.depot || {};
  const back = d.end === 'back';
  return [xOf(layout, d.aisle || 1), back ? layout.bays_per_aisle * layout.bay_width_m : 0];
}

// leg returns the points of the shortest walk from a to b, both on aisle
// centre lines, as docs/layout.md defines it.
export function leg(layout, a, b, cross) {
  if (Math.abs(a[0] - b[0]) < 1e-9) return [a, b];
  let best = cross[0];
  let bestCost = Infinity;
  for (const c of cross) {
    const cost = Math.abs(a[1] - c) + Math.abs(b[1] - c);
    if (cost < bestCost - 1e-9) { best = c; bestCost = cost; }
  }
  return [a, [a[0], best], [b[0], best], b];
}

// routePoints is a cart's whole walk: depot, its stops, depot.
export function routePoints(layout, stops) {
  const cross = crossAisles(layout);
  const depot = depotPoint(layout);
  const pts = [depot];
  let at = depot;
  for (const s of [...stops.map((st) => [xOf(layout, st.aisle), yOf(layout, st.bay)]), depot]) {
    const l = leg(layout, at, s, cross);
    pts.push(...l.slice(1));
    at = s;
  }
  return pts;
}

// walkLength adds up a route's legs, in metres.
export function walkLength(pts) {
  let m = 0;
  for (let i = 1; i < pts.length; i++) m += Math.abs(pts[i][0] - pts[i - 1][0]) + Math.abs(pts[i][1] - pts[i - 1][1]);
  return m;
}

// aisleMap draws the floor and the routes. routes: [{label, stops:
// [{aisle, bay, location}], color, current}] where current, when set, is
// the location the cart's picker is at. The map is in metres, front
// cross aisle at the bottom; it scales to its container's width.
export function aisleMap(layout, routes, title) {
  const pitch = layout.aisle_pitch_m;
  const length = layout.bays_per_aisle * layout.bay_width_m;
  const width = (layout.aisles - 1) * pitch;
  const pad = Math.max(pitch, 2);
  const vb = [-pad, -pad, width + 2 * pad, length + 2 * pad];
  const fy = (y) => length - y; // front (y = 0) at the bottom
  const stroke = Math.max(0.12, Math.min(pitch, layout.bay_width_m) / 8);
  const titleID = 'map-title-' + Math.random().toString(36).slice(2, 8);
  const svg = el('svg', {
    viewBox: vb.join(' '), class: 'aisle-map', role: 'img', 'aria-labelledby': titleID,
    preserveAspectRatio: 'xMidYMid meet',
  }, el('title', { id: titleID }, title || t('mp.aisle_map')));

  // Racks: a bar on each side of every aisle, cut at the cross aisles.
  const racks = el('g', { class: 'map-racks', fill: '#d9e0e6' });
  const cross = crossAisles(layout);
  const rack = pitch * 0.28;
  for (let a = 1; a <= layout.aisles; a++) {
    const x = xOf(layout, a);
    for (let i = 0; i + 1 < cross.length; i++) {
      const y0 = cross[i] + layout.bay_width_m * 0.15;
      const y1 = cross[i + 1] - layout.bay_width_m * 0.15;
      if (y1 <= y0) continue;
      for (const side of [-1, 1]) {
        racks.append(el('rect', {
          x: side < 0 ? x - pitch / 2 + pitch * 0.06 : x + pitch / 2 - pitch * 0.06 - rack,
          y: fy(y1), width: rack, height: y1 - y0, rx: rack / 6,
        }));
      }
    }
  }
  svg.append(racks);

  // Aisle and cross-aisle centre lines, and aisle numbers.
  const lines = el('g', { class: 'map-lines', stroke: '#b7c2cc', 'stroke-width': stroke / 2, 'stroke-dasharray': `${stroke * 2} ${stroke * 2}` });
  for (let a = 1; a <= layout.aisles; a++) lines.append(el('line', { x1: xOf(layout, a), y1: fy(0), x2: xOf(layout, a), y2: fy(length) }));
  for (const c of cross) lines.append(el('line', { x1: 0, y1: fy(c), x2: width, y2: fy(c) }));
  svg.append(lines);
  const unit = Math.min(pitch, layout.bay_width_m * 2);
  const labels = el('g', { class: 'map-labels', fill: '#4f5b66', 'font-size': unit * 0.3, 'text-anchor': 'middle' });
  for (let a = 1; a <= layout.aisles; a++) labels.append(el('text', { x: xOf(layout, a), y: fy(length) - unit * 0.2 }, String(a)));
  svg.append(labels);

  // Routes, offset a little each so that shared legs stay visible.
  const n = routes.length;
  routes.forEach((r, i) => {
    const color = r.color || PALETTE[i % PALETTE.length];
    const off = n > 1 ? ((i - (n - 1) / 2) * Math.min(pitch * 0.12, 0.5)) / Math.max(1, n / 4) : 0;
    const pts = routePoints(layout, r.stops || []).map(([x, y]) => [x + off, y + off]);
    const g = el('g', { class: 'map-route', 'data-cart': r.label || '' });
    g.append(el('title', null, t('mp.label_v_stops', { label: r.label, v: (r.stops || []).length })));
    g.append(el('polyline', {
      points: pts.map(([x, y]) => `${x.toFixed(2)},${fy(y).toFixed(2)}`).join(' '),
      fill: 'none', stroke: color, 'stroke-width': stroke, 'stroke-linejoin': 'round', 'stroke-linecap': 'round', opacity: 0.9,
    }));
    (r.stops || []).forEach((s) => {
      const x = xOf(layout, s.aisle) + off;
      const y = fy(yOf(layout, s.bay) + off);
      const here = r.current && s.location === r.current;
      g.append(el('circle', { cx: x, cy: y, r: here ? stroke * 3 : stroke * 1.6, fill: here ? '#fff' : color, stroke: color, 'stroke-width': stroke * (here ? 1.2 : 0.5) }));
    });
    svg.append(g);
  });

  // The depot.
  const [dx, dy] = depotPoint(layout);
  const ds = Math.min(pitch, layout.bay_width_m * 2) * 0.3;
  svg.append(el('g', { class: 'map-depot' },
    el('title', null, t('mp.depot_every_cart_starts_and')),
    el('rect', { x: dx - ds / 2, y: fy(dy) - ds / 2, width: ds, height: ds, fill: '#1f2a33' }),
  ));
  return svg;
}
