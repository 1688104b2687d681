import type { OutboxOp } from '../../core/index.js';
import { assertEqual } from './assert.js';
import type { StorageConformanceCase } from './storage-fixtures.js';
import { adapterCase, makeOp } from './storage-fixtures.js';

const seqs = (ops: readonly OutboxOp[]): number[] => ops.map((op) => op.seq);

/** Conformance cases for the outbox (ops) and metadata. */
export const storageOutboxCases: readonly StorageConformanceCase[] = [
  adapterCase('putOp and getOp round-trip an op with every field set', async (adapter) => {
    const full = makeOp({
      opId: 'op-1',
      seq: 1,
      pushSeq: 12,
      serverId: 'srv-1',
      type: 'update',
      data: null,
      patch: { title: 'new', nested: { list: [1, 'two', null] } },
      changedFields: ['title', 'nested'],
      baseVersion: 4,
      state: 'dead',
      attempts: 5,
      error: { code: 'OP_REJECTED', message: 'title too long' },
    });
    const bare = makeOp({
      opId: 'op-2',
      seq: 2,
      type: 'delete',
      data: null,
      changedFields: [],
    });
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putOp(full);
      await tx.putOp(bare);
    });
    await adapter.transaction('readonly', async (tx) => {
      assertEqual(await tx.getOp('op-1'), full, 'op with every field');
      assertEqual(await tx.getOp('op-2'), bare, 'delete op');
      assertEqual(await tx.getOp('op-3'), undefined, 'missing op');
    });
    const moved = { ...full, state: 'inflight', attempts: 6, error: null } as const;
    await adapter.transaction('readwrite', (tx) => tx.putOp(moved));
    await adapter.transaction('readonly', async (tx) => {
      assertEqual(await tx.getOp('op-1'), moved, 'replaced op');
      assertEqual((await tx.listOps()).length, 2, 'replacing keeps one op per opId');
    });
  }),
  adapterCase(
    'listOps returns ops by ascending seq, filtered by states, collection, recordId and limit',
    async (adapter) => {
      const order = [7, 3, 12, 1, 9, 4, 15, 2, 11, 5, 100, 30];
      const ops = order.map((seq, i) =>
        makeOp({
          opId: `op-${seq}`,
          seq,
          collection: i % 3 === 0 ? 'projects' : 'todos',
          id: `r${i % 4}`,
          state: (['queued', 'inflight', 'dead'] as const)[i % 3] ?? 'queued',
        }),
      );
      await adapter.transaction('readwrite', async (tx) => {
        for (const op of ops) await tx.putOp(op);
      });
      const sorted = [...ops].sort((a, b) => a.seq - b.seq);
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.listOps(), sorted, 'all ops');
        assertEqual(await tx.listOps({}), sorted, 'empty options');
        assertEqual(seqs(await tx.listOps({ limit: 3 })), [1, 2, 3], 'limit');
        assertEqual(await tx.listOps({ limit: 0 }), [], 'limit 0');
        for (const states of [['queued'], ['inflight', 'dead'], []] as const) {
          assertEqual(
            seqs(await tx.listOps({ states })),
            seqs(sorted.filter((op) => (states as readonly string[]).includes(op.state))),
            `states ${JSON.stringify(states)}`,
          );
        }
        assertEqual(
          seqs(await tx.listOps({ collection: 'projects' })),
          seqs(sorted.filter((op) => op.collection === 'projects')),
          'collection',
        );
        assertEqual(
          seqs(await tx.listOps({ collection: 'todos', recordId: 'r1' })),
          seqs(sorted.filter((op) => op.collection === 'todos' && op.id === 'r1')),
          'collection and recordId',
        );
        assertEqual(
          seqs(await tx.listOps({ collection: 'todos', states: ['queued', 'dead'], limit: 2 })),
          seqs(
            sorted.filter((op) => op.collection === 'todos' && op.state !== 'inflight').slice(0, 2),
          ),
          'every filter at once',
        );
      });
    },
  ),
  adapterCase('deleteOp removes an op and ignores missing ones', async (adapter) => {
    await adapter.transaction('readwrite', async (tx) => {
      for (let seq = 1; seq <= 4; seq++) await tx.putOp(makeOp({ opId: `op-${seq}`, seq }));
    });
    await adapter.transaction('readwrite', async (tx) => {
      await tx.deleteOp('op-2');
      await tx.deleteOp('op-missing');
      assertEqual(await tx.getOp('op-2'), undefined, 'deleted inside the transaction');
      assertEqual(seqs(await tx.listOps()), [1, 3, 4], 'listed inside the transaction');
    });
    await adapter.transaction('readonly', async (tx) => {
      assertEqual(seqs(await tx.listOps()), [1, 3, 4], 'after commit');
    });
  }),
  adapterCase(
    'getMeta and setMeta round-trip JSON values, and setMeta(key, undefined) removes the key',
    async (adapter) => {
      const values: Record<string, unknown> = {
        object: { cursor: 'abc', nested: { list: [1, 2, { x: null }] } },
        array: [1, 'two', false, null, { a: [] }],
        number: 42.5,
        zero: 0,
        string: 'hello 😀',
        empty: '',
        nothing: null,
        yes: true,
        no: false,
      };
      await adapter.transaction('readwrite', async (tx) => {
        for (const [key, value] of Object.entries(values)) await tx.setMeta(key, value);
      });
      await adapter.transaction('readwrite', async (tx) => {
        for (const [key, value] of Object.entries(values)) {
          assertEqual(await tx.getMeta(key), value, `meta ${key}`);
        }
        assertEqual(await tx.getMeta('unknown'), undefined, 'missing key');
        await tx.setMeta('number', undefined);
        await tx.setMeta('never-set', undefined);
        await tx.setMeta('string', 'replaced');
        assertEqual(await tx.getMeta('number'), undefined, 'removed inside the transaction');
      });
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getMeta('number'), undefined, 'removed key');
        assertEqual(await tx.getMeta('string'), 'replaced', 'replaced value');
        assertEqual(await tx.getMeta('nothing'), null, 'null is a value, not a removal');
        const got = (await tx.getMeta<{ cursor: string }>('object')) ?? { cursor: '' };
        got.cursor = 'mutated';
        assertEqual(await tx.getMeta('object'), values['object'], 'meta values are copies');
      });
    },
  ),
];
