// The routing directory's entries edited field by field (units, agencies, categories, rules, deadlines, holidays)
// instead of raw JSON. Each form's control is named by the entry's own path ("centroid.lat", "deadline.urgent_hours"),
// so a 422 from the API lands next to the field it names; fields the form does not show (`details`) are kept as
// they were. Saving makes a new directory version, as before.
import { ApiProblem } from '../../shared/api.js';
import { h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { fromDmy, toDmy } from '../../shared/time.js';
import { call } from '../session.js';
import { done, field, form, input, select, textarea } from '../ui.js';

const PRIORITIES = ['BINH_THUONG', 'KHAN', 'PHUC_TAP'];
const AGENCY_HINT = () => t('dir.hint.agency_pattern');

// kind: text | int | number | select | list (comma separated; empty → [] or null) | lines | date | dates | bool |
// textarea | periods. `key` marks the entry's key (read-only once it exists).
export const SCHEMAS = {
  units: [['code', 'text', { key: true }], ['name', 'text', { required: true }],
    ['type', 'select', { choices: ['xa', 'phuong', 'dac_khu'] }], ['centroid.lat', 'number', { required: true }],
    ['centroid.lon', 'number', { required: true }], ['area_km2', 'number']],
  agencies: [['code', 'text', { key: true }], ['name_vi', 'text', { required: true }], ['name_en', 'text'],
    ['level', 'select', { choices: ['province', 'commune', 'vertical', 'utility'] }], ['kind', 'text', { required: true }],
    ['unit_code', 'text'], ['parent', 'text'], ['handles', 'list', { empty: [] }]],
  categories: [['code', 'text', { key: true }], ['name_vi', 'text', { required: true }], ['name_en', 'text', { required: true }],
    ['description', 'textarea'], ['default_handling_level', 'select', { choices: ['commune', 'province', 'utility'] }],
    ['default_agency', 'text', { required: true, hint: AGENCY_HINT }], ['co_handlers', 'list', { empty: [], hint: AGENCY_HINT }],
    ['escalation_agency', 'text', { hint: AGENCY_HINT }], ['deadline.normal_working_days', 'int', { required: true }],
    ['deadline.urgent_hours', 'number'], ['examples', 'lines', { empty: [] }]],
  rules: [['rule_id', 'text', { key: true }], ['category', 'text', { required: true, hint: () => t('dir.hint.category') }],
    ['units', 'list', { empty: null, hint: () => t('dir.hint.units') }], ['agency', 'text', { required: true, hint: AGENCY_HINT }],
    ['co_handlers', 'list', { empty: null, hint: () => t('dir.hint.rule_co_handlers') }],
    ['escalation_agency', 'text', { hint: AGENCY_HINT }], ['kind', 'select', { choices: ['rule', 'override'] }],
    ['effective_from', 'date'], ['effective_to', 'date'], ['note', 'text']],
  deadlines: [...PRIORITIES.flatMap((p) => [[`priorities.${p}.working_days`, 'int', { label: () => `${t(`priority.${p}`)}: ${t('dir.f.working_days')}` }],
    [`priorities.${p}.working_hours`, 'number', { label: () => `${t(`priority.${p}`)}: ${t('dir.f.working_hours')}` }]]),
  ['accept_working_hours', 'number', { required: true }], ['working_periods', 'periods', { hint: () => t('dir.hint.periods') }],
  ['due_soon_before.accept', 'number'], ['due_soon_before.process', 'number'], ['level2_after.accept', 'number'],
  ['level2_after.process', 'number'], ['ioc_agency', 'text', { required: true }]],
  holidays: [['year', 'int', { key: true }], ['tet_days', 'dates', { empty: null, hint: () => t('dir.hint.tet') }],
    ['national_day_extra', 'select', { choices: ['before', 'after'] }], ['days_off', 'dates', { empty: [] }],
    ['working_days', 'dates', { empty: [], label: () => t('dir.f.swapped_working_days') }], ['auto_compensate', 'bool'], ['note', 'text']],
};

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
function put(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  o[keys[keys.length - 1]] = value;
}

const label = (path, opts) => (opts.label ? opts.label() : t(`dir.f.${path.split('.').pop()}`));

function control(path, kind, opts, value, isNew) {
  const props = { 'data-kind': kind };
  if (kind === 'select') {
    return select(path, opts.choices.map((c) => [c, t(`dir.v.${c}`)]), value ?? opts.choices[0], props);
  }
  if (kind === 'bool') return input(path, { type: 'checkbox', checked: Boolean(value), ...props });
  if (kind === 'textarea' || kind === 'lines') {
    return textarea(path, { rows: kind === 'lines' ? 4 : 3, value: kind === 'lines' ? (value || []).join('\n') : value ?? '', ...props });
  }
  const shown = kind === 'list' ? (value || []).join(', ')
    : kind === 'dates' ? (value || []).map(toDmy).join(', ') : kind === 'date' ? toDmy(value)
    : kind === 'periods' ? (value || []).map(([a, b]) => `${String(a).slice(0, 5)}-${String(b).slice(0, 5)}`).join(', ')
      : value ?? '';
  return input(path, { type: 'text', value: shown, placeholder: kind === 'date' ? 'dd/mm/yyyy' : undefined, readOnly: Boolean(opts.key && !isNew),
    inputmode: kind === 'int' || kind === 'number' ? 'decimal' : undefined, ...props });
}

/** The form's values back into the entry's shape; problems name the field (as the API's would). */
function read(formEl, schema, original) {
  const out = structuredClone(original || {});
  const errors = [];
  for (const [path, kind, opts = {}] of schema) {
    const el = formEl.elements[path];
    const raw = kind === 'bool' ? el.checked : el.value.trim();
    let value;
    if (kind === 'bool') value = raw;
    else if (raw === '') value = kind === 'list' || kind === 'dates' || kind === 'lines' ? ('empty' in opts ? opts.empty : []) : null;
    else if (kind === 'int' || kind === 'number') {
      value = Number(raw.replace(',', '.'));
      if (!Number.isFinite(value) || (kind === 'int' && !Number.isInteger(value))) {
        errors.push({ field: path, message: t(kind === 'int' ? 'dir.err.int' : 'dir.err.number') });
      }
    } else if (kind === 'list') value = raw.split(/[,\s]+/).filter(Boolean);
    else if (kind === 'lines') value = raw.split('\n').map((x) => x.trim()).filter(Boolean);
    else if (kind === 'dates' || kind === 'date') { // typed the Vietnamese way, dd/mm/yyyy; sent as ISO dates
      value = raw.split(/[,\s]+/).filter(Boolean).map(fromDmy);
      if (value.some((d) => !d)) errors.push({ field: path, message: t(kind === 'date' ? 'dir.err.date' : 'dir.err.dates') });
      if (kind === 'date') [value] = value;
    } else if (kind === 'periods') {
      value = raw.split(',').map((x) => x.trim()).filter(Boolean).map((x) => x.split('-').map((s) => s.trim()));
      if (value.some((p) => p.length !== 2 || p.some((s) => !/^\d{1,2}:\d{2}$/.test(s)))) {
        errors.push({ field: path, message: t('dir.err.periods') });
      } else value = value.map((p) => p.map((s) => `${s.padStart(5, '0')}:00`));
    } else value = raw;
    if (opts.required && (value === null || value === '')) errors.push({ field: path, message: t('dir.err.required') });
    put(out, path, value);
  }
  if (errors.length) throw new ApiProblem(422, { title: t('dir.err.title'), errors });
  if (schema === SCHEMAS.deadlines) { // one of days or hours per priority: the empty one is left out
    for (const p of PRIORITIES) {
      const x = out.priorities?.[p];
      if (x) for (const k of Object.keys(x)) if (x[k] === null) delete x[k];
    }
  }
  return out;
}

/** A form for one entry of `part` (`value` null: a new one); PUT to `path` ('rules/<id>', 'deadlines' …). */
export function entryForm(part, title, value, path, after) {
  const schema = SCHEMAS[part];
  const isNew = !value;
  const fields = schema.map(([p, kind, opts = {}]) => {
    const el = control(p, kind, opts, get(value, p), isNew);
    if (kind === 'bool') {
      el.id = `dir-${part}-${p.replace(/\W/g, '-')}`;
      return h('div', { class: 'choice' }, el, h('label', { for: el.id }, label(p, opts)));
    }
    return field(label(p, opts), el, { hint: opts.hint?.(), required: opts.required || opts.key });
  });
  return form([
    h('div', { class: 'dir-grid' }, fields),
    h('div', { class: 'row' }, field(t('admin.directory.note'), input('change_note', { maxlength: 1000 })),
      h('div', { class: 'choice' }, h('input', { type: 'checkbox', name: 'reroute', id: `reroute-${part}-${path}` }),
        h('label', { for: `reroute-${part}-${path}` }, t('admin.directory.reroute')))),
    h('button', { type: 'submit', class: 'button' }, t('admin.directory.save')),
  ], async (v, el) => {
    const body = read(el, schema, value);
    const key = schema.find(([, , o]) => o?.key)?.[0];
    const target = typeof path === 'function' ? path(body[key]) : path;
    if (key && !String(body[key] ?? '').trim()) {
      throw new ApiProblem(422, { title: t('dir.err.title'), errors: [{ field: key, message: t('dir.err.required') }] });
    }
    const q = new URLSearchParams({ reroute: String(Boolean(v.reroute)), ...(v.change_note ? { note: v.change_note } : {}) });
    const answer = await call(`/v1/admin/routing/${target}?${q}`, { method: 'PUT', body });
    done(t('admin.directory.saved', { version: answer.version ?? '' }));
    await after?.();
  }, { label: title });
}
