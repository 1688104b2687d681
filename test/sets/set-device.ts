// A device of the sync-set tests: a client of `orders` on a server, as user alice.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createSyncClient, directTransport } from 'tidesync';
import type { StorageAdapter, SyncClient, Transport } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import type { SyncServer } from 'tidesync/server';
import { orders } from './set-helpers.js';

/** Client storage kinds; `create` gives a factory that reopens the same data (a restart). */
export const DEVICE_STORAGES: readonly { name: string; create: () => () => StorageAdapter }[] = [
  {
    name: 'memory',
    create: () => {
      const store = createMemoryStore();
      return () => memoryAdapter({ store });
    },
  },
  {
    name: 'sqlite',
    create: () => {
      const file = join(mkdtempSync(join(tmpdir(), 'tidesync-sets-')), 'device.db');
      return () => sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    },
  },
  {
    name: 'indexeddb',
    create: () => {
      const factory = new IDBFactory();
      const name = `sets-${Math.random().toString(36).slice(2)}`;
      return () => indexedDbAdapter({ name, indexedDB: factory, IDBKeyRange });
    },
  },
];

/** What a test can do to a device's requests while they are on the wire. */
export type OnSend = (kind: string, body: Record<string, unknown>) => Promise<void> | void;

/** A client of `orders` on `server` as `user` (header), with no triggers. */
export async function openDevice(
  server: SyncServer,
  storage: StorageAdapter,
  options: { user?: string; onSend?: OnSend; pullPageSize?: number } = {},
): Promise<SyncClient> {
  const user = options.user ?? 'alice';
  const direct = directTransport({
    fetch: (request) => {
      const headers = new Headers(request.headers);
      headers.set('x-user', user);
      return server.fetch(new Request(request, { headers }));
    },
  });
  const transport: Transport = {
    async send(kind, body, sendOptions) {
      await options.onSend?.(kind, body as Record<string, unknown>);
      return direct.send(kind, body, sendOptions);
    },
  };
  return createSyncClient({
    collections: [orders],
    storage,
    transport,
    triggers: [],
    ...(options.pullPageSize ? { pullPageSize: options.pullPageSize } : {}),
  });
}

/** The titles of the orders a device holds, sorted (server ids are the titles in these tests). */
export async function heldIds(client: SyncClient): Promise<string[]> {
  const rows = await client.collection(orders).find();
  return rows.map((r) => r.serverId ?? r.id).sort();
}
