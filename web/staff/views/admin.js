// The administrator's screens at /staff/admin/<section>: staff accounts and the sign-in audit, the routing
// directory (entries, deadlines, holidays, versions and restore), the dry-run tester on a map, official ward
// polygons, Open311 API keys, agencies' delivery channels (webhook secret rotation) and failed deliveries.
import { clear, h } from '../../shared/dom.js';
import { lang, t } from '../../shared/i18n.js';
import { createMap, L, pin } from '../../shared/map.js';
import { dateTime, toDmy } from '../../shared/time.js';
import { account, call } from '../session.js';
import { entryForm } from './directory_forms.js';
import { button, directory, done, field, form, input, nameOf, options, page, select, table } from '../ui.js';

const SECTIONS = ['accounts', 'audit', 'directory', 'dry-run', 'wards', 'api-keys', 'channels', 'deliveries'];
const ROLES = ['operator', 'agency_officer', 'agency_leader', 'administrator'];

export async function render(main, section) {
  if (!SECTIONS.includes(section)) section = 'accounts';
  const body = h('div', { class: 'admin-body' });
  page(main, t(`admin.${section}.title`), h('div', { class: 'admin' },
    h('nav', { class: 'subnav', 'aria-label': t('admin.nav') }, h('ul', {}, SECTIONS.map((s) => h('li', {},
      h('a', { href: `/staff/admin/${s}`, 'aria-current': s === section ? 'page' : undefined }, t(`admin.${s}.title`)))))),
    body));
  const view = { accounts, audit, directory: directoryView, 'dry-run': dryRun, wards, 'api-keys': apiKeys, channels, deliveries }[section];
  return view(body);
}

/** A secret shown once, with a note to hand it over now. */
function secretBox(label, value) {
  return h('div', { class: 'secret-box', role: 'status' }, h('p', {}, label), h('code', { class: 'secret' }, value),
    h('p', { class: 'small' }, t('admin.shown_once')));
}

// ---- accounts ----------------------------------------------------------------------------------------------

async function accounts(body) {
  const names = await directory();
  const list = h('div', {});
  const shown = h('div', {});
  async function load() {
    const rows = await call('/v1/admin/accounts');
    clear(list).append(table(t('admin.accounts.title'),
      [t('admin.accounts.username'), t('admin.accounts.name'), t('admin.accounts.role'), t('case.agency'), t('admin.accounts.state'),
        t('admin.accounts.last'), t('admin.accounts.actions')],
      rows.map((a) => [a.username, a.display_name, t(`role.${a.role}`), a.agency ? nameOf(names.agency, a.agency) : '—',
        [h('span', { class: `badge badge--${a.active ? 'done' : 'rejected'}` }, t(a.active ? 'admin.accounts.active' : 'admin.accounts.disabled')),
          a.locked_until ? h('span', { class: 'badge badge--overdue' }, t('admin.accounts.locked')) : null,
          a.factor_required && !a.totp_enabled ? h('span', { class: 'badge badge--waiting' }, t('admin.accounts.no_factor')) : null,
          a.external ? h('span', { class: 'badge badge--note' }, 'SSO') : null],
        a.last_sign_in_at ? dateTime(a.last_sign_in_at) : '—',
        rowActions(a)])));
  }
  function verb(a, path, label) {
    return button(label, { class: 'button button--small button--quiet', 'aria-label': `${label} ${a.username}`, onclick: async () => {
      const answer = await call(`/v1/admin/accounts/${a.username}/${path}`, { method: 'POST' });
      clear(shown).append(answer.one_time_password ? secretBox(t('admin.accounts.otp_for', { user: a.username }), answer.one_time_password) : '');
      done(t('admin.accounts.done', { verb: label, user: a.username }));
      await load();
    } });
  }
  function rowActions(a) {
    const mine = a.username === account().username;
    return h('div', { class: 'row' },
      a.active ? (mine ? null : verb(a, 'disable', t('admin.accounts.disable'))) : verb(a, 'enable', t('admin.accounts.enable')),
      a.external ? null : verb(a, 'reset-password', t('admin.accounts.reset_password')),
      a.totp_enabled ? verb(a, 'reset-factor', t('admin.accounts.reset_factor')) : null,
      a.locked_until ? verb(a, 'unlock', t('admin.accounts.unlock')) : null);
  }
  const agencySelect = select('agency', options(names.agency, { blank: t('act.none') }));
  const create = form([
    h('div', { class: 'row' },
      field(t('admin.accounts.username'), input('username', { autocomplete: 'off', maxlength: 64 }), { required: true, hint: t('admin.accounts.username_hint') }),
      field(t('admin.accounts.name'), input('display_name', { maxlength: 200 }), { required: true })),
    h('div', { class: 'row' },
      field(t('admin.accounts.role'), select('role', ROLES.map((r) => [r, t(`role.${r}`)]), 'agency_officer'), { required: true }),
      field(t('case.agency'), agencySelect, { hint: t('admin.accounts.agency_hint') })),
    h('button', { type: 'submit', class: 'button' }, t('admin.accounts.create')),
  ], async (v, el) => {
    const created = await call('/v1/admin/accounts', { method: 'POST', body: { ...v, agency: v.agency || null } });
    clear(shown).append(secretBox(t('admin.accounts.otp_for', { user: created.account.username }), created.one_time_password));
    el.reset();
    done(t('admin.accounts.created', { user: created.account.username }));
    await load();
  }, { label: t('admin.accounts.create') });
  body.append(h('section', { class: 'panel' }, h('h2', {}, t('admin.accounts.create')), create), shown, list);
  await load();
}

