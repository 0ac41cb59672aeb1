// One case at /staff/cases/<id> (the address agencies' e-mails link to): facts, map, photos, the public and the
// internal timeline, routing's explanation and similar cases nearby (operators), the sealed identity behind a
// stated purpose with who else read it, and every action the viewer may take now. A case the viewer may not see
// is the not-found page, exactly like a case that does not exist.
import { ApiProblem } from '../../shared/api.js';
import { clear, fill, h } from '../../shared/dom.js';
import { has, lang, t } from '../../shared/i18n.js';
import { createMap, pin } from '../../shared/map.js';
import { dateTime } from '../../shared/time.js';
import * as live from '../live.js';
import { account, call } from '../session.js';
import { badge, directory, due, failed, field, form, input, nameOf, page, table } from '../ui.js';
import { actionsFor } from './actions.js';
import { photoReview } from './photos.js';
import { hideButton, publicTextPanel, verifyPanel } from './trust.js';

export async function render(main, id) {
  const who = account();
  const operator = who.role === 'operator';
  const base = operator ? `/v1/operator/reports/${id}` : `/v1/agency/reports/${id}`;
  const names = await directory();
  let kase;
  try {
    kase = await call(base);
  } catch (err) {
    return failed(main, err);
  }
  let map = null;
  let mediaTimer = null;
  let mediaPolls = 0;
  const update = async (next) => { kase = next; await draw(); };

  async function draw() {
    map?.remove();
    const media = await call(`/v1/reports/${id}/media`).catch(() => []);
    clearTimeout(mediaTimer);
    if (media.some((m) => m.processing || m.state === 'pending') && mediaPolls < 20) {
      mediaPolls += 1;
      mediaTimer = setTimeout(() => { // never redraw under someone filling in a form
        if (main.isConnected && !document.activeElement?.closest?.('form') && !main.querySelector('details.action[open] textarea:not(:placeholder-shown), details.action[open] input[type="file"]')) draw();
      }, 1500);
    }
    const mediaById = new Map(media.map((m) => [m.id, m]));
    const mapEl = h('div', { class: 'map map--case' });
    // a redraw (live change, photo processed) keeps open the actions the viewer had opened
    const opened = new Set([...main.querySelectorAll('details[open] > summary')].map((x) => x.textContent));
    page(main, `${kase.code} — ${nameOf(names.category, kase.category)}`,
      h('div', { class: 'case-head' }, badge(kase.status, kase.due_at),
        kase.priority !== 'BINH_THUONG' ? h('span', { class: `badge badge--${kase.priority === 'KHAN' ? 'urgent' : 'note'}` }, t(`priority.${kase.priority}`)) : null,
        kase.flags.map((f) => h('span', { class: 'badge badge--note' }, t(`flag.${f}`))),
        !operator && who.agency !== kase.agency_code && kase.co_agencies.includes(who.agency)
          ? h('span', { class: 'badge badge--note' }, t('case.you_co_handle')) : null),
      h('div', { class: 'case-grid' },
        h('div', { class: 'case-main' },
          operator ? verifyPanel(kase, update) : null,
          facts(kase, names),
          h('section', { class: 'panel' }, h('h2', {}, t('case.description')), h('p', { class: 'pre' }, kase.description),
            operator && kase.public_description ? h('p', { class: 'small' }, h('strong', {}, `${t('public_text.now')}: `),
              kase.public_description) : null,
            operator ? publicTextPanel(kase, update) : null),
          h('section', { class: 'panel' }, h('h2', {}, t('case.photos')), photos(kase, mediaById, operator, draw, update)),
          actionsFor(kase, who, names, update),
          h('section', { class: 'panel' }, h('h2', {}, t('case.timeline_public')), timeline(kase, names, mediaById, true)),
          h('section', { class: 'panel' }, h('h2', {}, t('case.timeline_internal')), timeline(kase, names, mediaById, false))),
        h('aside', { class: 'case-side' },
          h('section', { class: 'panel' }, h('h2', {}, t('case.map')), mapEl),
          operator ? identity(kase) : null,
          operator ? routingExplanation(id) : null,
          operator ? similar(kase, names) : null)));
    for (const d of main.querySelectorAll('details')) if (opened.has(d.querySelector('summary')?.textContent)) d.open = true;
    map = createMap(mapEl, { label: t('case.map') });
    const point = [kase.location.lat, kase.location.lon];
    pin(point, 'here', kase.code).addTo(map);
    map.setView(point, 15);
  }

  function stale(next) {
    main.querySelector('.stale')?.remove();
    main.querySelector('h1').after(h('p', { class: 'stale notice', role: 'status' }, t('case.changed'), ' ',
      h('button', { type: 'button', class: 'button button--small', onclick: async () => { kase = next; await draw(); } },
        t('case.show_changes'))));
  }

  await draw();
  let timer = null;
  const stop = live.onCase((change) => {
    if (change.report_id !== id) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const next = await call(base);
        if (next.updated_at === kase.updated_at && next.timeline.length === kase.timeline.length) return; // seen already
        const typed = [...main.querySelectorAll('details.action[open] textarea, details.action[open] input')]
          .some((el) => (el.type === 'file' ? el.files.length : el.type !== 'checkbox' && el.value))
          || [...main.querySelectorAll('details.action[open] select[multiple]')].some((el) => el.selectedOptions.length);
        if (typed || document.activeElement?.closest?.('form')) {
          stale(next); // someone is filling in an action: never redraw under their hands
          return;
        }
        kase = next;
        await draw();
      } catch (err) {
        if (err instanceof ApiProblem && err.status === 404) failed(main, err);
      }
    }, 400);
  });
  return () => {
    stop();
    clearTimeout(timer);
    clearTimeout(mediaTimer);
    map?.remove();
  };
}

