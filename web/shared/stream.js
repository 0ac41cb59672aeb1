// Live in-app messages: server-sent events read with fetch (so the token goes in a header, not in the URL as
// EventSource would need), resumed with Last-Event-ID after a drop; where a stream cannot be read, a long-poll.
import { lang } from './i18n.js';

const RETRY_MS = [1000, 3000, 10000, 30000];

function parseEvents(buffer, onEvent) {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    const event = { event: 'message', data: [], id: null };
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') event.data.push(value);
      else if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
    }
    if (event.data.length) onEvent({ ...event, data: event.data.join('\n') });
  }
  return rest;
}

/** Read a server-sent-events response to its end, calling `onEvent({event, data, id})` for each event. */
export async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = parseEvents(buffer + value, onEvent);
  }
}

/**
 * Follow an inbox: `follow(base, headers, {after, onMessage})` → stop(). `base` is the notifications URL
 * (`/v1/reports/{id}/notifications` or the followers' one); messages arrive in order, each once.
 */
export function follow(base, headers, { after = 0, onMessage, onState = () => {} }) {
  const controller = new AbortController();
  let cursor = after;
  let failures = 0;
  const deliver = (msg) => {
    if (msg.id > cursor) {
      cursor = msg.id;
      onMessage(msg);
    }
  };

  async function streamOnce() {
    const response = await fetch(`${base}/stream?after=${cursor}`, {
      headers: { ...headers, Accept: 'text/event-stream', 'Accept-Language': lang(), 'Last-Event-ID': String(cursor) },
      signal: controller.signal, cache: 'no-store',
    });
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
    if (!response.body || !response.body.getReader) return pollOnce();
    onState('live');
    failures = 0;
    await readEvents(response, (ev) => {
      if (ev.event === 'notification') deliver(JSON.parse(ev.data));
    });
  }

  async function pollOnce() {
    const response = await fetch(`${base}?after=${cursor}&wait=25`, {
      headers: { ...headers, Accept: 'application/json' }, signal: controller.signal, cache: 'no-store',
    });
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
    for (const msg of await response.json()) deliver(msg);
  }

  (async () => {
    while (!controller.signal.aborted) {
      try {
        await streamOnce();
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err.status === 404) return onState('gone');
        onState('offline');
        failures += 1;
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1]));
      }
    }
  })();
  return () => controller.abort();
}
