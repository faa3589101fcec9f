// Logging out clears what the field pages kept on this phone: the queued
// changes in IndexedDB (they hold notes and answers) and the service
// worker's copies of check lists, households and forms. A phone is often
// shared or handed back at the end of a shift; the next person must not
// find the residents there. Changes not yet sent would be lost, so the
// worker is told how many and may stay logged in to send them first. The
// server's answer to the logout also carries Clear-Site-Data (auth.go),
// which clears the same on browsers that honour it even without this
// script.
import { clear } from './idb-keyval-6.3.0.js';
import { queueStore, queued } from './queue.js';

const DB = 'hotline-offline';
const form = document.getElementById('logout');

async function exists() {
  if (!indexedDB.databases) return true; // cannot tell: look inside
  return (await indexedDB.databases()).some((d) => d.name === DB);
}

async function unsent() {
  if (!(await exists())) return 0;
  return (await queued(queueStore())).length;
}

function ask(n) {
  return new Promise((resolve) => {
    const d = document.createElement('dialog');
    d.id = 'logout-warn';
    d.className = 'card';
    const p = document.createElement('p');
    p.textContent = form.dataset.unsent.replace('{n}', String(n));
    const stay = Object.assign(document.createElement('button'), { type: 'button', className: 'btn primary', id: 'logout-stay', textContent: form.dataset.stay });
    const leave = Object.assign(document.createElement('button'), { type: 'button', className: 'btn danger', id: 'logout-anyway', textContent: form.dataset.anyway });
    const done = (v) => { d.close(); d.remove(); resolve(v); };
    stay.addEventListener('click', () => done(false));
    leave.addEventListener('click', () => done(true));
    d.addEventListener('cancel', () => done(false));
    d.append(p, stay, ' ', leave);
    document.body.append(d);
    d.showModal();
    stay.focus();
  });
}

async function clearPhone() {
  if (await exists()) {
    await clear(queueStore());
    await new Promise((res) => {
      // Every connection of the queue closes when asked (queueStore), so
      // the database goes now; blocked would mean a connection that does
      // not (an old page's script): the changes are cleared already, the
      // empty database goes when that page does.
      const r = indexedDB.deleteDatabase(DB);
      r.onsuccess = r.onerror = r.onblocked = res;
    });
  }
  if (self.caches) {
    for (const k of await caches.keys()) {
      if (k.startsWith('hotline-field')) await caches.delete(k);
    }
  }
  if (navigator.serviceWorker) {
    for (const reg of await navigator.serviceWorker.getRegistrations()) {
      if (new URL(reg.scope).pathname === '/field/') await reg.unregister();
    }
  }
}

if (form) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const n = await unsent();
      if (n > 0 && !(await ask(n))) return;
      await clearPhone();
    } catch (err) {
      // Storage unavailable (private mode…): nothing of ours is kept there.
    }
    form.submit(); // does not fire submit again
  });
}