async function audit(body) {
  const list = h('div', {});
  const filter = form([h('div', { class: 'row' }, field(t('admin.accounts.username'), input('username')),
    h('button', { type: 'submit', class: 'button' }, t('filter.apply')))], (v) => load(v.username), { label: t('admin.audit.title') });
  async function load(username) {
    const rows = await call(`/v1/admin/sign-in-audit?limit=200${username ? `&username=${encodeURIComponent(username)}` : ''}`);
    clear(list).append(table(t('admin.audit.title'), [t('identity.when'), t('admin.audit.event'), t('admin.accounts.username'),
      t('admin.audit.actor'), 'IP', t('admin.audit.detail')],
    rows.map((r) => [dateTime(r.at), t(`audit.${r.event}`), r.username || '—', r.actor || '—', r.ip || '—',
      Object.entries(r.detail || {}).filter(([k]) => k !== 'session_id').map(([k, v]) => `${k}: ${v}`).join(', ')])));
  }
  body.append(filter, list);
  await load();
}

// ---- routing directory --------------------------------------------------------------------------------------

const PARTS = { agencies: 'code', categories: 'code', rules: 'rule_id', units: 'code' };

async function directoryView(body) {
  const summary = await call('/v1/admin/routing');
  const versions = await call('/v1/admin/routing/versions');
  const detail = h('div', {});
  const part = select('part', Object.keys(PARTS).map((p) => [p, t(`admin.directory.${p}`)]), 'rules');
  const search = input('q', { type: 'search', placeholder: t('admin.directory.search') });
  async function showPart() {
    const rows = await call(`/v1/admin/routing/${part.value}`);
    const key = PARTS[part.value];
    const q = search.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || JSON.stringify(r).toLowerCase().includes(q)).slice(0, 200);
    clear(detail).append(table(t(`admin.directory.${part.value}`), [t('admin.directory.key'), t('admin.directory.name'), t('admin.accounts.actions')],
      shown.map((r) => [r[key], r.name_vi || r.name || r.agency || r.note || '', button(t('admin.directory.edit'), {
        class: 'button button--small button--quiet', 'aria-label': `${t('admin.directory.edit')} ${r[key]}`,
        onclick: () => {
          const title = `${t(`admin.directory.${part.value}`)} ${r[key]}`;
          clear(detail).append(h('h3', {}, title), entryForm(part.value, title, r, `${part.value}/${encodeURIComponent(r[key])}`, showPart),
            button(t('admin.directory.back'), { class: 'button button--quiet', onclick: showPart }));
          detail.querySelector('input:not([readonly]), select, textarea')?.focus();
        } })])),
    h('details', { class: 'action' }, h('summary', {}, t(`dir.new.${part.value}`)),
      entryForm(part.value, t(`dir.new.${part.value}`), null, (k) => `${part.value}/${encodeURIComponent(k)}`, showPart)));
  }
  part.addEventListener('change', showPart);
  search.addEventListener('input', () => { clearTimeout(search.timer); search.timer = setTimeout(showPart, 250); });
  const deadlines = await call('/v1/admin/routing/deadlines');
  const year = new Date().getFullYear();
  const holidays = await call(`/v1/admin/routing/holidays/${year}`).catch(() => null);
  body.append(
    h('section', { class: 'panel' }, h('h2', {}, t('admin.directory.in_force')),
      h('p', {}, t('admin.directory.summary', { ...summary, from: dateTime(summary.effective_from) })),
      summary.wards_approximate ? h('p', { class: 'notice' }, t('admin.wards.approximate')) : null),
    h('section', { class: 'panel' }, h('h2', {}, t('admin.directory.entries')), h('div', { class: 'row' }, field(t('admin.directory.part'), part), field(t('admin.directory.search'), search)), detail),
    h('section', { class: 'panel' }, h('h2', {}, t('admin.directory.deadlines')), entryForm('deadlines', t('admin.directory.deadlines'), deadlines, 'deadlines')),
    holidays ? h('section', { class: 'panel' }, h('h2', {}, t('admin.directory.holidays', { year })),
      h('p', { class: 'small' }, Object.entries(holidays.days_off).map(([d, why]) => `${toDmy(d)} (${why})`).join(' · ')),
      entryForm('holidays', t('admin.directory.holidays', { year }), holidays.config || { year }, `holidays/${year}`)) : null,
    h('section', { class: 'panel' }, h('h2', {}, t('admin.directory.versions')), table(t('admin.directory.versions'),
      [t('admin.directory.version'), t('admin.directory.op'), t('admin.directory.author'), t('admin.directory.from'), t('admin.directory.note'), ''],
      versions.slice().reverse().slice(0, 30).map((v) => [String(v.version), v.op, v.author, dateTime(v.effective_from), v.note || '',
        v.version === summary.version ? t('admin.directory.current') : button(t('admin.directory.restore'), {
          class: 'button button--small button--quiet', 'aria-label': `${t('admin.directory.restore')} ${v.version}`, onclick: async () => {
            await call(`/v1/admin/routing/versions/${v.version}/restore?note=${encodeURIComponent(t('admin.directory.restored'))}`, { method: 'POST' });
            done(t('admin.directory.restored'));
          } })]))));
  await showPart();
}

