// One report: status, deadline, place, before/after photos, the agency's result, supporters and the public
// timeline; for its reporter or a follower (token on this phone) also the in-app messages, arriving live, and
// the rating and reopen steps.
import { api, ApiProblem } from '../../shared/api.js';
import { announce, clear, h, fill } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { isOpen } from '../../shared/status.js';
import { follow } from '../../shared/stream.js';
import { countdown, dateTime } from '../../shared/time.js';
import { agencyName, categoryIcon, categoryName, loadAgencies, loadCategories, wardNames } from '../catalog.js';
import { deviceId, inboxUrl, mine, tokenHeaders } from '../store.js';
import { badge } from './common.js';

const RESULT_STATES = new Set(['DA_CONG_KHAI', 'DA_DANH_GIA', 'DONG']);

export async function render(main, id) {
  const [categories, wards, agencies] = await Promise.all([loadCategories().catch(() => []), wardNames(), loadAgencies()]);
  let entry = await mine.get(id);
  const root = h('article', { class: 'report' });
  const messages = h('ol', { class: 'messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const liveState = h('p', { class: 'muted small' });
  main.append(root);
  let report;
  let stop = null;
  let timer = null;
  let drawn = 0;

  async function refresh() {
    try {
      report = await api(`/v1/reports/${id}`, { headers: tokenHeaders(entry) });
    } catch (err) {
      if (!report) {
        fill(root, h('h1', {}, t('report.not_found')),
          h('p', {}, err instanceof ApiProblem ? t('report.not_found_text') : t('map.offline')));
      }
      return;
    }
    if (entry && entry.status !== report.status) await mine.put((entry = { ...entry, status: report.status, due_at: report.due_at }));
    await draw();
  }

  async function draw() {
    const seq = ++drawn;
    const acts = await actions(); // everything awaited comes first: the page is then replaced in one go
    if (seq !== drawn) return; // a newer draw started meanwhile: it draws the newer state
    const due = report.due_at && isOpen(report.status) ? countdown(report.due_at) : null;
    const cat = categoryName(categories, report.category);
    // Read what the citizen has typed or chosen only now, with nothing awaited between reading it and putting it
    // back: a live update must not wipe it (typing goes on while the rating is asked for above).
    const typed = typedInto(root);
    fill(root, 
      h('header', { class: 'report-head' },
        h('span', { class: 'card-icon' }, categoryIcon(report.category)),
        h('div', {}, h('h1', {}, cat), h('p', { class: 'muted' }, t('report.code', { code: report.code })))),
      h('p', {}, badge(report.status, report.due_at),
        report.flags?.includes('GIA_HAN') ? h('span', { class: 'badge badge--note' }, t('report.extended')) : null),
      h('dl', { class: 'facts' },
        fact(t('report.place'), [wards.get(report.ward_code) || t('report.ward_unknown'),
          report.ward_approximate && report.ward_code ? ` (${t('report.approximate')})` : '',
          report.address ? ` — ${report.address}` : '']),
        fact(t('report.sent'), dateTime(report.created_at)),
        report.agency_code ? fact(t('report.agency'), agencyName(agencies, report.agency_code)) : null,
        due ? fact(t('report.deadline'), [dateTime(report.due_at), ' — ',
          h('strong', { class: due.overdue ? 'overdue' : due.soon ? 'soon' : '' }, due.text)]) : null,
        fact(t('report.supporters'), t('report.supporters_n', { n: report.supporters || 0 }))),
      report.restricted && !report.own ? h('p', { class: 'panel' }, t('report.restricted')) : null,
      report.description ? h('section', {}, h('h2', {}, t('report.description')), h('p', { class: 'prose' }, report.description)) : null,
      photoSection('evidence', t('report.before')),
      RESULT_STATES.has(report.status) ? resultSection() : null,
      acts,
      entry ? h('section', {}, h('h2', {}, t('report.messages')), liveState, messages) : null,
      timelineSection(),
      entry && (entry.token || entry.follower) ? contactSection() : null);
    restoreTyped(root, typed);
  }

  function resultSection() {
    // The agency's own result (its last step to DA_XU_LY), else the operators' note when they published it.
    const steps = [...(report.timeline || [])].reverse();
    const step = steps.find((s) => s.to_status === 'DA_XU_LY' && s.note) || steps.find((s) => s.to_status === 'DA_CONG_KHAI');
    return h('section', { class: 'result' }, h('h2', {}, t('report.result')),
      step?.note ? h('p', { class: 'prose' }, step.note) : h('p', { class: 'muted' }, t('report.result_none')),
      photoSection('result', t('report.after')));
  }

  function photoSection(role, title) {
    const list = h('ul', { class: 'photos' });
    const section = h('section', { hidden: true }, h('h2', {}, title), list);
    api(`/v1/reports/${id}/media${role ? `?role=${role}&state=ready` : ''}`, { headers: tokenHeaders(entry) })
      .then((items) => {
        const shown = items.filter((m) => m.url);
        shown.forEach((m, i) => {
          const card = m.renditions?.find((r) => r.name === 'card' || r.name === 'poster') || m;
          list.append(h('li', {}, m.kind === 'video' && m.renditions?.find((r) => r.name === 'video')
            ? h('video', { src: m.renditions.find((r) => r.name === 'video').url, controls: true, preload: 'none',
              poster: card.url, 'aria-label': `${title} ${i + 1}` })
            : h('img', { src: card.url, alt: `${title} ${i + 1}`, loading: 'lazy', width: card.width, height: card.height })));
        });
        section.hidden = !shown.length;
      }).catch(() => {});
    return section;
  }

  function timelineSection() {
    const steps = report.timeline || [];
    return h('section', {}, h('h2', {}, t('report.timeline')),
      steps.length ? h('ol', { class: 'timeline' }, steps.map((s) => h('li', {},
        h('span', { class: 'timeline-when' }, dateTime(s.at)),
        h('strong', {}, t(`status.${s.to_status}`)),
        h('span', { class: 'muted' }, ` · ${actor(s)}`),
        s.note ? h('p', {}, s.note) : null))) : h('p', { class: 'muted' }, t('report.timeline_none')));
  }

  function actor(step) {
    if (step.actor_agency) return agencyName(agencies, step.actor_agency);
    const key = `actor.${step.actor_role}`;
    const text = t(key);
    return text === key ? t('actor.system') : text;
  }

  async function actions() {
    const box = h('div', {});
    if (entry?.token && report.own) {
      if (report.status === 'CHO_BO_SUNG') box.append(supplyInfo());
      const rating = await api(`/v1/reports/${id}/rating`).catch(() => null);
      if (rating?.state === 'OPEN') box.append(rateForm(rating));
      else if (rating?.state === 'NOT_OPEN' && report.status === 'DA_CONG_KHAI') {
        clearTimeout(timer);
        timer = setTimeout(refresh, 3000); // published a moment ago: the rating window opens right after
      }
      else if (rating?.rating === 'KHONG_HAI_LONG' && report.status === 'DA_DANH_GIA') box.append(reopenForm());
      else if (rating?.rating) box.append(h('p', { class: 'panel' }, t('rate.done', { level: t(`rate.${rating.rating}`) })));
    } else if (!entry && !report.restricted && isOpen(report.status)) {
      box.append(h('section', { class: 'panel' }, h('p', {}, t('metoo.ask')),
        h('button', { type: 'button', class: 'button', onclick: meToo }, t('metoo.button'))));
    } else if (entry?.follower) {
      box.append(h('p', { class: 'panel' }, t('metoo.following')));
    }
    return box;
  }

  async function meToo() {
    try {
      const ref = await api(`/v1/reports/${id}/me-too`, { method: 'POST', body: {},
        headers: deviceId() ? { 'X-Device-Id': deviceId() } : {} });
      entry = { id, code: report.code, follower: ref.follower_token, status: report.status, category: report.category,
        created_at: report.created_at, following: true };
      await mine.put(entry);
      announce(t('metoo.done'));
      await refresh();
      listen();
    } catch (err) {
      announce(err.title || t('error.network'), 'error');
    }
  }

  function rateForm(rating) {
    const comment = h('textarea', { id: 'rate-comment', rows: 3, maxLength: 1000 });
    const error = h('p', { class: 'error-text', role: 'alert' });
    const form = h('form', { class: 'panel', onsubmit: async (e) => {
      e.preventDefault();
      const level = form.querySelector('input[name="rating"]:checked')?.value;
      if (!level) { error.textContent = t('rate.pick'); return; }
      try {
        await citizen('rating', { rating: level, comment: comment.value.trim() || undefined });
        announce(t('rate.thanks'));
        await refresh();
      } catch (err) { error.textContent = err.title || t('error.network'); }
    } },
    h('h2', {}, t('rate.title')),
    rating.window_closes_at ? h('p', { class: 'muted' }, t('rate.until', { when: dateTime(rating.window_closes_at) })) : null,
    h('fieldset', {}, h('legend', {}, t('rate.question')),
      ['HAI_LONG', 'CHAP_NHAN', 'KHONG_HAI_LONG'].map((level) => h('div', { class: 'choice' },
        h('input', { type: 'radio', name: 'rating', id: `rate-${level}`, value: level }),
        h('label', { for: `rate-${level}` }, t(`rate.${level}`))))),
    h('div', { class: 'field' }, h('label', { for: 'rate-comment' }, t('rate.comment')), comment),
    error, h('button', { type: 'submit', class: 'button' }, t('rate.submit')));
    return form;
  }

  function reopenForm() {
    if (entry.reopenRequested) return h('p', { class: 'panel' }, t('reopen.sent'));
    const note = h('textarea', { id: 'reopen-note', rows: 3, required: true, maxLength: 2000 });
    const error = h('p', { class: 'error-text', role: 'alert' });
    return h('form', { class: 'panel', onsubmit: async (e) => {
      e.preventDefault();
      if (!note.value.trim()) { error.textContent = t('reopen.why_needed'); note.focus(); return; }
      try {
        await citizen('reopen', { note: note.value.trim() });
        await mine.put((entry = { ...entry, reopenRequested: true }));
        announce(t('reopen.sent'));
        await refresh();
      } catch (err) {
        error.textContent = err.title || t('error.network');
        if (!error.isConnected) announce(error.textContent, 'error'); // the page was redrawn meanwhile
      }
    } },
    h('h2', {}, t('reopen.title')), h('p', {}, t('reopen.text')),
    h('div', { class: 'field' }, h('label', { for: 'reopen-note' }, t('reopen.why')), note),
    error, h('button', { type: 'submit', class: 'button' }, t('reopen.submit')));
  }

  function supplyInfo() {
    const note = h('textarea', { id: 'info-note', rows: 3, required: true });
    return h('form', { class: 'panel', onsubmit: async (e) => {
      e.preventDefault();
      if (!note.value.trim()) return note.focus();
      try {
        await citizen('info', { note: note.value.trim() });
        announce(t('info.sent'));
        await refresh();
      } catch (err) { announce(err.title || t('error.network'), 'error'); }
    } }, h('h2', {}, t('info.title')), h('div', { class: 'field' }, h('label', { for: 'info-note' }, t('info.label')), note),
    h('button', { type: 'submit', class: 'button' }, t('info.submit')));
  }

  // The reporter (or a follower) erases their contact data themselves: the report stays, news still reaches the
  // in-app inbox this phone opens; e-mail and SMS stop. Two steps, so a stray tap erases nothing.
  function contactSection() {
    const held = entry.token ? ['name', 'phone', 'email'].filter((k) => report.reporter?.[k]) : null;
    const outcome = h('p', { role: 'status' });
    const confirm = h('div', { class: 'confirm', hidden: true },
      h('p', {}, t('contact.confirm_text')),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'button button--danger', onclick: erase }, t('contact.confirm')),
        h('button', { type: 'button', class: 'button button--quiet', onclick: () => { confirm.hidden = true; ask.hidden = false; ask.focus(); } },
          t('contact.cancel'))));
    const ask = h('button', { type: 'button', class: 'button button--quiet', onclick: () => {
      ask.hidden = true;
      confirm.hidden = false;
      confirm.querySelector('button').focus();
    } }, t('contact.erase'));
    const nothing = (held && !held.length) || entry.contactErased;
    async function erase() {
      const path = entry.token ? `/v1/reports/${id}/contact` : `/v1/reports/${id}/followers/contact`;
      try {
        const answer = await api(path, { method: 'DELETE', headers: tokenHeaders(entry) });
        await mine.put((entry = { ...entry, contactErased: true }));
        announce(answer?.erased === false ? t('contact.nothing') : t('contact.erased'));
        await refresh();
      } catch (err) {
        outcome.textContent = err.title || t('error.network');
      }
    }
    return h('section', { class: 'panel contact' }, h('h2', {}, t('contact.title')),
      nothing ? h('p', {}, entry.contactErased ? t('contact.erased') : t('contact.none'))
        : [held ? h('ul', { class: 'plain' }, held.map((k) => h('li', {}, `${t(`contact.${k}`)}: ${report.reporter[k]}`)))
          : h('p', {}, t('contact.follower')),
        h('p', { class: 'muted small' }, t('contact.help')), ask, confirm],
      outcome);
  }

  function citizen(verb, body) {
    return api(`/v1/reports/${id}/${verb}`, { method: 'POST', body, headers: tokenHeaders(entry) });
  }

  function listen() {
    stop?.();
    if (!entry) return;
    liveState.textContent = t('messages.connecting');
    stop = follow(inboxUrl(entry), tokenHeaders(entry), {
      after: 0,
      onState: (state) => { liveState.textContent = t(`messages.${state}`); },
      onMessage: async (msg) => {
        messages.append(h('li', { class: 'message' }, h('span', { class: 'timeline-when' }, dateTime(msg.created_at)),
          h('strong', {}, msg.subject), h('p', {}, msg.body)));
        await mine.put((entry = { ...entry, lastMessage: Math.max(entry.lastMessage || 0, msg.id) }));
        clearTimeout(timer);
        timer = setTimeout(refresh, 300); // the message says something changed: show the new status and timeline
      },
    });
  }

  await refresh();
  listen();
  return () => { stop?.(); clearTimeout(timer); };
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

/** What the citizen has typed or chosen in the page's fields, and where the focus is (to survive a redraw). */
function typedInto(root) {
  const fields = [...root.querySelectorAll('textarea[id], input[id]')]
    .filter((el) => (el.type === 'radio' || el.type === 'checkbox' ? el.checked : el.value));
  return { fields: fields.map((el) => [el.id, el.type === 'radio' || el.type === 'checkbox' ? true : el.value]),
    focus: root.contains(document.activeElement) ? document.activeElement.id : null };
}

function restoreTyped(root, typed) {
  for (const [id, value] of typed.fields) {
    const el = root.querySelector(`#${CSS.escape(id)}`);
    if (!el) continue;
    if (value === true) el.checked = true;
    else if (!el.value) el.value = value;
  }
  if (typed.focus) root.querySelector(`#${CSS.escape(typed.focus)}`)?.focus({ preventScroll: true });
}
