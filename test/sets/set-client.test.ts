import { describe, expect, it } from 'vitest';
import { storeKinds, push, NOW, todos } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';
import { DEVICE_STORAGES, heldIds, openDevice } from './set-device.js';
import { orderInsert, orderUpdate, orders, teamOrders } from './set-helpers.js';

const seed = (server: Parameters<typeof push>[0]) =>
  push(server, 'writer', [
    orderInsert(1, 'n1', { region: 'north', projectId: 'p1' }),
    orderInsert(2, 'n2', { region: 'north', projectId: 'p2' }),
    orderInsert(3, 's1', { region: 'south', projectId: 'p1' }),
    orderInsert(4, 'e1', { region: 'east', projectId: 'p3' }),
  ]);

// Issue 19 on the client: declare, persist, pull, move and remove sync sets.
describe.each(storeKinds())('sync sets on a device, server store $name', (kind) => {
  const t = serverPerTest(kind, { collections: [orders, teamOrders, todos] }, seed);

  describe.each(DEVICE_STORAGES)('device storage $name', (storageKind) => {
    it('syncs only what its sets cover; ready resolves after the first complete pull', async () => {
      const storage = storageKind.create();
      const device = await openDevice(t.server, storage());
      await device.sync();
      expect(await heldIds(device)).toEqual([]);
      const set = await device.collection(orders).syncSet({ where: { region: 'north' } });
      let ready = false;
      void set.ready.then(() => (ready = true));
      await Promise.resolve();
      expect(ready).toBe(false);
      await device.sync();
      await set.ready;
      expect(await heldIds(device)).toEqual(['n1', 'n2']);
      const again = await device
        .collection(orders)
        .syncSet({ where: { region: { in: ['north'] } } });
      expect(again.id).toBe(set.id);
      const other = await device.collection('orders').syncSet({ where: { projectId: 'p3' } });
      await device.sync();
      await other.ready;
      expect(await heldIds(device)).toEqual(['e1', 'n1', 'n2']);
      expect((await device.syncSets()).map((s) => [s.id, s.where])).toEqual([
        [set.id, { region: 'north' }],
        [other.id, { projectId: 'p3' }],
      ]);
      await device.close();
    });

    it('keeps its sets across a restart, and a set that was declared but never pulled', async () => {
      const storage = storageKind.create();
      const first = await openDevice(t.server, storage());
      const pulled = await first.collection(orders).syncSet({ where: { region: 'north' } });
      await first.sync();
      await pulled.ready;
      // Bookkeeping committed, then the process dies before the set's first page.
      const pending = await first.collection(orders).syncSet({ where: { region: 'south' } });
      await first.close();
      const second = await openDevice(t.server, storage());
      const sets = await second.syncSets();
      expect(sets.map((s) => s.id)).toEqual([pulled.id, pending.id]);
      await sets[0]!.ready; // complete before the restart: resolved at once
      expect(await heldIds(second)).toEqual(['n1', 'n2']);
      await second.sync();
      await sets[1]!.ready;
      expect(await heldIds(second)).toEqual(['n1', 'n2', 's1']);
      await second.close();
    });

    it('follows records that move out of and into its set between pulls', async () => {
      const storage = storageKind.create();
      const device = await openDevice(t.server, storage());
      const set = await device.collection(orders).syncSet({ where: { region: 'north' } });
      await device.sync();
      await set.ready;
      let seq = 4; // the seed pushed 1-4
      let version = 1;
      for (let round = 0; round < 4; round++) {
        // Out, and changed again while out: the device must still learn that it left.
        await push(t.server, 'writer', [
          orderUpdate(++seq, 'n1', version++, { region: 'south' }, NOW - 900 + seq),
          orderUpdate(++seq, 'n1', version++, { title: `away ${round}` }, NOW - 900 + seq),
        ]);
        await device.sync();
        expect(await heldIds(device)).toEqual(['n2']);
        await push(t.server, 'writer', [
          orderUpdate(
            ++seq,
            'n1',
            version++,
            { region: 'north', title: `back ${round}` },
            NOW - 900 + seq,
          ),
        ]);
        await device.sync();
        expect(await heldIds(device)).toEqual(['n1', 'n2']);
        const n1 = await device.collection(orders).get('n1');
        expect(n1).toMatchObject({ title: `back ${round}`, region: 'north', syncStatus: 'synced' });
      }
      await device.close();
    });

    it('on remove: drops what no other set covers, keeps unsynced edits and overlaps', async () => {
      const storage = storageKind.create();
      const device = await openDevice(t.server, storage());
      const north = await device.collection(orders).syncSet({ where: { region: 'north' } });
      const p1 = await device.collection(orders).syncSet({ where: { projectId: 'p1' } });
      await device.sync();
      await Promise.all([north.ready, p1.ready]);
      expect(await heldIds(device)).toEqual(['n1', 'n2', 's1']);
      await device.collection(orders).update('n2', { title: 'edited offline' });
      await north.remove();
      // n1 is still covered by p1; n2 holds an unsynced edit; nothing else of north stays.
      expect(await heldIds(device)).toEqual(['n1', 'n2', 's1']);
      await p1.remove();
      expect(await heldIds(device)).toEqual(['n2']);
      expect(await device.syncSets()).toEqual([]);
      // Once the edit is synced, no set covers n2: it leaves the device, and the server has it.
      await device.sync();
      expect(await heldIds(device)).toEqual([]);
      const all = await device.collection(orders).syncSet({ where: { projectId: 'p2' } });
      await device.sync();
      await all.ready;
      expect(await device.collection(orders).get('n2')).toMatchObject({
        title: 'edited offline',
        syncStatus: 'synced',
      });
      await device.close();
    });
  });
});
