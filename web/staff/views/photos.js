// Face-blur review of one photo: the operator drags rectangles over the picture (faces the detector missed, a
// number plate, a house number); saved, they are blurred in what the public and the agencies see.
import { clear, h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { call } from '../session.js';
import { button, done } from '../ui.js';

export function photoReview(view, redraw) {
  const regions = [];
  const img = h('img', { src: view.url, alt: t('media.review_alt'), draggable: false });
  const layer = h('div', { class: 'redact-layer' });
  const stage = h('div', { class: 'redact-stage' }, img, layer);
  let start = null;
  let box = null;
  const point = (e) => {
    const r = stage.getBoundingClientRect();
    return { x: Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1), y: Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1) };
  };
  const place = (el, a, b) => {
    const x = Math.min(a.x, b.x);
    const y = Math.min(a.y, b.y);
    el.setAttribute('x', x);
    el.setAttribute('y', y);
    el.setAttribute('width', Math.abs(a.x - b.x));
    el.setAttribute('height', Math.abs(a.y - b.y));
    return { x, y, w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y), unit: 'norm' };
  };
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 1 1');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  layer.append(svg);
  stage.addEventListener('pointerdown', (e) => {
    start = point(e);
    box = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    box.setAttribute('class', 'redact-rect');
    svg.append(box);
    stage.setPointerCapture(e.pointerId);
  });
  stage.addEventListener('pointermove', (e) => { if (start) place(box, start, point(e)); });
  stage.addEventListener('pointerup', (e) => {
    if (!start) return;
    const region = place(box, start, point(e));
    if (region.w > 0.01 && region.h > 0.01) regions.push(region);
    else box.remove();
    start = null;
    count.textContent = t('media.regions', { n: regions.length });
  });
  const count = h('span', { class: 'small' }, t('media.regions', { n: 0 }));
  const panel = h('div', { class: 'redact', hidden: true }, h('p', { class: 'small' }, t('media.review_help')), stage, count,
    h('div', { class: 'row' },
      button(t('media.save_regions'), { onclick: async () => {
        await call(`/v1/operator/media/${view.id}/review`, { method: 'POST', body: { regions } });
        done(t('media.saved'));
        await redraw();
      } }),
      button(t('media.clear_regions'), { class: 'button button--quiet', onclick: () => {
        regions.length = 0;
        clear(svg);
        count.textContent = t('media.regions', { n: 0 });
      } })));
  return h('div', {}, button(t('media.review'), { class: 'button button--small button--quiet',
    onclick: (e) => { panel.hidden = !panel.hidden; e.target.setAttribute('aria-expanded', String(!panel.hidden)); } }), panel);
}
