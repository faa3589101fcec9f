// The emergency check list for a phone (community.md §4 and "Working in
// the field, offline"): the event's checks, four buttons each, changes kept
// in the offline queue and sent when the phone is online.
import { Queue, newID, fmt, registerWorker, netBadge, getJSON, getAll } from './queue.js';

const root = document.getElementById('field');
const id = root.dataset.event;
const S = JSON.parse(root.dataset.strings);
const q = new Queue('emergency:' + id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
let checks = [];
let event = null;

registerWorker();
netBadge(document.getElementById('net'), S);
const waiting = document.getElementById('waiting');
q.onCount = (n) => {
  waiting.dataset.n = String(n);
  waiting.textContent = fmt(S['offline.waiting'], { n });
  waiting.classList.toggle('some', n > 0);
};
q.onResult = (r) => {
  const who = r.change.meta.name || '';
  if (r.status === 409 && r.data && r.data.current) {
    const cur = r.data.current;
    note('lost', fmt(S['offline.lost'], {
      what: who, mine: S['emergency.status.' + r.change.body.status],
      by: cur.checked_by || '?', status: S['emergency.status.' + cur.status],
    }));
    replace(cur);
  } else if (r.status >= 400) {
    note('rejected', fmt(S['offline.rejected'], { what: who, why: (r.data && r.data.error && r.data.error.message) || r.status }));
  } else if (r.data && r.data.id) {
    replace(r.data);
  }
  render();
};

function replace(c) {
  const i = checks.findIndex((x) => x.id === c.id);
  if (i >= 0) checks[i] = Object.assign({}, checks[i], c);
}

function note(kind, text) {
  const li = el('li', 'notice ' + kind, text);
  li.dataset.kind = kind;
  document.getElementById('notices').prepend(li);
}

async function load() {
  try {
    event = await getJSON('/api/v1/emergencies/' + id);
    checks = await getAll('/api/v1/emergencies/' + id + '/checks', 'checks');
    document.getElementById('title').textContent = event.name;
  } catch (e) {
    document.getElementById('status').textContent = S['offline.unavailable'];
  }
  await render();
}

async function render() {
  const pending = {};
  for (const [, ch] of await q.pending()) pending[ch.meta.check] = ch.body.status;
  const counts = {};
  for (const c of checks) counts[c.status] = (counts[c.status] || 0) + 1;
  document.getElementById('counts').textContent = ['unchecked', 'needs_help', 'safe', 'evacuated', 'unreachable']
    .map((s) => S['emergency.status.' + s] + ' ' + (counts[s] || 0)).join(' · ');
  const list = document.getElementById('checks');
  list.replaceChildren(...checks.map((c) => card(c, pending[c.id])));
  if (event && event.status === 'closed') document.getElementById('status').textContent = S['emergency.field.closed'];
}

function card(c, pendingStatus) {
  const li = el('li', 'card check st-' + c.status);
  li.dataset.check = c.id;
  const head = el('div', 'chead');
  head.append(el('strong', 'who', c.resident_name || S['emergency.field.household']), el('span', 'room', ' ' + c.building + ' ' + (c.room || '')));
  li.append(head);
  if (c.care_tags && c.care_tags.length) {
    li.append(el('p', 'tags', c.care_tags.map((t) => S['emergency.tag.' + t] || t).join(' · ')));
  }
  const st = el('p', 'state');
  st.append(el('span', 'badge st-' + c.status, S['emergency.status.' + c.status]));
  if (c.checked_by) st.append(el('span', 'muted', ' ' + c.checked_by + ' ' + new Date(c.checked_at).toLocaleTimeString()));
  if (pendingStatus) {
    const p = el('span', 'badge pending', fmt(S['offline.pending'], { status: S['emergency.status.' + pendingStatus] }));
    p.dataset.pending = pendingStatus;
    st.append(' ', p);
  }
  li.append(st);
  if (c.note) li.append(el('p', 'note', c.note));
  if (event && event.status === 'closed') return li;
  const input = el('input', 'noteinput');
  input.placeholder = S['emergency.field.note'];
  input.maxLength = 500;
  input.setAttribute('aria-label', S['emergency.field.note']);
  li.append(input);
  const row = el('div', 'actions');
  for (const s of ['safe', 'needs_help', 'evacuated', 'unreachable']) {
    const b = el('button', 'btn mark ' + s, S['emergency.status.' + s]);
    b.type = 'button';
    b.dataset.status = s;
    b.addEventListener('click', () => mark(c, s, input.value.trim()));
    row.append(b);
  }
  li.append(row);
  return li;
}

async function mark(c, status, noteText) {
  await q.add('/api/v1/emergencies/' + id + '/checks/' + c.id,
    { status, note: noteText, op_id: newID(), at: new Date().toISOString() },
    { check: c.id, name: (c.resident_name || '') + ' ' + (c.room || '') });
  await render();
}

window.addEventListener('online', () => q.flush().then(load));
load().then(() => q.count()).then(() => q.flush());
