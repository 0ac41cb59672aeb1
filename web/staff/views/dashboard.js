// Leaders' and the operations centre's dashboard: the period's key figures (received, resolved, on-time rate,
// median processing time, satisfaction next to its response rate), bar charts per agency, ward, category or
// month, and the CSV export. Charts are plain SVG with the same figures in a table beside them (readable
// without the picture). An agency leader sees their own agency; the figures follow case changes live.
import { clear, h } from '../../shared/dom.js';
import { pick, t } from '../../shared/i18n.js';
import { dateTime, today } from '../../shared/time.js';
import * as live from '../live.js';
import { account, call } from '../session.js';
import { directory, field, input, nameOf, page, select, table } from '../ui.js';

const NS = 'http://www.w3.org/2000/svg';
const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);
const onTime = (r) => (r.resolved ? r.on_time / r.resolved : null);
const satisfied = (r) => (r.rated ? r.hai_long / r.rated : null);
const hours = (x) => (x === null || x === undefined ? '—' : t('dash.hours', { h: Math.round(x * 10) / 10 }));

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const shorten = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** A horizontal bar chart of one figure over the rows (values 0..max). */
function bars(title, rows, value, format, max) {
  const shown = rows.filter((r) => value(r) !== null).slice(0, 12);
  const top = max ?? Math.max(1, ...shown.map(value));
  const rowH = 30;
  const chart = svg('svg', { viewBox: `0 0 600 ${Math.max(1, shown.length) * rowH + 8}`, role: 'img', 'aria-label': title, class: 'chart' },
    ...shown.map((r, i) => {
      const w = Math.max(2, (value(r) / top) * 330);
      return svg('g', { transform: `translate(0 ${i * rowH + 4})` },
        svg('text', { x: 200, y: 18, 'text-anchor': 'end', class: 'chart-label' }, shorten(r.label || '', 24)),
        svg('rect', { x: 210, y: 3, width: w, height: 20, rx: 3, class: 'chart-bar' }),
        svg('text', { x: 216 + w, y: 18, class: 'chart-value' }, format(value(r))),
        svg('title', {}, `${r.label}: ${format(value(r))}`));
    }));
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, title), shown.length ? chart : h('p', { class: 'muted' }, t('dash.no_data')));
}

export async function render(main) {
  const who = account();
  const own = who.role === 'agency_leader' ? who.agency : null;
  const state = { month: today().slice(0, 7), group_by: own ? 'category' : 'agency' };
  const out = h('div', { class: 'dash' });
  const controls = h('form', { class: 'row toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('dash.month'), input('month', { type: 'month', value: state.month, onchange: (e) => { state.month = e.target.value; load(); } })),
    field(t('dash.group_by'), select('group_by', ['agency', 'ward', 'category', 'month'].filter((g) => !(own && g === 'agency'))
      .map((g) => [g, t(`dash.by.${g}`)]), state.group_by, { onchange: (e) => { state.group_by = e.target.value; load(); } })),
    h('a', { class: 'button button--quiet', id: 'csv', href: '#', download: '' }, t('dash.csv')));

  async function load() {
    const q = new URLSearchParams({ group_by: state.group_by });
    if (state.group_by === 'month') q.set('date_from', `${state.month.slice(0, 4)}-01-01`), q.set('date_to', today());
    else q.set('month', state.month);
    if (own) q.set('agency', own);
    controls.querySelector('#csv').href = `/v1/stats.csv?${q}&lang=${document.documentElement.lang}`;
    let report;
    try {
      report = await call(`/v1/stats?${q}`);
    } catch {
      clear(out).append(h('p', { class: 'error-text' }, t('error.load')));
      return;
    }
    const total = report.total;
    const rows = report.rows.map((r) => ({ ...r, label: r.key ? (pick(r, 'name') || r.key) : t('dash.unknown') }));
    const kpi = (key, value, note) => h('div', { class: 'kpi' }, h('p', { class: 'kpi-value', 'data-kpi': key }, value),
      h('p', { class: 'kpi-label' }, t(`dash.kpi.${key}`)), note ? h('p', { class: 'small muted' }, note) : null);
    clear(out).append(
      h('div', { class: 'kpis' },
        kpi('received', String(total.received)),
        kpi('resolved', String(total.resolved)),
        kpi('on_time', pct(onTime(total)), t('dash.of', { n: total.resolved })),
        kpi('median', hours(total.median_processing_calendar_hours)),
        kpi('satisfied', pct(satisfied(total)), t('dash.response_rate', { rate: pct(total.response_rate) })),
        kpi('overdue', String(total.overdue))),
      h('div', { class: 'charts' },
        bars(t('dash.chart.received'), rows, (r) => r.received, String),
        bars(t('dash.chart.on_time'), rows, onTime, pct, 1),
        bars(t('dash.chart.median'), rows, (r) => r.median_processing_calendar_hours ?? null, hours),
        bars(t('dash.chart.satisfied'), rows, satisfied, pct, 1)),
      table(t('dash.table'), [t(`dash.by.${state.group_by}`), t('dash.kpi.received'), t('dash.kpi.resolved'), t('dash.kpi.on_time'),
        t('dash.kpi.median'), t('dash.kpi.satisfied'), t('dash.response')],
      [...rows, { ...total, label: t('dash.total') }].map((r) => [r.label, String(r.received), String(r.resolved), pct(onTime(r)),
        hours(r.median_processing_calendar_hours), pct(satisfied(r)), pct(r.response_rate)])),
      h('p', { class: 'small muted' }, t('dash.generated', { at: dateTime(report.generated_at), from: report.date_from, to: report.date_to })));
  }

  const names = own ? await directory() : null;
  page(main, own ? t('dash.title_agency', { agency: nameOf(names.agency, own) }) : t('dash.title'), controls, out);
  await load();
  // The statistics service folds the same events on its own: read again a little later, and once more after that.
  let timers = [];
  const stop = live.onCase(() => {
    timers.forEach(clearTimeout);
    timers = [1500, 5000, 15000].map((ms) => setTimeout(load, ms));
  });
  return () => {
    stop();
    timers.forEach(clearTimeout);
  };
}
