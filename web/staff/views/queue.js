// The operator's triage queue and the agency's inbox: tabs with their counts, cases sorted by the time they are
// due, deadlines counting down (due soon and overdue in colour). A case change announced on the live channel
// reloads the counts and the open tab, without reloading the page.
import { clear, h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { dateTime } from '../../shared/time.js';
import * as live from '../live.js';
import { account, call } from '../session.js';
import { badge, directory, due, nameOf, page, table } from '../ui.js';

// A citizen's "urgent" is routed at once but stays unpublished until an operator verifies it (or downgrades it):
// those cases stand above every tab, whatever tab is open.
function urgentBanner(box, items, names) {
  clear(box);
  box.hidden = !items.length;
  if (!items.length) return;
  box.append(h('h2', {}, t('queue.urgent.title', { n: items.length })), h('p', { class: 'small' }, t('queue.urgent.help')),
    h('ul', { class: 'urgent-list' }, items.map((c) => h('li', {},
      h('a', { href: `/staff/cases/${c.id}`, class: 'urgent-link' }, c.code), ' · ', nameOf(names.category, c.category),
      ' · ', nameOf(names.ward, c.ward_code), ' · ', t('queue.urgent.received', { at: dateTime(c.created_at) })))));
}

const SAFETY_MS = 20000; // the queue reads itself again at least this often, hints or not
const PAGE = 100; // cases shown at first; "show more" adds as many, up to the API's MAX_SHOWN
const MAX_SHOWN = 500;

const TABS = {
  operator: ['urgent', 'new', 'info_answered', 'returned', 'results', 'overdue', 'extensions', 'reopen_requests', 'unroutable'],
  agency: ['new', 'in_progress', 'due_soon', 'overdue'],
};
const remembered = {};

export async function render(main) {
  const who = account();
  const kind = who.role === 'operator' ? 'operator' : 'agency';
  const base = kind === 'operator' ? '/v1/operator/queue' : '/v1/agency/inbox';
  const names = await directory();
  let tab = remembered[kind] || 'new';
  const tablist = h('div', { class: 'tabs-row', role: 'tablist', 'aria-label': t(`queue.${kind}.tabs`) });
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel', tabindex: '0' });
  const status = h('p', { class: 'small muted', role: 'status' });
  const urgent = h('section', { class: 'panel urgent-banner', hidden: true, 'aria-live': 'polite' });
  const hotline = kind === 'operator'
    ? h('p', {}, h('a', { href: '/staff/hotline', class: 'button button--quiet' }, t('hotline.open'))) : null;
  const buttons = new Map();
  for (const name of TABS[kind]) {
    const b = h('button', { type: 'button', role: 'tab', class: 'tab', id: `tab-${name}`, 'aria-controls': 'queue-panel',
      onclick: () => { tab = name; remembered[kind] = name; select(); load(); } },
    h('span', { class: 'tab-label' }, t(`queue.tab.${name}`)), h('span', { class: 'count' }, '…'));
    buttons.set(name, b);
    tablist.append(b);
  }
  panel.id = 'queue-panel';

  function select() {
    for (const [name, b] of buttons) {
      b.setAttribute('aria-selected', String(name === tab));
      b.tabIndex = name === tab ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${tab}`);
  }

  tablist.addEventListener('keydown', (e) => {
    const names = TABS[kind];
    const i = names.indexOf(tab) + (e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0);
    if (i !== names.indexOf(tab) && names[i]) {
      buttons.get(names[i]).click();
      buttons.get(names[i]).focus();
    }
  });

  let items = [];
  let total = 0;
  const shown = {}; // per tab: how many cases the officer asked to see
  const want = () => shown[tab] || PAGE;
  function more() {
    if (total <= items.length) return null;
    const next = Math.min(MAX_SHOWN, want() + PAGE);
    return h('p', { class: 'queue-more' }, h('span', { class: 'small muted' }, t('queue.shown', { shown: items.length, total })),
      ' ', next > want() ? h('button', { type: 'button', class: 'button button--quiet',
        onclick: () => { shown[tab] = next; load(); } }, t('queue.more', { count: Math.min(next, total) - items.length }))
        : h('span', { class: 'small muted' }, t('queue.narrow')));
  }

  function draw() {
    clear(panel).append(table(t(`queue.tab.${tab}`),
      [t('case.code'), t('case.category'), t('case.ward'), kind === 'operator' ? t('case.agency') : t('case.priority'),
        t('case.status'), t('case.due'), t('case.received')],
      items.map((c) => [
        h('a', { href: `/staff/cases/${c.id}` }, c.code),
        nameOf(names.category, c.category),
        nameOf(names.ward, c.ward_code),
        kind === 'operator' ? nameOf(names.agency, c.agency_code) : t(`priority.${c.priority}`),
        [badge(c.status, c.due_at), c.priority === 'KHAN' ? h('span', { class: 'badge badge--urgent' }, t('priority.KHAN')) : null],
        due(c.sort_due_at),
        dateTime(c.created_at),
      ]), { empty: t('queue.empty'), cards: true }), more() ?? '');
  }

  let loading = null;
  let again = false;
  async function load() {
    if (loading) { // a tab chosen (or a change announced) while a load runs: load once more after it
      again = true;
      return loading;
    }
    loading = (async () => {
      try {
        const [counts, pageData, pressing] = await Promise.all([call(`${base}/counts`), call(`${base}?bucket=${tab}&limit=${want()}`),
          kind === 'operator' ? call(`${base}?bucket=urgent&limit=20`) : null]);
        for (const [name, b] of buttons) {
          const n = counts.counts[name] ?? 0;
          b.querySelector('.count').textContent = String(n);
          b.classList.toggle('tab--alarm', name === 'urgent' && n > 0);
        }
        if (pressing) urgentBanner(urgent, pressing.items, names);
        items = pageData.items;
        total = pageData.total;
        draw();
        status.textContent = t('queue.updated', { at: dateTime(new Date().toISOString()) });
      } catch (err) {
        status.textContent = t('error.load');
      } finally {
        loading = null;
        if (again) {
          again = false;
          load();
        }
      }
    })();
    return loading;
  }

  select();
  await load(); // the page appears with its counts, banner and cases: nothing moves under a first click
  page(main, t(`queue.${kind}.title`), status, hotline, urgent, tablist, panel);
  let timer = null;
  const stopLive = live.onCase(() => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  });
  const tick = setInterval(draw, 60000); // countdowns move on
  // Hints are a fast path, not the only one: a hint lost on the way (a broker reconnect) is caught up within
  // SAFETY_MS, and a view left open in a background tab reads itself again when it comes back.
  const safety = setInterval(() => document.visibilityState === 'visible' && load(), SAFETY_MS);
  return () => {
    stopLive();
    clearTimeout(timer);
    clearInterval(tick);
    clearInterval(safety);
  };
}
