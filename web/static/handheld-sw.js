// Pickwave handheld service worker: keeps the picking page's shell (its
// HTML, styles, scripts, manifest and icons) so that a reload in a Wi-Fi
// dead spot still opens the page, which then shows the current task from
// its own IndexedDB state and keeps scans until the server is back.
//
// Network first: the binary embeds its UI and a new release changes it,
// so a reachable server always wins and refreshes the copy; the cached
// copy answers only when the server cannot be reached (or takes longer
// than NETWORK_WAIT_MS, as a half-dead access point does). Nothing else
// is touched: the API and the socket never go through the cache.
'use strict';

const CACHE = 'pickwave-handheld-shell-v2';
const NETWORK_WAIT_MS = 3000;
const SHELL = [
  '/handheld.html',
  '/app.css',
  '/handheld.css',
  '/i18n.js',
  '/i18n/en.js',
  '/i18n/es.js',
  '/common.js',
  '/handheld.js',
  '/handheld-store.js',
  '/handheld-wedge.js',
  '/handheld-work.js',
  '/handheld-camera.js',
  '/handheld.manifest.json',
  '/handheld-icon-192.png',
  '/handheld-icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.map((p) => new Request(p, { cache: 'no-store' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith('pickwave-handheld-')) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// fromNetwork fetches req, giving up after NETWORK_WAIT_MS; a good answer
// refreshes the cached copy.
async function fromNetwork(req, path) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), NETWORK_WAIT_MS);
  try {
    const res = await fetch(req, { signal: ctl.signal, cache: 'no-store' });
    if (res.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(path, res.clone());
    }
    return res;
  } finally {
    clearTimeout(timer);
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith((async () => {
    try {
      return await fromNetwork(req, url.pathname);
    } catch (err) {
      const hit = await caches.match(url.pathname);
      if (hit) return hit;
      throw err;
    }
  })());
});
