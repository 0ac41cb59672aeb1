// Sending reports: every report goes through the outbox. Its Idempotency-Key is fixed when the citizen starts
// composing it, so a retry after a lost answer or a dropped connection returns the same report, never a second
// one. Photos wait in IndexedDB with it; the report shows as "chờ gửi" until it has landed.
import { api, ApiProblem, NetworkError } from '../shared/api.js';
import { deviceId, mine, outbox } from './store.js';

const listeners = new Set();
let running = null;
let timer = null;

export function onOutboxChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn();
}

/** Queue a composed report (with its photo Blobs) and try to send it now. */
export async function queue(draft) {
  await outbox.put({ ...draft, state: 'pending', queuedAt: new Date().toISOString(), uploaded: [] });
  changed();
  await running; // a run that started before this report was queued would not see it
  return flush();
}

/** Send whatever waits; resolves to the entries that landed in this run. Safe to call any time. */
export function flush() {
  running ??= run().finally(() => {
    running = null;
  });
  return running;
}

async function run() {
  const landed = [];
  for (const item of await outbox.all()) {
    if (item.state === 'failed') continue;
    try {
      landed.push(await send(item));
    } catch (err) {
      if (err instanceof NetworkError || (err instanceof ApiProblem && (err.status >= 500 || err.status === 429))) {
        retryLater(err.retryAfter);
        break;
      }
      await outbox.put({ ...item, state: 'failed', error: err.title || err.message, errors: err.errors || [] });
    }
    changed();
  }
  return landed;
}

async function send(item) {
  if (!item.ref) {
    const ref = await api('/v1/reports', {
      method: 'POST', body: item.report,
      headers: { 'Idempotency-Key': item.key, ...(deviceId() ? { 'X-Device-Id': deviceId() } : {}) },
    });
    item = { ...item, ref };
    await mine.put({ id: ref.id, code: ref.code, token: ref.tracking_token, status: ref.status,
      category: item.report.category, created_at: ref.created_at, photos: item.photos.length });
    await outbox.put(item);
  }
  for (const [i, photo] of item.photos.entries()) {
    if (item.uploaded.includes(i)) continue;
    const form = new FormData();
    form.append('file', photo.blob, photo.name);
    try {
      await api(`/v1/reports/${item.ref.id}/media`, { method: 'POST', form,
        headers: { 'X-Tracking-Token': item.ref.tracking_token } });
    } catch (err) {
      if (!(err instanceof ApiProblem) || err.status >= 500 || err.status === 429) throw err;
      // refused (type, size): the report stands without this file
    }
    item = { ...item, uploaded: [...item.uploaded, i] };
    await outbox.put(item);
  }
  await outbox.delete(item.key);
  return item.ref;
}

function retryLater(seconds) {
  clearTimeout(timer);
  timer = setTimeout(flush, Math.max(5, seconds || 20) * 1000);
}

export async function discard(key) {
  await outbox.delete(key);
  changed();
}

export async function retry(key) {
  const item = await outbox.get(key);
  if (item) await outbox.put({ ...item, state: 'pending', error: null });
  changed();
  return flush();
}

export function start() {
  window.addEventListener('online', () => flush());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && flush());
  flush();
}
