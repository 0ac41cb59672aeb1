// Tiny DOM helpers: elements are built with properties and text nodes, never from HTML strings, so text from
// the API cannot become markup, and nothing needs an inline style or script (the pages' CSP forbids them).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && !key.includes('-') && key !== 'list' && key !== 'form') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** An inline SVG icon from a sprite: icon('/icons/categories.svg', 'CHIEU_SANG'). */
export function icon(sprite, id, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('viewBox', '0 0 24 24');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `${sprite}#${id}`);
  svg.append(use);
  return svg;
}

/** Announce a short message in the page's live region (and show it for a few seconds). */
export function announce(text, kind = 'info') {
  const region = document.getElementById('toast');
  if (!region) return;
  clear(region);
  region.append(h('p', { class: `toast toast--${kind}` }, text));
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => clear(region), 6000);
}

/** Replace an element's children (arrays flattened, null/false skipped, as in h()). */
export function fill(el, ...children) {
  return append(clear(el), children);
}
