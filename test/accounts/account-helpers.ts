// Shared by the account tests: a server that knows users by a header (401 without one), a
// device session (who is signed in, online or not, token valid or not) and transports over it.
import type { CollectionDefinition, StorageAdapter, SyncClient, Transport } from 'tidesync';
import { NetworkError, createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';

/** The signed-in state of one device. */
export interface Session {
  user: string;
  online: boolean;
  /** False once the token expired: requests get 401. */
  tokenValid: boolean;
}

/** A memory server; requests without an `x-user` header are unauthorized (401). */
export function accountServer(collections: readonly CollectionDefinition[]): SyncServer {
  return createSyncServer({
    collections,
    store: memoryServerStore(),
    authorize: (request) => {
      const userId = request.headers.get('x-user');
      return userId ? { userId } : null;
    },
  });
}

/**
 * A transport to `server` as `session.user`: offline it fails like a dropped network; with an
 * expired token it sends no user (401). `beforePush` is awaited before each push is sent.
 */
export function sessionTransport(
  server: SyncServer,
  session: Session,
  hooks: { beforePush?: () => Promise<void> } = {},
): Transport {
  const inner = directTransport({
    fetch: (request) => {
      if (session.tokenValid) request.headers.set('x-user', session.user);
      return server.fetch(request);
    },
  });
  return {
    async send(kind, body, options) {
      if (kind === 'push') await hooks.beforePush?.();
      if (!session.online) {
        throw new NetworkError('NETWORK_UNAVAILABLE', 'offline (test)', { retryable: true });
      }
      return inner.send(kind, body, options);
    },
  };
}

/** A client with no triggers. */
export function deviceClient(
  collections: readonly CollectionDefinition[],
  storage: StorageAdapter,
  transport: Transport,
): Promise<SyncClient> {
  return createSyncClient({ collections, storage, transport, triggers: [] });
}

/** What the server holds for `user` in `collection`: titles, sorted (read by a fresh client). */
export async function serverTitles(
  collections: readonly CollectionDefinition[],
  server: SyncServer,
  user: string,
  collection: string,
): Promise<string[]> {
  const observer = await deviceClient(
    collections,
    memoryAdapter(),
    sessionTransport(server, { user, online: true, tokenValid: true }),
  );
  await observer.sync();
  const rows = await observer.collection(collection).find();
  await observer.close();
  return rows.map((r) => String(r['title'])).sort();
}

/** Everything an adapter holds: records of `collections`, every op, and the client meta keys. */
export async function storageContents(storage: StorageAdapter, collections: readonly string[]) {
  await storage.open();
  try {
    return await storage.transaction('readonly', async (tx) => ({
      collections: await tx.listCollections(),
      records: (await Promise.all(collections.map((c) => tx.listRecords(c)))).flat(),
      ops: await tx.listOps(),
      clientId: await tx.getMeta('client.id'),
      cursor: await tx.getMeta('pull.cursor'),
    }));
  } finally {
    await storage.close();
  }
}
