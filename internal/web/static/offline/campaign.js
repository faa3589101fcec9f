// The campaign form for a collector's phone (community.md §5 and "Working
// in the field, offline"): the collector's households, a form per visit
// validated here as on the server, submissions kept in the offline queue
// with their submission_id and sent when the phone is online.
import { Queue, newID, fmt, registerWorker, netBadge, getJSON, getAll } from './queue.js';

const root = document.getElementById('field');
const id = root.dataset.campaign;
const S = JSON.parse(root.dataset.strings);
const q = new Queue('campaign:' + id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
let camp = null;
let households = [];

registerWorker();
netBadge(document.getElementById('net'), S);
const waiting = document.getElementById('waiting');
q.onCount = (n) => {
  waiting.dataset.n = String(n);
  waiting.textContent = fmt(S['offline.waiting'], { n });
  waiting.classList.toggle('some', n > 0);
};
q.onResult = (r) => {
  const what = r.change.meta.room || '';
  if (r.status >= 400) {
    const why = (r.data && r.data.error && r.data.error.message) || String(r.status);
    const li = el('li', 'notice rejected', fmt(S['offline.rejected'], { what, why }));
    li.dataset.kind = 'rejected';
    document.getElementById('notices').prepend(li);
  } else if (r.data) {
    const h = households.find((x) => x.household === r.data.household);
    if (h && (!h.collected_at || r.data.collected_at >= h.collected_at)) {
      h.outcome = r.data.outcome;
      h.collected_at = r.data.collected_at;
    }
  }
  render();
};

async function load() {
  try {
    camp = await getJSON('/api/v1/campaigns/' + id);
    households = await getAll('/api/v1/campaigns/' + id + '/households', 'households');
    document.getElementById('title').textContent = camp.name;
  } catch (e) {
    document.getElementById('status').textContent = S['offline.unavailable'];
  }
  await render();
}

async function render() {
  const pending = {};
  for (const [, ch] of await q.pending()) pending[ch.body.household] = ch.body.outcome;
  const list = document.getElementById('households');
  list.replaceChildren(...households.map((h) => {
    const li = el('li', 'card hh o-' + h.outcome);
    li.dataset.household = h.household;
    const b = el('button', 'hhbtn', h.building + ' ' + (h.unit_no ? h.unit_no + '-' : '') + h.room);
    b.type = 'button';
    b.addEventListener('click', () => openForm(h));
    li.append(b, ' ', el('span', 'badge o-' + h.outcome, S['campaign.outcome.' + h.outcome]));
    if (pending[h.household]) {
      const p = el('span', 'badge pending', fmt(S['offline.pending'], { status: S['campaign.outcome.' + pending[h.household]] }));
      p.dataset.pending = pending[h.household];
      li.append(' ', p);
    }
    return li;
  }));
  const done = households.filter((h) => h.outcome === 'done').length;
  document.getElementById('counts').textContent = fmt(S['campaign.field.progress'], { done, total: households.length });
}

function fieldInput(f) {
  let input;
  switch (f.type) {
    case 'number': input = el('input'); input.type = 'number'; input.step = 'any'; break;
    case 'date': input = el('input'); input.type = 'date'; break;
    case 'choice':
    case 'bool': {
      input = el('select');
      input.append(el('option', '', '—'));
      const opts = f.type === 'bool' ? [['true', S['campaign.field.yes']], ['false', S['campaign.field.no']]] : f.choices.map((c) => [c, c]);
      for (const [v, t] of opts) { const o = el('option', '', t); o.value = v; input.append(o); }
      break;
    }
    case 'multi': {
      input = el('fieldset', 'multi');
      for (const c of f.choices) {
        const l = el('label');
        const cb = el('input');
        cb.type = 'checkbox';
        cb.value = c;
        l.append(cb, ' ' + c);
        input.append(l);
      }
      break;
    }
    default: input = el('textarea'); input.rows = 2; input.maxLength = 2000;
  }
  input.dataset.code = f.code;
  input.dataset.type = f.type;
  return input;
}

// value reads an input as its JSON answer; undefined when left empty.
function value(input) {
  switch (input.dataset.type) {
    case 'number': return input.value === '' ? undefined : Number(input.value);
    case 'bool': return input.value === '' || input.value === '—' ? undefined : input.value === 'true';
    case 'multi': {
      const v = [...input.querySelectorAll('input:checked')].map((c) => c.value);
      return v.length ? v : undefined;
    }
    default: return input.value === '' || input.value === '—' ? undefined : input.value;
  }
}

function openForm(h) {
  const form = document.getElementById('visit');
  form.replaceChildren();
  form.hidden = false;
  form.dataset.household = h.household;
  form.append(el('h2', '', h.building + ' ' + (h.unit_no ? h.unit_no + '-' : '') + h.room));
  const outcome = el('fieldset', 'outcome');
  outcome.append(el('legend', '', S['campaign.field.outcome']));
  for (const o of ['done', 'refused', 'absent']) {
    const l = el('label');
    const r = el('input');
    r.type = 'radio';
    r.name = 'outcome';
    r.value = o;
    r.checked = o === 'done';
    l.append(r, ' ' + S['campaign.outcome.' + o]);
    outcome.append(l);
  }
  form.append(outcome);
  const inputs = [];
  for (const f of camp.form.fields) {
    const wrap = el('div', 'fieldrow');
    const label = el('label', '', f.label + (f.required ? ' *' : ''));
    const input = fieldInput(f);
    input.id = 'f-' + f.code;
    label.htmlFor = input.id;
    const err = el('p', 'err');
    err.id = 'e-' + f.code;
    wrap.append(label, input, err);
    input.addEventListener('input', () => { err.textContent = ''; });
    input.addEventListener('change', () => { err.textContent = ''; });
    form.append(wrap);
    inputs.push([f, input, err]);
  }
  const submit = el('button', 'btn primary wide', S['campaign.field.submit']);
  submit.type = 'submit';
  const cancel = el('button', 'btn wide', S['campaign.field.cancel']);
  cancel.type = 'button';
  cancel.addEventListener('click', () => { form.hidden = true; });
  form.append(submit, cancel);
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const chosen = form.querySelector('input[name=outcome]:checked').value;
    const answers = {};
    let ok = true;
    for (const [f, input, err] of inputs) {
      err.textContent = '';
      const v = value(input);
      if (v === undefined) {
        if (f.required && chosen === 'done') { err.textContent = S['campaign.field.required']; ok = false; }
        continue;
      }
      if (f.type === 'number' && !Number.isFinite(v)) { err.textContent = S['campaign.field.bad_number']; ok = false; continue; }
      answers[f.code] = v;
    }
    if (!ok) return;
    await q.add('/api/v1/campaigns/' + id + '/submissions',
      { submission_id: newID(), household: h.household, outcome: chosen, answers, collected_at: new Date().toISOString() },
      { room: h.building + ' ' + h.room });
    form.hidden = true;
    await render();
  };
  form.scrollIntoView();
}

window.addEventListener('online', () => q.flush().then(load));
load().then(() => q.count()).then(() => q.flush());
