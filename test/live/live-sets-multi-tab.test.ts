// Issue 19, several tabs: the leader tab holds the live stream, which declares the device's sync
// sets. A set added or removed in a follower tab (persisted in the shared database) must reopen
// the leader's stream with the new sets at once, not at its next reconnect.
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, liveTrigger } from 'tidesync';
import type { SyncClient } from 'tidesync';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'tidesync/adapters/memory';
import { webLocksCoordinator } from '../../src/client/runtime/coordinators/index.js';
import type { SyncCoordinator } from '../../src/client/runtime/sync-coordinator.js';
import { FakeLockManager } from '../client/coordinator-fakes.js';
import { orders, recordingTransport } from './live-set-transport.js';

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

/** Waits up to about a second for `check`; fails naming `what`. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!check()) throw new Error(`Timed out waiting until ${what}.`);
}

let databases = 0;

/** A tab: a client on the shared `store`, with a coordinator and a live trigger of its own. */
async function openTab(store: MemoryStore, locks: FakeLockManager, name: string) {
  const recording = recordingTransport();
  const coordinator: SyncCoordinator = webLocksCoordinator({ name, locks, BroadcastChannel });
  const client = await createSyncClient({
    collections: [orders],
    storage: memoryAdapter({ store }),
    transport: recording.transport,
    triggers: [liveTrigger({ baseDelayMs: 1, random: () => 0 })],
    coordinator,
  });
  clients.push(client);
  return { client, coordinator, bodies: recording.bodies };
}

/** Two tabs on one database; the first leads and holds the only stream. */
async function twoTabs() {
  const store = createMemoryStore();
  const locks = new FakeLockManager();
  const name = `sets-tabs-${(databases += 1)}`;
  const granted = locks.nextGrant();
  const leader = await openTab(store, locks, name);
  await granted;
  const follower = await openTab(store, locks, name);
  expect(leader.coordinator.isLeader).toBe(true);
  expect(follower.coordinator.isLeader).toBe(false);
  await until('the leader opened its stream', () => leader.bodies.length === 1);
  return { leader, follower };
}

describe('sync sets across tabs: the leader live stream follows every tab', () => {
  it("reopens the leader's stream with a set a follower tab adds, and without one it removes", async () => {
    const { leader, follower } = await twoTabs();
    expect(leader.bodies[0]?.['sets']).toEqual([]);
    const north = await follower.client.collection(orders).syncSet({ where: { region: 'north' } });
    await until("the leader's stream reopened (2 streams)", () => leader.bodies.length === 2);
    expect(leader.bodies[1]?.['sets']).toEqual([
      { collection: 'orders', where: { region: 'north' } },
    ]);
    await north.remove();
    await until("the leader's stream reopened (3 streams)", () => leader.bodies.length === 3);
    expect(leader.bodies[2]?.['sets']).toEqual([]);
    expect(leader.client.status.live).toBe('connected');
    // The follower holds no stream of its own.
    expect(follower.bodies).toEqual([]);
  });

  it('a set the leader adds reopens its stream once (the notice to the other tabs is not echoed)', async () => {
    const { leader, follower } = await twoTabs();
    await leader.client.collection(orders).syncSet({ where: { region: 'south' } });
    await until("the leader's stream reopened (2 streams)", () => leader.bodies.length === 2);
    expect(leader.bodies[1]?.['sets']).toEqual([
      { collection: 'orders', where: { region: 'south' } },
    ]);
    // A later change from the follower still reaches it: the relay is one notice per change.
    await follower.client.collection(orders).syncSet({ where: { region: 'east' } });
    await until("the leader's stream reopened (3 streams)", () => leader.bodies.length === 3);
    expect(leader.bodies[2]?.['sets']).toEqual([
      { collection: 'orders', where: { region: 'south' } },
      { collection: 'orders', where: { region: 'east' } },
    ]);
    await new Promise((r) => setTimeout(r, 30));
    expect(leader.bodies).toHaveLength(3);
  });
});
