// The citizen app's service worker: the app shell (page, scripts, styles, icons, catalogues) is precached, so the
// app opens without signal; directory data (categories, ward cells) is served from cache and refreshed in the
// background; report reads fall back to the last copy when offline. Writes are never cached here: the page's
// outbox (IndexedDB) keeps reports composed offline and sends them with their fixed Idempotency-Key.
const VERSION = '__VERSION__';
const SHELL = [/*__SHELL__*/];
const SHELL_CACHE = `shell-${VERSION}`;
const DATA_CACHE = 'data-v1';
const REFRESHED = ['/v1/categories', '/v1/wards.geojson', '/v1/agencies'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('shell-') && k !== SHELL_CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function staleWhileRevalidate(request) {
  const cache = await caches.open(DATA_CACHE);
  const cached = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  });
  if (cached) {
    fresh.catch(() => {});
    return cached;
  }
  return fresh;
}

async function networkFirst(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !request.headers.has('X-Tracking-Token') && !request.headers.has('X-Follower-Token')) {
      cache.put(request, response.clone());
    }
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/staff')) return;
  if (request.mode === 'navigate') {
    event.respondWith(caches.match('/', { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  if (REFRESHED.includes(url.pathname)) {
    event.respondWith(staleWhileRevalidate(request));
    return;
  }
  if (/^\/v1\/reports\/[0-9a-f-]{36}$/.test(url.pathname)) event.respondWith(networkFirst(request));
});
