// W1e: the cost of encryption at rest. The same client work (inserts one at a time, one
// insertMany, a query over every record) on each adapter without and with encryption, in the
// same run, paired: SQLite through better-sqlite3 vs better-sqlite3-multiple-ciphers (keyed
// file, same pragmas), IndexedDB (fake-indexeddb) without and with an AES-GCM encryptionKey.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import CipherDatabase from 'better-sqlite3-multiple-ciphers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { StorageAdapter } from 'tidesync';
import { createSyncClient } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import type { Figure } from './report.js';
import { median, sample, timeMs, todoFields, todosCollection } from './workload.js';

type Variant = 'sqlite' | 'sqlite encrypted' | 'indexeddb' | 'indexeddb encrypted';
const VARIANTS: readonly Variant[] = [
  'sqlite',
  'sqlite encrypted',
  'indexeddb',
  'indexeddb encrypted',
];

let counter = 0;

function adapter(variant: Variant, dir: string, key: CryptoKey): StorageAdapter {
  counter += 1;
  switch (variant) {
    case 'sqlite':
      return sqliteAdapter({
        driver: betterSqlite3Driver(new Database(join(dir, `p${counter}.db`))),
      });
    case 'sqlite encrypted': {
      const db = new CipherDatabase(join(dir, `e${counter}.db`));
      db.pragma(`key = 'bench key'`);
      return sqliteAdapter({ driver: betterSqlite3Driver(db) });
    }
    case 'indexeddb':
      return indexedDbAdapter({ name: `p${counter}`, indexedDB: new IDBFactory(), IDBKeyRange });
    case 'indexeddb encrypted':
      return indexedDbAdapter({
        name: `e${counter}`,
        indexedDB: new IDBFactory(),
        IDBKeyRange,
        encryptionKey: key,
      });
  }
}

async function measure(variant: Variant, n: number, dir: string, key: CryptoKey) {
  const client = await createSyncClient({
    collections: [todosCollection()],
    storage: adapter(variant, dir, key),
    triggers: [],
  });
  const todos = client.collection('todos');
  const insertMs = await timeMs(async () => {
    for (let i = 0; i < n; i += 1) await todos.insert(todoFields(i));
  });
  const rows = Array.from({ length: n }, (_, i) => todoFields(i));
  const insertManyMs = await timeMs(() => todos.insertMany(rows));
  let found = 0;
  const findMs = await timeMs(async () => {
    found = (
      await todos.find({ where: { done: false }, orderBy: [['priority', 'desc']], limit: 50 })
    ).length;
  });
  if (found === 0) throw new Error(`${variant}: the query found nothing`);
  await client.close();
  return { insertMs, insertManyMs, findMs };
}

/** W1e figures: each encrypted row's note gives its ratio to the unencrypted row of the run. */
export async function runEncryptedStorage(n: number, runs: number): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-bench-w1e-'));
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const samples = new Map<string, number[]>();
  const push = (name: string, ms: number) => samples.set(name, [...(samples.get(name) ?? []), ms]);
  try {
    await sample(runs, async () => {
      for (const variant of VARIANTS) {
        const r = await measure(variant, n, dir, key);
        push(`tidesync ${variant}: insert one at a time`, r.insertMs);
        push(`tidesync ${variant}: insertMany`, r.insertManyMs);
        push(`tidesync ${variant}: find (where, orderBy, limit 50) over 2n records`, r.findMs);
      }
      return 0;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [...samples].map(([name, list]) => {
    const plain = samples.get(name.replace(' encrypted:', ':'));
    const ratio = name.includes(' encrypted:') && plain ? median(list) / median(plain) : undefined;
    return {
      workload: 'W1e',
      name,
      n,
      ms: median(list),
      samples: list,
      note: ratio === undefined ? '' : `×${ratio.toFixed(2)} vs unencrypted`,
    };
  });
}
