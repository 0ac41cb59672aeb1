// Statistics from /v1/stats: on-time rate, median processing time, satisfaction next to its response rate, per
// agency, ward, category or month. Each chart is a table (readable by screen readers) with bars drawn in it.
import { api, query } from '../../shared/api.js';
import { clear, h, fill } from '../../shared/dom.js';
import { lang, pick, t } from '../../shared/i18n.js';
import { date, today } from '../../shared/time.js';
import { categoryName, loadCategories } from '../catalog.js';

const TOP = 15;
const state = { group: 'category', period: '' };

function pct(part, whole) {
  return whole ? Math.round((100 * part) / whole) : null;
}

function monthsBack(n) {
  const [y, m] = today().split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return d.toISOString().slice(0, 10);
}

export async function render(main) {
  const categories = await loadCategories().catch(() => []);
  state.period ||= today().slice(0, 7);
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'toolbar toolbar--stats', onsubmit: (e) => { e.preventDefault(); load(); } },
    h('div', { class: 'field' }, h('label', { for: 's-month' }, t('stats.month')),
      h('input', { id: 's-month', type: 'month', value: state.period, max: today().slice(0, 7), onchange: (e) => { state.period = e.target.value; load(); } })),
    h('div', { class: 'field' }, h('label', { for: 's-group' }, t('stats.by')),
      h('select', { id: 's-group', onchange: (e) => { state.group = e.target.value; load(); } },
        ['category', 'agency', 'ward', 'month'].map((g) => h('option', { value: g, selected: g === state.group }, t(`stats.by_${g}`))))));
  main.append(h('h1', {}, t('stats.title')), form, out);

  async function load() {
    fill(out, h('p', { class: 'muted' }, t('map.loading')));
    const params = state.group === 'month'
      ? { group_by: 'month', date_from: monthsBack(11), date_to: today() }
      : { group_by: state.group, month: state.period || undefined };
    let report;
    try {
      report = await api(`/v1/stats${query(params)}`);
    } catch {
      fill(out, h('p', { class: 'panel error' }, t('map.offline')));
      return;
    }
    const name = (row) => {
      if (!row.key) return t('stats.unknown');
      if (state.group === 'month') return row.key;
      if (state.group === 'category') return categoryName(categories, row.key);
      return pick(row, 'name') || row.key;
    };
    const rows = [...report.rows].sort((a, b) => b.received - a.received || name(a).localeCompare(name(b), lang())).slice(0, TOP);
    if (state.group === 'month') rows.sort((a, b) => (a.key || '').localeCompare(b.key || ''));
    fill(out, 
      h('p', { class: 'muted small' }, t('stats.period', { from: date(`${report.date_from}T12:00:00+07:00`), to: date(`${report.date_to}T12:00:00+07:00`) })),
      kpis(report.total),
      rows.length ? [
        chart(t('stats.on_time'), rows, name, (r) => pct(r.on_time, r.on_time + r.resolved_late), (v) => `${v}%`, 100),
        chart(t('stats.median'), rows, name, (r) => r.median_processing_calendar_hours, hours,
          Math.max(1, ...rows.map((r) => r.median_processing_calendar_hours || 0))),
        satisfaction(rows, name),
      ] : h('p', { class: 'panel' }, t('stats.none')),
      h('p', { class: 'muted small' }, t('stats.note')));
  }
  load();
}

function kpis(total) {
  const items = [
    [t('stats.received'), total.received],
    [t('stats.resolved'), total.resolved],
    [t('stats.on_time'), pct(total.on_time, total.on_time + total.resolved_late), '%'],
    [t('stats.median'), total.median_processing_calendar_hours === null ? null : hours(total.median_processing_calendar_hours)],
    [t('stats.satisfied'), pct(total.hai_long + total.chap_nhan, total.rated), '%'],
    [t('stats.response'), total.response_rate === null ? null : Math.round(total.response_rate * 100), '%'],
  ];
  return h('dl', { class: 'kpis' }, items.map(([label, value, unit = '']) => h('div', { class: 'kpi' },
    h('dt', {}, label), h('dd', {}, value === null || value === undefined ? '—' : `${value}${unit}`))));
}

function hours(value) {
  return value < 1 ? t('stats.under_hour') : t('stats.hours', { h: Math.round(value) });
}

function bar(fraction, kind = '') {
  const el = h('span', { class: `bar ${kind}` });
  el.style.width = `${Math.max(0, Math.min(100, fraction * 100))}%`; // CSSOM: allowed by the page's CSP
  return el;
}

function chart(title, rows, name, value, format, max) {
  return h('figure', { class: 'chart' }, h('figcaption', {}, title),
    h('table', {}, h('thead', { class: 'visually-hidden' }, h('tr', {}, h('th', { scope: 'col' }, t('stats.group')), h('th', { scope: 'col' }, title))),
      h('tbody', {}, rows.map((r) => {
        const v = value(r);
        return h('tr', {}, h('th', { scope: 'row' }, name(r)),
          h('td', {}, h('span', { class: 'track' }, v === null ? null : bar(v / max)), h('span', { class: 'value' }, v === null ? '—' : format(v))));
      }))));
}

function satisfaction(rows, name) {
  return h('figure', { class: 'chart' }, h('figcaption', {}, t('stats.satisfaction')),
    h('ul', { class: 'legend' }, ['hai_long', 'chap_nhan', 'khong_hai_long'].map((k) => h('li', {}, h('span', { class: `dot dot--${k}`, 'aria-hidden': 'true' }), t(`stats.${k}`)))),
    h('table', {}, h('thead', { class: 'visually-hidden' }, h('tr', {}, h('th', { scope: 'col' }, t('stats.group')), h('th', { scope: 'col' }, t('stats.satisfaction')))),
      h('tbody', {}, rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, name(r)),
        h('td', {}, h('span', { class: 'track track--stack' },
          r.rated ? [bar(r.hai_long / r.rated, 'bar--hai_long'), bar(r.chap_nhan / r.rated, 'bar--chap_nhan'), bar(r.khong_hai_long / r.rated, 'bar--khong_hai_long')] : null),
        h('span', { class: 'value' }, r.rated
          ? t('stats.satisfaction_row', { p: pct(r.hai_long + r.chap_nhan, r.rated), rate: r.response_rate === null ? '—' : Math.round(r.response_rate * 100), n: r.rated })
          : t('stats.not_rated'))))))));
}
