import type { StorageTransaction } from '../../core/index.js';
import { assertEqual, assertRejects, assertTrue } from './assert.js';
import type { StorageConformanceCase } from './storage-fixtures.js';
import { adapterCase, deferred, makeOp, makeRecord } from './storage-fixtures.js';

/** Conformance cases for atomicity, isolation and the adapter lifecycle. */
export const storageTransactionCases: readonly StorageConformanceCase[] = [
  adapterCase(
    'a transaction that throws leaves no record, op or meta behind and passes the error on',
    async (adapter) => {
      await adapter.transaction('readwrite', async (tx) => {
        await tx.putRecord(makeRecord({ id: 'kept', data: { v: 1 } }));
        await tx.putOp(makeOp({ opId: 'kept-op', seq: 1 }));
        await tx.setMeta('cursor', 'c1');
      });
      const failure = new Error('app failure inside the transaction');
      const rejection = await assertRejects(
        adapter.transaction('readwrite', async (tx) => {
          await tx.putRecord(makeRecord({ id: 'new' }));
          await tx.putRecord(makeRecord({ id: 'kept', data: { v: 2 } }));
          await tx.deleteOp('kept-op');
          await tx.putOp(makeOp({ opId: 'new-op', seq: 2 }));
          await tx.setMeta('cursor', 'c2');
          await tx.setMeta('other', { a: 1 });
          throw failure;
        }),
      );
      assertTrue(rejection === failure, 'the transaction rejects with the error fn threw');
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getRecord('todos', 'new'), undefined, 'no new record');
        assertEqual((await tx.getRecord('todos', 'kept'))?.data, { v: 1 }, 'record unchanged');
        assertEqual(
          (await tx.listOps()).map((op) => op.opId),
          ['kept-op'],
          'ops unchanged',
        );
        assertEqual(await tx.getMeta('cursor'), 'c1', 'meta unchanged');
        assertEqual(await tx.getMeta('other'), undefined, 'no new meta');
      });
      // The adapter stays usable after a rolled-back transaction.
      await adapter.transaction('readwrite', (tx) => tx.setMeta('after', 1));
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getMeta('after'), 1, 'write after a rollback');
      });
    },
  ),
  adapterCase(
    'a transaction sees its own writes at once and resolves with fn’s value',
    async (adapter) => {
      const result = await adapter.transaction('readwrite', async (tx) => {
        const record = makeRecord({ id: 'r1', serverId: 's1' });
        await tx.putRecord(record);
        assertEqual(await tx.getRecord('todos', 'r1'), record, 'getRecord');
        assertEqual(await tx.getRecordByServerId('todos', 's1'), record, 'by server id');
        assertEqual(await tx.listRecords('todos'), [record], 'listRecords');
        assertEqual(await tx.queryRecords('todos', {}), [record], 'queryRecords');
        assertEqual(await tx.listCollections(), ['todos'], 'listCollections');
        await tx.putOp(makeOp({ opId: 'op', seq: 1 }));
        assertEqual((await tx.getOp('op'))?.seq, 1, 'getOp');
        assertEqual((await tx.listOps()).length, 1, 'listOps');
        await tx.setMeta('k', [1]);
        assertEqual(await tx.getMeta('k'), [1], 'getMeta');
        return 'done';
      });
      assertEqual(result, 'done', 'transaction result');
    },
  ),
  adapterCase(
    'a readonly transaction does not see uncommitted writes of a concurrent readwrite one',
    async (adapter) => {
      const firstWritten = deferred();
      let readerDone = false;
      const writer = adapter.transaction('readwrite', async (tx) => {
        await tx.putRecord(makeRecord({ id: 'first' }));
        firstWritten.resolve();
        // Keep the transaction busy with its own calls (never a foreign promise) until the
        // reader finished, or a bound for engines that queue the reader behind the writer.
        for (let i = 0; i < 200 && !readerDone; i++) await tx.getRecord('todos', 'first');
        await tx.putRecord(makeRecord({ id: 'last' }));
      });
      const reader = firstWritten.promise.then(() =>
        adapter.transaction('readonly', async (tx) => {
          const first = await tx.getRecord('todos', 'first');
          const last = await tx.getRecord('todos', 'last');
          readerDone = true;
          return [first !== undefined, last !== undefined];
        }),
      );
      const [, seen] = await Promise.all([writer, reader]);
      assertTrue(
        seen[0] === seen[1],
        `the reader saw ${seen[0] ? 'the first' : 'not the first'} and ${seen[1] ? 'the last' : 'not the last'} write of one transaction: no dirty or partial reads allowed`,
      );
    },
  ),
  adapterCase(
    'concurrent readwrite transactions do not interleave and run in call order',
    async (adapter) => {
      await adapter.transaction('readwrite', async (tx) => {
        await tx.setMeta('counter', 0);
        await tx.setMeta('order', []);
      });
      const runs = Array.from({ length: 20 }, (_, i) =>
        adapter.transaction('readwrite', async (tx) => {
          const counter = (await tx.getMeta<number>('counter')) ?? -1000;
          await tx.getRecord('todos', 'anything');
          await tx.setMeta('counter', counter + 1);
          const order = (await tx.getMeta<number[]>('order')) ?? [];
          await tx.setMeta('order', [...order, i]);
        }),
      );
      await Promise.all(runs);
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getMeta('counter'), 20, 'counter after 20 increments');
        assertEqual(
          await tx.getMeta('order'),
          Array.from({ length: 20 }, (_, i) => i),
          'call order',
        );
      });
    },
  ),
  adapterCase('writes in a readonly transaction reject and store nothing', async (adapter) => {
    const writes: ((tx: StorageTransaction) => Promise<void>)[] = [
      (tx) => tx.putRecord(makeRecord({ id: 'r1' })),
      (tx) => tx.deleteRecord('todos', 'r1'),
      (tx) => tx.putOp(makeOp({ opId: 'op', seq: 1 })),
      (tx) => tx.deleteOp('op'),
      (tx) => tx.setMeta('k', 1),
    ];
    for (const [i, write] of writes.entries()) {
      await assertRejects(
        adapter.transaction('readonly', write),
        undefined,
        `write #${i} in a readonly transaction`,
      );
    }
    await adapter.transaction('readonly', async (tx) => {
      assertEqual(await tx.listRecords('todos'), [], 'no records');
      assertEqual(await tx.listOps(), [], 'no ops');
      assertEqual(await tx.getMeta('k'), undefined, 'no meta');
    });
  }),
  adapterCase(
    'calls on a transaction after it ended reject with TRANSACTION_INACTIVE',
    async (adapter) => {
      let leaked: StorageTransaction | undefined;
      await adapter.transaction('readwrite', async (tx) => {
        leaked = tx;
        await tx.setMeta('k', 1);
      });
      assertTrue(leaked !== undefined, 'transaction callback ran');
      await assertRejects(leaked.getMeta('k'), 'TRANSACTION_INACTIVE', 'read after the end');
      await assertRejects(leaked.setMeta('k', 2), 'TRANSACTION_INACTIVE', 'write after the end');
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getMeta('k'), 1, 'late write stored nothing');
      });
    },
  ),
  {
    name: 'open() is idempotent and keeps data; close() is idempotent; calls after close() reject with STORAGE_CLOSED',
    run: async (create) => {
      const adapter = await create();
      await adapter.open();
      await adapter.transaction('readwrite', (tx) => tx.setMeta('k', 'v'));
      await adapter.open();
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getMeta('k'), 'v', 'data after a second open()');
      });
      await adapter.close();
      await adapter.close();
      await assertRejects(
        adapter.transaction('readonly', (tx) => tx.getMeta('k')),
        'STORAGE_CLOSED',
        'readonly transaction after close',
      );
      await assertRejects(
        adapter.transaction('readwrite', (tx) => tx.setMeta('k', 'w')),
        'STORAGE_CLOSED',
        'readwrite transaction after close',
      );
      await assertRejects(adapter.open(), 'STORAGE_CLOSED', 'open after close');
    },
  },
];