async function dryRun(body) {
  const names = await directory();
  const mapEl = h('div', { class: 'map map--tester' });
  const outcome = h('div', { class: 'panel', role: 'status' }, h('p', { class: 'muted' }, t('admin.dry.pick')));
  const lat = input('lat', { inputmode: 'decimal' });
  const lon = input('lon', { inputmode: 'decimal' });
  const f = form([
    h('div', { class: 'row' }, field(t('case.category'), select('category', options(names.category))),
      field(t('case.priority'), select('priority', ['BINH_THUONG', 'KHAN', 'PHUC_TAP'].map((p) => [p, t(`priority.${p}`)])))),
    h('div', { class: 'row' }, field(t('admin.dry.lat'), lat), field(t('admin.dry.lon'), lon)),
    h('button', { type: 'submit', class: 'button' }, t('admin.dry.run')),
  ], async (v) => {
    const x = await call('/v1/admin/routing/dry-run', { method: 'POST', body: { category: v.category, priority: v.priority,
      lat: Number(v.lat), lon: Number(v.lon) } });
    clear(outcome).append(h('h2', {}, x.outcome === 'routed' ? nameOf(names.agency, x.agency_code) : t('admin.dry.unroutable')),
      h('p', {}, lang() === 'en' ? x.explanation_en : x.explanation),
      h('p', { class: 'small muted' }, t('admin.dry.meta', { ward: x.ward?.name || x.ward?.unit_name || '—', reason: x.reason,
        due: x.due_at ? dateTime(x.due_at) : '—', version: x.directory_version })));
  }, { label: t('admin.dry.title') });
  body.append(h('div', { class: 'case-grid' }, h('div', {}, f, outcome), h('div', {}, mapEl)));
  const map = createMap(mapEl, { label: t('admin.dry.map'), onCells: (cells) => map.fitBounds(L.geoJSON(cells).getBounds()) });
  let marker = null;
  map.on('click', (e) => {
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    marker?.remove();
    marker = pin(e.latlng, 'here', t('admin.dry.point')).addTo(map);
  });
  return () => map.remove();
}

