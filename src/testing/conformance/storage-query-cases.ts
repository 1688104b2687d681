import type { Query, StoredRecord, SyncStatus } from '../../core/index.js';
import { applyQuery } from '../../core/index.js';
import { assertEqual } from './assert.js';
import type { StorageConformanceCase } from './storage-fixtures.js';
import { adapterCase, makeRecord, putRecords, seededRandom } from './storage-fixtures.js';

const STATUSES: readonly SyncStatus[] = ['synced', 'pending', 'conflicted'];
const TAGS = ['red', 'green', 'blue', 'Blue', ''] as const;

/**
 * About 200 records with mixed types on purpose: `n` is a number, a numeric string, a boolean,
 * null or missing; `s` a string or missing; `obj` an object, an array or missing.
 */
function generateRecords(seed: number): StoredRecord[] {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const records: StoredRecord[] = [];
  for (let i = 0; i < 200; i++) {
    const data: Record<string, unknown> = { i, tag: pick(TAGS) };
    const kind = random();
    if (kind < 0.55) data['n'] = Math.floor(random() * 20) - 5;
    else if (kind < 0.65) data['n'] = Math.floor(random() * 20) / 4;
    else if (kind < 0.72) data['n'] = String(Math.floor(random() * 20));
    else if (kind < 0.78) data['n'] = random() < 0.5;
    else if (kind < 0.86) data['n'] = null;
    if (random() < 0.85) data['s'] = pick(['apple', 'banana', 'cherry', 'Apple', '10', '9', 'é']);
    const shape = random();
    if (shape < 0.2) data['obj'] = { a: Math.floor(random() * 3) };
    else if (shape < 0.3) data['obj'] = [1, Math.floor(random() * 2)];
    data['done'] = random() < 0.4;
    records.push(
      makeRecord({
        collection: 'items',
        id: `id-${String(Math.floor(random() * 1e6)).padStart(6, '0')}-${i}`,
        serverId: random() < 0.3 ? null : `srv-${Math.floor(random() * 1000)}-${i}`,
        data,
        updatedAt: 1_700_000_000_000 + Math.floor(random() * 50) * 1000,
        syncStatus: pick(STATUSES),
        deleted: random() < 0.12,
      }),
    );
  }
  return records;
}

/** Queries covering every operator, mixed types, missing fields, metadata fields and paging. */
const QUERIES: readonly Query[] = [
  {},
  { where: { tag: 'red' } },
  { where: { tag: '' } },
  { where: { done: true } },
  { where: { done: false, tag: 'blue' } },
  { where: { n: 3 } },
  { where: { n: '3' } },
  { where: { n: null } },
  { where: { n: true } },
  { where: { n: 1 } },
  { where: { missing: null } },
  { where: { obj: { a: 1 } } },
  { where: { obj: [1, 0] } },
  { where: { n: { eq: 2 } } },
  { where: { n: { ne: 2 } } },
  { where: { n: { ne: null } } },
  { where: { n: { gt: 4 } } },
  { where: { n: { gte: 4, lt: 10 } } },
  { where: { n: { lte: 0 } } },
  { where: { n: { gt: '1' } } },
  { where: { n: { lt: true } } },
  { where: { s: { gte: 'b', lte: 'cherry' } } },
  { where: { s: { in: ['apple', 'Apple', '9'] } } },
  { where: { n: { in: [1, '1', true, null, 2.5] } } },
  { where: { s: { in: [] } } },
  { where: { tag: { ne: 'red' }, done: true } },
  { where: { syncStatus: 'pending' } },
  { where: { syncStatus: 'conflicted' } },
  { where: { syncStatus: 'conflicted', done: true }, orderBy: [['n', 'asc']] },
  { where: { syncStatus: { in: ['synced', 'conflicted'] } }, orderBy: [['updatedAt', 'desc']] },
  { where: { serverId: null } },
  { where: { serverId: { ne: null } }, orderBy: [['serverId', 'asc']], limit: 20 },
  { where: { updatedAt: { gte: 1_700_000_020_000 } } },
  { where: { id: { gt: 'id-5' } }, orderBy: [['id', 'desc']] },
  { orderBy: [['n', 'asc']] },
  { orderBy: [['n', 'desc']] },
  {
    orderBy: [
      ['s', 'asc'],
      ['n', 'desc'],
    ],
  },
  {
    orderBy: [
      ['tag', 'desc'],
      ['done', 'asc'],
      ['updatedAt', 'asc'],
    ],
  },
  { orderBy: [['obj', 'asc']] },
  { orderBy: [['missing', 'asc']] },
  { orderBy: [['n', 'asc']], limit: 10 },
  { orderBy: [['n', 'asc']], limit: 10, offset: 15 },
  { orderBy: [['s', 'desc']], offset: 150 },
  { where: { done: true }, orderBy: [['updatedAt', 'desc']], limit: 0 },
  { where: { tag: 'green' }, orderBy: [['syncStatus', 'asc']], offset: 3, limit: 5 },
  { limit: 1000, offset: 0 },
];

