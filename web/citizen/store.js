// What the phone keeps: "my reports" (with their private tracking or follower tokens) and the outbox of reports
// waiting to be sent. IndexedDB, never sent anywhere except as headers to our own API.
import { openDb, Store } from '../shared/idb.js';
import { uuid } from '../shared/api.js';

const db = openDb('hientruong', 1, (database) => {
  database.createObjectStore('mine', { keyPath: 'id' });
  database.createObjectStore('outbox', { keyPath: 'key' });
});

export const mine = new Store(db, 'mine');
export const outbox = new Store(db, 'outbox');

/** The headers that prove a saved report is ours: the reporter's tracking token or a follower's token. */
export function tokenHeaders(entry) {
  if (!entry) return {};
  if (entry.token) return { 'X-Tracking-Token': entry.token };
  if (entry.follower) return { 'X-Follower-Token': entry.follower };
  return {};
}

/** The notifications URL of a saved report (the reporter's inbox or the follower's). */
export function inboxUrl(entry) {
  return entry.token ? `/v1/reports/${entry.id}/notifications` : `/v1/reports/${entry.id}/followers/notifications`;
}

/** This install's id: sent as X-Device-Id so rate limits count a phone, never shown to anyone. */
export function deviceId() {
  try {
    let id = localStorage.getItem('ht.device');
    if (!id) localStorage.setItem('ht.device', (id = uuid()));
    return id;
  } catch {
    return undefined;
  }
}
