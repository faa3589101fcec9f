// The offline queue shared by the field pages (emergency check list,
// campaign form, the patrol log): every change is written to IndexedDB
// first, with the op_id / submission_id / entry_id the server
// deduplicates by, and sent in the order it was made whenever a connection
// is there. Nothing is lost on reload (it is on the phone before any send)
// and nothing is stored twice when a send is repeated (the server answers
// a known id as the first time). A change the server refuses (a lost race,
// bad input) leaves the queue and is reported to the page, never dropped
// silently.
import { set, del, entries } from './idb-keyval-6.3.0.js';

// queueStore is the queue's IndexedDB store, as idb-keyval's createStore
// gives it, except in two ways, both for logout (logout.js, on this page or
// another) deleting the database:
//   - its connection closes as soon as the database is to be deleted. An
//     open connection blocks the deletion: the queued changes were cleared
//     at logout, but the database itself stayed until the field page was
//     gone — after the login page showed, or for as long as the page sat in
//     the back/forward cache. The next use opens it again.
//   - a read never creates it. The page's queue looks every 5 s for changes
//     to send; when that look came between logout's deletion and the page
//     going, it made the database anew, empty, and it stayed on the phone
//     (seen with chromium-headless-shell, whose pages go a little later).
//     Without a connection open, a read opens one for itself without
//     creating the database and fails with absent set when there is none
//     (queued turns that into no changes); only a write creates it.
// (idb-keyval's own store cannot be wrapped for this: it forgets a
// connection only on an abnormal close, so after a close() it would keep
// handing out the closed one.)
export function queueStore() {
  let dbp;
  const connect = (create) => new Promise((resolve, reject) => {
    const r = indexedDB.open('hotline-offline');
    r.onupgradeneeded = () => {
      if (create) r.result.createObjectStore('changes');
      else r.transaction.abort(); // the database did not exist: leave it so
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => {
      const err = r.error || new Error('the offline queue cannot be opened');
      if (!create && err.name === 'AbortError') err.absent = true;
      reject(err);
    };
  });
  const getDB = () => {
    if (!dbp) {
      const p = connect(true).then((db) => {
        const forget = () => { if (dbp === p) dbp = undefined; };
        db.onversionchange = () => { db.close(); forget(); };
        db.onclose = forget;
        return db;
      });
      dbp = p;
      p.catch(() => { if (dbp === p) dbp = undefined; });
    }
    return dbp;
  };
  return (mode, callback) => {
    if (dbp || mode !== 'readonly') {
      return getDB().then((db) => callback(db.transaction('changes', mode).objectStore('changes')));
    }
    return connect(false).then((db) => {
      db.onversionchange = () => db.close();
      try {
        return callback(db.transaction('changes', mode).objectStore('changes'));
      } finally {
        db.close(); // once this read's transaction is done
      }
    });
  };
}

// queued lists the changes waiting in a queue store ([key, change] pairs):
// none when the store's database does not exist.
export async function queued(st) {
  try {
    return await entries(st);
  } catch (e) {
    if (e && e.absent) return [];
    throw e;
  }
}

const store = queueStore();
let counter = 0;

export function newID() {
  if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class Queue {
  // scope names the page's changes (e.g. "emergency:12"); every page has
  // its own, all in one IndexedDB store.
  constructor(scope) {
    this.scope = scope;
    this.sending = null;
    this.onResult = () => {};
    this.onCount = () => {};
    window.addEventListener('online', () => this.flush());
    setInterval(() => this.flush(), 5000);
  }

  // add keeps a change (a POST of body to url) and tries to send it.
  async add(url, body, meta) {
    // Keys order the queue: milliseconds, then a counter for changes made
    // in the same millisecond.
    const key = Date.now() * 1000 + (counter++ % 1000);
    await set(key, { scope: this.scope, url, body, meta: meta || {}, added: new Date().toISOString() }, store);
    await this.count();
    this.flush();
    return key;
  }

  async pending() {
    const all = await queued(store);
    return all.filter(([, v]) => v.scope === this.scope).sort((a, b) => a[0] - b[0]);
  }

  async count() {
    const n = (await this.pending()).length;
    this.onCount(n);
    return n;
  }

  // flush sends the waiting changes in order and stops at the first that
  // cannot be sent now (no network, server unavailable, session expired):
  // later changes must not overtake it.
  flush() {
    if (!this.sending) {
      this.sending = this.send().finally(() => { this.sending = null; this.count(); });
    }
    return this.sending;
  }

  async send() {
    for (const [key, ch] of await this.pending()) {
      let resp;
      try {
        resp = await fetch(ch.url, {
          method: 'POST', credentials: 'same-origin', cache: 'no-store',
          headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ch.body),
        });
      } catch (e) {
        return; // offline: keep it and everything after it
      }
      if (resp.status >= 500 || resp.status === 401 || resp.status === 429 || resp.status === 408) return;
      let data = null;
      try { data = await resp.json(); } catch (e) { /* no body */ }
      await del(key, store);
      this.onResult({ key, change: ch, status: resp.status, data });
      await this.count();
    }
  }
}

// fmt fills {name} placeholders of a translated string.
export function fmt(s, args) {
  return String(s).replace(/\{(\w+)\}/g, (m, k) => (args && k in args ? args[k] : m));
}

// registerWorker installs the field pages' service worker (scope /field/),
// which keeps the page and its data for when the connection is gone. A
// registration that fails (the connection dropped while the worker's script
// loaded) is tried again 3, 6, 9 and 12 s later, and whenever the phone
// comes back online: until one succeeds the page works online but would not
// open without a connection. A page the active worker does not control —
// it loaded while the worker was activating, so the worker's claim missed
// it, or by a reload that bypassed the worker — asks the worker to claim
// it (sw.js), rather than staying without offline use until the next load.
export function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  let tries = 0;
  let busy = false;
  let done = false;
  const attempt = () => {
    if (busy || done) return;
    busy = true;
    navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).then(() => {
      done = true;
      window.removeEventListener('online', attempt);
      return navigator.serviceWorker.ready.then((reg) => {
        if (!navigator.serviceWorker.controller && reg.active) reg.active.postMessage('claim');
      });
    }, () => {
      busy = false;
      tries++;
      if (tries < 5) setTimeout(attempt, 3000 * tries);
    });
  };
  window.addEventListener('online', attempt);
  attempt();
}

// netBadge keeps an element saying whether the phone is online.
export function netBadge(el, strings) {
  const show = () => {
    el.textContent = navigator.onLine ? strings['offline.online'] : strings['offline.offline'];
    el.className = 'net ' + (navigator.onLine ? 'on' : 'off');
  };
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
}

// getJSON reads through the service worker (which answers from its cache
// when the network is gone); it pages through next_cursor for lists.
export async function getJSON(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}

export async function getAll(url, key) {
  let out = [];
  let cursor = '';
  for (;;) {
    const sep = url.includes('?') ? '&' : '?';
    const page = await getJSON(url + sep + 'limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    out = out.concat(page[key] || []);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}
