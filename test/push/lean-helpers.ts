// Shared pieces of the lean push result tests: a server, a client that records the push
// answers it gets, and the records as the server and the device hold them.
import type {
  CollectionDefinition,
  StorageAdapter,
  StoredRecord,
  SyncClient,
  Transport,
  WireRecord,
} from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import {
  createSyncServer,
  memoryServerStore,
  type ServerStore,
  type SyncServer,
} from 'tidesync/server';

/** A server on a memory store; every request is user `alice`. */
export function leanServer(
  collections: readonly CollectionDefinition[],
  options: { now?: () => number; store?: ServerStore } = {},
): SyncServer {
  const { store = memoryServerStore(), ...rest } = options;
  return createSyncServer({ collections, store, authorize: () => ({ userId: 'alice' }), ...rest });
}

/** What a push request and its answer looked like on the wire. */
export interface PushExchange {
  readonly request: Record<string, unknown>;
  readonly results: readonly Record<string, unknown>[];
}

/**
 * A transport to `server` that records every push exchange; `edit` may change a push request
 * before it is sent (drop `lean`: a client from before the flag) and `answer` the parsed answer
 * before the client sees it.
 */
export function recordingTransport(
  server: SyncServer,
  exchanges: PushExchange[],
  hooks: {
    edit?: (body: Record<string, unknown>) => Record<string, unknown>;
    answer?: (reply: Record<string, unknown>) => Record<string, unknown>;
  } = {},
): Transport {
  const direct = directTransport({ fetch: (request) => server.fetch(request) });
  return {
    async send(kind, body, options) {
      if (kind !== 'push') return direct.send(kind, body, options);
      const request = hooks.edit ? hooks.edit(body as Record<string, unknown>) : body;
      let reply = (await direct.send(kind, request, options)) as Record<string, unknown>;
      if (hooks.answer && Array.isArray(reply['results'])) reply = hooks.answer(reply);
      if (Array.isArray(reply['results'])) {
        exchanges.push({
          request: request as Record<string, unknown>,
          results: reply['results'] as Record<string, unknown>[],
        });
      }
      return reply;
    },
  };
}

/** A client with no triggers on `storage` (a fresh memory adapter by default). */
export function leanClient(
  collections: readonly CollectionDefinition[],
  transport: Transport,
  extra: { storage?: StorageAdapter; now?: () => number; coalesce?: boolean } = {},
): Promise<SyncClient> {
  const { storage = memoryAdapter(), ...rest } = extra;
  return createSyncClient({ collections, storage, transport, triggers: [], ...rest });
}

/** Every record of `collection` the server holds, tombstones too, as a fresh pull gets them. */
export async function serverRecords(server: SyncServer, collection: string): Promise<WireRecord[]> {
  const out: WireRecord[] = [];
  let cursor: string | null = null;
  for (;;) {
    const response = await server.fetch(
      new Request('http://server/pull', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ protocol: 1, clientId: 'observer', cursor, limit: 1000 }),
      }),
    );
    const page = (await response.json()) as {
      changes: WireRecord[];
      cursor: string;
      hasMore: boolean;
    };
    out.push(...page.changes.filter((r) => r.collection === collection));
    cursor = page.cursor;
    if (!page.hasMore) return out;
  }
}

/** Every record of `collection` the device stores. */
export function deviceRecords(
  storage: StorageAdapter,
  collection: string,
): Promise<StoredRecord[]> {
  return storage.transaction('readonly', (tx) => tx.listRecords(collection));
}

/** The part of a record that the device and the server must agree on, keyed by server id. */
export function comparable(
  records: readonly (WireRecord | StoredRecord)[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of records) {
    const id = 'serverId' in r ? r.serverId : r.id;
    out[String(id)] = {
      version: r.version,
      data: r.data,
      hlc: r.hlc,
      fieldClocks: r.fieldClocks,
      deleted: r.deleted,
      updatedAt: r.updatedAt,
    };
  }
  return out;
}
