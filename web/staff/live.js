// The console's live channel: server-sent events of case changes, read with fetch (the session cookie goes
// along) and reopened after a drop. Each change is a hint to read the visible queue or case again.
import { readEvents } from '../shared/stream.js';

const RETRY_MS = [1000, 3000, 10000, 30000];
const handlers = new Set();
let controller = null;
let state = 'off';
let connected = false; // a stream has been open before (the next 'ready' is a reconnect)
const stateListeners = new Set();

function setState(next) {
  state = next;
  for (const fn of stateListeners) fn(next);
}

export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
}

/** Call `fn(change)` for every case change; returns the function that stops listening. */
export function onCase(fn) {
  handlers.add(fn);
  return () => handlers.delete(fn);
}

async function once(signal) {
  const response = await fetch('/v1/staff/events', { headers: { Accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
  await readEvents(response, (ev) => {
    if (ev.event === 'ready') {
      // After a reconnect, hints sent meanwhile are lost: every view reads itself again once.
      if (connected) for (const fn of handlers) fn({ type: 'resync' });
      connected = true;
      setState('live');
    }
    else if (ev.event === 'case') for (const fn of handlers) fn(JSON.parse(ev.data));
    else if (ev.event === 'ended') controller?.abort();
  });
}

export function start() {
  if (controller) return;
  controller = new AbortController();
  const { signal } = controller;
  (async () => {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await once(signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted || err.status === 401) break;
        failures += 1;
      }
      if (signal.aborted) break;
      setState('reconnecting');
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]));
    }
    setState('off');
  })();
}

export function stop() {
  controller?.abort();
  controller = null;
  setState('off');
}
