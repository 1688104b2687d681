import { describe, expect, it } from 'vitest';
import { createSyncClient, parseHlc, type SyncClient } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { collections } from './helpers.js';

const row = (i: number) => ({ title: `t${i}`, done: i % 2 === 0, projectId: null });

async function open(store = createMemoryStore(), now?: () => number): Promise<SyncClient> {
  return createSyncClient({
    collections,
    storage: memoryAdapter({ store }),
    ...(now ? { now } : {}),
  });
}

describe('insertMany and the write transaction’s clock and op counter', () => {
  it('writes one record and one insert op per row, seqs contiguous after earlier writes, clocks increasing', async () => {
    const client = await open();
    const todos = client.collection('todos');
    const first = await todos.insert(row(0));
    const rows = await todos.insertMany([row(1), row(2), row(3)]);
    expect(rows.map((r) => r.title)).toEqual(['t1', 't2', 't3']);
    expect(new Set([first.id, ...rows.map((r) => r.id)]).size).toBe(4);
    const ops = await client.pendingOps();
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3, 4]);
    expect(ops.map((o) => o.id)).toEqual([first.id, ...rows.map((r) => r.id)]);
    expect(ops.slice(1).map((o) => o.type)).toEqual(['insert', 'insert', 'insert']);
    expect(ops[1]).toMatchObject({
      data: row(1),
      patch: null,
      changedFields: ['title', 'done', 'projectId'],
      baseVersion: 0,
      pushSeq: null,
      state: 'queued',
    });
    const clocks = ops.map((o) => o.hlc);
    expect([...clocks].sort()).toEqual(clocks);
    expect(new Set(clocks).size).toBe(clocks.length);
    for (const op of ops) {
      expect(Object.values(op.fieldClocks)).toEqual(op.changedFields.map(() => op.hlc));
      const stored = await todos.get(op.id);
      expect(stored).toMatchObject({ syncStatus: 'pending', serverId: null });
    }
    expect(client.status.pendingOps).toBe(4);
    // The next write continues the counter and the clock.
    await todos.insert(row(4));
    const after = await client.pendingOps();
    expect(after.at(-1)?.seq).toBe(5);
    expect(after.at(-1)!.hlc > clocks.at(-1)!).toBe(true);
    await client.close();
  });

  it('announces one change and one live-query run per insertMany, after commit', async () => {
    const client = await open();
    const todos = client.collection('todos');
    const seen: number[] = [];
    let changes = 0;
    client.on('change', () => (changes += 1));
    let runs = 0;
    const stop = todos.subscribe({}, (list) => {
      runs += 1;
      seen.push(list.length);
    });
    await expect.poll(() => runs).toBe(1);
    await todos.insertMany([row(1), row(2), row(3)]);
    expect(changes).toBe(1);
    await expect.poll(() => seen.at(-1)).toBe(3);
    expect(seen).toEqual([0, 3]);
    stop();
    await client.close();
  });

  it('an empty insertMany writes nothing and announces nothing', async () => {
    const client = await open();
    let changes = 0;
    client.on('change', () => (changes += 1));
    expect(await client.collection('todos').insertMany([])).toEqual([]);
    expect(await client.pendingOps()).toEqual([]);
    expect(changes).toBe(0);
    await client.close();
  });

  it('continues the clock and counter another client stored in the same database', async () => {
    const store = createMemoryStore();
    // Two clients on one database (two tabs): the second one's clock runs far ahead.
    const a = await open(store, () => 1_000);
    const b = await open(store, () => 5_000_000);
    await a.collection('todos').insert(row(1));
    await b.collection('todos').insertMany([row(2), row(3)]);
    // a's wall clock is behind b's stored clock: a's next writes must still sort after b's.
    await a.collection('todos').insertMany([row(4)]);
    await a.collection('todos').insert(row(5));
    const ops = await a.pendingOps();
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3, 4, 5]);
    const clocks = ops.map((o) => o.hlc);
    expect([...clocks].sort()).toEqual(clocks);
    expect(parseHlc(clocks[3]!)!.ms).toBeGreaterThanOrEqual(5_000_000);
    await a.close();
    await b.close();
  });

  it('stores the last clock it issued, so a restart with a wall clock that went back continues after it', async () => {
    const store = createMemoryStore();
    const first = await open(store, () => 9_000_000);
    await first.collection('todos').insertMany([row(1), row(2)]);
    const last = (await first.pendingOps()).at(-1)!.hlc;
    await first.close();
    const second = await open(store, () => 10);
    await second.collection('todos').insert(row(3));
    const ops = await second.pendingOps();
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3]);
    expect(ops[2]!.hlc > last).toBe(true);
    await second.close();
  });

  it('a transaction’s concurrent writes get distinct seqs and clocks', async () => {
    const client = await open();
    await client.transaction(async (tx) => {
      await Promise.all([1, 2, 3, 4].map((i) => tx.collection('todos').insert(row(i))));
    });
    const ops = await client.pendingOps();
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3, 4]);
    expect(new Set(ops.map((o) => o.hlc)).size).toBe(4);
    expect(client.status.pendingOps).toBe(4);
    await client.close();
  });

  it('on IndexedDB (auto-committing transactions): insertMany, concurrent writes and a restart', async () => {
    const indexedDB = new IDBFactory();
    const storage = () => indexedDbAdapter({ name: 'write-batch', indexedDB, IDBKeyRange });
    const client = await createSyncClient({ collections, storage: storage() });
    const todos = client.collection('todos');
    await todos.insertMany([row(1), row(2)]);
    await client.transaction(async (tx) => {
      await Promise.all([3, 4].map((i) => tx.collection('todos').insert(row(i))));
    });
    const [first] = await client.pendingOps();
    await todos.update(first!.id, { done: true });
    expect((await client.pendingOps()).map((o) => o.seq)).toEqual([1, 2, 3, 4]);
    await client.close();
    const again = await createSyncClient({ collections, storage: storage() });
    await again.collection('todos').insert(row(5));
    const ops = await again.pendingOps();
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3, 4, 5]);
    // The first op took the update's clock (coalesced); the write after the restart is last.
    const clocks = ops.map((o) => o.hlc);
    expect(new Set(clocks).size).toBe(5);
    expect(clocks.slice(0, 4).every((c) => c < clocks[4]!)).toBe(true);
    expect(again.status.pendingOps).toBe(5);
    await again.close();
  });
});