async function wards(body) {
  const summary = await call('/v1/admin/routing');
  const f = form([
    field(t('admin.wards.file'), input('file', { type: 'file', accept: '.geojson,.json,application/geo+json,application/json' }),
      { hint: t('admin.wards.file_hint'), required: true }),
    field(t('admin.directory.note'), input('note', { maxlength: 1000 })),
    h('button', { type: 'submit', class: 'button' }, t('admin.wards.upload')),
  ], async (v, el) => {
    const file = el.querySelector('input[type="file"]').files[0];
    const text = file ? await file.text() : '{}';
    let geo;
    try {
      geo = JSON.parse(text);
    } catch {
      geo = {};
    }
    const answer = await call(`/v1/admin/routing/wards/geometry?note=${encodeURIComponent(v.note || t('admin.wards.upload'))}`,
      { method: 'PUT', body: geo });
    done(t('admin.directory.saved', { version: answer.version ?? '' }));
  }, { label: t('admin.wards.upload') });
  body.append(h('section', { class: 'panel' },
    h('p', {}, summary.wards_approximate ? t('admin.wards.approximate') : t('admin.wards.official')), f,
    summary.wards_approximate ? null : button(t('admin.wards.clear'), { class: 'button button--quiet', onclick: async () => {
      await call('/v1/admin/routing/wards/geometry', { method: 'DELETE' });
      done(t('admin.wards.cleared'));
    } })));
}

// ---- integrations -------------------------------------------------------------------------------------------

async function apiKeys(body) {
  const list = h('div', {});
  const shown = h('div', {});
  async function load() {
    const answer = await call('/v1/admin/api-keys');
    const rows = answer.items || answer;
    clear(list).append(table(t('admin.api-keys.title'), [t('admin.keys.client'), t('admin.keys.prefix'), t('admin.keys.limit'),
      t('admin.keys.created'), t('admin.accounts.state'), ''],
    rows.map((k) => [k.client_name, h('code', {}, k.prefix), String(k.rate_limit_per_hour), `${dateTime(k.created_at)} · ${k.created_by}`,
      k.revoked_at ? t('admin.keys.revoked') : t('admin.accounts.active'),
      k.revoked_at ? '' : button(t('admin.keys.revoke'), { class: 'button button--small button--quiet', 'aria-label': `${t('admin.keys.revoke')} ${k.client_name}`,
        onclick: async () => { await call(`/v1/admin/api-keys/${k.id}`, { method: 'DELETE' }); await load(); } })])));
  }
  const f = form([h('div', { class: 'row' }, field(t('admin.keys.client'), input('client_name', { maxlength: 120 }), { required: true }),
    field(t('admin.keys.limit'), input('rate_limit_per_hour', { type: 'number', min: 1, value: 600 }))),
  field(t('admin.directory.note'), input('note', { maxlength: 500 })),
  h('button', { type: 'submit', class: 'button' }, t('admin.keys.create'))], async (v, el) => {
    const created = await call('/v1/admin/api-keys', { method: 'POST', body: { ...v, rate_limit_per_hour: Number(v.rate_limit_per_hour || 600) } });
    clear(shown).append(secretBox(t('admin.keys.secret_for', { client: created.key.client_name }), created.api_key));
    el.reset();
    await load();
  }, { label: t('admin.keys.create') });
  body.append(h('section', { class: 'panel' }, h('h2', {}, t('admin.keys.create')), f), shown, list);
  await load();
}

