import { describe, expect, it } from 'vitest';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
// Imported by path until src/testing/index.ts re-exports it as `tidesync/testing`.
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';

runStorageAdapterConformance('memory', () => memoryAdapter());

describe('memoryAdapter', () => {
  it('keeps data across adapter instances that share one MemoryStore', async () => {
    const store = createMemoryStore();
    const first = memoryAdapter({ store });
    await first.open();
    await first.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'r1' }));
      await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
      await tx.setMeta('cursor', 'abc');
    });
    await first.close();

    const second = memoryAdapter({ store });
    await second.open();
    const seen = await second.transaction('readonly', async (tx) => ({
      record: await tx.getRecord('todos', 'r1'),
      ops: await tx.listOps(),
      cursor: await tx.getMeta('cursor'),
    }));
    await second.close();
    expect(seen.record).toEqual(makeRecord({ id: 'r1' }));
    expect(seen.ops.map((op) => op.opId)).toEqual(['op1']);
    expect(seen.cursor).toBe('abc');
  });

  it('keeps separate data for adapters without a shared store', async () => {
    const a = memoryAdapter();
    const b = memoryAdapter();
    await a.open();
    await b.open();
    await a.transaction('readwrite', (tx) => tx.setMeta('k', 1));
    expect(await b.transaction('readonly', (tx) => tx.getMeta('k'))).toBeUndefined();
    await a.close();
    await b.close();
  });

  it('finds records by server id, equal to the local id or not, before and after commit', async () => {
    const adapter = memoryAdapter();
    await adapter.open();
    const byServerId = (serverId: string) =>
      adapter.transaction('readonly', (tx) => tx.getRecordByServerId('todos', serverId));
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 's1', serverId: 's1' }));
      await tx.putRecord(makeRecord({ id: 'local2', serverId: 's2' }));
      await tx.putRecord(makeRecord({ id: 'local3', serverId: null }));
      // Staged: found inside the transaction before it commits.
      expect((await tx.getRecordByServerId('todos', 's1'))?.id).toBe('s1');
      expect((await tx.getRecordByServerId('todos', 's2'))?.id).toBe('local2');
    });
    expect((await byServerId('s1'))?.id).toBe('s1');
    expect((await byServerId('s2'))?.id).toBe('local2');
    // A local id is not a server id: `local3` has none, `local2`'s is `s2`.
    expect(await byServerId('local3')).toBeUndefined();
    expect(await byServerId('local2')).toBeUndefined();
    await adapter.transaction('readwrite', async (tx) => {
      // Server ids change and records go away inside one transaction.
      await tx.putRecord(makeRecord({ id: 'local2', serverId: 's2b' }));
      await tx.deleteRecord('todos', 's1');
      await tx.putRecord(makeRecord({ id: 'local3', serverId: 's3' }));
      await tx.putRecord(makeRecord({ id: 'local3', serverId: 's3b' }));
      expect(await tx.getRecordByServerId('todos', 's2')).toBeUndefined();
      expect((await tx.getRecordByServerId('todos', 's2b'))?.id).toBe('local2');
      expect(await tx.getRecordByServerId('todos', 's1')).toBeUndefined();
      expect(await tx.getRecordByServerId('todos', 's3')).toBeUndefined();
      expect((await tx.getRecordByServerId('todos', 's3b'))?.id).toBe('local3');
    });
    expect(await byServerId('s1')).toBeUndefined();
    expect(await byServerId('s2')).toBeUndefined();
    expect((await byServerId('s2b'))?.id).toBe('local2');
    expect(await byServerId('s3')).toBeUndefined();
    expect((await byServerId('s3b'))?.id).toBe('local3');
    // A record whose id equals its server id, then given another server id.
    await adapter.transaction('readwrite', (tx) =>
      tx.putRecord(makeRecord({ id: 'local2', serverId: 'local2' })),
    );
    expect((await byServerId('local2'))?.id).toBe('local2');
    expect(await byServerId('s2b')).toBeUndefined();
    await adapter.close();
  });

  it('copies records on put and on read, shared field clocks included', async () => {
    const adapter = memoryAdapter();
    await adapter.open();
    const hlc = '001700000000000:000000:client1';
    const record = makeRecord({
      id: 'r1',
      serverId: 'r1',
      hlc,
      fieldClocks: { title: hlc, done: hlc },
      data: { title: 'a', done: false, tags: ['x', { deep: [1] }] },
    });
    await adapter.transaction('readwrite', (tx) => tx.putRecord(record));
    (record.data['tags'] as unknown[]).push('y');
    (record.fieldClocks as Record<string, string>)['title'] = 'changed';
    const read = await adapter.transaction('readonly', (tx) =>
      tx.getRecordByServerId('todos', 'r1'),
    );
    expect(read?.data).toEqual({ title: 'a', done: false, tags: ['x', { deep: [1] }] });
    expect(read?.fieldClocks).toEqual({ title: hlc, done: hlc });
    ((read?.data['tags'] as unknown[])[1] as { deep: number[] }).deep.push(2);
    (read?.fieldClocks as Record<string, string>)['done'] = 'changed';
    const again = await adapter.transaction('readonly', (tx) => tx.getRecord('todos', 'r1'));
    expect(again?.data).toEqual({ title: 'a', done: false, tags: ['x', { deep: [1] }] });
    expect(again?.fieldClocks).toEqual({ title: hlc, done: hlc });
    await adapter.close();
  });

  it('keeps a `__proto__` key of record data as a plain field', async () => {
    const adapter = memoryAdapter();
    await adapter.open();
    const data = JSON.parse('{"title":"a","__proto__":{"polluted":true}}') as Record<
      string,
      unknown
    >;
    await adapter.transaction('readwrite', (tx) => tx.putRecord(makeRecord({ id: 'r1', data })));
    const read = await adapter.transaction('readonly', (tx) => tx.getRecord('todos', 'r1'));
    expect(Object.getPrototypeOf(read?.data)).toBe(Object.prototype);
    expect(Object.keys(read?.data ?? {})).toEqual(['title', '__proto__']);
    expect((read?.data as { polluted?: unknown }).polluted).toBeUndefined();
    await adapter.close();
  });
});
