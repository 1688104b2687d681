import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { StorageAdapter } from 'tidesync';
import { createSyncClient, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import type { Figure } from './report.js';
import { median, sample, timeMs, todoDoc, todoFields, todosCollection } from './workload.js';

/** Adapters W1 runs on. */
export type LocalAdapterKind = 'memory' | 'sqlite' | 'indexeddb';

let counter = 0;

/** A fresh storage adapter of `kind`; SQLite is a file (WAL, synchronous=NORMAL). */
export function freshAdapter(kind: LocalAdapterKind, dir: string): StorageAdapter {
  counter += 1;
  if (kind === 'memory') return memoryAdapter();
  if (kind === 'indexeddb') {
    return indexedDbAdapter({ name: `bench-${counter}`, indexedDB: new IDBFactory(), IDBKeyRange });
  }
  return sqliteAdapter({ driver: betterSqlite3Driver(new Database(join(dir, `c${counter}.db`))) });
}

async function offlineClient(kind: LocalAdapterKind, dir: string) {
  // Sync is configured (an HTTP transport) but nothing listens there and no trigger runs it.
  return createSyncClient({
    collections: [todosCollection()],
    storage: freshAdapter(kind, dir),
    transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
    triggers: [],
  });
}

/** Times `n` inserts, `n` updates and an `insertMany` of `n` on a fresh client of `kind`. */
export async function tidesyncWrites(kind: LocalAdapterKind, n: number, dir: string) {
  const client = await offlineClient(kind, dir);
  const todos = client.collection('todos');
  const ids: string[] = [];
  const insertMs = await timeMs(async () => {
    for (let i = 0; i < n; i += 1) ids.push((await todos.insert(todoFields(i))).id);
  });
  const updateMs = await timeMs(async () => {
    for (let i = 0; i < n; i += 1) await todos.update(ids[i]!, { done: true, priority: 4 });
  });
  if (client.status.pendingOps !== n) throw new Error(`expected ${n} pending ops`);
  await client.close();
  const bulk = await offlineClient(kind, dir);
  const rows = Array.from({ length: n }, (_, i) => todoFields(i));
  const insertManyMs = await timeMs(() => bulk.collection('todos').insertMany(rows));
  await bulk.close();
  return { insertMs, updateMs, insertManyMs };
}

/** The raw better-sqlite3 baselines of W1 (same file pragmas), on a fresh file in `dir`. */
export function rawSqlite(n: number, dir: string) {
  counter += 1;
  const db = new Database(join(dir, `raw${counter}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO rows (id, body) VALUES (?, ?)');
  const update = db.prepare('UPDATE rows SET body = ? WHERE id = ?');
  const docs = Array.from({ length: n }, (_, i) => todoDoc(i));
  let t = performance.now();
  for (const d of docs) insert.run(d.id, JSON.stringify(d));
  const insertMs = performance.now() - t;
  t = performance.now();
  for (const d of docs) update.run(JSON.stringify({ ...d, done: true, priority: 4 }), d.id);
  const updateMs = performance.now() - t;
  db.exec('DELETE FROM rows');
  t = performance.now();
  db.transaction(() => {
    for (const d of docs) insert.run(d.id, JSON.stringify(d));
  })();
  const txMs = performance.now() - t;
  db.close();
  return { insertMs, updateMs, txMs };
}

function rawMap(n: number) {
  const map = new Map<string, object>();
  const docs = Array.from({ length: n }, (_, i) => todoDoc(i));
  let t = performance.now();
  for (const d of docs) map.set(d.id, { ...d });
  const insertMs = performance.now() - t;
  t = performance.now();
  for (const d of docs) map.set(d.id, { ...d, done: true, priority: 4 });
  return { insertMs, updateMs: performance.now() - t };
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

async function rawIndexedDb(n: number) {
  const factory = new IDBFactory();
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open('raw', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('rows', { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const docs = Array.from({ length: n }, (_, i) => todoDoc(i));
  const insertMs = await timeMs(async () => {
    for (const d of docs) {
      const tx = db.transaction('rows', 'readwrite');
      tx.objectStore('rows').put(d);
      await done(tx);
    }
  });
  const updateMs = await timeMs(async () => {
    for (const d of docs) {
      const tx = db.transaction('rows', 'readwrite');
      tx.objectStore('rows').put({ ...d, done: true, priority: 4 });
      await done(tx);
    }
  });
  const txMs = await timeMs(async () => {
    const tx = db.transaction('rows', 'readwrite');
    for (const d of docs) tx.objectStore('rows').put({ ...d, id: `b${d.id}` });
    await done(tx);
  });
  db.close();
  return { insertMs, updateMs, txMs };
}

/**
 * W1: `n` inserts one at a time, then `n` updates, on each adapter with sync configured but
 * offline, and `insertMany` of `n` rows; raw baselines in the same run. Each run measures a
 * raw baseline right before the adapter it is compared with, so the two see the same machine
 * load; `samples[i]` of paired figures come from the same run. Medians of `runs`.
 */
export async function runLocalWrites(n: number, runs: number): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-bench-w1-'));
  const samples = new Map<string, number[]>();
  const push = (name: string, ms: number) => {
    const list = samples.get(name) ?? [];
    list.push(ms);
    samples.set(name, list);
  };
  const ours = async (kind: LocalAdapterKind) => {
    const r = await tidesyncWrites(kind, n, dir);
    push(`tidesync ${kind}: insert one at a time`, r.insertMs);
    push(`tidesync ${kind}: update one at a time`, r.updateMs);
    push(`tidesync ${kind}: insertMany`, r.insertManyMs);
  };
  try {
    await sample(runs, async () => {
      const a = rawSqlite(n, dir);
      push('raw better-sqlite3: autocommit insert per row', a.insertMs);
      push('raw better-sqlite3: autocommit update per row', a.updateMs);
      push('raw better-sqlite3: all rows in one transaction', a.txMs);
      await ours('sqlite');
      const c = await rawIndexedDb(n);
      push('raw fake-indexeddb: put per transaction', c.insertMs);
      push('raw fake-indexeddb: update put per transaction', c.updateMs);
      push('raw fake-indexeddb: all puts in one transaction', c.txMs);
      await ours('indexeddb');
      const b = rawMap(n);
      push('raw Map: set per row', b.insertMs);
      push('raw Map: replace per row', b.updateMs);
      await ours('memory');
      return 0;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [...samples].map(([name, list]) => ({
    workload: 'W1',
    name,
    n,
    ms: median(list),
    samples: list,
    note: name.startsWith('raw better-sqlite3') ? 'same file pragmas' : '',
  }));
}
