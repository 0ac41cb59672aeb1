// The signed-in staff member. Tokens live in HttpOnly cookies the script never sees; it reads only the CSRF
// cookie (ht_csrf) to send back as X-CSRF-Token on writes. An expired access token is renewed once with the
// refresh cookie (one tab at a time, through a Web Lock) and the request is sent again; an ended session
// (signed out, disabled, reset) brings the sign-in page back.
import { api, ApiProblem } from '../shared/api.js';

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let current = null;
const listeners = new Set();

export function account() {
  return current;
}

export function onChange(fn) {
  listeners.add(fn);
}

function set(next, { force = false } = {}) {
  if (!next && !current && !force) return; // already signed out (parallel calls refused together)
  current = next;
  for (const fn of listeners) fn(current);
}

export function csrf() {
  const found = document.cookie.split('; ').find((c) => c.startsWith('ht_csrf='));
  return found ? decodeURIComponent(found.slice(8)) : '';
}

function withCsrf(options) {
  const method = (options.method || 'GET').toUpperCase();
  if (!WRITE.has(method)) return options;
  return { ...options, headers: { ...(options.headers || {}), 'X-CSRF-Token': csrf() } };
}

async function renew() {
  const run = async () => {
    try {
      await api('/v1/auth/refresh', withCsrf({ method: 'POST', body: {} }));
      return true;
    } catch (err) {
      return err instanceof ApiProblem && err.code === 'REFRESH_RACE';
    }
  };
  return navigator.locks ? navigator.locks.request('ht-refresh', run) : run();
}

/** An API call as the signed-in staff member; may throw ApiProblem (401 SESSION_REVOKED signs the page out). */
export async function call(path, options = {}) {
  try {
    return await api(path, withCsrf(options));
  } catch (err) {
    if (!(err instanceof ApiProblem) || err.status !== 401) throw err;
    if (err.code === 'UNAUTHENTICATED' && await renew()) {
      try {
        return await api(path, withCsrf(options));
      } catch (again) {
        if (again instanceof ApiProblem && again.status === 401) set(null);
        throw again;
      }
    }
    set(null);
    throw err;
  }
}

/** Who is signed in (null when nobody): reads the session, renewing an expired access token first. */
export async function load() {
  try {
    set((await call('/v1/auth/session')).account);
  } catch {
    set(null, { force: true }); // the first answer: show the sign-in page
  }
  return current;
}

export function signedIn(answer) {
  set(answer.account);
}

export async function signOut() {
  try {
    await api('/v1/auth/sign-out', withCsrf({ method: 'POST' }));
  } finally {
    set(null);
  }
}
