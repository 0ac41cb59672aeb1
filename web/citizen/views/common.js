// Pieces several screens share: status badges, the filters of the public map and list, report cards.
import { h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { group, LEGEND, STATUSES } from '../../shared/status.js';
import { date, fromDmy, toDmy } from '../../shared/time.js';
import { categoryIcon, categoryName } from '../catalog.js';

export function badge(status, dueAt) {
  return h('span', { class: `badge badge--${group(status, dueAt)}` }, t(`status.${status}`));
}

export function legend() {
  return h('ul', { class: 'legend', 'aria-label': t('map.legend') },
    LEGEND.map((g) => h('li', {}, h('span', { class: `dot dot--${g}`, 'aria-hidden': 'true' }), t(`group.${g}`))));
}

export const STATUS_GROUPS = {
  accepted: STATUSES.filter((s) => ['DA_TIEP_NHAN', 'DA_CHUYEN_XU_LY', 'TRA_LAI'].includes(s)),
  progress: ['DANG_XU_LY', 'DA_XU_LY'],
  done: ['DA_CONG_KHAI', 'DA_DANH_GIA', 'DONG'],
};

// The filters live for the visit, shared by the map and the list.
export const filters = { category: '', group: '', ward: '', from: '', to: '' };

/** Query parameters of the public search for the current filters. */
export function searchParams() {
  return {
    category: filters.category || undefined, ward: filters.ward || undefined,
    status: filters.group ? STATUS_GROUPS[filters.group] : undefined,
    created_from: filters.from ? `${filters.from}T00:00:00+07:00` : undefined,
    created_to: filters.to ? `${filters.to}T23:59:59+07:00` : undefined,
  };
}

function select(id, label, value, options, onChange) {
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, onchange: (e) => onChange(e.target.value) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

/** The filter form; `apply()` after a change. */
export function filterForm(categories, wards, apply) {
  const set = (key) => (value) => { filters[key] = value; };
  const title = () => {
    const active = Object.values(filters).filter(Boolean).length;
    return active ? t('filter.title_active', { n: active }) : t('filter.title');
  };
  // Dates typed the Vietnamese way, dd/mm/yyyy, whatever the browser's locale (a native date input would show
  // mm/dd/yyyy in an English-language Chrome); kept as yyyy-mm-dd for the API.
  const dateField = (id, label, key) => {
    const error = h('p', { class: 'error-text', id: `${id}-error`, hidden: true });
    const input = h('input', { id, name: key, type: 'text', inputmode: 'numeric', autocomplete: 'off', maxLength: 10,
      placeholder: t('filter.date_format'), value: toDmy(filters[key]), 'aria-describedby': `${id}-hint`,
      onchange: () => check(input, error, key) });
    return h('div', { class: 'field' }, h('label', { for: id }, label),
      h('p', { class: 'hint', id: `${id}-hint` }, t('filter.date_hint')), input, error);
  };
  const check = (input, error, key) => {
    const iso = fromDmy(input.value);
    const bad = iso === null;
    error.hidden = !bad;
    error.textContent = bad ? t('filter.date_invalid') : '';
    if (bad) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${input.id}-hint ${input.id}-error`);
    } else {
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', `${input.id}-hint`);
      set(key)(iso);
      if (iso) input.value = toDmy(iso);
    }
    return !bad;
  };
  const form = h('form', { class: 'filters-form', novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const ok = ['from', 'to'].map((key) => {
      const input = form.elements[key];
      return check(input, input.parentElement.querySelector('.error-text'), key);
    });
    if (ok.includes(false)) {
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    details.open = false;
    summary.textContent = title();
    apply();
  } },
    select('f-category', t('filter.category'), filters.category,
      [['', t('filter.all')], ...categories.map((c) => [c.code, categoryName(categories, c.code)])], set('category')),
    select('f-status', t('filter.status'), filters.group,
      [['', t('filter.all')], ...Object.keys(STATUS_GROUPS).map((g) => [g, t(`group.${g}`)])], set('group')),
    select('f-ward', t('filter.ward'), filters.ward,
      [['', t('filter.all')], ...[...wards].sort((a, b) => a[1].localeCompare(b[1], 'vi'))], set('ward')),
    h('div', { class: 'row' }, dateField('f-from', t('filter.from'), 'from'), dateField('f-to', t('filter.to'), 'to')),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'button' }, t('filter.apply')),
      h('button', { type: 'button', class: 'button button--quiet', onclick: () => {
        Object.keys(filters).forEach((k) => { filters[k] = ''; });
        for (const input of form.querySelectorAll('input')) input.value = '';
        for (const el of form.querySelectorAll('select')) el.value = '';
        details.open = false;
        summary.textContent = title();
        apply();
      } }, t('filter.clear'))));
  const summary = h('summary', {}, title());
  const details = h('details', { class: 'filters' }, summary, form);
  return details;
}

export function reportCard(report, categories, wards) {
  return h('li', { class: 'card' },
    h('a', { href: `#/r/${report.id}`, class: 'card-link' },
      h('span', { class: 'card-icon' }, categoryIcon(report.category)),
      h('span', { class: 'card-body' },
        h('span', { class: 'card-title' }, categoryName(categories, report.category)),
        h('span', { class: 'card-meta' }, `${report.code} · ${wards.get(report.ward_code) || ''} · ${date(report.created_at)}`),
        report.description ? h('span', { class: 'card-text' }, report.description) : null,
        badge(report.status, report.due_at))));
}
