import { describe, expect, it } from 'vitest';
import { defineCollection, type SyncClient } from 'tidesync';
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
    // The server refuses what the client's looser schema lets through: a dead letter.
    const strict = defineCollection({
      name: 'todos',
      schema: z.object({ title: z.string().max(3) }),
    });
    const loose = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
    const server = makeServer([strict]);
    // Armed, the storage fails as the op is moved to the dead letters: that transaction rolls back.
    let failDeadLetter = true;
    const client: SyncClient = await createSyncClient({
      collections: [loose],
      storage: watchStorage(memoryAdapter(), {
        call: (method, args) => {
          const op = args[0] as { state?: string } | undefined;
          if (failDeadLetter && method === 'putOp' && op?.state === 'dead') {
            throw new Error('disk full');
          }
        },
      }),
      transport: directTransport({ fetch: (request) => server.fetch(request) }),
      triggers: [],
    });
    await client.collection('todos').insert({ title: 'far too long' });
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
});
