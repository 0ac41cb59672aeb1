// Browse: the public map of verified reports (the server's clusters at low zoom, markers at high zoom, coloured
// by status) and the same reports as a list.
import { api, query } from '../../shared/api.js';
import { clear, h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { createMap, L, pin } from '../../shared/map.js';
import { group } from '../../shared/status.js';
import { categoryName, loadCategories, wardNames } from '../catalog.js';
import { badge, filterForm, legend, reportCard, searchParams } from './common.js';

const POINTS_FROM_ZOOM = 15; // the server's: below it one feature per grid cell, from it on one per report
const MOVE_DEBOUNCE_MS = 250;

const WHOLE_MAP_UNTIL_ZOOM = 6; // up to this zoom every phone asks for the same whole-map answer (a few dozen cells)

/** The view's box at `zoom`, widened to whole tiles of that zoom (in degrees) so that phones looking at about the
 * same place ask for the same URL (and the gateway's cache answers it); west,south,east,north within the valid
 * ranges; the whole map at low zoom. */
export function snappedBox(bounds, zoom) {
  if (zoom <= WHOLE_MAP_UNTIL_ZOOM) return '-180,-90,180,90';
  const tile = 360 / 2 ** zoom;
  const down = (v) => Math.floor(v / tile) * tile;
  const up = (v) => Math.ceil(v / tile) * tile;
  const clamp = (v, m) => Math.max(-m, Math.min(m, v));
  const box = [clamp(down(bounds.getWest()), 180), clamp(down(bounds.getSouth()), 90),
    clamp(up(bounds.getEast()), 180), clamp(up(bounds.getNorth()), 90)];
  return box.map((v) => Number(v.toFixed(6))).join(',');
}

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
  const layer = L.layerGroup().addTo(map);
  let generation = 0;
  let timer = 0;

  function popup(id, props) {
    return h('div', { class: 'popup' },
      h('strong', {}, categoryName(categories, props.category)),
      h('div', {}, props.title || ''),
      badge(props.status, props.due_at),
      h('div', {}, h('a', { href: `#/r/${id}` }, t('map.open_report'))));
  }

  function cluster(feature) {
    const [lon, lat] = feature.geometry.coordinates;
    const n = feature.properties.count;
    const size = n < 10 ? 'small' : n < 100 ? 'medium' : 'large';
    const label = t('map.cluster', { n });
    const marker = L.marker([lat, lon], {
      icon: L.divIcon({ html: `<span>${n > 9999 ? `${Math.round(n / 1000)}k` : n}</span>`, className: `cluster cluster--${size}`,
        iconSize: size === 'large' ? [50, 50] : [40, 40] }),
      title: label, alt: label, keyboard: true,
    });
    marker.on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, POINTS_FROM_ZOOM)));
    return marker;
  }

  async function load() {
    const mine = ++generation;
    const zoom = Math.round(map.getZoom());
    status.textContent = t('map.loading');
    try {
      const answer = await api(`/v1/reports.geojson${query({ ...searchParams(), bbox: snappedBox(map.getBounds(), zoom), zoom })}`);
      if (mine !== generation) return;
      layer.clearLayers();
      for (const f of answer.features) {
        if (f.properties.cluster) {
          layer.addLayer(cluster(f));
        } else {
          const [lon, lat] = f.geometry.coordinates;
          const p = f.properties;
          const title = `${categoryName(categories, p.category)} — ${t(`status.${p.status}`)}`;
          layer.addLayer(pin([lat, lon], group(p.status, p.due_at), title).bindPopup(() => popup(f.id, p)));
        }
      }
      mapEl.dataset.mode = answer.mode;
      if (!answer.total) status.textContent = t('map.none');
      else if (answer.mode === 'clusters') status.textContent = t('map.in_view', { total: answer.total });
      else status.textContent = t(answer.truncated ? 'map.newest' : 'map.in_view', { total: answer.features.length });
    } catch {
      if (mine === generation) status.textContent = t('map.offline');
    }
  }
  map.on('moveend', () => { // a pan or a zoom: ask again once the map rests
    clearTimeout(timer);
    timer = setTimeout(load, MOVE_DEBOUNCE_MS);
  });
  load();
  return () => {
    generation += 1;
    clearTimeout(timer);
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
      const answer = await api(`/v1/reports${query({ ...searchParams(), limit: 20, offset, order: 'created_desc', view: 'compact' })}`);
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

