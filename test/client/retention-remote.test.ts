import { describe, expect, it } from 'vitest';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { ADAPTERS, makeClient, makeClock, makeServer, rawRecord } from './storage-helpers.js';

describe.each(ADAPTERS)('evicted records come back from the server on $name', ({ create }) => {
  it('fetchRemote restores an evicted record, identical, by local id or server id', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create() });
    const notes = a.client.collection('notes');
    const [first, second] = await notes.insertMany([
      { title: 'first', tag: 't' },
      { title: 'second', tag: 't' },
    ]);
    await a.client.sync();
    await notes.update(first!.id, { title: 'first, edited' });
    await a.client.sync();
    const before = [await notes.get(first!.id), await notes.get(second!.id)];
    const rawBefore = await rawRecord(a.storage, 'notes', first!.id);
    // The server minted the ids: a local id differs from its server id.
    expect(before[0]?.serverId).not.toBe(first!.id);

    a.policy.maxRecords = 0;
    expect((await a.client.applyRetention()).total).toBe(2);
    expect(await notes.get(first!.id)).toBeUndefined();
    expect(await notes.get(before[1]!.serverId!)).toBeUndefined();

    expect(await notes.fetchRemote(first!.id)).toEqual(before[0]);
    expect(await notes.fetchRemote(before[1]!.serverId!)).toEqual(before[1]);
    expect(await notes.get(first!.id)).toEqual(before[0]);
    expect(await notes.get(second!.id)).toEqual(before[1]);
    const { accessedAt: _after, ...rawAfter } = (await rawRecord(a.storage, 'notes', first!.id))!;
    const { accessedAt: _before, ...rawExpected } = rawBefore!;
    expect(rawAfter).toEqual(rawExpected);
    await a.client.close();
  });

  it('fetchRemote keeps pending edits of a record that is still local and resolves undefined for unknown ids', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create() });
    const b = await makeClient(server, clock);
    const notes = a.client.collection('notes');
    const row = await notes.insert({ title: 'shared', tag: 'old' });
    await a.client.sync();
    await b.client.sync();
    const serverId = (await notes.get(row.id))!.serverId!;
    await b.client.collection('notes').update(serverId, { tag: 'from b' });
    await b.client.sync();
    await notes.update(row.id, { title: 'local edit' });
    expect(await notes.fetchRemote(row.id)).toMatchObject({
      id: row.id,
      title: 'local edit',
      tag: 'from b',
      syncStatus: 'pending',
    });
    expect(await a.client.pendingOps()).toHaveLength(1);
    expect(await notes.fetchRemote('no-such-record')).toBeUndefined();
    const local = await notes.insert({ title: 'never synced', tag: 't' });
    expect(await notes.fetchRemote(local.id)).toMatchObject({ title: 'never synced' });
    await a.client.close();
    await b.client.close();
  });

  it('find with remote: true restores the evicted records that match and leaves the rest on the server', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create() });
    const notes = a.client.collection('notes');
    await notes.insertMany([
      { title: 'a1', tag: 'a' },
      { title: 'b1', tag: 'b' },
      { title: 'a2', tag: 'a' },
    ]);
    await a.client.sync();
    a.policy.maxRecords = 0;
    await a.client.applyRetention();
    delete a.policy.maxRecords;
    expect(await notes.find({ where: { tag: 'a' } })).toEqual([]);
    const found = await notes.find(
      { where: { tag: 'a' }, orderBy: [['title', 'asc']] },
      { remote: true },
    );
    expect(found.map((r) => [r.title, r.syncStatus])).toEqual([
      ['a1', 'synced'],
      ['a2', 'synced'],
    ]);
    expect(await notes.find()).toHaveLength(2);
    const stats = await a.client.storageStats();
    expect(stats.collections['notes']).toMatchObject({ live: 2, evicted: 1 });
    expect((await notes.find({}, { remote: true })).map((r) => r.title).sort()).toEqual([
      'a1',
      'a2',
      'b1',
    ]);
    expect((await a.client.storageStats()).collections['notes']?.evicted).toBe(0);
    await a.client.close();
  });

  it('a record deleted on the server while evicted is not brought back', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create() });
    const b = await makeClient(server, clock);
    const row = await a.client.collection('notes').insert({ title: 'doomed', tag: 't' });
    await a.client.sync();
    const serverId = (await a.client.collection('notes').get(row.id))!.serverId!;
    await a.client.clearCache({ collections: ['notes'] });
    await b.client.sync();
    await b.client.collection('notes').delete(serverId);
    await b.client.sync();
    expect(await a.client.collection('notes').fetchRemote(row.id)).toBeUndefined();
    expect(await a.client.collection('notes').find({}, { remote: true })).toEqual([]);
    expect((await a.client.storageStats()).collections['notes']?.evicted).toBe(0);
    await a.client.close();
    await b.client.close();
  });
});

describe('fetchRemote errors', () => {
  it('rejects with INVALID_OPTION for a bad id and CLIENT_CLOSED after close', async () => {
    const clock = makeClock();
    const a = await makeClient(makeServer(clock), clock);
    const notes = a.client.collection('notes');
    await expect(notes.fetchRemote('')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await a.client.close();
    await expect(notes.fetchRemote('x')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('rejects with PROTOCOL_ERROR and stores nothing when the server answers a record it was not asked for', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    // Two adapters on one store: one open client per adapter instance (STORAGE_IN_USE).
    const store = createMemoryStore();
    const a = await makeClient(server, clock, { storage: memoryAdapter({ store }) });
    const [x, y] = await a.client.collection('notes').insertMany([
      { title: 'x', tag: 't' },
      { title: 'y', tag: 't' },
    ]);
    await a.client.sync();
    const ys = (await a.client.collection('notes').get(y!.id))!.serverId!;
    await a.client.clearCache();
    const liar = {
      fetch: async (request: Request) => {
        const body = (await request.json()) as { ids?: string[] };
        if (request.url.endsWith('/get')) body.ids = [ys];
        return server.fetch(
          new Request(request.url, {
            method: 'POST',
            headers: request.headers,
            body: JSON.stringify(body),
          }),
        );
      },
    };
    const b = await makeClient(liar as typeof server, clock, {
      storage: memoryAdapter({ store }),
    });
    await expect(b.client.collection('notes').fetchRemote(x!.id)).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
    });
    expect(await rawRecord(a.storage, 'notes', y!.id)).toBeUndefined();
    await b.client.close();
  });
});