function facts(kase, names) {
  const row = (label, value) => [h('dt', {}, label), h('dd', {}, value || '—')];
  return h('dl', { class: 'facts panel' },
    row(t('case.received'), dateTime(kase.created_at)),
    row(t('case.ward'), kase.ward_code ? [nameOf(names.ward, kase.ward_code),
      kase.ward_approximate ? h('span', { class: 'muted' }, ` (${t('case.approximate')})`) : null] : null),
    row(t('case.address'), kase.address),
    row(t('case.agency'), nameOf(names.agency, kase.agency_code)),
    kase.co_agencies.length ? row(t('case.co_agencies'), kase.co_agencies.map((c) => nameOf(names.agency, c)).join(', ')) : null,
    row(t('case.accept_due'), kase.accept_due_at ? due(kase.accept_due_at) : null),
    row(t('case.due'), kase.due_at ? due(kase.due_at) : null),
    row(t('case.channel'), has(`channel.${kase.channel}`) ? t(`channel.${kase.channel}`) : kase.channel),
    kase.supporters ? row(t('case.supporters'), String(kase.supporters)) : null,
    kase.queue_reason ? row(t('case.queue_reason'), kase.queue_reason) : null,
    kase.extension_pending_days ? row(t('case.extension_pending'), t('case.days', { n: kase.extension_pending_days })) : null,
    kase.rating ? row(t('case.rating'), t(`rating.${kase.rating}`)) : null);
}

function photos(kase, mediaById, operator, redraw, update) {
  if (!kase.media.length) return h('p', { class: 'muted' }, t('case.no_photos'));
  return h('ul', { class: 'photos' }, kase.media.map((m) => {
    const view = mediaById.get(m.id);
    const label = t(`media.role.${m.role}`);
    return h('li', { class: `photo${m.hidden ? ' photo--hidden' : ''}` },
      view?.url && view.kind !== 'video' ? h('img', { src: view.url, alt: `${label} ${m.id.slice(0, 8)}`, loading: 'lazy' })
        : h('span', { class: 'photo-missing' }, view?.processing ? t('media.processing') : t('media.unavailable')),
      h('span', { class: 'small' }, label, view?.faces_found ? ` · ${t('media.faces', { n: view.faces_found })}` : '',
        view?.blurred ? ` · ${t('media.blurred')}` : ''),
      m.hidden ? h('span', { class: 'badge badge--urgent' }, t('hide.badge')) : null,
      operator ? hideButton(kase, m, update) : null,
      operator && view?.url && view.kind !== 'video' ? photoReview(view, redraw) : null);
  }));
}

const ACTOR = (step, names) => [t(`actor.${step.actor_role}`), step.actor_agency ? nameOf(names.agency, step.actor_agency) : null]
  .filter(Boolean).join(' · ');

