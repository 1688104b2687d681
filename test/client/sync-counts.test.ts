import { describe, expect, it } from 'vitest';
import type { Query, StorageAdapter } from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { conflictingDevices } from '../conflict/conflict-helpers.js';
import { collections } from './helpers.js';
import { makeClient, makeServer, watchStorage } from './sync-helpers.js';

/**
 * The status counts after a sync: open conflicts are counted again only when a push answer
 * may have opened one. Counting reads every conflicted record, and on an adapter without an
 * index for them (IndexedDB) every record: before, every sync that pulled or pushed anything
 * read the whole database for it.
 */
function conflictQueries(inner: StorageAdapter, seen: { count: number }): StorageAdapter {
  return watchStorage(inner, {
    call: (method, args) => {
      const query = args[1] as Query | undefined;
      if (method === 'queryRecords' && query?.where?.syncStatus === 'conflicted') seen.count += 1;
    },
  });
}

describe('status counts after a sync', () => {
  it('a sync that pulls or pushes without conflicts does not count the conflicts again', async () => {
    const server = makeServer(collections);
    const writer = await makeClient(collections, server);
    await writer
      .collection('todos')
      .insertMany(
        Array.from({ length: 50 }, (_, i) => ({ title: `t${i}`, done: false, projectId: null })),
      );
    await writer.sync();
    const seen = { count: 0 };
    const reader = await createSyncClient({
      collections,
      storage: conflictQueries(memoryAdapter(), seen),
      transport: directTransport({ fetch: (request) => server.fetch(request) }),
      triggers: [],
    });
    seen.count = 0;
    expect((await reader.sync()).pulled).toBe(50);
    await reader.collection('todos').insert({ title: 'mine', done: false, projectId: null });
    expect((await reader.sync()).pushed).toBe(1);
    expect(seen.count).toBe(0);
    expect(reader.status).toMatchObject({ conflicts: 0, pendingOps: 0 });
    await reader.close();
    await writer.close();
  });

  it('a push answered with a conflict counts it; a later pull of its record keeps the count', async () => {
    const { world, a, b, id } = await conflictingDevices();
    await b.client.sync();
    expect(b.client.status.conflicts).toBe(1);
    // A changes the record again: B's pull updates the server's side of its open conflict.
    await a.client.collection('notes').update(id, { body: 'A2' });
    await a.client.sync();
    expect((await b.client.sync()).pulled).toBe(1);
    expect(b.client.status.conflicts).toBe(1);
    expect(await b.client.conflicts()).toHaveLength(1);
    await b.client.resolveConflict('notes', id, { keep: 'remote' });
    expect(b.client.status.conflicts).toBe(0);
    await world.close();
  });
});
