// The three client stores the local upgrade runs on: memory (a store handed from one adapter to
// the next), SQLite on a file (better-sqlite3) and IndexedDB (fake-indexeddb).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { StorageAdapter, StorageTransaction } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';

/** One persisted store; `adapter()` opens it again, as a restarted app does. */
export interface PersistedStore {
  adapter(): StorageAdapter;
  dispose(): Promise<void>;
}

export const STORE_KINDS: readonly (readonly [string, () => PersistedStore])[] = [
  [
    'memory',
    () => {
      const store = createMemoryStore();
      return { adapter: () => memoryAdapter({ store }), dispose: async () => undefined };
    },
  ],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tidesync-schema-'));
      const opened: Database.Database[] = [];
      return {
        adapter: () => {
          const db = new Database(join(dir, 'app.db'));
          opened.push(db);
          return sqliteAdapter({ driver: betterSqlite3Driver(db) });
        },
        dispose: async () => {
          for (const db of opened) if (db.open) db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'indexeddb',
    () => {
      const factory = new IDBFactory();
      return {
        adapter: () => indexedDbAdapter({ name: 'app', indexedDB: factory, IDBKeyRange }),
        dispose: async () => undefined,
      };
    },
  ],
];

/** Thrown by {@link crashingAdapter}: the process died at that storage call. */
export class SimulatedCrash extends Error {}

/**
 * `adapter` whose `at`-th call on a transaction (counted over every readwrite transaction)
 * throws {@link SimulatedCrash}: the transaction never commits, as when the app dies there.
 */
export function crashingAdapter(
  adapter: StorageAdapter,
  at: number,
): StorageAdapter & { calls(): number } {
  let calls = 0;
  const wrap = (tx: StorageTransaction): StorageTransaction =>
    new Proxy(tx, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls += 1;
          if (calls === at) throw new SimulatedCrash(`crash at storage call ${at}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return {
    kind: adapter.kind,
    open: () => adapter.open(),
    close: () => adapter.close(),
    transaction: (mode, fn) =>
      adapter.transaction(mode, (tx) => (mode === 'readwrite' ? fn(wrap(tx)) : fn(tx))),
    calls: () => calls,
  };
}
