// Issue 19: a device's live stream declares the device's sync sets, so the server pokes it only
// for changes they cover; adding or removing a set reopens the stream with the new sets.
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, liveTrigger } from 'tidesync';
import type { SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { collections } from './live-helpers.js';
import { orders, recordingTransport } from './live-set-transport.js';

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

async function device(withSets: boolean) {
  const recording = recordingTransport();
  const client = await createSyncClient({
    collections: withSets ? [...collections, orders] : collections,
    storage: memoryAdapter(),
    transport: recording.transport,
    triggers: [liveTrigger({ baseDelayMs: 1, random: () => 0 })],
  });
  clients.push(client);
  await until(() => recording.bodies.length === 1);
  return { client, bodies: recording.bodies };
}

describe('liveTrigger() with sync sets', () => {
  it('sends the sets with the stream and reopens it when a set is added or removed', async () => {
    const { client, bodies } = await device(true);
    expect(bodies[0]?.['sets']).toEqual([]);
    const north = await client.collection(orders).syncSet({ where: { region: 'north' } });
    await until(() => bodies.length === 2);
    expect(bodies[1]?.['sets']).toEqual([{ collection: 'orders', where: { region: 'north' } }]);
    // Declaring the same set again changes nothing: no new stream.
    await client.collection(orders).syncSet({ where: { region: 'north' } });
    await north.remove();
    await until(() => bodies.length === 3);
    expect(bodies[2]?.['sets']).toEqual([]);
    expect(client.status.live).toBe('connected');
  });

  it('sends no sets for a device without sync-set collections (poked for its whole scope)', async () => {
    const { bodies } = await device(false);
    expect(bodies[0]).not.toHaveProperty('sets');
  });
});
