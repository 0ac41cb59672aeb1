// "My reports": what this phone sent or follows (tokens in IndexedDB), with the reports still waiting to be sent,
// each one's status and deadline; moving the list to another phone with a link or a QR code.
import { api } from '../../shared/api.js';
import { announce, clear, h, fill } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { isOpen } from '../../shared/status.js';
import { countdown, dateTime } from '../../shared/time.js';
import { categoryIcon, categoryName, loadCategories } from '../catalog.js';
import { discard, onOutboxChange, retry } from '../outbox.js';
import { mine, outbox, tokenHeaders } from '../store.js';
import { badge } from './common.js';

export async function render(main) {
  const categories = await loadCategories().catch(() => []);
  const pending = h('ul', { class: 'cards' });
  const list = h('ul', { class: 'cards' });
  const empty = h('p', { class: 'panel', hidden: true }, t('mine.empty'), ' ', h('a', { href: '#/new' }, t('mine.empty_cta')));
  main.append(h('h1', {}, t('mine.title')), h('p', { class: 'muted' }, t('mine.intro')), pending, list, empty,
    h('p', {}, h('a', { class: 'button button--quiet', href: '#/transfer' }, t('mine.transfer'))));

  async function draw() {
    const [waiting, saved] = await Promise.all([outbox.all(), mine.all()]);
    const sentKeys = new Set(waiting.filter((w) => w.ref).map((w) => w.ref.id));
    fill(pending, ...waiting.filter((w) => !w.ref).map((w) => h('li', { class: 'card card--pending' },
      h('div', { class: 'card-body' },
        h('span', { class: 'card-title' }, categoryName(categories, w.report.category)),
        h('span', { class: 'card-meta' }, dateTime(w.queuedAt)),
        h('span', { class: `badge ${w.state === 'failed' ? 'badge--overdue' : 'badge--waiting'}` },
          w.state === 'failed' ? t('mine.failed') : navigator.onLine ? t('mine.sending') : t('mine.waiting')),
        w.state === 'failed' ? h('p', { class: 'error-text' }, w.error || '')
          : h('p', { class: 'small muted' }, navigator.onLine ? t('mine.sending_text') : t('mine.waiting_text')),
        w.state === 'failed' ? h('div', { class: 'row' },
          h('button', { type: 'button', class: 'button button--small', onclick: () => retry(w.key) }, t('mine.retry')),
          h('button', { type: 'button', class: 'button button--quiet button--small', onclick: () => discard(w.key) }, t('mine.discard'))) : null))));
    saved.sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
    fill(list, ...saved.map((r) => {
      const due = r.due_at && isOpen(r.status) ? countdown(r.due_at) : null;
      return h('li', { class: 'card' }, h('a', { class: 'card-link', href: `#/r/${r.id}` },
        h('span', { class: 'card-icon' }, categoryIcon(r.category)),
        h('span', { class: 'card-body' },
          h('span', { class: 'card-title' }, r.code),
          h('span', { class: 'card-meta' }, `${categoryName(categories, r.category)} · ${dateTime(r.created_at)}`),
          r.status ? badge(r.status, r.due_at) : null,
          r.following ? h('span', { class: 'badge badge--note' }, t('mine.following')) : null,
          sentKeys.has(r.id) ? h('span', { class: 'small muted' }, t('mine.uploading')) : null,
          due ? h('span', { class: `small ${due.overdue ? 'overdue' : ''}` }, t('mine.due', { text: due.text })) : null)));
    }));
    empty.hidden = Boolean(waiting.length || saved.length);
  }

  async function refreshStatuses() {
    for (const r of await mine.all()) {
      try {
        const view = await api(`/v1/reports/${r.id}`, { headers: tokenHeaders(r) });
        await mine.put({ ...r, status: view.status, due_at: view.due_at, code: view.code });
      } catch { /* offline: keep what we knew */ }
    }
    draw();
  }
  await draw();
  refreshStatuses();
  const stop = onOutboxChange(draw);
  const redraw = () => draw();
  window.addEventListener('online', redraw);
  window.addEventListener('offline', redraw);
  return () => { stop(); window.removeEventListener('online', redraw); window.removeEventListener('offline', redraw); };
}

function encode(value) {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decode(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

/** The transfer link: the list in the URL's fragment, which browsers never send to a server (so no log has it). */
export async function renderTransfer(main) {
  const saved = await mine.all();
  main.append(h('h1', {}, t('transfer.title')));
  if (!saved.length) {
    main.append(h('p', { class: 'panel' }, t('mine.empty')));
    return;
  }
  const items = saved.map((r) => ({ i: r.id, c: r.code, k: r.token, f: r.follower, g: r.category, d: r.created_at }));
  const link = `${location.origin}/#/import/${encode({ v: 1, r: items })}`;
  const box = h('textarea', { id: 'transfer-link', readOnly: true, rows: 3, value: link });
  const qr = h('div', { class: 'qr', role: 'img', 'aria-label': t('transfer.qr') });
  main.append(h('p', {}, t('transfer.intro', { n: saved.length })),
    h('p', { class: 'notice', role: 'note' }, t('transfer.warning')), qr,
    h('div', { class: 'field' }, h('label', { for: 'transfer-link' }, t('transfer.link')), box),
    h('button', { type: 'button', class: 'button', onclick: async () => {
      try {
        await navigator.clipboard.writeText(link);
        announce(t('transfer.copied'));
      } catch {
        box.select();
      }
    } }, t('transfer.copy')));
  const { default: qrcode } = await import('qrcode-generator');
  const code = qrcode(0, 'L');
  code.addData(link);
  code.make();
  const svg = new DOMParser().parseFromString(code.createSvgTag({ cellSize: 4, margin: 2, scalable: true }), 'image/svg+xml');
  qr.append(document.importNode(svg.documentElement, true));
}

export async function renderImport(main, data) {
  history.replaceState(null, '', '/#/mine'); // the tokens leave the address bar and the history at once
  let items;
  try {
    const parsed = decode(data);
    items = (parsed.r || []).filter((x) => /^[0-9a-f-]{36}$/.test(x.i) && (x.k || x.f));
  } catch {
    items = [];
  }
  if (!items.length) {
    main.append(h('h1', {}, t('import.title')), h('p', { class: 'panel error' }, t('import.bad')));
    return undefined;
  }
  let added = 0;
  for (const x of items) {
    if (await mine.get(x.i)) continue;
    await mine.put({ id: x.i, code: x.c, token: x.k, follower: x.f, category: x.g, created_at: x.d, following: !x.k && Boolean(x.f) });
    added += 1;
  }
  clear(main);
  announce(t('import.done', { n: added }));
  return render(main); // the address is already #/mine: show it here (the same hash would not route again)
}