function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function channels(body) {
  const names = await directory();
  const list = h('div', {});
  const shown = h('div', {});
  const bodyOf = (c, extra = {}) => ({ agency_code: c.agency_code, category: c.category || null, kind: c.kind, url: c.url || null,
    email: c.email || null, enabled: c.enabled, ...extra });
  async function load() {
    const rows = await call('/v1/notify/channels');
    clear(list).append(table(t('admin.channels.title'), [t('case.agency'), t('admin.channels.kind'), t('admin.channels.target'),
      t('admin.channels.secrets'), t('admin.channels.updated'), ''],
    rows.map((c) => [nameOf(names.agency, c.agency_code), c.kind + (c.category ? ` · ${c.category}` : ''), c.url || c.email || '—',
      c.secret_hints.map((x) => `…${x}`).join(', ') || '—', `${dateTime(c.updated_at)} · ${c.updated_by || ''}`,
      h('div', { class: 'row' },
        c.kind === 'webhook' ? rotate(c) : null,
        button(t('admin.channels.delete'), { class: 'button button--small button--quiet', 'aria-label': `${t('admin.channels.delete')} ${c.agency_code} ${c.kind}`,
          onclick: async () => { await call(`/v1/notify/channels/${c.id}`, { method: 'DELETE' }); await load(); } }))])));
  }
  function rotate(c) {
    const f = form([field(t('admin.channels.keep'), input('current', { type: 'password', autocomplete: 'off' }), { hint: t('admin.channels.keep_hint') }),
      h('button', { type: 'submit', class: 'button button--small' }, t('admin.channels.rotate'))], async (v) => {
      const secret = newSecret();
      await call(`/v1/notify/channels/${c.id}`, { method: 'PUT', body: bodyOf(c, { secrets: v.current ? [secret, v.current] : [secret] }) });
      clear(shown).append(secretBox(t('admin.channels.secret_for', { agency: c.agency_code }), secret));
      await load();
    }, { label: t('admin.channels.rotate') });
    return h('details', { class: 'action' }, h('summary', {}, t('admin.channels.rotate')), f);
  }
  const f = form([h('div', { class: 'row' },
    field(t('case.agency'), select('agency_code', options(names.agency)), { required: true }),
    field(t('admin.channels.kind'), select('kind', [['webhook', 'webhook'], ['email', 'e-mail'], ['amqp', 'AMQP']]))),
  h('div', { class: 'row' }, field(t('admin.channels.url'), input('url', { type: 'url' })), field('E-mail', input('email', { type: 'email' }))),
  h('button', { type: 'submit', class: 'button' }, t('admin.channels.add'))], async (v, el) => {
    const created = await call('/v1/notify/channels', { method: 'POST', body: { agency_code: v.agency_code, kind: v.kind,
      url: v.url || null, email: v.email || null } });
    clear(shown).append(created.new_secret ? secretBox(t('admin.channels.secret_for', { agency: created.agency_code }), created.new_secret) : '');
    el.reset();
    await load();
  }, { label: t('admin.channels.add') });
  body.append(h('section', { class: 'panel' }, h('h2', {}, t('admin.channels.add')), f), shown, list);
  await load();
}

async function deliveries(body) {
  const names = await directory();
  const list = h('div', {});
  async function load() {
    const rows = await call('/v1/notify/deliveries?state=failed&limit=200');
    clear(list).append(table(t('admin.deliveries.title'), [t('admin.deliveries.created'), t('case.agency'), t('admin.channels.kind'),
      t('admin.deliveries.attempts'), t('admin.deliveries.error'), ''],
    rows.map((d) => [dateTime(d.created_at), d.audience === 'agency' ? nameOf(names.agency, d.recipient) : t('admin.deliveries.citizen'),
      `${d.channel} · ${d.kind}`, String(d.attempts), d.last_error || '—',
      button(t('admin.deliveries.redeliver'), { class: 'button button--small', 'aria-label': `${t('admin.deliveries.redeliver')} ${d.id.slice(0, 8)}`,
        onclick: async () => { await call(`/v1/notify/deliveries/${d.id}/redeliver`, { method: 'POST' }); done(t('admin.deliveries.queued')); await load(); } })]),
    { empty: t('admin.deliveries.none') }));
  }
  body.append(list);
  await load();
}
