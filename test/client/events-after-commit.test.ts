import { describe, expect, it } from 'vitest';
import { defineCollection, type SyncClient } from 'tidesync';
import { z } from 'zod';
import { conflictingDevices } from '../conflict/conflict-helpers.js';
import { makeClient, makeServer } from './sync-helpers.js';

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
    const client: SyncClient = await makeClient([loose], makeServer([strict]));
    await client.collection('todos').insert({ title: 'far too long' });
    const seen: Promise<string[]>[] = [];
    const told: string[] = [];
    client.on('deadLetter', (event) => {
      told.push(event.opId);
      seen.push(client.deadLetters().then((list) => list.map((op) => op.opId)));
    });
    await client.sync();
    expect(told).toHaveLength(1);
    expect(await Promise.all(seen)).toEqual([told]);
    await client.close();
  });
});
