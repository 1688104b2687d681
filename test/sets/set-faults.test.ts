import { describe, expect, it } from 'vitest';
import { ProtocolError, TidesyncError } from 'tidesync';
import { call, push, todos } from '../server/server-helpers.js';
import { storeKinds } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';
import { DEVICE_STORAGES, heldIds, openDevice } from './set-device.js';
import { orderInsert, orders, pullSet, teamOrders } from './set-helpers.js';

const seed = (server: Parameters<typeof push>[0]) =>
  push(
    server,
    'writer',
    Array.from({ length: 9 }, (_, i) =>
      orderInsert(i + 1, `o${i}`, { region: i < 6 ? 'north' : 'south' }),
    ),
  );

const isSetPull = (kind: string, body: Record<string, unknown>) => kind === 'pull' && 'set' in body;

// Issue 19, "Faults that must be tested": removal in flight, crashes, restarts half-synced.
describe.each(storeKinds())('sync-set faults, server store $name', (kind) => {
  const t = serverPerTest(kind, { collections: [orders, teamOrders, todos] }, seed);

  describe.each(DEVICE_STORAGES)('device storage $name', (storageKind) => {
    it('drops the page of a set removed while its pull is in flight', async () => {
      const storage = storageKind.create();
      const holder: { device?: Awaited<ReturnType<typeof openDevice>> } = {};
      let removing: Promise<void> | undefined;
      const device = await openDevice(t.server, storage(), {
        onSend: async (kind, body) => {
          if (isSetPull(kind, body) && !removing) {
            removing = holder.device!.syncSets().then(([set]) => set!.remove());
            await removing;
          }
        },
      });
      holder.device = device;
      const set = await device.collection(orders).syncSet({ where: { region: 'north' } });
      const ready = set.ready.then(
        () => 'resolved',
        (error: unknown) => (error as TidesyncError).code,
      );
      await device.sync();
      expect(await ready).toBe('SYNC_SET_REMOVED');
      expect(await heldIds(device)).toEqual([]);
      expect(await device.syncSets()).toEqual([]);
      await device.close();
    });

    it('keeps an unsynced edit inside a set removed while its pull is in flight', async () => {
      const storage = storageKind.create();
      const onSend: { fn?: (kind: string, body: Record<string, unknown>) => Promise<void> } = {};
      const device = await openDevice(t.server, storage(), {
        onSend: (kind, body) => onSend.fn?.(kind, body),
      });
      const set = await device.collection(orders).syncSet({ where: { region: 'north' } });
      await device.sync();
      await set.ready;
      await push(t.server, 'writer', [orderInsert(10, 'late', { region: 'north' })]);
      let removed = false;
      onSend.fn = async (kind, body) => {
        if (isSetPull(kind, body) && !removed) {
          // After this run's push: the edit stays pending through the removal.
          removed = true;
          await device.collection(orders).update('o1', { title: 'mine' });
          await set.remove();
        }
      };
      await device.sync();
      // Only the pending edit stays; `late` (the in-flight page) never landed.
      expect(await heldIds(device)).toEqual(['o1']);
      expect(await device.collection(orders).get('o1')).toMatchObject({
        title: 'mine',
        syncStatus: 'pending',
      });
      await device.close();
    });

    it('resumes a set half-synced before a restart, and ends with exactly what it covers', async () => {
      const storage = storageKind.create();
      let pages = 0;
      const first = await openDevice(t.server, storage(), {
        pullPageSize: 2,
        onSend: (kind, body) => {
          if (isSetPull(kind, body) && ++pages === 3) throw new TypeError('process killed');
        },
      });
      const set = await first.collection(orders).syncSet({ where: { region: 'north' } });
      await expect(first.sync()).rejects.toThrow();
      expect(await heldIds(first)).toEqual(['o0', 'o1', 'o2', 'o3']);
      await first.close();
      const sent: (string | null)[] = [];
      const second = await openDevice(t.server, storage(), {
        pullPageSize: 2,
        onSend: (kind, body) => {
          if (isSetPull(kind, body)) sent.push(body['cursor'] as string | null);
        },
      });
      const [restored] = await second.syncSets();
      expect(restored!.id).toBe(set.id);
      await second.sync();
      await restored!.ready;
      // It went on from its cursor, not from the start.
      expect(sent[0]).not.toBeNull();
      expect(await heldIds(second)).toEqual(['o0', 'o1', 'o2', 'o3', 'o4', 'o5']);
      await second.close();
    });
  });

  it('refuses hostile set requests with 400 bad_request', async () => {
    const base = { protocol: 1, clientId: 'h', cursor: null, limit: 10 };
    const bad = [
      { collection: 'todos', where: { title: 'x' } }, // a sync-all collection
      { collection: 'orders', where: { title: 'x' } }, // not an index
      { collection: 'orders', where: { region: { gt: 'a' } } }, // not equality / in
      { collection: 'orders', where: {} },
      { collection: 'orders', where: { region: 'north' }, extra: 1 },
      { collection: 'orders', where: { region: { in: ['a'], nin: ['b'] } } },
      {
        collection: 'orders',
        where: { region: { in: Array.from({ length: 101 }, (_, i) => `r${i}`) } },
      },
      { collection: 'orders', where: { region: { nested: { deep: 1 } } } },
      { collection: 'orders', where: { __proto__: 'x' } },
    ];
    for (const set of bad) {
      const answer = await call<{ error?: { code: string; message: string } }>(t.server, 'pull', {
        ...base,
        set,
      });
      expect({ set, status: answer.status }).toEqual({ set, status: 400 });
      expect(answer.body.error?.code).toBe('bad_request');
    }
    const fine = await pullSet(
      t.server,
      'h',
      { collection: 'orders', where: { region: 'north' } },
      null,
    );
    expect(fine.status).toBe(200);
  });
});

describe('sync sets: typed errors on the device', () => {
  const t = serverPerTest(storeKinds()[0]!, {
    collections: [orders, teamOrders, todos],
    maxSetValues: 3,
  });

  it('refuses a set the collection cannot serve, before anything is stored', async () => {
    const device = await openDevice(t.server, DEVICE_STORAGES[0]!.create()());
    const handle = device.collection(orders);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e as TidesyncError).code,
      );
    expect(await code(handle.syncSet({ where: { title: 'x' } }))).toBe('INVALID_QUERY');
    expect(await code(handle.syncSet({ where: { region: { gt: 'a' } as never } }))).toBe(
      'INVALID_QUERY',
    );
    expect(await code(handle.syncSet({ where: {} }))).toBe('INVALID_QUERY');
    expect(await code(handle.syncSet(undefined as never))).toBe('INVALID_QUERY');
    expect(await device.syncSets()).toEqual([]);
    // The server's limit is lower than the wire's: the sync fails with a typed error, and says why.
    await handle.syncSet({ where: { region: { in: ['a', 'b', 'c', 'd'] } } });
    const error = await device.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toContain('maxSetValues');
    await device.close();
  });
});
