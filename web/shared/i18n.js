// Message catalogues: Vietnamese first (bundled), other languages loaded when chosen. Every string a user reads
// comes from here: t('key', {name: value}) fills {name}; a `{n}` count picks `key.one` / `key.other` when given.
import shared from './i18n/vi.json';

const STORAGE_KEY = 'ht.lang';
const catalogues = { vi: { ...shared } };
const loaders = {};
const listeners = new Set();
let current = 'vi';

/** Add an app's catalogue for a language: an object, or a function returning a promise of one (lazy). */
export function register(lang, catalogue) {
  if (typeof catalogue === 'function') loaders[lang] = catalogue;
  else catalogues[lang] = { ...(catalogues[lang] || {}), ...catalogue };
}

export function lang() {
  return current;
}

/** The language the user chose before, else Vietnamese (the default whatever the browser says). */
export function savedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY) || 'vi';
  } catch {
    return 'vi';
  }
}

export async function setLanguage(next) {
  if (!catalogues[next] && loaders[next]) register(next, await loaders[next]());
  if (!catalogues[next]) next = 'vi';
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch { /* private mode: the choice lasts this visit */ }
  for (const fn of listeners) fn(next);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function has(key) {
  return key in (catalogues[current] || {}) || key in catalogues.vi;
}

export function t(key, vars = {}) {
  const table = catalogues[current] || catalogues.vi;
  let text;
  if (typeof vars.n === 'number') text = table[`${key}.${vars.n === 1 ? 'one' : 'other'}`];
  text = text ?? table[key] ?? catalogues.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** The field of an API object in the current language: pick(category, 'name') → name_vi or name_en. */
export function pick(obj, field) {
  if (!obj) return '';
  return obj[`${field}_${current}`] || obj[`${field}_vi`] || obj[field] || '';
}
