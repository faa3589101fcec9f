// The patrol log for a volunteer's phone (community.md §2 and "Working in
// the field, offline"): today's shifts with their log, and a form per open
// shift. Every entry — a note, or a finding with building, photo and "make
// it an order" — goes into the shared offline queue with an entry_id made
// here, so that an entry written without a connection waits on the phone
// (through reloads) and is stored once when it is sent, however often the
// queue has to send it.
import { Queue, newID, fmt, registerWorker, netBadge, getJSON } from './queue.js';

const root = document.getElementById('field');
const S = JSON.parse(root.dataset.strings);
const names = JSON.parse(root.dataset.names || '{}');
const q = new Queue('patrol');
// Today in Shanghai, as the API's dates are (the phone may be set to any zone).
const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
let shifts = [];
const logs = {};

registerWorker();
netBadge(document.getElementById('net'), S);
const waiting = document.getElementById('waiting');
q.onCount = (n) => {
  waiting.dataset.n = String(n);
  waiting.textContent = fmt(S['offline.waiting'], { n });
  waiting.classList.toggle('some', n > 0);
};
q.onResult = (r) => {
  if (r.status >= 400) {
    const why = (r.data && r.data.error && r.data.error.message) || String(r.status);
    const li = el('li', 'notice rejected', fmt(S['offline.rejected'], { what: r.change.meta.what || '', why }));
    li.dataset.kind = 'rejected';
    document.getElementById('notices').prepend(li);
  } else if (r.data && r.data.id) {
    const log = logs[r.data.shift] || (logs[r.data.shift] = []);
    if (!log.some((f) => f.id === r.data.id)) log.push(r.data);
  }
  render();
};

async function load() {
  try {
    shifts = (await getJSON('/api/v1/shifts?date=' + day)).shifts || [];
    for (const s of shifts) logs[s.id] = (await getJSON('/api/v1/shifts/' + s.id + '/findings')).findings || [];
    document.getElementById('status').textContent = '';
  } catch (e) {
    document.getElementById('status').textContent = S['offline.unavailable'];
  }
  await render();
}

// photoData reads a camera photo as a data URL, made smaller (at most
// 1280 px, JPEG) so that it fits the server's 600 kB and the phone's queue.
async function photoData(file) {
  try {
    const img = await createImageBitmap(file);
    const k = Math.min(1, 1280 / Math.max(img.width, img.height));
    const c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(img.width * k));
    c.height = Math.max(1, Math.round(img.height * k));
    c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
    return c.toDataURL('image/jpeg', 0.8);
  } catch (e) {
    return await new Promise((ok, fail) => {
      const r = new FileReader();
      r.onload = () => ok(r.result);
      r.onerror = fail;
      r.readAsDataURL(file);
    });
  }
}

function entryLine(f, pending) {
  const li = el('li', pending ? 'entry pending' : 'entry');
  li.append(f.text);
  if (f.building) li.append(' · ' + f.building);
  if (f.photo) li.append(' · ' + S['patrol.finding.has_photo']);
  if (pending) {
    li.dataset.entry = f.entry_id;
    li.append(' ', el('span', 'badge pending', fmt(S['offline.pending'], { status: f.create_order ? S['patrol.finding.create_order'] : S['patrol.field.logged'] })));
  } else {
    li.dataset.finding = f.id;
    if (f.order_number) li.append(' · ', el('span', 'ordernum', S['patrol.finding.order'] + ' ' + f.order_number));
  }
  return li;
}

function form(s) {
  const f = el('form', 'stack logform');
  f.noValidate = true;
  const text = el('textarea');
  text.name = 'text';
  text.rows = 3;
  text.maxLength = 2000;
  text.id = 'text-' + s.id;
  const building = el('input');
  building.name = 'building';
  building.id = 'building-' + s.id;
  building.maxLength = 50;
  const photo = el('input');
  photo.type = 'file';
  photo.name = 'photo';
  photo.accept = 'image/*';
  photo.setAttribute('capture', 'environment');
  photo.id = 'photo-' + s.id;
  const order = el('input');
  order.type = 'checkbox';
  order.name = 'create_order';
  const err = el('p', 'err');
  const label = (input, key) => { const l = el('label', '', S[key]); l.htmlFor = input.id; return l; };
  const check = el('label', 'check');
  check.append(order, ' ' + S['patrol.finding.create_order']);
  const submit = el('button', 'btn primary wide', S['patrol.finding.submit']);
  submit.type = 'submit';
  f.append(label(text, 'patrol.finding.text'), text, err, label(building, 'patrol.finding.building'), building,
    label(photo, 'patrol.finding.photo'), photo, check, submit);
  f.onsubmit = async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const t = text.value.trim();
    if (!t) { err.textContent = S['patrol.field.text_required']; return; }
    const body = { entry_id: newID(), text: t, create_order: order.checked };
    if (building.value.trim()) body.building = building.value.trim();
    if (photo.files.length) {
      body.photo = await photoData(photo.files[0]);
      if (body.photo.length > 800000) { err.textContent = S['patrol.field.photo_big']; return; }
    }
    await q.add('/api/v1/shifts/' + s.id + '/findings', body, { what: t.slice(0, 20), shift: s.id });
    f.reset();
    await render();
  };
  return f;
}

async function render() {
  const pending = {};
  for (const [, ch] of await q.pending()) (pending[ch.meta.shift] || (pending[ch.meta.shift] = [])).push(ch.body);
  const list = document.getElementById('shifts');
  const open = {};
  for (const li of list.querySelectorAll('li[data-shift]')) open[li.dataset.shift] = li.querySelector('form');
  list.replaceChildren(...shifts.map((s) => {
    const li = el('li', 'card shift st-' + s.status);
    li.dataset.shift = s.id;
    const head = el('div', 'ohead');
    head.append(el('strong', 'shift-time', s.start + '–' + s.end), ' ', el('span', 'badge st-' + s.status, S['patrol.status.' + s.status] || s.status));
    li.append(head, el('h2', 'otitle', names[s.compound] || s.compound));
    const ul = el('ul', 'findings');
    for (const f of logs[s.id] || []) ul.append(entryLine(f, false));
    for (const b of pending[s.id] || []) ul.append(entryLine(b, true));
    li.append(ul);
    if (s.status === 'planned' || s.status === 'on_duty') {
      // Keep a form being typed into across re-renders.
      li.append(open[s.id] || form(s));
    }
    return li;
  }));
  if (!shifts.length) list.replaceChildren(el('li', 'empty card', S['patrol.none']));
}

window.addEventListener('online', () => q.flush().then(load));
load().then(() => q.count()).then(() => q.flush());
