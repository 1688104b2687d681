import { describe, expect, it } from 'vitest';
import type { StorageAdapter } from 'tidesync';
import {
  ADAPTERS,
  POISON_TITLE,
  makeClient,
  makeClock,
  makeServer,
  rawRecord,
  rawRecords,
  type MutablePolicy,
} from './storage-helpers.js';
import { watchStorage } from './sync-helpers.js';

const DAY = 86_400_000;

/** Counts readwrite transactions, to see how reads are batched into writes. */
function countingAdapter(inner: StorageAdapter): { adapter: StorageAdapter; writes: () => number } {
  let writes = 0;
  const adapter = watchStorage(inner, {
    transaction: (mode) => {
      if (mode === 'readwrite') writes += 1;
    },
  });
  return { adapter, writes: () => writes };
}

describe.each(ADAPTERS)('retention on $name', ({ create }) => {
  it('never evicts or clears pending, conflicted or dead-lettered records under any policy', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const policy: MutablePolicy = { keep: () => true }; // pinned while the scene is built
    const a = await makeClient(server, clock, { storage: create(), policy });
    const b = await makeClient(server, clock);
    const notes = a.client.collection('notes');
    const [s0, s1, s2, c] = await notes.insertMany([
      { title: 's0', tag: 't' },
      { title: 's1', tag: 't' },
      { title: 's2', tag: 't' },
      { title: 'c', tag: 't' },
    ]);
    const dead = await notes.insert({ title: POISON_TITLE, tag: 't' });
    expect((await a.client.sync()).rejected).toBe(1);
    // A concurrent edit on B, then one on A: `manual()` leaves A's record conflicted.
    await b.client.sync();
    const cServerId = (await notes.get(c!.id))?.serverId;
    expect(cServerId).toEqual(expect.any(String));
    await b.client.collection('notes').update(String(cServerId), { title: 'from b' });
    await b.client.sync();
    await notes.update(c!.id, { title: 'from a' });
    await a.client.sync();
    // Unsynced local work: an insert, an update, a delete.
    const p = await notes.insert({ title: 'p', tag: 't' });
    await notes.update(s0!.id, { title: 's0 edited' });
    await notes.delete(s1!.id);

    const expectProtected = async () => {
      expect(await rawRecord(a.storage, 'notes', c!.id)).toMatchObject({
        syncStatus: 'conflicted',
        data: { title: 'from a' },
      });
      expect(await rawRecord(a.storage, 'notes', dead.id)).toMatchObject({
        data: { title: POISON_TITLE },
      });
      expect(await rawRecord(a.storage, 'notes', p.id)).toMatchObject({ syncStatus: 'pending' });
      expect(await rawRecord(a.storage, 'notes', s0!.id)).toMatchObject({
        syncStatus: 'pending',
        data: { title: 's0 edited' },
      });
      expect(await rawRecord(a.storage, 'notes', s1!.id)).toMatchObject({
        syncStatus: 'pending',
        deleted: true,
      });
      expect(await a.client.deadLetters()).toHaveLength(1);
      expect(await a.client.conflicts()).toHaveLength(1);
      expect(await a.client.pendingOps()).toHaveLength(3);
    };

    const policies: MutablePolicy[] = [
      { maxRecords: 0 },
      { maxAgeMs: 1 },
      { maxAgeMs: 1, maxRecords: 0 },
    ];
    for (const next of policies) {
      for (const key of Object.keys(policy)) delete policy[key as keyof MutablePolicy];
      Object.assign(policy, next);
      clock.setNow(clock.now() + DAY);
      await a.client.applyRetention();
      expect(await rawRecord(a.storage, 'notes', s2!.id)).toBeUndefined();
      await expectProtected();
      await a.client.collection('notes').fetchRemote(s2!.id);
    }
    expect((await a.client.clearCache()).total).toBe(1);
    await expectProtected();

    // Everything that was kept still reaches the server.
    await a.client.sync();
    await b.client.sync();
    const onB = await b.client.collection('notes').find({ orderBy: [['title', 'asc']] });
    expect(onB.map((r) => r.title)).toEqual(['from b', 'p', 's0 edited', 's2']);
    await a.client.close();
    await b.client.close();
  });

  it('evicts the least recently used records first under maxRecords', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const policy: MutablePolicy = {};
    const a = await makeClient(server, clock, { storage: create(), policy });
    const notes = a.client.collection('notes');
    const rows = await notes.insertMany(
      ['n0', 'n1', 'n2', 'n3', 'n4'].map((title) => ({ title, tag: 't' })),
    );
    await a.client.sync();
    for (const index of [3, 0, 4]) {
      clock.setNow(clock.now() + 1000);
      expect(await notes.get(rows[index]!.id)).toBeDefined();
    }
    policy.maxRecords = 3;
    expect(await a.client.applyRetention()).toEqual({ total: 2, collections: { notes: 2 } });
    const left = async () =>
      (await notes.find({ orderBy: [['title', 'asc']] })).map((r) => r.title);
    expect(await left()).toEqual(['n0', 'n3', 'n4']);
    policy.maxRecords = 1;
    await a.client.applyRetention();
    expect(await left()).toEqual(['n4']);
    await a.client.close();
  });

  it('batches get() reads into one accessedAt write when the debounce fires', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const inner = create();
    const counted = countingAdapter(inner);
    const a = await makeClient(server, clock, { storage: counted.adapter });
    const notes = a.client.collection('notes');
    const rows = await notes.insertMany(
      Array.from({ length: 5 }, (_, i) => ({ title: `r${i}`, tag: 't' })),
    );
    clock.setNow(clock.now() + 60_000);
    const readAt = clock.now();
    const before = counted.writes();
    for (let round = 0; round < 4; round++) for (const row of rows) await notes.get(row.id);
    expect(counted.writes()).toBe(before);
    expect((await rawRecord(inner, 'notes', rows[0]!.id))?.accessedAt).toBeLessThan(readAt);
    await clock.advance(2_000);
    // A readwrite transaction runs after every one started before it: the flush has committed.
    await inner.transaction('readwrite', async () => undefined);
    expect(counted.writes()).toBe(before + 1);
    for (const row of rows) {
      expect((await rawRecord(inner, 'notes', row.id))?.accessedAt).toBe(readAt);
    }
    await a.client.close();
  });

  it('evicts records unused for maxAgeMs, counting reads, and never a pinned one', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const policy: MutablePolicy = {};
    const a = await makeClient(server, clock, { storage: create(), policy });
    const notes = a.client.collection('notes');
    const [read, pinned, idle] = await notes.insertMany([
      { title: 'read', tag: 't' },
      { title: 'pinned', tag: 'pin' },
      { title: 'idle', tag: 't' },
    ]);
    await a.client.sync();
    Object.assign(policy, { maxAgeMs: 10 * DAY, keep: (r: { tag?: unknown }) => r.tag === 'pin' });
    clock.setNow(clock.now() + 5 * DAY);
    await notes.get(read!.id);
    clock.setNow(clock.now() + 6 * DAY);
    expect(await a.client.applyRetention()).toEqual({ total: 1, collections: { notes: 1 } });
    expect(await notes.get(idle!.id)).toBeUndefined();
    expect(await notes.get(read!.id)).toBeDefined();
    clock.setNow(clock.now() + 11 * DAY);
    await a.client.applyRetention();
    expect(await notes.get(read!.id)).toBeUndefined();
    expect(await notes.get(pinned!.id)).toMatchObject({ title: 'pinned' });
    await a.client.close();
  });

  it('runs after every successful sync and drops records locally only', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create(), policy: { maxRecords: 1 } });
    const b = await makeClient(server, clock);
    await a.client
      .collection('notes')
      .insertMany(['x', 'y', 'z'].map((title) => ({ title, tag: 't' })));
    await a.client.sync();
    expect(await rawRecords(a.storage, 'notes')).toHaveLength(1);
    expect(await a.client.pendingOps()).toHaveLength(0);
    await a.client.sync();
    await b.client.sync();
    expect(await b.client.collection('notes').find()).toHaveLength(3);
    await a.client.close();
    await b.client.close();
  });

  it('rejects a malformed policy with INVALID_OPTION when the client is created', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    await expect(
      makeClient(server, clock, { storage: create(), policy: { maxRecords: -1 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('maxRecords') as unknown,
    });
  });
});
