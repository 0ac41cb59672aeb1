// Pieces every console screen uses: labelled fields, forms that show the API's field errors, tables, badges,
// deadlines, directory names. Elements are built with h() (no HTML strings), so API text never becomes markup.
import { api, ApiProblem } from '../shared/api.js';
import { announce, append, clear, h } from '../shared/dom.js';
import { pick, t } from '../shared/i18n.js';
import { group } from '../shared/status.js';
import { countdown, dateTime } from '../shared/time.js';
import { wardCells } from '../shared/map.js';

let ids = 0;
const uid = (prefix) => `${prefix}-${++ids}`;

/** A labelled control: field(label, control, {hint, required}); the control gets an id and aria links. */
export function field(label, control, { hint, required } = {}) {
  control.id ||= uid('f');
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  if (required) control.required = true;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label,
    required ? h('span', { class: 'required' }, ` (${t('form.required')})`) : null), hintEl, control);
}

export function input(name, props = {}) {
  return h('input', { name, type: 'text', ...props });
}

export function textarea(name, props = {}) {
  return h('textarea', { name, rows: 3, ...props });
}

export function select(name, options, value = '', props = {}) {
  return h('select', { name, ...props },
    options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, text)));
}

export function button(text, props = {}) {
  return h('button', { type: 'button', class: 'button', ...props }, text);
}

/** The form's values by name (checkboxes as booleans, empty strings left out). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'file') continue;
    else if (el.value !== '') out[el.name] = el.value;
  }
  return out;
}

/** Show an API problem on a form: an error summary linking to each field it names (GOV.UK style). */
export function showProblem(form, err) {
  clearProblem(form);
  const problem = err instanceof ApiProblem ? err : null;
  const seen = new Set(); // the same error twice (a path parameter and the body's field) is shown once
  const errors = (problem?.errors || []).filter((e) => e.field !== 'Retry-After')
    .map((e) => ({ ...e, target: fieldFor(form, e.field, e.message) }))
    .filter((e) => {
      const key = `${e.target?.id || e.field}|${e.message}`;
      return !seen.has(key) && seen.add(key);
    });
  const items = errors.map((e) => {
    const { target } = e;
    if (!target) return h('li', {}, e.field && !e.message.includes(e.field) ? `${e.field}: ${e.message}` : e.message);
    // the message next to the field too, named by its label (a 422 from the API names fields, not labels)
    target.setAttribute('aria-invalid', 'true');
    const label = form.querySelector(`label[for="${CSS.escape(target.id)}"]`)?.firstChild?.textContent?.trim() || e.field;
    const inline = h('p', { class: 'field-error', id: `${target.id}-error` }, e.message);
    target.before(inline);
    target.setAttribute('aria-describedby', [target.getAttribute('aria-describedby'), inline.id].filter(Boolean).join(' '));
    return h('li', {}, h('a', { href: `#${target.id}` }, `${label}: ${e.message}`));
  });
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
    h('h2', {}, problem ? problem.title : t('error.network')),
    problem?.detail && !items.length ? h('p', {}, problem.detail) : null,
    problem?.retryAfter ? h('p', {}, t('error.retry_after', { s: problem.retryAfter })) : null,
    items.length ? h('ul', {}, items) : null);
  form.prepend(summary);
  summary.focus();
}

/** The control an API field path names: 'reporter.phone' → [name="reporter.phone"] or else [name="phone"]. */
function fieldFor(form, path = '', message = '') {
  const parts = String(path).split('.');
  for (let i = 0; i < parts.length; i += 1) {
    const found = form.querySelector(`[name="${CSS.escape(parts.slice(i).join('.'))}"]`);
    if (found) return found;
  }
  // a whole-entry check names the field in its message ("units: …") or quotes the value at fault ("X does not …")
  const named = /^([a-z_][\w.]*):/.exec(message)?.[1];
  if (named) return fieldFor(form, named);
  const token = /^(\S{3,})\s/.exec(message)?.[1];
  return token ? [...form.elements].find((el) => el.name && !el.readOnly && typeof el.value === 'string'
    && el.type !== 'checkbox' && el.value.split(/[\s,]+/).includes(token)) || null : null;
}

