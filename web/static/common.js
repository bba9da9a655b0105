// Pickwave pages' shared helpers: the JSON API client, a safe element
// builder, error boxes, time parsing, ids. Loaded before each page's own
// script; plain JavaScript, no build step. Text from the server is only
// ever inserted as text, never parsed as HTML.
'use strict';

// The page's static text in the user's language (i18n.js and its
// catalogs are loaded just before this script, once the page is parsed).
window.I18n.apply(document);

window.Pickwave = (() => {
  const API = '/api/v1';
  const { t } = window.I18n;

  class APIError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = Array.isArray(details) ? details : null;
    }
  }

  // client returns api(method, path, body, headers), which calls the JSON
  // API with the session cookie and resolves to the decoded body, or
  // rejects with an APIError carrying the server's message (status 0: no
  // answer). A 401 anywhere but the login itself calls onUnauthorized.
  function client(onUnauthorized) {
    return async function api(method, path, body, headers) {
      const opts = { method, credentials: 'same-origin', headers: Object.assign({ Accept: 'application/json' }, headers || {}) };
      if (body !== undefined) {
        opts.headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
      let res, text;
      try {
        res = await fetch(API + path, opts);
        text = await res.text();
      } catch (err) {
        throw new APIError(0, 'network', t('common.no_server'));
      }
      let data = null;
      if (text) {
        try { data = JSON.parse(text); } catch (err) { data = null; }
      }
      if (!res.ok) {
        const e = data && data.error ? data.error : {};
        const err = new APIError(res.status, e.code || 'http_' + res.status,
          e.message || t('common.server_answered', { status: String(res.status), text: res.statusText }).replace(' .', '.'), e.details);
        if (res.status === 401 && path !== '/login' && onUnauthorized) onUnauthorized();
        throw err;
      }
      return data;
    };
  }

  // h builds an element. Props set attributes (class, data-*, href, ...);
  // children are nodes or strings, and strings always become text nodes.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  // showError fills an error box with the message and any field details.
  function showError(box, err) {
    const msg = err && err.message ? err.message : t('common.something_wrong');
    const kids = [h('span', null, msg)];
    const details = err && Array.isArray(err.details) ? err.details : [];
    if (details.length) {
      kids.push(h('ul', null, details.map((d) => h('li', null,
        (d.line ? t('common.line', { line: d.line }) + ' ' : '') + (d.field ? `${d.field} ` : '') + (d.reason || '')))));
    }
    box.replaceChildren(...kids);
    box.hidden = false;
  }

  function clearError(box) {
    box.hidden = true;
    box.replaceChildren();
  }

  // parseTime reads an RFC 3339 time; null for none or Go's zero time.
  function parseTime(iso) {
    if (!iso || iso.startsWith('0001-01-01')) return null;
    const d = new Date(iso);
    return isNaN(d) ? null : d;
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
  }

  // wsURL is the websocket address of path on this server.
  function wsURL(path) {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  }

  // loginForm wires the pages' user-and-password form (#login-form with
  // #login-username, #login-password, #login-error, #login-submit): it logs
  // in through api and hands the session to onLoggedIn.
  function loginForm(api, onLoggedIn) {
    const $ = (id) => document.getElementById(id);
    $('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const username = $('login-username').value.trim();
      const password = $('login-password').value;
      const box = $('login-error');
      if (!username || !password) {
        showError(box, { message: t('common.enter_user_password') });
        return;
      }
      clearError(box);
      $('login-submit').disabled = true;
      try {
        const res = await api('POST', '/login', { username, password });
        $('login-password').value = '';
        onLoggedIn(res);
      } catch (err) {
        showError(box, err);
        $('login-password').select();
      } finally {
        $('login-submit').disabled = false;
      }
    });
  }

  // newID returns a random UUID; crypto.randomUUID needs a secure context,
  // which a device on plain http inside the warehouse does not have.
  function newID() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      try { return window.crypto.randomUUID(); } catch (err) { /* not a secure context */ }
    }
    const b = new Uint8Array(16);
    if (window.crypto && typeof window.crypto.getRandomValues === 'function') {
      window.crypto.getRandomValues(b);
    } else {
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  return { APIError, client, h, showError, clearError, parseTime, plural, newID, loginForm, wsURL };
})();
