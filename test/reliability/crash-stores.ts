// The stores the injected crash-point suites (S1, S3, S4: an exception thrown at a storage call,
// rolled back, not a process kill) run over: the memory adapter, SQLite on a file
// (better-sqlite3) and IndexedDB (fake-indexeddb). A "restart" is a new adapter over the same
// underlying store; reads for assertions go through a fresh adapter of the same kind, as a
// restarted app would see them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { OutboxOp, StorageAdapter, StorageTransaction, SyncClient } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { crashingAdapter } from './fault-helpers.js';

/** One underlying store (a memory store, an SQLite file, an IndexedDB database). */
export interface CrashStore {
  /** A new adapter over the store: what a restarted process opens. */
  adapter(): StorageAdapter;
  /** Runs `fn` in a read-only transaction of a fresh adapter over the store, then closes it. */
  read<T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T>;
  /** Every outbox op in the store, in seq order. */
  rawOps(): Promise<OutboxOp[]>;
  /** Closes whatever the store still holds open and deletes its files. */
  dispose(): Promise<void>;
}

/** A kind of store the crash suites run over. */
export interface CrashStoreKind {
  readonly kind: 'memory' | 'sqlite' | 'indexeddb';
  /** For test names: the store and which storage calls crash. */
  readonly label: string;
  /**
   * Crash at every `step`-th storage call (1 = every call). The first call, the last one and
   * the point past the end are always included.
   */
  readonly step: number;
  /** A new, empty store. */
  create(): CrashStore;
}

function withReads(adapter: () => StorageAdapter, dispose: () => Promise<void>): CrashStore {
  const read = async <T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T> => {
    const fresh = adapter();
    try {
      return await fresh.transaction('readonly', fn);
    } finally {
      await fresh.close();
    }
  };
  return { adapter, read, rawOps: () => read((tx) => tx.listOps()), dispose };
}

function memoryStore(): CrashStore {
  const store = createMemoryStore();
  return withReads(
    () => memoryAdapter({ store }),
    async () => undefined,
  );
}

function sqliteStore(): CrashStore {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-crash-'));
  const file = join(dir, 'app.db');
  const opened: Database.Database[] = [];
  return withReads(
    () => {
      const db = new Database(file);
      opened.push(db);
      return sqliteAdapter({ driver: betterSqlite3Driver(db) });
    },
    async () => {
      // A crashed client may not have closed its connection: close it quietly here.
      for (const db of opened.splice(0)) {
        try {
          if (db.open) db.close();
        } catch {
          // Already closed.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

let idbDatabases = 0;

function indexedDbStore(): CrashStore {
  const factory = new IDBFactory();
  const name = `crash-${++idbDatabases}`;
  return withReads(
    () => indexedDbAdapter({ name, indexedDB: factory, IDBKeyRange }),
    async () => undefined,
  );
}

/** The stores every crash-point suite runs over. */
export const CRASH_STORES: readonly CrashStoreKind[] = [
  { kind: 'memory', label: 'every storage call (memory)', step: 1, create: memoryStore },
  { kind: 'sqlite', label: 'every storage call (SQLite file)', step: 1, create: sqliteStore },
  {
    kind: 'indexeddb',
    label: 'every storage call (IndexedDB)',
    step: 1,
    create: indexedDbStore,
  },
];

/** {@link CRASH_STORES} as `[label, kind]` rows for `describe.each` (`%s` is the label). */
export const CRASH_STORE_ROWS: readonly (readonly [string, CrashStoreKind])[] = CRASH_STORES.map(
  (kind) => [kind.label, kind] as const,
);

/**
 * The crash points for a run of `total` storage calls: every `step`-th call from 1, the last
 * call, and `total + 1` (past the end: nothing crashes).
 */
export function crashPoints(total: number, step: number): number[] {
  const points = new Set<number>();
  for (let i = 1; i <= total; i += step) points.add(i);
  points.add(total);
  points.add(total + 1);
  return [...points].sort((a, b) => a - b);
}

/**
 * Storage calls `run` makes on a client over a fresh store of `kind` (counted from after the
 * client opened), so a suite's crash points cover all of it. `open` opens the client.
 */
export async function cleanRunCalls(
  kind: CrashStoreKind,
  open: (storage: StorageAdapter) => Promise<SyncClient>,
  run: (client: SyncClient) => Promise<unknown>,
): Promise<number> {
  const store = kind.create();
  const counting = crashingAdapter(store.adapter(), () => false, { armed: false });
  const client = await open(counting);
  counting.arm();
  await run(client);
  await client.close();
  await store.dispose();
  return counting.calls;
}
