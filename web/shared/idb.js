// A promise wrapper over IndexedDB, enough for small stores keyed by a property.
export function openDb(name, version, upgrade) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade(req.result, req.transaction);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class Store {
  constructor(dbPromise, name) {
    this.db = dbPromise;
    this.name = name;
  }

  async run(mode, fn) {
    const db = await this.db;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(this.name, mode);
      const req = fn(tx.objectStore(this.name));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  get(key) { return this.run('readonly', (s) => s.get(key)); }
  all() { return this.run('readonly', (s) => s.getAll()); }
  put(value) { return this.run('readwrite', (s) => s.put(value)); }
  delete(key) { return this.run('readwrite', (s) => s.delete(key)); }
}
