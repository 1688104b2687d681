// A hostile in-process server for the hardening tests: a real memory server behind a
// Transport whose answers a test rewrites per request kind (push, pull, get) before the client
// sees them. Plus the storage adapters every client-side case runs on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type {
  CollectionDefinition,
  StorageAdapter,
  StoredRecord,
  SyncClient,
  SyncClientEvents,
  Transport,
} from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';

/** SQLite files of the test file that imports this module, removed after its tests. */
const sqliteDir = mkdtempSync(join(tmpdir(), 'tidesync-hardening-'));
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));
let sqliteFiles = 0;

/** Every client storage adapter the hardening cases run on. */
export const ADAPTERS: readonly { name: string; create: () => StorageAdapter }[] = [
  { name: 'memory', create: () => memoryAdapter() },
  {
    name: 'sqlite file (better-sqlite3)',
    create: () => {
      sqliteFiles += 1;
      const db = new Database(join(sqliteDir, `client-${sqliteFiles}.db`));
      return sqliteAdapter({ driver: betterSqlite3Driver(db) });
    },
  },
  {
    name: 'indexeddb (fake-indexeddb)',
    create: () => indexedDbAdapter({ name: 'hardening', indexedDB: new IDBFactory(), IDBKeyRange }),
  },
];

/** Loose JSON as a tamper function sees it. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Rewrites one answer (a deep copy) of a request kind; `request` is what the client sent. */
export type Tamper = (answer: Json, request: Json) => unknown;

/** The tamper functions in force, per request kind; a test sets and clears them. */
export type Tampering = Partial<Record<'push' | 'pull' | 'get', Tamper | undefined>>;

/** A memory server for user `alice`; `assignId: 'server'` so local ids differ from server ids. */
export function makeServer(collections: readonly CollectionDefinition[]): SyncServer {
  return createSyncServer({
    collections: [...collections],
    store: memoryServerStore(),
    assignId: 'server',
    authorize: () => ({ userId: 'alice' }),
  });
}

/** A transport to `server` whose answers go through `tampering` first. */
export function hostileTransport(server: SyncServer, tampering: Tampering): Transport {
  const direct = directTransport(server);
  return {
    async send(kind, body, options) {
      // A hostile server answers with whole records: it ignores the push's `lean` flag.
      const sent =
        kind === 'push' ? { ...(body as Json), lean: undefined } : (body as Json | undefined);
      const answer = await direct.send(kind, sent, options);
      const tamper = tampering[kind as keyof Tampering];
      if (!tamper) return answer;
      return tamper(structuredClone(answer) as Json, body as Json);
    },
  };
}

/** A client with no triggers (sync only on `sync()`). */
export function makeClient(
  collections: readonly CollectionDefinition[],
  storage: StorageAdapter,
  transport: Transport,
): Promise<SyncClient> {
  return createSyncClient({ collections: [...collections], storage, transport, triggers: [] });
}

/** Collects every payload of one client event. */
export function collect<E extends keyof SyncClientEvents>(
  client: SyncClient,
  event: E,
): Parameters<SyncClientEvents[E]>[0][] {
  const out: Parameters<SyncClientEvents[E]>[0][] = [];
  client.on(event, ((payload: Parameters<SyncClientEvents[E]>[0]) => {
    out.push(payload);
  }) as SyncClientEvents[E]);
  return out;
}

/** Every raw stored record of a collection, sorted by local id. */
export async function rawRecords(
  storage: StorageAdapter,
  collection: string,
): Promise<StoredRecord[]> {
  const rows = await storage.transaction('readonly', (tx) => tx.listRecords(collection));
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The stored pull cursor. */
export function storedCursor(storage: StorageAdapter): Promise<unknown> {
  return storage.transaction('readonly', (tx) => tx.getMeta('pull.cursor'));
}
