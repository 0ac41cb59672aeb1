// The actions a viewer may take on a case now (the case's `allowed_actions`), one small form each: the operator's
// triage and review verbs, the agency's acceptance, return, progress, extension and result (photos straight
// from the phone's camera). Each answers the case as it now is.
import { h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { call } from '../session.js';
import { done, field, form, input, options, select, textarea } from '../ui.js';

const REJECT_REASONS = [
  'không thuộc phạm vi PAHT (khiếu nại, tố cáo, tranh chấp dân sự)',
  'trùng lặp',
  'thông tin không rõ ràng/không bổ sung',
  'nội dung vi phạm quy định (xúc phạm, sai sự thật)',
];
const PRIORITIES = ['BINH_THUONG', 'KHAN', 'PHUC_TAP'];

const note = (required = false) => field(t('act.note'), textarea('note', { maxlength: 4000 }), { required });
const priority = (value) => field(t('case.priority'), select('priority', PRIORITIES.map((p) => [p, t(`priority.${p}`)]), value));
const photosInput = (label) => field(label, input('photos', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true }),
  { hint: t('act.photos_hint') });

/** Upload the form's photos as this agency; their ids. */
async function upload(kase, formEl, role) {
  const files = [...(formEl.querySelector('input[type="file"]')?.files || [])];
  const ids = [];
  for (const file of files) {
    const data = new FormData();
    data.append('file', file);
    data.append('role', role);
    ids.push((await call(`/v1/agency/reports/${kase.id}/media`, { method: 'POST', form: data })).id);
  }
  return ids;
}

// verb → [path under the role's base, title key, fields(kase, names), body(values, kase, form)]
const OPERATOR = {
  accept: ['accept', (k, n) => [field(t('case.category'), select('category', options(n.category), k.category)),
    field(t('case.ward'), select('ward_code', options(n.ward, { blank: t('act.keep') }), k.ward_code || '')), priority(k.priority), note()],
  (v, k) => ({ note: v.note || '', ...(v.category !== k.category ? { category: v.category } : {}),
    ...(v.ward_code && v.ward_code !== k.ward_code ? { ward_code: v.ward_code } : {}),
    ...(v.priority !== k.priority ? { priority: v.priority } : {}) })],
  request_info: ['request-info', () => [note(true)], (v) => ({ note: v.note || '' })],
  reject: ['reject', () => [field(t('case.reason'), select('reason', REJECT_REASONS.map((r) => [r, r])), { required: true }), note()],
    (v) => ({ reason: v.reason, note: v.note || '' })],
  mark_duplicate: ['merge', () => [field(t('act.into'), input('into', { maxlength: 64 }), { hint: t('act.into_hint'), required: true }), note()],
    (v) => ({ into: v.into || '', note: v.note || '' })],
  request_reroute: ['reroute', (k, n) => [field(t('act.agency'), select('agency_code', options(n.agency, { blank: t('act.by_rules') }))),
    field(t('case.category'), select('category', options(n.category), k.category)),
    field(t('case.ward'), select('ward_code', options(n.ward, { blank: t('act.keep') }), '')), note()],
  (v, k) => ({ note: v.note || '', ...(v.agency_code ? { agency_code: v.agency_code } : {}),
    ...(v.category !== k.category ? { category: v.category } : {}), ...(v.ward_code ? { ward_code: v.ward_code } : {}) })],
  approve_extension: ['extension/approve', () => [note()], (v) => ({ note: v.note || '' })],
  refuse_extension: ['extension/refuse', () => [note()], (v) => ({ note: v.note || '' })],
  publish: ['publish', () => [note()], (v) => ({ note: v.note || '' })],
  send_back: ['send-back', () => [note(true)], (v) => ({ note: v.note || '' })],
  approve_reopen: ['reopen/approve', () => [note()], (v) => ({ note: v.note || '' })],
  refuse_reopen: ['reopen/refuse', () => [note()], (v) => ({ note: v.note || '' })],
};

const AGENCY = {
  agency_accept: ['accept', () => [note()], (v) => ({ note: v.note || '' })],
  agency_return: ['return', (k, n) => [field(t('case.reason'), textarea('reason', { maxlength: 1000 }), { required: true }),
    field(t('act.suggested'), select('suggested_agency', options(n.agency, { blank: t('act.none') }))), note()],
  (v) => ({ reason: v.reason || '', note: v.note || '', ...(v.suggested_agency ? { suggested_agency: v.suggested_agency } : {}) })],
  progress_note: ['progress', () => [note(true), photosInput(t('act.progress_photos')),
    field(t('act.committed'), input('committed_at', { type: 'datetime-local' }), { hint: t('act.committed_hint') }),
    field(t('act.visibility'), select('visibility', [['public', t('visibility.public')], ['staff', t('visibility.staff')]]))],
  async (v, k, f) => ({ note: v.note || '', media_ids: await upload(k, f, 'result'), visibility: v.visibility,
    ...(v.committed_at ? { committed_at: new Date(v.committed_at).toISOString() } : {}) })],
  request_extension: ['extension', () => [field(t('act.days'), input('days', { type: 'number', min: 1, max: 60 }), { required: true }), note(true)],
    (v) => ({ days: Number(v.days || 0), note: v.note || '' })],
  add_co_handler: ['co-handlers', (k, n) => [field(t('act.co_agencies'),
    select('agencies', options(n.agency).filter(([code]) => code !== k.agency_code && !k.co_agencies.includes(code)), '',
      { multiple: true, size: 8 }), { hint: t('act.co_agencies_hint'), required: true }), note()],
  (v, k, f) => ({ agencies: [...f.elements.agencies.selectedOptions].map((o) => o.value), note: v.note || '' })],
  post_result: ['result', () => [note(true), photosInput(t('act.after_photos'))],
    async (v, k, f) => ({ note: v.note || '', media_ids: await upload(k, f, 'result') })],
};

export function actionsFor(kase, who, names, onDone) {
  const operator = who.role === 'operator';
  const table = operator ? OPERATOR : AGENCY;
  const base = operator ? `/v1/operator/reports/${kase.id}` : `/v1/agency/reports/${kase.id}`;
  // a co-handling agency may only post progress (intake refuses the rest): offer nothing else
  const coHandler = !operator && who.agency !== kase.agency_code && kase.co_agencies.includes(who.agency);
  const verbs = kase.allowed_actions.filter((a) => table[a] && (!coHandler || a === 'progress_note'));
  if (!verbs.length) return h('section', { class: 'panel' }, h('h2', {}, t('act.title')), h('p', { class: 'muted' }, t('act.none_now')));
  return h('section', { class: 'panel actions' }, h('h2', {}, t('act.title')), verbs.map((verb, i) => {
    const [path, fields, body] = table[verb];
    const title = t(`verb.${verb}`);
    const f = form([...fields(kase, names), h('button', { type: 'submit', class: 'button' }, title)], async (v, el) => {
      const next = await call(`${base}/${path}`, { method: 'POST', body: await body(v, kase, el) });
      done(t('act.done', { verb: title }));
      await onDone(next);
    }, { label: title });
    return h('details', { class: 'action', open: i === 0 && verbs.length <= 2 }, h('summary', {}, title), f);
  }));
}
