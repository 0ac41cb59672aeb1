// A call to the hotline, entered by an operator (`POST /v1/operator/reports`, channel `hotline`): what, where (a
// ward, or a point on the map), how urgent, and the caller's contact if they give it (sealed like a citizen's).
// The Idempotency-Key is fixed when the form opens, so a double click or a lost answer makes one report.
import { ApiProblem, uuid } from '../../shared/api.js';
import { h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { createMap, L, pin, wardCells } from '../../shared/map.js';
import { call } from '../session.js';
import { directory, done, field, form, go, input, options, page, select, textarea } from '../ui.js';

const PRIORITIES = ['BINH_THUONG', 'KHAN', 'PHUC_TAP'];

export async function render(main) {
  const names = await directory();
  const key = `hotline-${uuid()}`;
  const mapEl = h('div', { class: 'map map--tester' });
  const lat = input('lat', { inputmode: 'decimal', autocomplete: 'off' });
  const lon = input('lon', { inputmode: 'decimal', autocomplete: 'off' });
  let map = null;
  let marker = null;
  const place = (latlng, zoom) => {
    lat.value = Number(latlng.lat).toFixed(6);
    lon.value = Number(latlng.lng).toFixed(6);
    marker?.remove();
    marker = pin(latlng, 'here', t('hotline.point')).addTo(map);
    if (zoom) map.setView(latlng, zoom);
  };
  const ward = select('ward', options(names.ward, { blank: t('hotline.ward_pick') }), '', {
    onchange: async () => {
      const cells = await wardCells();
      const cell = cells?.features.find((f) => f.properties.code === ward.value);
      if (cell) place(L.geoJSON(cell).getBounds().getCenter(), 14);
    } });
  const f = form([
    h('div', { class: 'row' },
      field(t('case.category'), select('category', options(names.category, { blank: t('hotline.category_pick') })), { required: true }),
      field(t('case.priority'), select('priority', PRIORITIES.map((p) => [p, t(`priority.${p}`)])))),
    field(t('hotline.description'), textarea('description', { maxlength: 4000, rows: 4 }), { required: true, hint: t('hotline.description_hint') }),
    h('fieldset', { class: 'fieldset' }, h('legend', {}, t('hotline.where')),
      field(t('case.ward'), ward, { hint: t('hotline.ward_hint') }),
      h('div', { class: 'row' }, field(t('admin.dry.lat'), lat, { required: true }), field(t('admin.dry.lon'), lon, { required: true })),
      field(t('case.address'), input('address', { maxlength: 500 }))),
    h('fieldset', { class: 'fieldset' }, h('legend', {}, t('hotline.caller')),
      h('p', { class: 'small muted' }, t('hotline.caller_hint')),
      h('div', { class: 'row' }, field(t('identity.name'), input('name', { maxlength: 200, autocomplete: 'off' })),
        field(t('identity.phone'), input('phone', { type: 'tel', maxlength: 20, autocomplete: 'off' })))),
    h('button', { type: 'submit', class: 'button' }, t('hotline.submit')),
  ], async (v) => {
    const missing = [['category', t('hotline.category_needed')], ['description', t('hotline.description_needed')],
      ['lat', t('hotline.place_needed')], ['lon', t('hotline.place_needed')]].filter(([k]) => !(v[k] || '').trim());
    if (missing.length) {
      throw new ApiProblem(422, { title: t('hotline.invalid'), errors: missing.map(([field, message]) => ({ field, message })) });
    }
    const reporter = v.name || v.phone ? { name: v.name || null, phone: v.phone || null } : null;
    const ref = await call('/v1/operator/reports', { method: 'POST', headers: { 'Idempotency-Key': key }, body: {
      category: v.category, description: v.description, priority: v.priority,
      location: { lat: Number(v.lat), lon: Number(v.lon) }, address: v.address || null, reporter } });
    done(t('hotline.done', { code: ref.code }));
    go(`/staff/cases/${ref.id}`);
  }, { label: t('hotline.title') });
  page(main, t('hotline.title'), h('p', { class: 'muted' }, t('hotline.help')),
    h('div', { class: 'case-grid' }, h('div', { class: 'panel' }, f), h('div', {}, mapEl, h('p', { class: 'small muted' }, t('hotline.map_hint')))));
  map = createMap(mapEl, { label: t('hotline.map') });
  map.on('click', (e) => place(e.latlng));
  return () => map.remove();
}
