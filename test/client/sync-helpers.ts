import type { CollectionDefinition, StorageAdapter, SyncClient, Transport } from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';

/** A server on a memory store whose users are named by the `x-user` header. */
export function makeServer(
  collections: readonly CollectionDefinition[],
  assignId: 'client' | 'server' = 'client',
): SyncServer {
  return createSyncServer({
    collections,
    store: memoryServerStore(),
    assignId,
    authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'alice' }),
  });
}

/** A client on a memory adapter talking to `server` in-process. */
export async function makeClient(
  collections: readonly CollectionDefinition[],
  server: { fetch(request: Request): Promise<Response> },
  options: { batchSize?: number; user?: string; now?: () => number } = {},
): Promise<SyncClient> {
  const user = options.user ?? 'alice';
  return createSyncClient({
    collections,
    storage: memoryAdapter(),
    transport: directTransport({
      fetch: (request) => {
        request.headers.set('x-user', user);
        return server.fetch(request);
      },
    }),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

/** Every live record of a collection, without local-only metadata, sorted by server id. */
export async function snapshot(
  client: SyncClient,
  collection: string,
): Promise<Record<string, unknown>[]> {
  const rows = await client.collection(collection).find();
  return rows
    .map(({ id: _id, updatedAt: _u, ...rest }) => rest)
    .sort((a, b) => String(a.serverId).localeCompare(String(b.serverId)));
}

/** A client whose transport runs `hook.beforePull` (once, then clears it) before a pull request. */
export async function clientWithHook(
  server: { fetch(request: Request): Promise<Response> },
  storage: StorageAdapter,
  collections: readonly CollectionDefinition[],
  hook: { beforePull?: (client: SyncClient) => Promise<void> },
): Promise<SyncClient> {
  const direct = directTransport({ fetch: (request) => server.fetch(request) });
  const self: { client?: SyncClient } = {};
  const transport: Transport = {
    async send(kind, body, options) {
      const run = hook.beforePull;
      if (kind === 'pull' && run && self.client) {
        delete hook.beforePull;
        await run(self.client);
      }
      return direct.send(kind, body, options);
    },
  };
  self.client = await createSyncClient({ collections, storage, transport, triggers: [] });
  return self.client;
}

export { watchStorage, type StorageWatch } from './watch-storage.js';
