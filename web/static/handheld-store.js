// Pickwave handheld storage: what the picking page must not lose, kept in
// IndexedDB, which outlives a reload, a closed tab and a browser restart
// (sessionStorage, used before, outlived only a reload).
//
// Two object stores in the database "pickwave-handheld":
//   state   one record, "current": the socket session to resume, the last
//           sequence number processed, the token, who is logged in and
//           the last prompt (the current task, shown at once on a reload
//           in a Wi-Fi dead spot).
//   outbox  scans and short reports not yet answered, in the order they
//           were made (an auto-increment key), each with its client id
//           and the user it belongs to. A record is written, durably,
//           before its message is first sent, and deleted only when its
//           answer arrives; the server answers an id it has seen from
//           record, so sending one again never applies it twice.
//
// When IndexedDB cannot be opened (a locked-down browser) the same calls
// work on memory, and `durable` says so, for the page to warn the picker.
'use strict';

const DB_NAME = 'pickwave-handheld';
const DB_VERSION = 1;
const STATE = 'state';
const OUTBOX = 'outbox';
const CURRENT = 'current';

function req2promise(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    tx.onerror = () => reject(tx.error);
  });
}

function openDB() {
  return new Promise((resolve, reject) => {
    if (!('indexedDB' in self)) {
      reject(new Error('no IndexedDB'));
      return;
    }
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains(STATE)) db.createObjectStore(STATE);
      if (!db.objectStoreNames.contains(OUTBOX)) {
        const os = db.createObjectStore(OUTBOX, { keyPath: 'n', autoIncrement: true });
        os.createIndex('id', 'id', { unique: true });
      }
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('IndexedDB blocked by another tab'));
  });
}

// Store is the page's durable state and outbox.
export class Store {
  constructor(db) {
    this.db = db;         // null: memory only
    this.durable = !!db;
    this.mem = { state: null, outbox: [], n: 0 };
  }

  // open opens the database, or falls back to memory.
  static async open() {
    try {
      return new Store(await openDB());
    } catch (err) {
      return new Store(null);
    }
  }

  // loadState returns the saved state, or null.
  async loadState() {
    if (!this.db) return this.mem.state;
    const tx = this.db.transaction(STATE, 'readonly');
    return (await req2promise(tx.objectStore(STATE).get(CURRENT))) || null;
  }

  // saveState replaces the saved state.
  async saveState(st) {
    const copy = JSON.parse(JSON.stringify(st));
    if (!this.db) {
      this.mem.state = copy;
      return;
    }
    const tx = this.db.transaction(STATE, 'readwrite');
    tx.objectStore(STATE).put(copy, CURRENT);
    await done(tx);
  }

  // add appends a message to the outbox, durably: it resolves once the
  // record is on disk, so a message is never sent before it is kept.
  async add(user, msg) {
    const rec = { id: msg.id, user, msg, at: Date.now() };
    if (!this.db) {
      rec.n = ++this.mem.n;
      this.mem.outbox.push(rec);
      return rec;
    }
    const tx = this.db.transaction(OUTBOX, 'readwrite', { durability: 'strict' });
    const n = tx.objectStore(OUTBOX).add(rec);
    await done(tx);
    rec.n = n.result;
    return rec;
  }

  // remove deletes the outbox record of a message id, if there is one.
  async remove(id) {
    if (!this.db) {
      this.mem.outbox = this.mem.outbox.filter((r) => r.id !== id);
      return;
    }
    const tx = this.db.transaction(OUTBOX, 'readwrite');
    const os = tx.objectStore(OUTBOX);
    const key = await req2promise(os.index('id').getKey(id));
    if (key !== undefined) os.delete(key);
    await done(tx);
  }

  // outbox returns every record, oldest first.
  async outbox() {
    if (!this.db) return this.mem.outbox.slice();
    const tx = this.db.transaction(OUTBOX, 'readonly');
    return req2promise(tx.objectStore(OUTBOX).getAll());
  }

  // clear empties the outbox of one user, or of everybody.
  async clear(user) {
    if (!this.db) {
      this.mem.outbox = user === undefined ? [] : this.mem.outbox.filter((r) => r.user !== user);
      return;
    }
    const tx = this.db.transaction(OUTBOX, 'readwrite');
    const os = tx.objectStore(OUTBOX);
    if (user === undefined) {
      os.clear();
    } else {
      for (const r of await req2promise(os.getAll())) {
        if (r.user === user) os.delete(r.n);
      }
    }
    await done(tx);
  }
}
