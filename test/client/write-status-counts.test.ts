import { describe, expect, it } from 'vitest';
import {
  createSyncClient,
  directTransport,
  NetworkError,
  type ListOpsOptions,
  type StorageAdapter,
  type Transport,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { collections } from './helpers.js';
import { makeServer } from './sync-helpers.js';

/** A memory adapter that counts `listOps` calls that read every queued op (no limit, no record). */
function countingAdapter(): { storage: StorageAdapter; fullReads: () => number } {
  const inner = memoryAdapter();
  let fullReads = 0;
  const storage: StorageAdapter = {
    kind: inner.kind,
    open: () => inner.open(),
    close: () => inner.close(),
    transaction: (mode, fn) =>
      inner.transaction(mode, (tx) =>
        fn(
          new Proxy(tx, {
            get(target, key) {
              if (key !== 'listOps') {
                const value = Reflect.get(target, key) as unknown;
                // Bound: the transaction's methods use its private fields.
                return typeof value === 'function' ? value.bind(target) : value;
              }
              return (options?: ListOpsOptions) => {
                const queued = !options?.states || options.states.includes('queued');
                if (queued && options?.limit === undefined && options?.recordId === undefined) {
                  fullReads += 1;
                }
                return target.listOps(options);
              };
            },
          }),
        ),
      ),
  };
  return { storage, fullReads: () => fullReads };
}

/** A transport to `server` that can be cut; `failAfter` lets that many pushes through first. */
function switchableTransport(server: { fetch(request: Request): Promise<Response> }) {
  const state = { online: true, pushesLeft: Infinity };
  const direct = directTransport({
    fetch: (request) => {
      request.headers.set('x-user', 'alice');
      return server.fetch(request);
    },
  });
  const transport: Transport = {
    async send(kind, body, options) {
      if (!state.online || (kind === 'push' && state.pushesLeft <= 0)) {
        throw new NetworkError('NETWORK_UNAVAILABLE', 'cable pulled', { retryable: true });
      }
      if (kind === 'push') state.pushesLeft -= 1;
      return direct.send(kind, body, options);
    },
  };
  return { transport, state };
}

const row = (i: number) => ({ title: `t${i}`, done: false, projectId: null });

describe('status counts without reading the outbox on every sync run', () => {
  it('an offline retry reads the outbox at most once (the push’s own count) and keeps pendingOps exact', async () => {
    const { storage, fullReads } = countingAdapter();
    const { transport, state } = switchableTransport(makeServer(collections));
    // batchSize 2: the push fills its first batch without reading the whole outbox.
    const client = await createSyncClient({
      collections,
      storage,
      transport,
      triggers: [],
      batchSize: 2,
    });
    await client.collection('todos').insertMany([row(1), row(2), row(3)]);
    state.online = false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const before = fullReads();
      await expect(client.sync()).rejects.toBeInstanceOf(NetworkError);
      expect(fullReads() - before).toBeLessThanOrEqual(1);
      expect(client.status.pendingOps).toBe(3);
    }
    // A write between retries is counted at once, without a read.
    await client.collection('todos').insert(row(4));
    expect(client.status.pendingOps).toBe(4);
    state.online = true;
    await client.sync();
    expect(client.status.pendingOps).toBe(0);
    expect(await client.pendingOps()).toEqual([]);
    await client.close();
  });

  it('re-reads the counts after a push that applied a batch and then failed', async () => {
    const { storage } = countingAdapter();
    const { transport, state } = switchableTransport(makeServer(collections));
    const client = await createSyncClient({
      collections,
      storage,
      transport,
      triggers: [],
      batchSize: 2,
    });
    await client.collection('todos').insertMany([row(1), row(2), row(3), row(4), row(5)]);
    state.pushesLeft = 1;
    await expect(client.sync()).rejects.toBeInstanceOf(NetworkError);
    // The first batch of two was acknowledged and left the outbox.
    expect((await client.pendingOps()).length).toBe(3);
    expect(client.status.pendingOps).toBe(3);
    await client.close();
  });

  it('a successful run with nothing to push and nothing pulled reads no counts', async () => {
    const { storage, fullReads } = countingAdapter();
    const { transport } = switchableTransport(makeServer(collections));
    const client = await createSyncClient({ collections, storage, transport, triggers: [] });
    await client.sync();
    const before = fullReads();
    await client.sync();
    // At most the push's own look at the outbox (push.ts), none from the status refresh.
    expect(fullReads() - before).toBeLessThanOrEqual(1);
    expect(client.status.pendingOps).toBe(0);
    await client.close();
  });
});
