import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SyncClient, Transport } from 'tidesync';
import { createSyncClient, defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, type ServerStore, type SyncServer } from 'tidesync/server';
import { pullAll, storeKinds } from '../server/server-helpers.js';

// Item 5 (issue 15), end to end: a device whose outbox already holds a write with a NUL (queued
// by an app version before the client checked for it) must not be held back by it, on any
// store: that op alone is dead-lettered with the server's `validation_failed`, never a
// SERVER_ERROR dead letter after 500s, and the device's other writes apply.

const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });

/** Sends pushes as an older client would have: the op for `poisoned` carries a NUL. */
function olderClientTransport(inner: Transport, poisoned: () => string | undefined): Transport {
  return {
    send(kind, body, options) {
      if (kind !== 'push') return inner.send(kind, body, options);
      const copy = structuredClone(body) as { ops: { id: string; data?: { title?: string } }[] };
      for (const op of copy.ops) {
        if (op.id === poisoned() && op.data) op.data.title = `bad\u0000${op.data.title ?? ''}`;
      }
      return inner.send(kind, copy, options);
    },
  };
}

describe.each(storeKinds())('a queued write holding a NUL: $name', (kind) => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;
  let server: SyncServer;
  let serverErrors: Error[];
  let client: SyncClient | undefined;

  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    serverErrors = [];
    server = createSyncServer({
      collections: [todos],
      store,
      authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'alice' }),
      onError: (error) => serverErrors.push(error),
    });
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await store.close();
    await cleanup();
  });

  it('is dead-lettered alone with validation_failed; the other writes apply', async () => {
    const poison: { id?: string } = {};
    client = await createSyncClient({
      collections: [todos],
      storage: memoryAdapter(),
      transport: olderClientTransport(directTransport(server), () => poison.id),
      triggers: [],
    });
    const col = client.collection('todos');
    await col.insert({ title: 'one' });
    poison.id = (await col.insert({ title: 'two' })).id;
    await col.insert({ title: 'three' });
    await client.sync();
    const dead = await client.deadLetters();
    expect(dead.map((op) => [op.id, op.error?.code])).toEqual([[poison.id, 'validation_failed']]);
    expect(dead[0]?.error?.message).toContain('data.title');
    expect(client.status.pendingOps).toBe(0); // nothing left waiting behind it
    const { changes } = await pullAll(server, 'reader');
    expect(changes.map((c) => c.data['title']).sort()).toEqual(['one', 'three']);
    expect(serverErrors).toEqual([]);
  });
});
