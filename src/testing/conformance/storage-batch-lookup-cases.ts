import type {
  StorageAdapter,
  StorageTransaction,
  StoredRecord,
  TransactionMode,
} from '../../core/index.js';
import { assertEqual, assertTrue } from './assert.js';
import type { StorageConformanceCase } from './storage-fixtures.js';
import { adapterCase, makeRecord, putRecords } from './storage-fixtures.js';

/** Checks a batch lookup of `ids` in `todos` against `single` per id, and with no ids. */
async function assertLikeSingle(
  tx: StorageTransaction,
  lookup: BatchLookup,
  ids: readonly string[],
  single: (id: string) => Promise<StoredRecord | undefined>,
): Promise<void> {
  const found = await lookup.call(tx, 'todos', ids);
  const expected = new Map<string, StoredRecord>();
  for (const id of ids) {
    const one = await single(id);
    if (one) expected.set(id, one);
  }
  const sorted = (m: ReadonlyMap<string, StoredRecord>) =>
    [...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  assertEqual(sorted(found), sorted(expected), 'batch lookup equals per-id lookups');
  assertEqual((await lookup.call(tx, 'todos', [])).size, 0, 'no ids: an empty map');
}

type BatchLookup = (
  collection: string,
  keys: readonly string[],
) => Promise<ReadonlyMap<string, StoredRecord>>;

/**
 * Commits the records both cases look up (with a server id, deleted, two without one, one in
 * another collection), then runs `check` in a `mode` transaction with the batch lookup `name`
 * when the adapter offers it.
 */
async function withBatchLookup(
  adapter: StorageAdapter,
  mode: TransactionMode,
  name: 'getRecordsByServerIds' | 'getRecords',
  check: (tx: StorageTransaction, lookup: BatchLookup) => Promise<void>,
): Promise<void> {
  await putRecords(adapter, [
    makeRecord({ id: 'a', serverId: 's-a' }),
    makeRecord({ id: 'b', serverId: 's-b', deleted: true }),
    makeRecord({ id: 'c', serverId: null }),
    makeRecord({ id: 'e', serverId: null }),
    makeRecord({ id: 'd', serverId: 's-d', collection: 'notes' }),
  ]);
  await adapter.transaction(mode, async (tx) => {
    const lookup = tx[name];
    if (lookup === undefined) return;
    assertTrue(typeof lookup === 'function', `${name} is a function`);
    await check(tx, lookup);
  });
}

/**
 * Conformance cases for the optional batch lookups `getRecordsByServerIds` and `getRecords`:
 * an adapter that offers one answers exactly as one `getRecordByServerId` (or `getRecord`) per
 * id would, its own uncommitted writes included. Adapters without them pass.
 */
export const storageBatchLookupCases: readonly StorageConformanceCase[] = [
  adapterCase(
    'getRecordsByServerIds, when offered, answers like getRecordByServerId per id',
    (adapter) =>
      withBatchLookup(adapter, 'readonly', 'getRecordsByServerIds', async (tx, lookup) => {
        const ids = ['s-a', 's-b', 's-d', 'missing', 's-a'];
        await assertLikeSingle(tx, lookup, ids, (id) => tx.getRecordByServerId('todos', id));
      }),
  ),
  adapterCase(
    'getRecords, when offered, answers like getRecord per id, uncommitted writes included',
    (adapter) =>
      withBatchLookup(adapter, 'readwrite', 'getRecords', async (tx, lookup) => {
        // Staged here: one record changed, one removed, one new.
        await tx.putRecord(makeRecord({ id: 'a', serverId: 's-a', data: { title: 'changed' } }));
        await tx.deleteRecord('todos', 'e');
        await tx.putRecord(makeRecord({ id: 'f', serverId: null }));
        const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'missing', 'a'];
        await assertLikeSingle(tx, lookup, ids, (id) => tx.getRecord('todos', id));
      }),
  ),
];
