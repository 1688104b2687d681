import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from 'tidesync';
import { op, push, storeKinds, todos } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { SyncServer } from 'tidesync/server';
import { openDevice, DEVICE_STORAGES } from './set-device.js';
import { orderInsert, orders, teamOrders } from './set-helpers.js';

function todosDevice(server: SyncServer, pullPageSize: number) {
  return createSyncClient({
    collections: [todos],
    storage: memoryAdapter(),
    triggers: [],
    pullPageSize,
    transport: directTransport({
      fetch: (request) => {
        const headers = new Headers(request.headers);
        headers.set('x-user', 'alice');
        return server.fetch(new Request(request, { headers }));
      },
    }),
  });
}

// Issue 21: pull progress with a real total from the server, and no `pull 0/0` after a push.
describe.each(storeKinds())('pull progress: $name', (kind) => {
  const t = serverPerTest(kind, { collections: [orders, teamOrders, todos] });

  it('reports the server’s total from the first page of a feed pull', async () => {
    await push(
      t.server,
      'w',
      Array.from({ length: 7 }, (_, i) => op({ seq: i + 1, id: `t${i}` })),
    );
    const device = await todosDevice(t.server, 3);
    const events: [number, number][] = [];
    device.on(
      'progress',
      (e: ProgressEvent) => e.phase === 'pull' && events.push([e.done, e.total]),
    );
    await device.sync();
    expect(events).toEqual([
      [3, 7],
      [6, 7],
      [7, 7],
    ]);
    await device.close();
  });

  it('reports a set’s total from the index on its first page', async () => {
    await push(
      t.server,
      'w',
      Array.from({ length: 5 }, (_, i) =>
        orderInsert(i + 1, `o${i}`, { region: i < 4 ? 'north' : 'south' }),
      ),
    );
    const device = await openDevice(t.server, DEVICE_STORAGES[0]!.create()(), { pullPageSize: 3 });
    await device.collection(orders).syncSet({ where: { region: 'north' } });
    const events: [number, number][] = [];
    device.on(
      'progress',
      (e: ProgressEvent) => e.phase === 'pull' && events.push([e.done, e.total]),
    );
    await device.sync();
    expect(events).toEqual([
      [3, 4],
      [4, 4],
    ]);
    await device.close();
  });

  it('emits no pull progress after a push when nothing came down', async () => {
    const device = await todosDevice(t.server, 50);
    await device.sync();
    const events: ProgressEvent[] = [];
    device.on('progress', (e: ProgressEvent) => events.push(e));
    await device.collection(todos).insert({ title: 'a', done: false });
    await device.sync();
    expect(events.filter((e) => e.phase === 'pull')).toEqual([]);
    expect(events.filter((e) => e.phase === 'push').length).toBeGreaterThan(0);
    await device.close();
  });
});
