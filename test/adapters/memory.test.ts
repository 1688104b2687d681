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
});
