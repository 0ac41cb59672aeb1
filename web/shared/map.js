// The map: Leaflet with the deployment's tiles (MAP_TILE_URL) under the ward cells of the directory in force, so
// the map stays readable where tiles cannot be fetched; reports as markers clustered by markercluster.
import L from 'leaflet';
import './leaflet-global.js';
import 'leaflet.markercluster';
import { api } from './api.js';

export const HA_TINH = { center: [18.33, 105.75], zoom: 9 };

export function config() {
  const meta = document.querySelector('meta[name="ht-map"]');
  const tiles = meta?.dataset.tiles || '';
  return { tiles: tiles.includes('{{') ? '' : tiles, attribution: meta?.dataset.attribution || '' };
}

/** A map in `el` with tiles (when configured) and the ward cells; `onCells(geojson)` once they are loaded. */
export function createMap(el, { label, onCells, fit = true } = {}) {
  const map = L.map(el, { zoomControl: true, preferCanvas: true, attributionControl: true, tap: true })
    .setView(HA_TINH.center, HA_TINH.zoom);
  map.once('movestart', () => { map.moved = true; }); // the citizen's own view wins over fitting the province
  const { tiles, attribution } = config();
  if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution, crossOrigin: false }).addTo(map);
  map.attributionControl.setPrefix(false);
  el.setAttribute('role', 'region');
  if (label) el.setAttribute('aria-label', label);
  wardCells().then((cells) => {
    if (!cells) return;
    const layer = L.geoJSON(cells, {
      interactive: false,
      style: { color: '#5b6b7a', weight: 1, opacity: 0.7, fillColor: '#e8eef3', fillOpacity: 0.35 },
    }).addTo(map).bringToBack();
    if (fit && !map.moved) map.fitBounds(layer.getBounds(), { padding: [4, 4] });
    onCells?.(cells);
  });
  return map;
}

let cellsPromise;
export function wardCells() {
  cellsPromise ??= api('/v1/wards.geojson').catch(() => {
    cellsPromise = undefined;
    return null;
  });
  return cellsPromise;
}

/** The ward containing a point, from the cells alone (offline fallback of `GET /v1/wards/locate`). */
export function wardAt(cells, lat, lon) {
  for (const f of cells?.features || []) {
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    if (polys.some((rings) => inRing(rings[0], lon, lat) && !rings.slice(1).some((h) => inRing(h, lon, lat)))) {
      return { unit_code: f.properties.code, unit_name: f.properties.name, approximate: f.properties.approximate };
    }
  }
  return null;
}

function inRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A clustered layer of report markers; `marker(props, latlng)` builds each. */
export function clusterLayer() {
  return L.markerClusterGroup({
    chunkedLoading: true, chunkInterval: 100, chunkDelay: 20, showCoverageOnHover: false,
    maxClusterRadius: 60, spiderfyOnMaxZoom: true, removeOutsideVisibleBounds: true,
    iconCreateFunction(cluster) {
      const n = cluster.getChildCount();
      const size = n < 10 ? 'small' : n < 100 ? 'medium' : 'large';
      return L.divIcon({ html: `<span>${n}</span>`, className: `cluster cluster--${size}`, iconSize: size === 'large' ? [50, 50] : [40, 40] });
    },
  });
}

export function pin(latlng, group, title) {
  return L.marker(latlng, {
    icon: L.divIcon({ className: `pin pin--${group}`, iconSize: [22, 22], iconAnchor: [11, 11] }),
    title, alt: title, keyboard: true, riseOnHover: true,
  });
}

export { L };
