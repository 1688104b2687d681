// Found by S34 with sync sets (manual(), 600 runs): a conflict on an order that another device
// moved out of this device's sets, resolved by keeping the server's version, left the record on
// the device for good (the adopted version sends no op, so no acknowledgement marked the
// collection for the sweep after the next set pull). Every resolution must let it go.
import { expect, it } from 'vitest';
import { manualOrders as orders, sharedNorthOrder } from './set-helpers.js';
import { createTestHarness } from 'tidesync/testing';

const north = { collection: 'orders', where: { region: 'north' } };

it.each([
  ['keep local', { keep: 'local' as const }, { title: 'l', region: 'south' }],
  ['keep remote', { keep: 'remote' as const }, { title: 'b' }],
])(
  'an order moved out of the set leaves the device once its conflict is resolved (%s)',
  async (_name, resolution, localPatch) => {
    const h = await createTestHarness({
      collections: [orders],
      clients: [{ sets: [north] }, { sets: [north] }],
    });
    try {
      const { first, second } = await sharedNorthOrder(h);
      await h.clients[1]!.collection('orders').update(second, localPatch);
      // Device 0 moves the order out of both devices' set, first.
      await h.clients[0]!.collection('orders').update(first, { title: 'c', region: 'south' });
      await h.sync(0);
      await h.sync(1);
      const [conflict] = await h.clients[1]!.conflicts();
      expect(conflict?.remote).toEqual({ title: 'c', region: 'south' });
      await h.clients[1]!.resolveConflict('orders', conflict!.id, resolution);
      await h.settle();
      expect(await h.clients[1]!.collection('orders').find()).toEqual([]);
      await h.assertConverged();
    } finally {
      await h.close();
    }
  },
);