function clearProblem(form) {
  form.querySelector('.error-summary')?.remove();
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const rest = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== `${el.id}-error`);
    if (rest.length) el.setAttribute('aria-describedby', rest.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

/** A form that sends itself: `submit(values, form)` may throw an ApiProblem, which is shown on the form. */
export function form(children, submit, { label } = {}) {
  const el = h('form', { class: 'form', 'aria-label': label, novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const submitter = el.querySelector('[type="submit"]');
    if (submitter) submitter.disabled = true;
    try {
      await submit(values(el), el);
      clearProblem(el);
    } catch (err) {
      if (!(err instanceof ApiProblem) && err?.name !== 'NetworkError' && !(err instanceof TypeError)) console.error(err);
      showProblem(el, err);
    } finally {
      if (submitter && !submitter.dataset.waiting) submitter.disabled = false; // a sign-in may have to wait
    }
  } }, children);
  return el;
}

/** A table; `cards: true` shows each row as a card on a narrow screen (below 600 px), each cell under its
 * column's name (data-label, drawn by the stylesheet). */
export function table(caption, headers, rows, { empty, cards } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty || t('list.empty'));
  return h('div', { class: `table-wrap${cards ? ' table-wrap--cards' : ''}` }, h('table', { class: `table${cards ? ' table--cards' : ''}` },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => (i === 0
      ? h('th', { scope: 'row', 'data-label': headers[i] }, c) : h('td', { 'data-label': headers[i] }, c))))))));
}

export function badge(status, dueAt) {
  return h('span', { class: `badge badge--${group(status, dueAt)}` }, t(`status.${status}`));
}

/** A deadline as people read it, coloured when soon or past. */
export function due(iso) {
  const c = countdown(iso);
  if (!c) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `due${c.overdue ? ' due--over' : c.soon ? ' due--soon' : ''}`, title: dateTime(iso) },
    c.text);
}

export function page(main, title, ...children) {
  append(clear(main), [h('h1', {}, title), children]); // null children (a part not for this role) are skipped
  document.title = `${title} — ${t('app.title')}`;
}

export function notFound(main) {
  page(main, t('notfound.title'), h('p', {}, t('notfound.text')), h('p', {}, h('a', { href: '/staff/' }, t('notfound.home'))));
}

export function failed(main, err) {
  if (err instanceof ApiProblem && err.status === 404) return notFound(main);
  console.error(err);
  return page(main, t('error.title'), h('p', { class: 'error-text' }, err?.title || t('error.load')));
}

export function done(message) {
  announce(message, 'ok');
}

// ---- directory names, loaded once per visit ----
let names;
export function directory() {
  names ??= Promise.all([
    api('/v1/categories').catch(() => []),
    api('/v1/agencies').catch(() => []),
    wardCells().then((cells) => (cells?.features || []).map((f) => ({ code: f.properties.code, name_vi: f.properties.name }))),
  ]).then(([categories, agencies, wards]) => ({
    categories, agencies, wards,
    category: new Map(categories.map((c) => [c.code, c])),
    agency: new Map(agencies.map((a) => [a.code, a])),
    ward: new Map(wards.map((w) => [w.code, w])),
  }));
  return names;
}

export function nameOf(map, code) {
  const entry = map?.get(code);
  return entry ? pick(entry, 'name') : code || '—';
}

export function options(map, { blank } = {}) {
  const list = [...map.values()].map((e) => [e.code, pick(e, 'name')]).sort((a, b) => a[1].localeCompare(b[1], 'vi'));
  return blank ? [['', blank], ...list] : list;
}

/** Client-side navigation inside /staff/ (links are ordinary <a href>, intercepted by the shell). */
export function go(path) {
  history.pushState({}, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}
