// Directory data the screens share: categories (with their questions), ward and agency names. Loaded once per
// visit; the service worker keeps the last copy for offline use.
import { api } from '../shared/api.js';
import { pick, t, has } from '../shared/i18n.js';
import { wardCells } from '../shared/map.js';
import { icon } from '../shared/dom.js';

export const SPRITE = '/icons/sprite.svg';
let categories;
let agencies;

export function loadCategories() {
  categories ??= api('/v1/categories').catch((err) => {
    categories = undefined;
    throw err;
  });
  return categories;
}

export function loadAgencies() {
  agencies ??= api('/v1/agencies').then((rows) => new Map(rows.map((a) => [a.code, a]))).catch(() => {
    agencies = undefined;
    return new Map();
  });
  return agencies;
}

export async function wardNames() {
  const cells = await wardCells();
  return new Map((cells?.features || []).map((f) => [f.properties.code, f.properties.name]));
}

export function categoryName(list, code) {
  const found = (list || []).find((c) => c.code === code);
  return found ? pick(found, 'name') : code;
}

/** One line of help: the app's catalogue, else the directory's own (Vietnamese) description. */
export function categoryHelp(category) {
  const key = `category.help.${category.code}`;
  return has(key) ? t(key) : category.description;
}

export function categoryIcon(code) {
  return icon(SPRITE, code);
}

export function agencyName(map, code) {
  return (map && map.get(code) && pick(map.get(code), 'name')) || code || '';
}
