// The field pages' start page: the user's active emergencies and open
// campaigns, each a link to its offline page (kept by the service worker
// like the pages themselves).
import { registerWorker, netBadge, getJSON } from './queue.js';

const root = document.getElementById('field');
const S = JSON.parse(root.dataset.strings);
registerWorker();
netBadge(document.getElementById('net'), S);

async function fill(url, key, list, href) {
  const ul = document.getElementById(list);
  try {
    const items = (await getJSON(url))[key] || [];
    ul.replaceChildren(...items.map((it) => {
      const li = document.createElement('li');
      li.className = 'card';
      const a = document.createElement('a');
      a.className = 'btn wide';
      a.href = href + it.id;
      a.textContent = it.name;
      li.append(a);
      return li;
    }));
    if (!items.length) ul.replaceChildren(Object.assign(document.createElement('li'), { className: 'empty', textContent: S['emergency.field.none'] }));
  } catch (e) {
    ul.replaceChildren(Object.assign(document.createElement('li'), { className: 'empty', textContent: S['offline.unavailable'] }));
  }
}

fill('/api/v1/emergencies?status=active', 'emergencies', 'emergencies', '/field/emergencies/');
fill('/api/v1/campaigns?status=open', 'campaigns', 'campaigns', '/field/campaigns/');
