// The field pages' service worker (scope /field/). It keeps the pages,
// their scripts and the data they read, so that a phone that loses its
// connection — or reloads without one — still shows the check list, the
// campaign form or the patrol log. Reads go to the network first and fall back to the copy;
// writes are never touched here: the page keeps them in its queue
// (queue.js), which the server deduplicates by op_id / submission_id.
const CACHE = 'hotline-field-v1';
const SHELL = [
  '/static/app.css', '/static/offline/field.css', '/static/offline/queue.js', '/static/offline/idb-keyval-6.3.0.js',
  '/static/offline/emergency.js', '/static/offline/campaign.js', '/static/offline/index.js', '/static/htmx.min.js',
  '/static/offline/patrol.js', '/static/patrol.css',
];

self.addEventListener('install', (e) => {
  self.skipWaiting();
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).catch(() => {}));
});

self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

// A field page that finds itself without a controller (it loaded while this
// worker was activating, or by a reload that bypassed it) asks for one.
self.addEventListener('message', (e) => {
  if (e.data === 'claim') e.waitUntil(self.clients.claim());
});

function cached(url) {
  return url.pathname.startsWith('/field/') || url.pathname.startsWith('/static/') ||
    (url.pathname.startsWith('/api/v1/emergencies/') && !url.pathname.endsWith('/stream')) ||
    url.pathname.startsWith('/api/v1/campaigns/') || url.pathname === '/api/v1/shifts' ||
    (url.pathname.startsWith('/api/v1/shifts/') && url.pathname.endsWith('/findings'));
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !cached(url)) return;
  e.respondWith(networkFirst(req));
});

async function networkFirst(req) {
  const cache = await caches.open(CACHE);
  try {
    const resp = await fetch(req);
    if (resp.ok && !resp.redirected) await cache.put(req, resp.clone());
    return resp;
  } catch (err) {
    const hit = await cache.match(req);
    if (hit) return hit;
    throw err;
  }
}
