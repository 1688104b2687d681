// Keeping the server's version of a conflicted record of a `sync: 'sets'` collection sends no op,
// so no acknowledgement marks the collection for the next set pull's sweep: the resolution marks
// it itself. The mark must commit with the resolution: a crash at the mark (the storage call
// throws inside the open transaction, which rolls back) must not leave the conflict resolved but
// unmarked, or the record, moved out of every set, would stay on the device for good.
import { expect, it } from 'vitest';
import { manualOrders as orders } from './set-helpers.js';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { makeServer } from '../client/sync-helpers.js';
import {
  clientOn,
  closeQuietly,
  crashingAdapter,
  userTransport,
} from '../reliability/fault-helpers.js';

const collections = [orders];
const NORTH = { where: { region: 'north' } };

it('a crash at the sweep mark of a kept remote version rolls the resolution back with it', async () => {
  const server = makeServer(collections);
  const transport = userTransport(server, () => 'alice');
  const mover = await clientOn(collections, memoryAdapter(), transport);
  const store = createMemoryStore();
  const held = await clientOn(collections, memoryAdapter({ store }), transport);
  await mover.collection(orders).syncSet(NORTH);
  await held.collection(orders).syncSet(NORTH);
  const created = await mover.collection(orders).insert({ title: 'a', region: 'north' });
  await mover.sync();
  await held.sync();
  const [local] = await held.collection(orders).find();
  await held.collection(orders).update(local!.id, { title: 'b' });
  await mover.collection(orders).update(created.id, { title: 'c', region: 'south' });
  await mover.sync();
  await held.sync();
  const [conflict] = await held.conflicts();
  expect(conflict?.remote).toEqual({ title: 'c', region: 'south' });
  await held.close();

  const crashing = crashingAdapter(
    memoryAdapter({ store }),
    ({ method, args }) => method === 'setMeta' && args[0] === 'sync.sets.sweep',
  );
  const crashed = await clientOn(collections, crashing, transport);
  await expect(
    crashed.resolveConflict('orders', conflict!.id, { keep: 'remote' }),
  ).rejects.toThrow();
  expect(crashing.crashed).toBe(true);
  await closeQuietly(crashed);

  // The restarted device still has the conflict (nothing of the resolution committed); resolved
  // again, the record leaves with the next sync.
  const restarted = await clientOn(collections, memoryAdapter({ store }), transport);
  try {
    const [still] = await restarted.conflicts();
    expect(still?.id).toBe(conflict!.id);
    await restarted.resolveConflict('orders', still!.id, { keep: 'remote' });
    await restarted.sync();
    expect(await restarted.collection(orders).find()).toEqual([]);
  } finally {
    await closeQuietly(restarted);
    await mover.close();
  }
});
