// The adapters the outbox is tested on: every storage adapter tidesync ships.
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { StorageAdapter, StorageTransaction } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { Outbox } from '../../src/outbox/index.js';

export const ADAPTERS: readonly (readonly [string, () => StorageAdapter])[] = [
  ['memory', () => memoryAdapter()],
  ['sqlite', () => sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) })],
  [
    'indexeddb',
    () => indexedDbAdapter({ name: 'outbox', indexedDB: new IDBFactory(), IDBKeyRange }),
  ],
];

/** An opened adapter and a helper running `fn` on an Outbox in one read-write transaction. */
export async function openOutbox(create: () => StorageAdapter) {
  const adapter = create();
  await adapter.open();
  const write = <T>(fn: (outbox: Outbox, tx: StorageTransaction) => Promise<T>): Promise<T> =>
    adapter.transaction('readwrite', (tx) => fn(new Outbox(tx), tx));
  return { adapter, write };
}
