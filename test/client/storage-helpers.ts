import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { z } from 'zod';
import type {
  CollectionDefinition,
  RecordData,
  StorageAdapter,
  StoredRecord,
  SyncClient,
  Transport,
} from 'tidesync';
import { createSyncClient, defineCollection, directTransport, manual } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';
import { createFakeClock, type FakeClock } from 'tidesync/testing';

/** Every storage adapter the storage-management tests run on. */
export const ADAPTERS: readonly { name: string; create: () => StorageAdapter }[] = [
  { name: 'memory', create: () => memoryAdapter() },
  {
    name: 'sqlite (better-sqlite3 :memory:)',
    create: () => sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) }),
  },
  {
    name: 'indexeddb (fake-indexeddb)',
    create: () =>
      indexedDbAdapter({ name: 'storage-tests', indexedDB: new IDBFactory(), IDBKeyRange }),
  },
];

/** A retention policy the test changes between runs (the definition keeps the object). */
export interface MutablePolicy {
  maxAgeMs?: number;
  maxRecords?: number;
  keep?: (record: RecordData & { id: string; serverId: string | null }) => boolean;
}

const noteFields = { title: z.string().min(1), tag: z.string() };

/** Client-side `notes`: any title, `manual()` conflicts, retention by `policy`. */
export function clientNotes(policy: MutablePolicy): CollectionDefinition {
  return defineCollection({
    name: 'notes',
    schema: z.object({ ...noteFields, title: z.string().min(1).max(200) }),
    conflict: manual(),
    retention: policy,
  });
}

/** Client-side `labels`, no retention, to check that other collections are left alone. */
export const labels = defineCollection({
  name: 'labels',
  schema: z.object({ name: z.string() }),
});

/** Server-side `notes`: titles over 20 characters are rejected (a poison op, dead-lettered). */
const serverNotes = defineCollection({
  name: 'notes',
  schema: z.object({ ...noteFields, title: z.string().min(1).max(20) }),
  conflict: manual(),
});

/** A title the client accepts and the server rejects. */
export const POISON_TITLE = 'x'.repeat(30);

/** A server that mints ids (so local ids differ from server ids) on a memory store. */
export function makeServer(clock: FakeClock): SyncServer {
  return createSyncServer({
    collections: [serverNotes, labels],
    store: memoryServerStore(),
    assignId: 'server',
    now: clock.now,
    authorize: () => ({ userId: 'alice' }),
  });
}

/** Wraps a transport so a test can act while a request of some kind is on the wire. */
export function interceptingTransport(
  inner: Transport,
  onSend: (kind: string) => Promise<void>,
): Transport {
  return {
    async send(kind, body, options) {
      await onSend(kind);
      return inner.send(kind, body, options);
    },
  };
}

/** One client of the tests: its storage adapter is kept, to look at raw records. */
export interface TestClient {
  readonly client: SyncClient;
  readonly storage: StorageAdapter;
  readonly policy: MutablePolicy;
}

/** A client of `server` with `notes` (retention by a mutable policy) and `labels`. */
export async function makeClient(
  server: SyncServer,
  clock: FakeClock,
  options: {
    storage?: StorageAdapter;
    policy?: MutablePolicy;
    onSend?: (kind: string) => Promise<void>;
  } = {},
): Promise<TestClient> {
  const storage = options.storage ?? memoryAdapter();
  const policy = options.policy ?? {};
  const direct = directTransport(server);
  const client = await createSyncClient({
    collections: [clientNotes(policy), labels],
    storage,
    transport: options.onSend ? interceptingTransport(direct, options.onSend) : direct,
    now: clock.now,
    timers: clock,
  });
  return { client, storage, policy };
}

/** A fresh fake clock. */
export function makeClock(): FakeClock {
  return createFakeClock({ start: Date.UTC(2025, 0, 1) });
}

/** The raw stored record with this local id, or `undefined`. */
export function rawRecord(
  storage: StorageAdapter,
  collection: string,
  id: string,
): Promise<StoredRecord | undefined> {
  return storage.transaction('readonly', (tx) => tx.getRecord(collection, id));
}

/** Every raw stored record of a collection. */
export function rawRecords(storage: StorageAdapter, collection: string): Promise<StoredRecord[]> {
  return storage.transaction('readonly', (tx) => tx.listRecords(collection));
}
