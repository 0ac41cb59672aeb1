// The staff console at /staff/: a shell (header with the role's navigation, the signed-in person, language switch,
// live status) and path routes (/staff/cases/<id> is the address agencies' e-mails link to). Each screen is a view
// module; the administrator's screens load on demand.
import vi from './i18n/vi.json';
import { register, savedLanguage, setLanguage, t, onLanguageChange, lang } from '../shared/i18n.js';
import { clear, h } from '../shared/dom.js';
import * as session from './session.js';
import * as live from './live.js';
import { go, notFound } from './ui.js';
import * as signin from './views/signin.js';
import * as queue from './views/queue.js';
import * as casePage from './views/case.js';

register('vi', vi);
register('en', () => Promise.all([import('../shared/i18n/en.json'), import('./i18n/en.json')])
  .then(([common, own]) => ({ ...common.default, ...own.default })));

const admin = () => import('./views/admin.js');
const dashboard = () => import('./views/dashboard.js');
const hotline = () => import('./views/hotline.js').then((m) => m.render);
// path pattern, view (or loader of a module's `render`), roles allowed, navigation key
const ROUTES = [
  [/^\/staff\/queue$/, queue.render, ['operator'], 'queue'],
  [/^\/staff\/inbox$/, queue.render, ['agency_officer', 'agency_leader'], 'inbox'],
  [/^\/staff\/cases\/([0-9a-f-]{36})$/, casePage.render, ['operator', 'agency_officer', 'agency_leader'], null],
  [/^\/staff\/dashboard$/, () => dashboard().then((m) => m.render), ['operator', 'agency_leader', 'administrator'], 'dashboard'],
  [/^\/staff\/admin\/([a-z-]+)$/, () => admin().then((m) => m.render), ['administrator'], 'admin'],
  [/^\/staff\/account$/, signin.renderAccount, null, 'account'],
  [/^\/staff\/hotline$/, hotline, ['operator'], 'queue'],
];
const HOME = { operator: '/staff/queue', agency_officer: '/staff/inbox', agency_leader: '/staff/inbox',
  administrator: '/staff/admin/accounts' };
const NAV = {
  operator: [['queue', '/staff/queue'], ['dashboard', '/staff/dashboard']],
  agency_officer: [['inbox', '/staff/inbox']],
  agency_leader: [['inbox', '/staff/inbox'], ['dashboard', '/staff/dashboard']],
  administrator: [['admin', '/staff/admin/accounts'], ['dashboard', '/staff/dashboard']],
};
const LOADERS = new Set([ROUTES[3][1], ROUTES[4][1], hotline]);
const main = document.getElementById('main');
let cleanup = null;

function chrome(active) {
  const who = session.account();
  const nav = clear(document.getElementById('nav'));
  nav.setAttribute('aria-label', t('nav.label'));
  for (const [key, href] of who ? NAV[who.role] : []) {
    nav.append(h('a', { href, class: 'nav-link', 'aria-current': key === active ? 'page' : undefined }, t(`nav.${key}`)));
  }
  const box = clear(document.getElementById('who'));
  if (who) {
    box.append(h('a', { href: '/staff/account', class: 'who-name' }, who.display_name,
      h('span', { class: 'who-role' }, t(`role.${who.role}`))),
    h('button', { type: 'button', class: 'button button--small button--quiet', onclick: async () => {
      live.stop();
      await session.signOut();
    } }, t('nav.sign_out')));
  }
  const button = document.getElementById('lang');
  const other = lang() === 'vi' ? 'en' : 'vi';
  button.textContent = t(`lang.switch.${other}`);
  button.lang = other;
  document.querySelector('.skip').textContent = t('nav.skip');
}

// Each route renders into a container of its own: a view still loading when the officer moves on (a slow queue,
// a click during the first load) finishes into a container no longer on the page, and its timers and live
// listeners are stopped as soon as it returns.
async function route() {
  cleanup?.();
  cleanup = null;
  const who = session.account();
  const path = location.pathname.replace(/\/+$/, '') || '/staff';
  if (!who) {
    live.stop();
    chrome(null);
    cleanup = signin.render(main) || null;
    return;
  }
  live.start();
  if (path === '/staff' || path === '/staff/sign-in') return go(HOME[who.role]);
  const found = ROUTES.find(([re]) => re.test(path));
  chrome(found?.[3]);
  if (!found || (found[2] && !found[2].includes(who.role))) return notFound(main);
  const [pattern, view] = found;
  const slot = h('div', { class: 'view' }, h('p', { class: 'loading' }, t('loading')));
  clear(main).append(slot);
  let ended = null;
  try {
    const render = LOADERS.has(view) ? await view() : view;
    ended = (await render(slot, ...path.match(pattern).slice(1))) || null;
  } catch (err) {
    console.error(err);
    clear(slot).append(h('div', { class: 'panel error' }, h('h1', {}, t('error.title')), h('p', {}, t('error.load'))));
  }
  if (!slot.isConnected) { // overtaken by a later route while it loaded
    ended?.();
    return;
  }
  cleanup = ended;
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

let liveState = 'off';
function liveBadge(state = liveState) {
  liveState = state;
  const el = document.getElementById('live');
  el.hidden = state === 'off';
  el.className = `live live--${state}`;
  el.textContent = t(`live.${state}`);
}

async function boot() {
  await setLanguage(savedLanguage());
  document.getElementById('lang').addEventListener('click', () => setLanguage(lang() === 'vi' ? 'en' : 'vi'));
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="/staff"]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || a.target || a.hasAttribute('download')) return;
    e.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);
  onLanguageChange(() => { route(); liveBadge(); });
  live.onState(liveBadge);
  session.onChange(() => route());
  await session.load();
}

boot();