function timeline(kase, names, mediaById, publicOnly) {
  const steps = kase.timeline.filter((s) => (publicOnly ? s.visibility === 'public' : true)).slice().reverse();
  if (!steps.length) return h('p', { class: 'muted' }, t('case.no_steps'));
  return h('ol', { class: 'timeline' }, steps.map((s) => h('li', { class: `step step--${s.visibility}` },
    h('p', { class: 'step-head' }, h('time', { datetime: s.at }, dateTime(s.at)), ' · ', ACTOR(s, names),
      publicOnly ? null : h('span', { class: 'badge badge--note' }, t(`visibility.${s.visibility}`))),
    h('p', {}, s.action ? t(`action.${s.action}`) : '', s.from_status !== s.to_status && s.from_status
      ? ` — ${t(`status.${s.from_status}`)} → ${t(`status.${s.to_status}`)}` : ''),
    s.reason ? h('p', { class: 'small' }, `${t('case.reason')}: ${s.reason}`) : null,
    s.note ? h('p', { class: 'pre' }, s.note) : null,
    s.media_ids.length ? h('p', { class: 'small muted' }, t('case.step_photos', { n: s.media_ids.length })) : null)));
}

function identity(kase) {
  const readers = h('div', { class: 'readers' });
  const shown = h('div', { class: 'reporter' });
  async function loadReaders() {
    try {
      const rows = await call(`/v1/operator/reports/${kase.id}/audit`);
      clear(readers).append(h('h3', {}, t('identity.readers')), table(t('identity.readers'),
        [t('identity.when'), t('identity.who'), t('identity.purpose'), t('identity.fields')],
        rows.slice().reverse().map((r) => [dateTime(r.at), r.actor_kind === 'service' ? t('identity.service', { name: r.service }) : r.actor_sub,
          r.purpose || '—', (r.fields || []).join(', ')]), { empty: t('identity.nobody') }));
    } catch {
      clear(readers);
    }
  }
  const f = form([
    field(t('identity.purpose'), input('purpose', { minlength: 3, maxlength: 200 }), { hint: t('identity.purpose_hint'), required: true }),
    h('button', { type: 'submit', class: 'button button--quiet' }, t('identity.reveal')),
  ], async (v) => {
    if ((v.purpose || '').trim().length < 3) {
      throw new ApiProblem(422, { title: t('identity.purpose_needed'), errors: [{ field: 'purpose', message: t('identity.purpose_needed') }] });
    }
    const data = await call(`/v1/operator/reports/${kase.id}/reporter?purpose=${encodeURIComponent(v.purpose.trim())}`);
    const c = data.reporter || {};
    clear(shown).append(h('dl', { class: 'facts' },
      ['name', 'phone', 'email'].map((k) => [h('dt', {}, t(`identity.${k}`)), h('dd', {}, c[k] || '—')])),
    data.followers.length ? h('p', { class: 'small' }, t('identity.followers', { n: data.followers.length })) : null);
    f.hidden = true;
    loadReaders();
  }, { label: t('identity.title') });
  loadReaders();
  return h('section', { class: 'panel' }, h('h2', {}, t('identity.title')), h('p', { class: 'small muted' }, t('identity.sealed')), f, shown, readers);
}

function routingExplanation(id) {
  const box = h('section', { class: 'panel' }, h('h2', {}, t('routing.title')), h('p', { class: 'muted' }, t('loading')));
  call(`/v1/admin/routing/decisions/${id}`).then((x) => {
    const latest = x.decisions[x.decisions.length - 1];
    fill(box, h('h2', {}, t('routing.title')), latest
      ? [h('p', {}, lang() === 'en' ? latest.explanation_en : latest.explanation),
        h('p', { class: 'small muted' }, t('routing.meta', { reason: latest.reason, version: latest.directory_version, n: x.decisions.length }))]
      : h('p', { class: 'muted' }, t('routing.none')));
  }).catch(() => clear(box).append(h('h2', {}, t('routing.title')), h('p', { class: 'muted' }, t('routing.none'))));
  return box;
}

function similar(kase, names) {
  const box = h('section', { class: 'panel' }, h('h2', {}, t('similar.title')));
  call('/v1/reports/similar', { method: 'POST', body: { category: kase.category, location: kase.location } }).then((rows) => {
    const others = rows.filter((r) => r.id !== kase.id);
    box.append(others.length ? h('ul', { class: 'plain' }, others.map((r) => h('li', {},
      h('a', { href: `/staff/cases/${r.id}` }, r.code), ` · ${t(`status.${r.status}`)} · ${Math.round(r.distance_m)} m`,
      r.description ? h('span', { class: 'small muted block' }, r.description) : null)))
      : h('p', { class: 'muted' }, t('similar.none')));
  }).catch(() => box.append(h('p', { class: 'muted' }, t('similar.none'))));
  return box;
}