/** Conformance cases for `queryRecords`: its results must equal core `applyQuery`. */
export const storageQueryCases: readonly StorageConformanceCase[] = [
  adapterCase(
    'queryRecords matches core applyQuery for operators, mixed types, metadata and paging',
    async (adapter) => {
      const records = generateRecords(20_240_601);
      const others = generateRecords(7).map((r) => ({ ...r, collection: 'others' }));
      await adapter.transaction('readwrite', async (tx) => {
        for (const r of [...records, ...others]) await tx.putRecord(r);
      });
      await adapter.transaction('readonly', async (tx) => {
        for (const query of QUERIES) {
          const expected = applyQuery(records, query);
          const actual = await tx.queryRecords('items', query);
          assertEqual(
            actual.map((r) => r.id),
            expected.map((r) => r.id),
            `ids returned for ${JSON.stringify(query)}`,
          );
          assertEqual(actual, expected, `records returned for ${JSON.stringify(query)}`);
        }
        assertEqual(await tx.queryRecords('nothing-here', {}), [], 'unknown collection');
      });
    },
  ),
  adapterCase(
    'queryRecords sees the transaction’s own uncommitted writes and deletes',
    async (adapter) => {
      const records = generateRecords(99).slice(0, 40);
      await adapter.transaction('readwrite', async (tx) => {
        for (const r of records) await tx.putRecord(r);
      });
      const query: Query = { where: { done: { ne: true } }, orderBy: [['n', 'desc']] };
      await adapter.transaction('readwrite', async (tx) => {
        const changed = records.map((r, i) =>
          i % 4 === 0 ? { ...r, data: { ...r.data, done: !r.data['done'] } } : r,
        );
        for (const r of changed.filter((_, i) => i % 4 === 0)) await tx.putRecord(r);
        const removed = changed.filter((_, i) => i % 5 !== 1);
        for (const r of changed.filter((_, i) => i % 5 === 1)) {
          await tx.deleteRecord(r.collection, r.id);
        }
        assertEqual(
          await tx.queryRecords('items', query),
          applyQuery(removed, query),
          'query inside the writing transaction',
        );
      });
    },
  ),
  adapterCase(
    'a conflicts-only query follows records into and out of conflict, staged, committed and rolled back',
    async (adapter) => {
      const records = generateRecords(31).slice(0, 60);
      await putRecords(adapter, records);
      const conflictsOnly: Query = { where: { syncStatus: 'conflicted' } };
      const ids = (rows: readonly StoredRecord[]) => rows.map((r) => r.id);
      // Out of conflict, into conflict, deleted while in conflict.
      const flip = (r: StoredRecord, i: number): StoredRecord | undefined => {
        if (i % 3 === 0) return undefined;
        const syncStatus: SyncStatus = r.syncStatus === 'conflicted' ? 'synced' : 'conflicted';
        return i % 3 === 1 ? { ...r, syncStatus } : r;
      };
      const next = records.map(flip);
      const committed = next.filter((r): r is StoredRecord => r !== undefined);
      await adapter.transaction('readwrite', async (tx) => {
        for (const [i, r] of records.entries()) {
          const to = next[i];
          if (to === undefined) await tx.deleteRecord(r.collection, r.id);
          else if (to !== r) await tx.putRecord(to);
        }
        assertEqual(
          ids(await tx.queryRecords('items', conflictsOnly)),
          ids(applyQuery(committed, conflictsOnly)),
          'conflicts inside the writing transaction',
        );
      });
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(
          ids(await tx.queryRecords('items', conflictsOnly)),
          ids(applyQuery(committed, conflictsOnly)),
          'conflicts after commit',
        );
      });
      await adapter
        .transaction('readwrite', async (tx) => {
          for (const r of committed) {
            await tx.putRecord({
              ...r,
              syncStatus: r.syncStatus === 'conflicted' ? 'pending' : 'conflicted',
            });
          }
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(
          ids(await tx.queryRecords('items', conflictsOnly)),
          ids(applyQuery(committed, conflictsOnly)),
          'conflicts after a rolled-back transaction',
        );
      });
    },
  ),
];
