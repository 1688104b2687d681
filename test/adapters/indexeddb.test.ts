import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { StorageAdapter } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
// Imported by path until src/testing/index.ts re-exports it as `tidesync/testing`.
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import { quotaLimitedFactory } from './indexeddb-quota.js';

runStorageAdapterConformance('indexeddb (fake-indexeddb)', () =>
  indexedDbAdapter({ name: 'conformance', indexedDB: new IDBFactory(), IDBKeyRange }),
);

// Without IDBKeyRange the adapter reads every op of a state: the same contract must hold.
runStorageAdapterConformance('indexeddb (fake-indexeddb, no IDBKeyRange)', () =>
  indexedDbAdapter({ name: 'conformance', indexedDB: new IDBFactory() }),
);

/** A foreign promise: exactly what the auto-commit rule forbids inside a transaction. */
const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function openAdapter(factory: IDBFactory = new IDBFactory()): Promise<StorageAdapter> {
  const adapter = indexedDbAdapter({ name: 'app', indexedDB: factory });
  await adapter.open();
  return adapter;
}

async function snapshot(adapter: StorageAdapter) {
  return adapter.transaction('readonly', async (tx) => ({
    records: await tx.listRecords('todos'),
    ops: await tx.listOps(),
    cursor: await tx.getMeta('cursor'),
  }));
}

