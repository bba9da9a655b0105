// Pickwave's message catalog: every string a page shows comes from here,
// in the user's language, and numbers, dates and weights are formatted in
// the user's locale. Plain JavaScript, loaded before every page's other
// scripts; the catalogs (i18n/en.js, i18n/es.js) add themselves with
// I18n.add.
//
// The locale is, in order: the user's own (GET /api/v1/me, the handheld's
// welcome; remembered in localStorage so the next load starts in it), the
// browser's navigator.language, English. Text comes from the catalog of
// the locale's language, then from English; a key missing everywhere
// shows as itself, which TestCatalog_everyKeyInEveryCatalog prevents.
'use strict';

window.I18n = (() => {
  const STORE_KEY = 'pickwave.locale';
  const FALLBACK = 'en';
  const catalogs = {};

  function canonical(tag) {
    if (!tag) return '';
    try { return Intl.getCanonicalLocales(tag)[0] || ''; } catch (err) { return ''; }
  }

  function stored() {
    try { return localStorage.getItem(STORE_KEY); } catch (err) { return null; }
  }

  // The user's locale as last seen ('' for none), null before any.
  const remembered = stored();
  let locale = canonical(remembered) || canonical(navigator.language) || FALLBACK;

  const lang = () => locale.split('-')[0];

  // add registers a catalog: lang → { key: text | { one, other, ... } }.
  function add(code, messages) { catalogs[code] = messages; }

  const pluralRules = {};
  function plural(n) {
    const l = lang();
    pluralRules[l] = pluralRules[l] || new Intl.PluralRules(locale);
    return pluralRules[l].select(n);
  }

  // t returns the text of key with {name} placeholders filled from params;
  // numbers are formatted in the locale. A text given as an object of
  // plural forms picks its form by params.n.
  function t(key, params) {
    let msg = (catalogs[lang()] || {})[key];
    if (msg === undefined) msg = (catalogs[FALLBACK] || {})[key];
    if (msg === undefined) return key;
    if (typeof msg === 'object') {
      const n = params && typeof params.n === 'number' ? params.n : 0;
      msg = msg[plural(n)] || msg.other;
    }
    if (!params) return msg;
    return msg.replace(/\{(\w+)\}/g, (all, name) => {
      if (!(name in params)) return all;
      const v = params[name];
      return typeof v === 'number' ? num(v) : String(v);
    });
  }

  // has reports whether key is in a catalog (for server codes that may
  // have no text of their own).
  function has(key) { return key in (catalogs[lang()] || {}) || key in (catalogs[FALLBACK] || {}); }

  const numFmts = new Map();
  function numberFormat(opts) {
    const k = JSON.stringify(opts || {});
    if (!numFmts.has(k)) numFmts.set(k, new Intl.NumberFormat(locale, opts));
    return numFmts.get(k);
  }

  // num formats a number in the locale (at most 2 decimals unless opts say).
  function num(n, opts) { return numberFormat(opts || { maximumFractionDigits: 2 }).format(n); }

  // date formats a Date or an RFC 3339 string in the locale.
  function date(d, opts) {
    const v = d instanceof Date ? d : new Date(d);
    if (Number.isNaN(v.getTime())) return '—';
    return new Intl.DateTimeFormat(locale, opts || { dateStyle: 'medium', timeStyle: 'short' }).format(v);
  }

  // weight formats grams: in kilograms from 1 kg up, else in grams.
  function weight(g) {
    if (g === null || g === undefined || Number.isNaN(g)) return '—';
    if (Math.abs(g) >= 1000) return numberFormat({ style: 'unit', unit: 'kilogram', maximumFractionDigits: 3 }).format(g / 1000);
    return numberFormat({ style: 'unit', unit: 'gram', maximumFractionDigits: 1 }).format(g);
  }

  // apply fills the static text of root: data-i18n sets textContent;
  // data-i18n-placeholder, -aria-label, -title and -alt set attributes.
  function apply(root) {
    const r = root || document;
    if (r === document) {
      document.documentElement.lang = locale;
      const title = document.querySelector('title[data-i18n]');
      if (title) document.title = t(title.dataset.i18n);
    }
    r.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
      const data = 'i18n' + attr.replace(/(^|-)(\w)/g, (all, dash, c) => c.toUpperCase());
      r.querySelectorAll(`[data-i18n-${attr}]`).forEach((el) => el.setAttribute(attr, t(el.dataset[data])));
    }
  }

  // use takes the user's locale (from /me or a welcome; '' or undefined
  // for none) and remembers it. It returns true when the page was drawn
  // in another locale and must be drawn again. Where nothing can be
  // remembered (storage blocked), a reload would start in the old locale
  // again, so it says false: text drawn from now on follows the new one.
  function use(userLocale) {
    const mine = canonical(userLocale);
    let kept = true;
    try { localStorage.setItem(STORE_KEY, mine); } catch (err) { kept = false; }
    const next = mine || canonical(navigator.language) || FALLBACK;
    if (next === locale) return false;
    locale = next;
    numFmts.clear();
    return kept;
  }

  // Static text is filled as soon as the page is parsed, before the
  // page's own scripts run (this script and the catalogs come first).
  document.addEventListener('DOMContentLoaded', () => apply(document), { once: true });

  return {
    add, t, has, num, date, weight, apply, use,
    get locale() { return locale; },
    get lang() { return lang(); },
    catalogs,
  };
})();
