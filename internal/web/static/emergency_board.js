// The leaders' live board of an emergency and the list of emergencies
// (emergency_board.go). The board comes from the event's server-sent
// event stream: the whole board at once, then again after every change
// made anywhere (a check, a task, the close); EventSource reconnects by
// itself and the stream starts with the current board, so nothing is
// missed while the connection was down.
const S = JSON.parse((document.getElementById('evboard') || document.getElementById('evlist')).dataset.strings);
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const STATUSES = ['unchecked', 'needs_help', 'evacuated', 'unreachable', 'safe'];
const status = (s) => S['emergency.status.' + s] || s;
const LANG = document.documentElement.lang || undefined;
const time = (t) => (t ? new Date(t).toLocaleString(LANG) : '');

function problem(text) {
  const p = $('problem');
  p.textContent = text;
  p.hidden = !text;
}

function render(b) {
  const ev = b.event;
  $('title').textContent = ev.name;
  $('level').textContent = S['emergency.level.' + ev.level] || ev.level;
  $('level').dataset.level = ev.level;
  $('evboard').dataset.seq = String(b.seq);
  $('evboard').dataset.status = ev.status;
  $('updated').textContent = (ev.status === 'closed' ? S['emergency.field.closed'] + ' · ' : '') + S['emergency.board.updated'] + ' ' + new Date().toLocaleTimeString(LANG);

  $('counts').replaceChildren(...STATUSES.map((s) => {
    const li = el('li', 'tile ' + s);
    li.dataset.status = s;
    li.append(el('b', 'n', String(ev.counts[s] || 0)), el('span', '', status(s)));
    return li;
  }));

  $('pending-total').textContent = '(' + b.pending_total + ')';
  $('pending').replaceChildren(...b.pending.map((c) => {
    const li = el('li', 'prow ' + c.status);
    li.dataset.check = c.id;
    li.dataset.status = c.status;
    li.append(el('span', 'badge ' + c.status, status(c.status)), ' ',
      el('b', '', c.resident_name || S['emergency.field.household']), ' ',
      el('span', 'muted', [c.building, c.room].filter(Boolean).join(' ')));
    if (c.care_tags && c.care_tags.length) li.append(' ', el('span', 'tags', c.care_tags.map((t) => S['emergency.tag.' + t] || t).join('、')));
    if (c.checked_by) li.append(' ', el('span', 'muted small', c.checked_by + ' ' + time(c.checked_at)));
    return li;
  }));
  if (!b.pending.length) $('pending').replaceChildren(el('li', 'empty', S['emergency.board.none_pending']));

  $('tasks').replaceChildren(...b.tasks.map((t) => {
    const li = el('li', 'prow');
    li.dataset.task = t.id;
    li.dataset.status = t.status;
    li.append(el('span', 'badge task ' + t.status, S['emergency.task.' + t.status] || t.status), ' ',
      el('b', '', t.what), ' ', el('span', 'muted', t.building + ' → ' + t.assignee));
    return li;
  }));
  if (!b.tasks.length) $('tasks').replaceChildren(el('li', 'empty', S['emergency.board.no_tasks']));

  const head = el('tr');
  head.append(el('th', '', S['emergency.board.building']), ...STATUSES.map((s) => el('th', 'num', status(s))));
  $('bhead').replaceChildren(head);
  const buildings = Object.keys(ev.by_building || {}).sort();
  $('buildings').replaceChildren(...buildings.map((code) => {
    const tr = el('tr');
    tr.dataset.building = code;
    tr.append(el('th', '', code));
    for (const s of STATUSES) {
      const n = ev.by_building[code][s] || 0;
      const td = el('td', 'num' + (n && (s === 'needs_help' || s === 'unreachable') ? ' warn' : ''), String(n));
      td.dataset.status = s;
      tr.append(td);
    }
    return tr;
  }));
}

function watch(id) {
  const live = $('live');
  const src = new EventSource('/api/v1/emergencies/' + encodeURIComponent(id) + '/stream');
  const state = (s) => {
    live.dataset.state = s;
    live.textContent = S['emergency.board.' + s];
  };
  src.addEventListener('open', () => state('live'));
  src.addEventListener('board', (e) => {
    state('live');
    problem('');
    render(JSON.parse(e.data));
  });
  src.addEventListener('error', async () => {
    state('reconnecting');
    // EventSource does not say why: ask once, so that a refusal (another
    // area's event, a closed session) is shown instead of retried forever.
    try {
      const r = await fetch('/api/v1/emergencies/' + encodeURIComponent(id) + '/board', { credentials: 'same-origin' });
      if (r.status === 401 || r.status === 403 || r.status === 404) {
        src.close();
        state('stopped');
        const body = await r.json().catch(() => null);
        problem((body && body.error && body.error.message) || String(r.status));
      }
    } catch (err) {
      // offline: EventSource keeps trying
    }
  });
}

async function list() {
  try {
    const r = await fetch('/api/v1/emergencies?limit=100', { credentials: 'same-origin' });
    if (!r.ok) throw new Error(String(r.status));
    const evs = (await r.json()).emergencies || [];
    $('events').replaceChildren(...evs.map((ev) => {
      const tr = el('tr');
      const a = el('a', '', ev.name);
      a.href = '/emergencies/' + ev.id + '/board';
      const name = el('td');
      name.append(a);
      tr.append(name, el('td', '', S['emergency.level.' + ev.level] || ev.level), el('td', '', time(ev.started_at)),
        el('td', '', ev.status === 'closed' ? S['emergency.board.closed'] : S['emergency.board.active']));
      return tr;
    }));
    if (!evs.length) $('status').textContent = S['emergency.field.none'];
  } catch (e) {
    $('status').textContent = S['emergency.board.unavailable'];
  }
}

if ($('evboard')) watch($('evboard').dataset.event);
else list();
