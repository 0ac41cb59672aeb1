// The API client: same origin as the app, JSON in and out, errors as RFC 9457 problem details with the fields at
// fault, the interface language in Accept-Language. Tokens travel in headers, never in URLs.
import { lang } from './i18n.js';

export class ApiProblem extends Error {
  constructor(status, body) {
    super(body?.title || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.detail = body?.detail;
    this.title = body?.title;
    this.errors = body?.errors || [];
    this.retryAfter = null;
  }

  /** The message for one field (e.g. 'attributes.office'), if the server named it. */
  field(name) {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

/** The request never got an answer (offline, or the connection dropped). */
export class NetworkError extends Error {}

export async function api(path, { method = 'GET', body, headers = {}, signal, form } = {}) {
  const init = { method, signal, headers: { Accept: 'application/json', 'Accept-Language': lang(), ...headers } };
  if (form) init.body = form;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new NetworkError(err.message);
  }
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const problem = new ApiProblem(response.status, data);
    problem.retryAfter = Number(response.headers.get('retry-after')) || null;
    throw problem;
  }
  return data;
}

/** Query string from an object; arrays repeat the key; empty values are left out. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== '') q.append(key, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
