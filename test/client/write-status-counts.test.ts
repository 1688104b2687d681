import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createSyncClient,
  defineCollection,
  directTransport,
  manual,
  NetworkError,
  type ListOpsOptions,
  type StorageAdapter,
  type Transport,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { collections } from './helpers.js';
import { makeClient, makeServer, watchStorage } from './sync-helpers.js';

/** A memory adapter that counts `listOps` calls that read every queued op (no limit, no record). */
function countingAdapter(): { storage: StorageAdapter; fullReads: () => number } {
  let fullReads = 0;
  const storage = watchStorage(memoryAdapter(), {
    call: (method, args) => {
      const options = args[0] as ListOpsOptions | undefined;
      if (method !== 'listOps') return;
      const queued = !options?.states || options.states.includes('queued');
      if (queued && options?.limit === undefined && options?.recordId === undefined) fullReads += 1;
    },
  });
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

/** A client that pushes 2 ops per request and syncs only when told to. */
const smallBatchClient = (storage: StorageAdapter, transport: Transport) =>
  createSyncClient({ collections, storage, transport, triggers: [], batchSize: 2 });

describe('status counts without reading the outbox on every sync run', () => {
  it('an offline retry reads no whole outbox and keeps pendingOps exact', async () => {
    const { storage, fullReads } = countingAdapter();
    const { transport, state } = switchableTransport(makeServer(collections));
    // batchSize 2: the push fills its first batch without reading the whole outbox.
    const client = await smallBatchClient(storage, transport);
    await client.collection('todos').insertMany([row(1), row(2), row(3)]);
    state.online = false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const before = fullReads();
      await expect(client.sync()).rejects.toBeInstanceOf(NetworkError);
      expect(fullReads() - before).toBe(0);
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
    const client = await smallBatchClient(storage, transport);
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

  it('dead letters: retry and discard keep pendingOps equal to the queued and in-flight ops', async () => {
    // The server allows short titles only: the client's long one is rejected and dead-lettered.
    const strict = defineCollection({
      name: 'todos',
      schema: z.object({
        title: z.string().max(3),
        done: z.boolean(),
        projectId: z.string().nullable(),
      }),
    });
    const client = await makeClient(collections, makeServer([collections[0]!, strict]));
    const exact = async () =>
      expect(client.status.pendingOps).toBe((await client.pendingOps()).length);
    await client
      .collection('todos')
      .insert({ title: 'far too long', done: false, projectId: null });
    await client.collection('todos').insert({ title: 'ok', done: false, projectId: null });
    expect(client.status.pendingOps).toBe(2);
    await client.sync();
    const [dead] = await client.deadLetters();
    expect(dead).toBeDefined();
    await exact();
    expect(client.status.pendingOps).toBe(0);
    await client.retryDeadLetter(dead!.opId);
    await exact();
    expect(client.status.pendingOps).toBe(1);
    await client.sync();
    await exact();
    const [again] = await client.deadLetters();
    await client.discardDeadLetter(again!.opId);
    await exact();
    expect(await client.deadLetters()).toEqual([]);
    await client.close();
  });

  it('resolving a conflict counts the resolution’s op and clears the conflict', async () => {
    const notes = defineCollection({
      name: 'notes',
      schema: z.object({ title: z.string() }),
      conflict: manual(),
    });
    const server = makeServer([notes]);
    const a = await makeClient([notes], server);
    const b = await makeClient([notes], server);
    const note = await a.collection('notes').insert({ title: 'first' });
    await a.sync();
    await b.sync();
    await a.collection('notes').update(note.id, { title: 'from a' });
    await a.sync();
    const serverId = (await a.collection('notes').get(note.id))!.serverId!;
    await b.collection('notes').update(serverId, { title: 'from b' });
    await b.sync();
    expect(b.status.conflicts).toBe(1);
    expect(b.status.pendingOps).toBe((await b.pendingOps()).length);
    await b.resolveConflict('notes', serverId, { keep: 'local' });
    expect(b.status.conflicts).toBe(0);
    expect(b.status.pendingOps).toBe((await b.pendingOps()).length);
    expect(b.status.pendingOps).toBe(1);
    await b.sync();
    expect(b.status).toMatchObject({ pendingOps: 0, conflicts: 0 });
    await a.close();
    await b.close();
  });
});
