import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  POISON_TITLE,
  makeClient,
  makeClock,
  makeServer,
  rawRecords,
} from './storage-helpers.js';

describe.each(ADAPTERS)('storageStats and clearCache on $name', ({ create }) => {
  /** Synced, pending, conflicted, dead-lettered and deleted notes, plus synced labels. */
  async function scene() {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create() });
    const b = await makeClient(server, clock);
    const notes = a.client.collection('notes');
    const [s0, s1, , c] = await notes.insertMany(
      ['s0', 's1', 's2', 'c'].map((title) => ({ title, tag: 't' })),
    );
    await notes.insert({ title: POISON_TITLE, tag: 't' });
    await a.client.collection('labels').insertMany([{ name: 'l1' }, { name: 'l2' }]);
    await a.client.sync();
    await b.client.sync();
    const cServerId = (await notes.get(c!.id))!.serverId!;
    await b.client.collection('notes').update(cServerId, { title: 'from b' });
    await b.client.sync();
    await notes.update(c!.id, { title: 'from a' });
    await a.client.sync();
    await notes.insert({ title: 'p', tag: 't' });
    await notes.update(s0!.id, { title: 's0 edited' });
    await notes.delete(s1!.id);
    await b.client.close();
    return a;
  }

  it('counts agree with a count done by hand', async () => {
    const a = await scene();
    const stats = await a.client.storageStats();
    // notes: s0 (pending update), s1 (pending delete), s2 (synced), c (conflicted),
    // the poison note (dead-lettered, pending), p (pending insert). labels: two synced.
    expect(stats.collections['notes']).toMatchObject({
      records: 6,
      live: 5,
      synced: 1,
      pending: 4,
      conflicted: 1,
      evicted: 0,
    });
    expect(stats.collections['labels']).toMatchObject({ records: 2, live: 2, synced: 2 });
    expect(stats.outbox).toMatchObject({ pending: 3, deadLetters: 1 });

    const notes = await rawRecords(a.storage, 'notes');
    const labels = await rawRecords(a.storage, 'labels');
    const ops = await a.storage.transaction('readonly', (tx) => tx.listOps());
    const size = (values: unknown[]) =>
      values.reduce<number>((n, v) => n + JSON.stringify(v).length, 0);
    expect(stats.collections['notes']?.bytes).toBe(size(notes));
    expect(stats.collections['labels']?.bytes).toBe(size(labels));
    expect(stats.outbox.bytes).toBe(size(ops));
    expect(stats.bytes).toBe(size(notes) + size(labels) + size(ops));
    expect(stats.collections['notes']?.pending).toBe(
      notes.filter((r) => r.syncStatus === 'pending').length,
    );
    await a.client.close();
  });

  it('clearCache drops synced records only, of the named collections', async () => {
    const a = await scene();
    expect(await a.client.clearCache({ collections: ['labels'] })).toEqual({
      total: 2,
      collections: { labels: 2 },
    });
    expect(await a.client.collection('labels').find()).toEqual([]);
    expect((await a.client.storageStats()).collections['notes']?.synced).toBe(1);
    expect(await a.client.clearCache()).toEqual({ total: 1, collections: { notes: 1 } });
    const stats = await a.client.storageStats();
    expect(stats.collections['notes']).toMatchObject({
      records: 5,
      synced: 0,
      pending: 4,
      conflicted: 1,
      evicted: 1,
    });
    expect(stats.collections['labels']).toMatchObject({ records: 0, evicted: 2 });
    expect(stats.outbox).toMatchObject({ pending: 3, deadLetters: 1 });
    expect(await a.client.clearCache()).toEqual({ total: 0, collections: {} });
    await a.client.close();
  });

  it('clearCache announces the change to live queries', async () => {
    const a = await scene();
    const seen: number[] = [];
    const stop = a.client.collection('labels').subscribe({}, (rows) => seen.push(rows.length));
    await a.client.collection('labels').find(); // the first callback has run by now
    await a.client.clearCache({ collections: ['labels'] });
    await a.client.collection('labels').find();
    stop();
    expect(seen.at(-1)).toBe(0);
    expect(seen).toContain(2);
    await a.client.close();
  });
});

describe('clearCache options', () => {
  it('rejects an unknown collection before touching storage', async () => {
    const clock = makeClock();
    const a = await makeClient(makeServer(clock), clock);
    await a.client.collection('labels').insert({ name: 'kept' });
    await expect(a.client.clearCache({ collections: ['nope'] })).rejects.toMatchObject({
      code: 'UNKNOWN_COLLECTION',
    });
    await expect(
      a.client.clearCache({ collections: 'labels' as unknown as string[] }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(await a.client.collection('labels').find()).toHaveLength(1);
    await a.client.close();
  });
});
