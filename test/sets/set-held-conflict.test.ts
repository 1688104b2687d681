// Found by S34 at soak size (seed 1048948300, manual() with sync sets): a device follows a record
// by the values the server holds, so a conflict whose server side is in none of the device's
// sets got no later deliveries and showed a stale server side. Set pulls now ask for such
// records by id (`held`). Found again at soak size (seed 11280286, manual() with sync sets): a
// device with no set of the collection left made no set pull to carry `held`, so it now asks
// for those records by id (the protocol's `get`).
import { expect, it } from 'vitest';
import { manualOrders as orders, sharedNorthOrder } from './set-helpers.js';
import { createTestHarness, type TestHarness } from 'tidesync/testing';

const north = { collection: 'orders', where: { region: 'north' } };
const both = { collection: 'orders', where: { region: { in: ['east', 'north'] } } };

/**
 * Two devices share a north order; device 1 (syncing `secondSet`) writes `theirs` to it and
 * syncs first, device 0 (syncing north) changes its title to 'mine' and syncs into a conflict.
 * Runs `body` with the harness and device 1's id of the order, then closes the harness.
 */
async function withOpenConflict(
  secondSet: typeof north | typeof both,
  theirs: { title?: string; region?: string },
  body: (h: TestHarness, second: string) => Promise<void>,
): Promise<void> {
  const h = await createTestHarness({
    collections: [orders],
    clients: [{ sets: [north] }, { sets: [secondSet] }],
  });
  try {
    const { first, second } = await sharedNorthOrder(h);
    await h.clients[1]!.collection('orders').update(second, theirs);
    await h.clients[0]!.collection('orders').update(first, { title: 'mine' });
    await h.sync(1);
    await h.sync(0);
    await body(h, second);
  } finally {
    await h.close();
  }
}

it('keeps an open conflict’s server side current after the server copy left every set', () =>
  withOpenConflict(both, { region: 'east' }, async (h, second) => {
    const [opened] = await h.clients[0]!.conflicts();
    expect(opened?.remote).toEqual({ title: 'a', region: 'east' });
    // The server copy changes again in `east`, which device 0 does not sync.
    await h.clients[1]!.collection('orders').update(second, { title: 'b' });
    await h.sync(1);
    await h.sync(0);
    const [current] = await h.clients[0]!.conflicts();
    expect(current?.remote).toEqual({ title: 'b', region: 'east' });
    expect(current?.local).toEqual({ title: 'mine', region: 'north' });
    await h.clients[0]!.resolveConflict('orders', current!.id, { keep: 'remote' });
    await h.settle();
    expect(await h.clients[0]!.conflicts()).toEqual([]);
    await h.assertConverged();
  }));

it('keeps an open conflict’s server side current on a device with no set of the collection', () =>
  withOpenConflict(north, { title: 'theirs' }, async (h, second) => {
    const [opened] = await h.clients[0]!.conflicts();
    expect(opened?.remote).toEqual({ title: 'theirs', region: 'north' });
    // Device 0 drops its only set (the conflicted order stays: it holds something unsynced),
    // then the server copy is deleted.
    const [set] = await h.clients[0]!.syncSets();
    await set!.remove();
    expect(await h.clients[0]!.syncSets()).toEqual([]);
    await h.clients[1]!.collection('orders').delete(second);
    await h.sync(1);
    await h.sync(0);
    const [current] = await h.clients[0]!.conflicts();
    expect(current?.local).toEqual({ title: 'mine', region: 'north' });
    expect(current?.remote).toBeNull();
    await h.clients[0]!.resolveConflict('orders', current!.id, { keep: 'remote' });
    await h.settle();
    expect(await h.clients[0]!.conflicts()).toEqual([]);
    expect(await h.clients[0]!.collection('orders').find()).toEqual([]);
  }));
