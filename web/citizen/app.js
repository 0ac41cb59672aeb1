// The citizen app: a shell (header, bottom navigation, live region) and hash routes, each a view module.
// Routes live in the fragment so the shell is one cached page and nothing after '#' ever reaches a server log.
import vi from './i18n/vi.json';
import { register, savedLanguage, setLanguage, t, onLanguageChange, lang } from '../shared/i18n.js';
import { clear, fill, h, icon } from '../shared/dom.js';
import { SPRITE } from './catalog.js';
import * as outbox from './outbox.js';
import { mine as saved } from './store.js';
import * as browse from './views/browse.js';
import * as report from './views/report.js';
import * as mine from './views/mine.js';

register('vi', vi);
register('en', () => Promise.all([import('../shared/i18n/en.json'), import('./i18n/en.json')])
  .then(([common, own]) => ({ ...common.default, ...own.default })));

const ROUTES = [
  [/^\/?$/, browse.renderMap, 'map'],
  [/^\/list$/, browse.renderList, 'list'],
  [/^\/r\/([0-9a-f-]{36})$/, report.render, 'map'],
  [/^\/new$/, () => import('./views/wizard.js').then((m) => m.render), 'new'],
  [/^\/mine$/, mine.render, 'mine'],
  [/^\/transfer$/, mine.renderTransfer, 'mine'],
  [/^\/import\/(.+)$/, mine.renderImport, 'mine'],
  [/^\/stats$/, () => import('./views/stats.js').then((m) => m.render), 'stats'],
];
const LAZY = new Set(['/new', '/stats']);
const TABS = [['map', '#/', 'i-map'], ['list', '#/list', 'i-list'], ['new', '#/new', 'i-plus'],
  ['mine', '#/mine', 'i-mine'], ['stats', '#/stats', 'i-stats']];
const main = document.getElementById('main');
let cleanup = null;

function renderChrome(active) {
  const nav = clear(document.getElementById('tabs'));
  nav.setAttribute('aria-label', t('nav.label'));
  for (const [name, href, sprite] of TABS) {
    nav.append(h('a', { href, class: `tab${name === 'new' ? ' tab--primary' : ''}`,
      'aria-current': name === active ? 'page' : undefined }, icon(SPRITE, sprite), h('span', {}, t(`nav.${name}`))));
  }
  const button = document.getElementById('lang');
  const other = lang() === 'vi' ? 'en' : 'vi';
  button.textContent = t(`lang.switch.${other}`);
  button.lang = other;
  document.querySelector('.skip').textContent = t('nav.skip');
  document.title = t('app.title');
}

async function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0]) || '/';
  const raw = location.hash.replace(/^#/, '') || '/';
  const [pattern, view, tab] = ROUTES.find(([re]) => re.test(raw.split('?')[0])) || ROUTES[0];
  const args = raw.split('?')[0].match(pattern).slice(1);
  cleanup?.();
  cleanup = null;
  renderChrome(tab);
  if (pattern === ROUTES[2][0]) { // a report this phone sent or follows belongs to "my reports"
    saved.get(args[0]).then((entry) => { if (entry && location.hash.includes(args[0])) renderChrome('mine'); }).catch(() => {});
  }
  const container = h('div', { class: 'view' });
  fill(main, container);
  try {
    const render = LAZY.has(path) ? await view() : view;
    const done = (await render(container, ...args)) || null;
    if (container.isConnected) cleanup = done;
    else done?.();
  } catch (err) {
    console.error(err);
    fill(container, h('div', { class: 'panel error' }, h('h1', {}, t('error.title')), h('p', {}, t('error.load'))));
  }
  if (document.activeElement && document.activeElement !== document.body && !main.contains(document.activeElement)) {
    main.focus({ preventScroll: true });
  }
}

function networkState() {
  const el = document.getElementById('net');
  el.hidden = navigator.onLine;
  el.textContent = t('net.offline');
}

async function boot() {
  await setLanguage(savedLanguage());
  document.getElementById('lang').addEventListener('click', () => setLanguage(lang() === 'vi' ? 'en' : 'vi'));
  onLanguageChange(() => {
    networkState();
    route();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', networkState);
  window.addEventListener('offline', networkState);
  networkState();
  await route();
  outbox.start();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch((err) => console.warn('service worker', err));
  }
}

boot();
