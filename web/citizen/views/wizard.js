// Report in four steps: where (geolocation or a tap on the map, with the ward's name), what (category, its
// questions, a description), photos (downscaled here; a photo's GPS offered as the location with consent),
// contact (optional, anonymous in one tap) — and, before sending, open reports nearby: "is this yours?".
import { api, uuid } from '../../shared/api.js';
import { announce, clear, h, icon, fill } from '../../shared/dom.js';
import { pick, t } from '../../shared/i18n.js';
import { createMap, L, wardAt, wardCells } from '../../shared/map.js';
import { categoryHelp, categoryIcon, categoryName, loadCategories, SPRITE } from '../catalog.js';
import { queue } from '../outbox.js';
import { distance, kilobytes, prepare } from '../photos.js';
import { deviceId, mine } from '../store.js';
import { badge } from './common.js';

const MAX_FILES = 6;
let draft = null; // kept while the citizen moves between screens during this visit

function newDraft() {
  // The Idempotency-Key is fixed now, at composition: every later send of this report carries the same key.
  return { key: uuid(), step: 1, location: null, source: null, ward: null, address: '', category: '',
    description: '', answers: {}, urgent: false, photos: [], anonymous: true, contact: { name: '', phone: '', email: '' } };
}

export async function render(main) {
  draft ??= newDraft();
  let categories = null; // step 1 shows at once; the categories arrive meanwhile (step 2 waits for them)
  const ready = loadCategories().then((list) => { categories = list; }, () => {});
  let cleanup = null;
  const steps = [where, what, photos, contact];

  function show() {
    cleanup?.();
    cleanup = null;
    clear(main);
    const n = draft.step;
    const heading = h('h1', { tabindex: '-1' }, t(`wizard.step${n}`));
    main.append(h('p', { class: 'steps' }, t('wizard.progress', { n, total: 4 })), heading);
    cleanup = steps[n - 1](main) || null;
    heading.focus();
  }

  function go(step) {
    draft.step = step;
    show();
  }

  function errorSummary(errors) {
    const box = main.querySelector('.error-summary');
    box && box.remove();
    if (!errors.length) return true;
    const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
      h('h2', {}, t('wizard.errors')),
      h('ul', {}, errors.map(([field, text]) => h('li', {}, h('a', { href: `#${field}`, onclick: (e) => {
        e.preventDefault();
        document.getElementById(field)?.focus();
      } }, text)))));
    main.querySelector('h1').after(summary);
    summary.focus();
    return false;
  }

  function nav(onNext, nextLabel = t('wizard.next')) {
    return h('div', { class: 'wizard-nav' },
      draft.step > 1 ? h('button', { type: 'button', class: 'button button--quiet', onclick: () => go(draft.step - 1) }, t('wizard.back')) : h('span'),
      h('button', { type: 'submit', class: 'button' }, nextLabel));
  }

  // ---- step 1: where ----
  function where(root) {
    const found = h('p', { class: 'place', role: 'status' }, placeText());
    const mapEl = h('div', { class: 'map map--pick' });
    const address = h('input', { id: 'w-address', type: 'text', value: draft.address, autocomplete: 'street-address',
      oninput: (e) => { draft.address = e.target.value; } });
    const form = h('form', { novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      if (errorSummary(draft.location ? (draft.ward?.outside ? [['w-locate', t('where.outside')]] : []) : [['w-locate', t('where.needed')]])) go(2);
    } },
    h('p', {}, t('where.intro')),
    h('button', { type: 'button', id: 'w-locate', class: 'button button--wide', onclick: locate }, icon(SPRITE, 'i-gps'), t('where.here')),
    h('p', { class: 'muted small' }, t('where.or_tap')),
    mapEl, found,
    h('div', { class: 'field' }, h('label', { for: 'w-address' }, t('where.address')),
      h('p', { class: 'hint', id: 'w-address-hint' }, t('where.address_hint')), address),
    nav());
    address.setAttribute('aria-describedby', 'w-address-hint');
    root.append(form);
    const map = createMap(mapEl, { label: t('where.map') });
    let marker = null;
    const place = (lat, lon, source) => {
      draft.location = { lat: +lat.toFixed(6), lon: +lon.toFixed(6) };
      draft.source = source;
      map.moved = true; // from now on the chosen point, not the whole province, is in view
      marker ??= L.marker([lat, lon], { icon: L.divIcon({ className: 'pin pin--here', iconSize: [26, 26] }), keyboard: false }).addTo(map);
      marker.setLatLng([lat, lon]);
      map.setView([lat, lon], Math.max(map.getZoom(), 14), { animate: false });
      found.textContent = t('where.finding');
      locateWard(draft.location).then(() => { found.textContent = placeText(); });
    };
    if (draft.location) place(draft.location.lat, draft.location.lon, draft.source);
    map.on('click', (e) => place(e.latlng.lat, e.latlng.lng, 'map'));

    function locate() {
      if (!navigator.geolocation) return announce(t('where.no_gps'), 'error');
      found.textContent = t('where.locating');
      navigator.geolocation.getCurrentPosition(
        (pos) => place(pos.coords.latitude, pos.coords.longitude, 'gps'),
        () => { found.textContent = t('where.gps_failed'); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    return () => map.remove();
  }

  function placeText() {
    if (!draft.location) return t('where.none');
    if (!draft.ward) return t('where.point', { lat: draft.location.lat.toFixed(5), lon: draft.location.lon.toFixed(5) });
    if (draft.ward.outside) return t('where.outside');
    return t(draft.ward.approximate ? 'where.ward_approx' : 'where.ward', { ward: draft.ward.name });
  }

  async function locateWard(point) {
    try {
      const hit = await api(`/v1/wards/locate?lat=${point.lat}&lon=${point.lon}`);
      draft.ward = hit.unit_code ? { code: hit.unit_code, name: hit.unit_name, approximate: hit.approximate } : { outside: true };
    } catch {
      const hit = wardAt(await wardCells(), point.lat, point.lon); // offline or limited: the cached cells answer
      draft.ward = hit ? { code: hit.unit_code, name: hit.unit_name, approximate: true } : null;
    }
  }

  // ---- step 2: what ----
  function what(root) {
    if (!categories && !what.waited) {
      what.waited = true;
      root.append(h('p', { class: 'muted' }, t('map.loading')));
      ready.then(show);
      return;
    }
    if (!categories) {
      root.append(h('p', { class: 'panel error' }, t('what.no_categories')), nav(() => {}));
      return;
    }
    const questions = h('div', { class: 'questions' });
    const groups = new Map();
    for (const c of categories) {
      const name = pick(c, 'group');
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(c);
    }
    const list = h('fieldset', { class: 'categories' }, h('legend', {}, t('what.category')),
      [...groups].map(([name, items]) => [h('h2', { class: 'group-name' }, name), items.map((c) => h('div', { class: 'category' },
        h('input', { type: 'radio', name: 'category', id: `c-${c.code}`, value: c.code, checked: c.code === draft.category,
          onchange: () => { draft.category = c.code; draft.answers = {}; drawQuestions(); } }),
        h('label', { for: `c-${c.code}` }, h('span', { class: 'card-icon' }, categoryIcon(c.code)),
          h('span', {}, h('span', { class: 'category-name' }, pick(c, 'name')),
            h('span', { class: 'category-help', id: `c-${c.code}-help` }, categoryHelp(c)))))) ]));
    const form = h('form', { novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      if (errorSummary(checkWhat())) go(3);
    } }, list, questions, nav());
    root.append(form);
    drawQuestions();

    function drawQuestions() {
      clear(questions);
      const category = categories.find((c) => c.code === draft.category);
      if (!category) return;
      questions.append(h('h2', {}, t('what.details', { category: pick(category, 'name') })));
      for (const q of category.questions.filter((x) => !x.variable)) {
        questions.append(h('p', { class: 'notice', role: 'note' }, pick(q, 'description')));
      }
      questions.append(h('div', { class: 'field' },
        h('label', { for: 'q-description' }, t('what.description'), h('span', { class: 'required' }, ` (${t('form.required')})`)),
        h('p', { class: 'hint', id: 'q-description-hint' }, t('what.description_hint')),
        h('textarea', { id: 'q-description', rows: 4, maxLength: 4000, 'aria-describedby': 'q-description-hint',
          value: draft.description, oninput: (e) => { draft.description = e.target.value; } })));
      for (const q of category.questions.filter((x) => x.variable)) questions.append(question(q));
      questions.append(h('div', { class: 'choice choice--urgent' },
        h('input', { type: 'checkbox', id: 'q-urgent', checked: draft.urgent, onchange: (e) => { draft.urgent = e.target.checked; } }),
        h('label', { for: 'q-urgent' }, t('what.urgent'))));
    }
  }

  function question(q) {
    const id = `q-${q.code}`;
    const label = [pick(q, 'description'), q.required ? h('span', { class: 'required' }, ` (${t('form.required')})`) : ` (${t('form.optional')})`];
    const hint = pick(q, 'datatype_description');
    const set = (value) => { draft.answers[q.code] = value; };
    const value = draft.answers[q.code];
    if (q.datatype === 'singlevaluelist' || q.datatype === 'multivaluelist') {
      const multi = q.datatype === 'multivaluelist';
      return h('fieldset', { class: 'field', id }, h('legend', {}, label),
        q.values.map((v) => h('div', { class: 'choice' },
          h('input', { type: multi ? 'checkbox' : 'radio', name: id, id: `${id}-${v.key}`, value: v.key,
            checked: multi ? (value || []).includes(v.key) : value === v.key,
            onchange: (e) => {
              if (!multi) return set(v.key);
              const now = new Set(draft.answers[q.code] || []);
              e.target.checked ? now.add(v.key) : now.delete(v.key);
              set([...now]);
            } }),
          h('label', { for: `${id}-${v.key}` }, pick(v, 'name')))));
    }
    const props = { id, value: value || '', oninput: (e) => set(e.target.value), 'aria-describedby': hint ? `${id}-hint` : undefined };
    let input;
    if (q.datatype === 'text') input = h('textarea', { ...props, rows: 3 });
    else if (q.datatype === 'number') input = h('input', { ...props, type: 'number', min: 0, inputmode: 'numeric' });
    else if (q.datatype === 'datetime') {
      input = h('input', { ...props, type: 'datetime-local', value: value ? value.slice(0, 16) : '',
        oninput: (e) => set(e.target.value ? `${e.target.value}:00+07:00` : '') });
    } else input = h('input', { ...props, type: 'text', maxLength: 500 });
    return h('div', { class: 'field' }, h('label', { for: id }, label),
      hint && q.datatype !== 'datetime' ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, input);
  }

  function checkWhat() {
    const errors = [];
    const category = categories.find((c) => c.code === draft.category);
    if (!category) return [[`c-${categories[0].code}`, t('what.category_needed')]];
    if (!draft.description.trim()) errors.push(['q-description', t('what.description_needed')]);
    for (const q of category.questions) {
      const v = draft.answers[q.code];
      if (q.variable && q.required && (!v || (Array.isArray(v) && !v.length))) {
        errors.push([q.datatype.endsWith('list') ? `q-${q.code}-${q.values[0].key}` : `q-${q.code}`, t('what.answer_needed', { question: pick(q, 'description') })]);
      }
    }
    return errors;
  }

  // ---- step 3: photos ----
  function photos(root) {
    const list = h('ul', { class: 'thumbs' });
    const offer = h('div', { role: 'status' });
    const status = h('p', { class: 'muted small', role: 'status' });
    const camera = h('input', { type: 'file', id: 'p-camera', accept: 'image/*', capture: 'environment', class: 'visually-hidden', onchange: add });
    const gallery = h('input', { type: 'file', id: 'p-gallery', accept: 'image/*,video/*', multiple: true, class: 'visually-hidden', onchange: add });
    const urls = [];
    root.append(h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); go(4); } },
      h('p', {}, t('photos.intro')),
      h('div', { class: 'row row--buttons' },
        camera, h('label', { for: 'p-camera', class: 'button button--file' }, icon(SPRITE, 'i-camera'), t('photos.camera')),
        gallery, h('label', { for: 'p-gallery', class: 'button button--file' }, icon(SPRITE, 'i-image'), t('photos.gallery'))),
      h('p', { class: 'hint' }, t('photos.hint', { max: MAX_FILES })),
      status, offer, list, nav()));
    draw();

    async function add(e) {
      const files = [...e.target.files].slice(0, MAX_FILES - draft.photos.length);
      e.target.value = '';
      status.textContent = t('photos.preparing');
      for (const file of files) {
        try {
          const photo = await prepare(file);
          draft.photos.push(photo);
          if (photo.gps) offerGps(photo.gps);
        } catch (err) {
          announce(t(err.code === 'too_big' ? 'photos.too_big' : 'photos.failed', { name: file.name }), 'error');
        }
      }
      status.textContent = '';
      draw();
    }

    function offerGps(gps) {
      const far = draft.location ? Math.round(distance(draft.location, gps)) : null;
      if (far !== null && far < 30) return;
      fill(offer, h('div', { class: 'panel' },
        h('p', {}, far === null ? t('photos.gps_offer') : t('photos.gps_offer_far', { m: far })),
        h('p', { class: 'muted small' }, t('photos.gps_privacy')),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'button', onclick: async () => {
            draft.location = { lat: +gps.lat.toFixed(6), lon: +gps.lon.toFixed(6) };
            draft.source = 'photo';
            fill(offer, h('p', {}, t('where.finding')));
            await locateWard(draft.location);
            fill(offer, h('p', { class: 'panel' }, placeText()));
          } }, t('photos.gps_use')),
          h('button', { type: 'button', class: 'button button--quiet', onclick: () => clear(offer) }, t('photos.gps_no')))));
    }

    function draw() {
      urls.splice(0).forEach((u) => URL.revokeObjectURL(u));
      fill(list, ...draft.photos.map((p, i) => {
        const url = URL.createObjectURL(p.blob);
        urls.push(url);
        const label = t('photos.item', { n: i + 1 });
        return h('li', {}, p.kind === 'video' ? h('video', { src: url, muted: true, 'aria-label': label }) : h('img', { src: url, alt: label }),
          h('span', { class: 'small' }, kilobytes(p.blob.size)),
          h('button', { type: 'button', class: 'button button--quiet button--small', 'aria-label': t('photos.remove_n', { n: i + 1 }),
            onclick: () => { draft.photos.splice(i, 1); draw(); } }, t('photos.remove')));
      }));
    }
    return () => urls.forEach((u) => URL.revokeObjectURL(u));
  }

  // ---- step 4: contact, "is this yours?", send ----
  function contact(root) {
    const fields = h('div', { class: 'contact-fields', hidden: draft.anonymous });
    const input = (key, type, autocomplete) => h('div', { class: 'field' },
      h('label', { for: `k-${key}` }, t(`contact.${key}`)),
      h('input', { id: `k-${key}`, type, autocomplete, value: draft.contact[key], oninput: (e) => { draft.contact[key] = e.target.value; } }));
    fields.append(input('name', 'text', 'name'), input('phone', 'tel', 'tel'), input('email', 'email', 'email'));
    const similar = h('section', { class: 'similar', hidden: true, 'aria-labelledby': 'similar-title' });
    const error = h('div', {});
    const choice = (value, text) => h('div', { class: 'choice' },
      h('input', { type: 'radio', name: 'anonymous', id: `k-${value}`, checked: draft.anonymous === (value === 'anon'),
        onchange: () => { draft.anonymous = value === 'anon'; fields.hidden = draft.anonymous; } }),
      h('label', { for: `k-${value}` }, text));
    const category = categories?.find((c) => c.code === draft.category);
    root.append(similar, h('form', { novalidate: true, onsubmit: send },
      h('fieldset', {}, h('legend', {}, t('contact.question')), choice('anon', t('contact.anonymous')), choice('named', t('contact.named'))),
      fields,
      h('p', { class: 'privacy' }, t('contact.privacy')),
      h('section', { class: 'summary', 'aria-label': t('contact.summary') },
        h('h2', {}, t('contact.summary')),
        h('ul', {}, h('li', {}, placeText()), h('li', {}, category ? pick(category, 'name') : ''),
          h('li', {}, t('contact.photos_n', { n: draft.photos.length })))),
      error, nav(null, t('contact.send'))));
    nearby(similar);

    async function send(e) {
      e.preventDefault();
      const c = draft.contact;
      const errors = [];
      if (!draft.anonymous) {
        if (c.phone && !/^\+?[0-9 .-]{8,20}$/.test(c.phone.trim())) errors.push(['k-phone', t('contact.phone_bad')]);
        if (c.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.email.trim())) errors.push(['k-email', t('contact.email_bad')]);
      }
      if (!errorSummary(errors)) return;
      const report = {
        category: draft.category, description: draft.description.trim(), location: draft.location,
        address: draft.address.trim() || undefined, priority: draft.urgent ? 'KHAN' : 'BINH_THUONG',
        attributes: Object.fromEntries(Object.entries(draft.answers).filter(([, v]) => v && v.length !== 0)),
      };
      const person = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));
      report.reporter = { ...(!draft.anonymous ? person : {}), language: document.documentElement.lang === 'en' ? 'en' : 'vi' };
      const { key, photos } = draft;
      e.submitter && (e.submitter.disabled = true);
      draft = null;
      // Queued at once (IndexedDB), then sent in the background: "my reports" shows it until it has landed.
      const sending = queue({ key, report, photos: photos.map(({ blob, name, type }) => ({ blob, name, type })) });
      location.hash = '#/mine';
      const landed = await sending;
      const ref = landed.find((r) => r && r.code);
      announce(ref ? t('contact.sent', { code: ref.code }) : t('contact.queued'));
    }
  }

  async function nearby(box) {
    if (!draft.location || !draft.category) return;
    let items;
    try {
      items = await api('/v1/reports/similar', { method: 'POST', body: { category: draft.category, location: draft.location } });
    } catch {
      return; // offline or limited: the report goes as it is
    }
    if (!items.length) return;
    box.hidden = false;
    box.append(h('h2', { id: 'similar-title' }, t('similar.title')), h('p', {}, t('similar.text')),
      h('ul', { class: 'cards' }, items.map((r) => h('li', { class: 'card' }, h('div', { class: 'card-body' },
        h('span', { class: 'card-title' }, categoryName(categories, r.category)),
        h('span', { class: 'card-meta' }, `${r.code} · ${t('similar.distance', { m: Math.round(r.distance_m) })}`),
        r.description ? h('span', { class: 'card-text' }, r.description) : null, badge(r.status),
        h('button', { type: 'button', class: 'button', 'aria-label': t('similar.metoo_for', { code: r.code }), onclick: async (e) => {
          e.target.disabled = true;
          try {
            const ref = await api(`/v1/reports/${r.id}/me-too`, { method: 'POST', body: {}, headers: deviceId() ? { 'X-Device-Id': deviceId() } : {} });
            await mine.put({ id: r.id, code: r.code, follower: ref.follower_token, status: r.status, category: r.category,
              created_at: r.created_at, following: true });
            draft = null;
            announce(t('metoo.done'));
            location.hash = `#/r/${r.id}`;
          } catch (err) {
            e.target.disabled = false;
            announce(err.title || t('error.network'), 'error');
          }
        } }, t('metoo.button')))))));
  }

  show();
  return () => cleanup?.();
}
