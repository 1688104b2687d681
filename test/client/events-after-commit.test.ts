import { describe, expect, it } from 'vitest';
import { defineCollection, type StorageAdapter, type SyncClient } from 'tidesync';
import { z } from 'zod';
import { conflictingDevices } from '../conflict/conflict-helpers.js';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { makeServer, watchStorage } from './sync-helpers.js';

/**
 * The `conflict` and `deadLetter` events reach the app once what they report is stored: a
 * handler that reads `client.conflicts()` or `client.deadLetters()` finds the entry it was
 * told about (before, the events fired inside the transaction that stored it).
 */
/**
 * A client whose one queued insert the server refuses (its schema is stricter than the
 * client's): the next sync dead-letters it. `pushes()` counts the push requests sent.
 */
async function refusedInsert(
  storage: StorageAdapter,
): Promise<{ client: SyncClient; pushes: () => number }> {
  const strict = defineCollection({
    name: 'todos',
    schema: z.object({ title: z.string().max(3) }),
  });
  const loose = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
  const server = makeServer([strict]);
  let pushes = 0;
  const client = await createSyncClient({
    collections: [loose],
    storage,
    transport: directTransport({
      fetch: (request) => {
        if (request.url.endsWith('/push')) pushes += 1;
        return server.fetch(request);
      },
    }),
    triggers: [],
  });
  await client.collection('todos').insert({ title: 'far too long' });
  return { client, pushes: () => pushes };
}

describe('sync events are emitted after their transaction commits', () => {
  it('a conflict handler finds the conflict in client.conflicts()', async () => {
    const { world, b, id } = await conflictingDevices();
    const seen: Promise<string[]>[] = [];
    const told: string[] = [];
    b.client.on('conflict', (event) => {
      told.push(event.id);
      seen.push(b.client.conflicts().then((list) => list.map((c) => c.id)));
    });
    await b.client.sync();
    expect(told).toEqual([id]);
    expect(await Promise.all(seen)).toEqual([[id]]);
    expect(b.client.status.conflicts).toBe(1);
    await world.close();
  });

  it('a dead-letter handler finds the op in client.deadLetters()', async () => {
    // Armed, the storage fails as the op is moved to the dead letters: that transaction rolls back.
    let failDeadLetter = true;
    const { client } = await refusedInsert(
      watchStorage(memoryAdapter(), {
        call: (method, args) => {
          const op = args[0] as { state?: string } | undefined;
          if (failDeadLetter && method === 'putOp' && op?.state === 'dead') {
            throw new Error('disk full');
          }
        },
      }),
    );
    const seen: Promise<string[]>[] = [];
    const told: string[] = [];
    client.on('deadLetter', (event) => {
      told.push(event.opId);
      seen.push(client.deadLetters().then((list) => list.map((op) => op.opId)));
    });
    // The failed transaction told nothing: its dead letter was never stored.
    await expect(client.sync()).rejects.toThrow();
    expect(told).toEqual([]);
    expect(await client.deadLetters()).toEqual([]);
    failDeadLetter = false;
    await client.sync();
    expect(told).toHaveLength(1);
    expect(await Promise.all(seen)).toEqual([told]);
    await client.close();
  });

  it('a handler that throws cannot undo what it was told about (the op stays a dead letter, no resend loop)', async () => {
    const { client, pushes } = await refusedInsert(memoryAdapter());
    client.on('deadLetter', () => {
      throw new Error('a bug in the app');
    });
    // The handler's error reaches the caller; what it was told about is stored already.
    await expect(client.sync()).rejects.toThrow('a bug in the app');
    expect(await client.deadLetters()).toHaveLength(1);
    expect(client.status.pendingOps).toBe(0);
    // Nothing is sent again: before, the handler ran inside the transaction, its error rolled
    // the dead letter back, and every sync re-sent the op into the same refusal.
    const sent = pushes();
    await client.sync();
    expect(pushes()).toBe(sent);
    expect(await client.deadLetters()).toHaveLength(1);
    await client.close();
  });
});