describe('indexedDbAdapter transactions', () => {
  it('rejects with TRANSACTION_INACTIVE and writes nothing when fn awaits a timer between writes', async () => {
    const adapter = await openAdapter();
    const failure = adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'before' }));
      await tx.putOp(makeOp({ opId: 'op-before', seq: 1 }));
      await timer(20);
      await tx.putRecord(makeRecord({ id: 'after' }));
    });
    await expect(failure).rejects.toMatchObject({
      name: 'StorageError',
      code: 'TRANSACTION_INACTIVE',
      message: expect.stringMatching(/do not await network or timers/i),
    });
    expect(await snapshot(adapter)).toEqual({ records: [], ops: [], cursor: undefined });
    await adapter.close();
  });

  it('rejects with TRANSACTION_INACTIVE and writes nothing when fn awaits a timer after its writes', async () => {
    const adapter = await openAdapter();
    const failure = adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'r1' }));
      await tx.setMeta('cursor', 'c1');
      await timer(20);
      return 'finished';
    });
    await expect(failure).rejects.toMatchObject({ code: 'TRANSACTION_INACTIVE' });
    expect(await snapshot(adapter)).toEqual({ records: [], ops: [], cursor: undefined });
    // The adapter keeps working for transactions that follow the rule.
    await adapter.transaction('readwrite', (tx) => tx.setMeta('cursor', 'c2'));
    expect((await snapshot(adapter)).cursor).toBe('c2');
    await adapter.close();
  });

  it('rejects a read after a timer inside the transaction with TRANSACTION_INACTIVE', async () => {
    const adapter = await openAdapter();
    const failure = adapter.transaction('readonly', async (tx) => {
      await tx.getMeta('cursor');
      await timer(20);
      return tx.getMeta('cursor');
    });
    await expect(failure).rejects.toMatchObject({ code: 'TRANSACTION_INACTIVE' });
    await adapter.close();
  });

  it('maps a quota abort at commit to STORAGE_QUOTA_EXCEEDED and keeps nothing of the transaction', async () => {
    const factory = quotaLimitedFactory(new IDBFactory(), (value) =>
      JSON.stringify(value).includes('huge'),
    );
    const adapter = await openAdapter(factory);
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'old', data: { v: 1 } }));
      await tx.setMeta('cursor', 'c1');
    });
    const failure = adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'old', data: { v: 2 } }));
      await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
      await tx.putRecord(makeRecord({ id: 'big', data: { blob: 'huge' } }));
      await tx.setMeta('cursor', 'c2');
    });
    await expect(failure).rejects.toMatchObject({
      name: 'StorageError',
      code: 'STORAGE_QUOTA_EXCEEDED',
      cause: expect.objectContaining({ name: 'QuotaExceededError' }),
    });
    const after = await snapshot(adapter);
    expect(after.records.map((r) => [r.id, r.data])).toEqual([['old', { v: 1 }]]);
    expect(after.ops).toEqual([]);
    expect(after.cursor).toBe('c1');
    // Once the big write is gone, writing works again.
    await adapter.transaction('readwrite', (tx) => tx.setMeta('cursor', 'c3'));
    expect((await snapshot(adapter)).cursor).toBe('c3');
    await adapter.close();
  });

  it('rejects a value IndexedDB cannot store with STORAGE_FAILED and writes nothing', async () => {
    const adapter = await openAdapter();
    const failure = adapter.transaction('readwrite', async (tx) => {
      await tx.setMeta('cursor', 'c1');
      await tx.putRecord(makeRecord({ id: 'r1', data: { callback: () => 1 } }));
    });
    await expect(failure).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      message: expect.stringContaining('JSON values'),
    });
    expect(await snapshot(adapter)).toEqual({ records: [], ops: [], cursor: undefined });
    await adapter.close();
  });

  it('serialises read-write transactions of two adapters on one database, like two tabs', async () => {
    const factory = new IDBFactory();
    const tabA = await openAdapter(factory);
    const tabB = await openAdapter(factory);
    await tabA.transaction('readwrite', (tx) => tx.setMeta('counter', 0));
    const increment = (adapter: StorageAdapter) =>
      adapter.transaction('readwrite', async (tx) => {
        const value = (await tx.getMeta<number>('counter')) ?? -1000;
        await tx.getRecord('todos', 'anything');
        await tx.setMeta('counter', value + 1);
      });
    await Promise.all(Array.from({ length: 10 }, (_, i) => increment(i % 2 === 0 ? tabA : tabB)));
    expect(await tabB.transaction('readonly', (tx) => tx.getMeta('counter'))).toBe(10);
    await tabA.close();
    await tabB.close();
  });

  it('returns copies: mutating a returned record or a written value changes nothing stored', async () => {
    const adapter = await openAdapter();
    const written = makeRecord({ id: 'r1', data: { tags: ['a'] } });
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(written);
      (written.data['tags'] as string[]).push('mutated-after-put');
      const inside = await tx.getRecord('todos', 'r1');
      (inside?.data['tags'] as string[]).push('mutated-inside');
    });
    const [stored] = (await snapshot(adapter)).records;
    expect(stored?.data).toEqual({ tags: ['a'] });
    await adapter.close();
  });

  it('finds records by server id and ops by state and record through the indexes, with buffered writes overlaid', async () => {
    const adapter = await openAdapter();
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'r1', serverId: 's1' }));
      await tx.putRecord(makeRecord({ id: 'r2', serverId: 's2' }));
      await tx.putOp(makeOp({ opId: 'a', seq: 3, id: 'r1', state: 'inflight' }));
      await tx.putOp(makeOp({ opId: 'b', seq: 1, id: 'r2' }));
      await tx.putOp(makeOp({ opId: 'c', seq: 2, id: 'r1', state: 'dead' }));
    });
    const seen = await adapter.transaction('readwrite', async (tx) => {
      // r1 loses its server id inside this transaction; r3 takes s1.
      await tx.putRecord(makeRecord({ id: 'r1', serverId: null }));
      await tx.putRecord(makeRecord({ id: 'r3', serverId: 's1' }));
      await tx.deleteOp('b');
      await tx.putOp(makeOp({ opId: 'd', seq: 4, id: 'r1' }));
      return {
        s1: (await tx.getRecordByServerId('todos', 's1'))?.id,
        s2: (await tx.getRecordByServerId('todos', 's2'))?.id,
        queuedOrInflight: (await tx.listOps({ states: ['queued', 'inflight'] })).map((o) => o.opId),
        ofR1: (await tx.listOps({ collection: 'todos', recordId: 'r1' })).map((o) => o.opId),
        firstTwo: (await tx.listOps({ limit: 2 })).map((o) => o.opId),
      };
    });
    expect(seen).toEqual({
      s1: 'r3',
      s2: 'r2',
      queuedOrInflight: ['a', 'd'],
      ofR1: ['c', 'a', 'd'],
      firstTwo: ['c', 'a'],
    });
    await adapter.close();
  });

  it('reads the oldest ops of a state a page at a time, and buffered writes still win', async () => {
    const bounds: unknown[] = [];
    const countingRange = {
      bound: (...args: Parameters<typeof IDBKeyRange.bound>) => {
        bounds.push(args[0]);
        return IDBKeyRange.bound(...args);
      },
    } as unknown as typeof IDBKeyRange;
    const adapter = indexedDbAdapter({
      name: 'app',
      indexedDB: new IDBFactory(),
      IDBKeyRange: countingRange,
    });
    await adapter.transaction('readwrite', async (tx) => {
      for (let seq = 1; seq <= 20; seq++) {
        await tx.putOp(makeOp({ opId: `op${seq}`, seq, state: seq === 4 ? 'dead' : 'queued' }));
      }
    });
    const seen = await adapter.transaction('readwrite', async (tx) => {
      // Three buffered changes that each alter the answer for the first page.
      await tx.putOp(makeOp({ opId: 'op1', seq: 1, state: 'inflight' }));
      await tx.deleteOp('op2');
      await tx.putOp(makeOp({ opId: 'op4', seq: 4, state: 'queued' }));
      return {
        queued: (await tx.listOps({ states: ['queued'], limit: 3 })).map((o) => o.opId),
        queuedOrDead: (await tx.listOps({ states: ['dead', 'queued'], limit: 2 })).map(
          (o) => o.opId,
        ),
      };
    });
    const committed = await adapter.transaction('readonly', async (tx) =>
      (await tx.listOps({ states: ['queued'], limit: 3 })).map((o) => o.opId),
    );
    await adapter.close();
    expect(seen).toEqual({ queued: ['op3', 'op4', 'op5'], queuedOrDead: ['op3', 'op4'] });
    expect(committed).toEqual(['op3', 'op4', 'op5']);
    expect(bounds).toEqual([
      ['queued', -Infinity],
      ['dead', -Infinity],
      ['queued', -Infinity],
      ['queued', -Infinity],
    ]);
  });
});
