// Browse: the public map of verified reports (clustered, coloured by status) and the same reports as a list.
import { api, query } from '../../shared/api.js';
import { clear, h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { clusterLayer, createMap, pin } from '../../shared/map.js';
import { group } from '../../shared/status.js';
import { date } from '../../shared/time.js';
import { categoryName, loadCategories, wardNames } from '../catalog.js';
import { badge, filterForm, legend, reportCard, searchParams } from './common.js';

const MAP_PAGE = 1000;
const MAP_MAX = 5000; // the map shows at most this many reports at once (clustered); the list pages through all

export async function renderMap(main) {
  // The map and its reports start at once; categories and ward names (for the filters and popups) arrive
  // meanwhile: waiting for them first put one more round trip before anything was usable on a 3G phone.
  let categories = [];
  let wards = new Map();
  const status = h('p', { class: 'map-status', role: 'status' }, t('map.loading'));
  const mapEl = h('div', { class: 'map map--full', id: 'map' });
  let filters = filterForm(categories, wards, () => load());
  main.append(h('h1', { class: 'visually-hidden' }, t('map.title')),
    h('div', { class: 'toolbar' }, filters, h('a', { class: 'button button--quiet', href: '#/list' }, t('map.as_list'))),
    mapEl, h('div', { class: 'map-foot' }, legend(), status));
  Promise.all([loadCategories().catch(() => []), wardNames()]).then(([c, w]) => {
    categories = c;
    wards = w;
    if (filters.isConnected && !filters.open) filters.replaceWith((filters = filterForm(categories, wards, () => load())));
  });
  const map = createMap(mapEl, { label: t('map.label') });
  const layer = clusterLayer().addTo(map);
  let generation = 0;

  function popup(props) {
    return h('div', { class: 'popup' },
      h('strong', {}, categoryName(categories, props.category)),
      h('div', {}, `${props.code} · ${date(props.created_at)}`),
      h('div', {}, wards.get(props.ward_code) || ''),
      badge(props.status, props.due_at),
      h('div', {}, h('a', { href: `#/r/${props.id}` }, t('map.open_report'))));
  }

  async function load() {
    const mine = ++generation;
    layer.clearLayers();
    status.textContent = t('map.loading');
    let shown = 0;
    let total = 0;
    try {
      for (let offset = 0; offset < MAP_MAX; offset += MAP_PAGE) {
        const page = await api(`/v1/reports.geojson${query({ ...searchParams(), limit: MAP_PAGE, offset })}`);
        if (mine !== generation) return;
        total = page.total;
        const markers = page.features.map((f) => {
          const [lon, lat] = f.geometry.coordinates;
          const p = f.properties;
          const title = `${categoryName(categories, p.category)} — ${t(`status.${p.status}`)}`;
          return pin([lat, lon], group(p.status, p.due_at), title).bindPopup(() => popup(p));
        });
        layer.addLayers(markers);
        shown += markers.length;
        status.textContent = t('map.count', { n: shown, total });
        if (shown >= total || !page.features.length) break;
      }
      if (!total) status.textContent = t('map.none');
    } catch {
      status.textContent = t('map.offline');
    }
  }
  load();
  return () => {
    generation += 1;
    map.remove();
  };
}

export async function renderList(main) {
  const [categories, wards] = await Promise.all([loadCategories().catch(() => []), wardNames()]);
  const list = h('ul', { class: 'cards' });
  const more = h('button', { type: 'button', class: 'button button--quiet', hidden: true }, t('list.more'));
  const status = h('p', { role: 'status', class: 'muted' });
  let offset = 0;
  main.append(h('h1', {}, t('list.title')),
    h('div', { class: 'toolbar' }, filterForm(categories, wards, () => { offset = 0; clear(list); page(); }),
      h('a', { class: 'button button--quiet', href: '#/' }, t('list.as_map'))),
    status, list, more);
  more.addEventListener('click', page);

  async function page() {
    status.textContent = t('map.loading');
    try {
      const answer = await api(`/v1/reports${query({ ...searchParams(), limit: 20, offset, order: 'created_desc' })}`);
      list.append(...answer.items.map((r) => reportCard(r, categories, wards)));
      offset += answer.items.length;
      more.hidden = offset >= answer.total;
      status.textContent = answer.total ? t('list.count', { n: offset, total: answer.total }) : t('map.none');
    } catch {
      status.textContent = t('map.offline');
    }
  }
  page();
}

