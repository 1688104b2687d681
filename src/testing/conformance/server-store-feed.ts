import { expect, it } from 'vitest';
import type { ChangeFilter, FeedEntry, ServerRecord } from '../../server/index.js';
import type { ServerStoreFixture } from './server-store-fixtures.js';
import { sampleServerRecord } from './server-store-fixtures.js';

type Run = (fn: (fixture: ServerStoreFixture) => Promise<void>) => () => Promise<void>;

/** Whether `record` matches `filter` as `ChangeFilter` defines it. */
function matches(record: ServerRecord, filter: ChangeFilter): boolean {
  if (filter.collections.includes(record.collection)) return true;
  if (record.ownerId !== filter.ownerId) return false;
  return filter.ownerCollections?.includes(record.collection) ?? true;
}

const ids = (entries: readonly FeedEntry[]): string[] => entries.map((e) => e.record.id);

/**
 * Conformance cases for a filtered feed read (`listChanges` and `countChanges` with a
 * `ChangeFilter`, `ownerCollections` included). The contract lets a store return entries that
 * do not match (the pull checks visibility), so the cases check what matters to a pull: the
 * matching entries all come, once each, by position, and pages chain without skipping one.
 * Registered by `runServerStoreConformance`.
 */
export function serverStoreFeedCases(run: Run): void {
  it(
    'filters the feed by owner, owner collections and scoped collections, and pages without a gap',
    run(async ({ store }) => {
      const put = (id: string, ownerId: string, collection: string, version = 1) =>
        sampleServerRecord({ id, ownerId, collection, version, originId: `${collection}-${id}` });
      await store.transaction(async (tx) => {
        await tx.putRecord(put('s1', 'alice', 'orders'));
        await tx.putRecord(put('a1', 'alice', 'todos'));
        await tx.putRecord(put('s2', 'alice', 'orders'));
        await tx.putRecord(put('b1', 'bob', 'todos'));
        await tx.putRecord(put('k1', 'bob', 'boards'));
        await tx.putRecord(put('n1', 'alice', 'notes'));
        await tx.putRecord(put('k2', 'alice', 'boards'));
        await tx.putRecord(put('s3', 'alice', 'orders'));
      });
      // A rewrite moves a record to the end of the feed, out of its old position.
      await store.transaction(async (tx) => {
        await tx.getRecord('todos', 'a1');
        await tx.putRecord(put('a1', 'alice', 'todos', 2));
        await tx.putRecord(put('a2', 'alice', 'todos'));
      });
      const cases: [ChangeFilter, string[]][] = [
        [
          { ownerId: 'alice', collections: ['boards'], ownerCollections: ['todos', 'boards'] },
          ['k1', 'k2', 'a1', 'a2'],
        ],
        [
          { ownerId: 'alice', collections: [], ownerCollections: ['todos', 'notes'] },
          ['n1', 'a1', 'a2'],
        ],
        [
          { ownerId: 'alice', collections: ['boards'] },
          ['s1', 's2', 'k1', 'n1', 'k2', 's3', 'a1', 'a2'],
        ],
        [{ ownerId: 'bob', collections: [], ownerCollections: ['boards'] }, ['k1']],
        [{ ownerId: 'alice', collections: [], ownerCollections: [] }, []],
        [{ ownerId: 'carol', collections: ['boards'], ownerCollections: ['orders'] }, ['k1', 'k2']],
      ];
      for (const [filter, expected] of cases) {
        const all = await store.read((r) => r.listChanges(0, 100, filter));
        const positions = all.map((e) => e.position);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
        expect(new Set(positions).size).toBe(positions.length);
        expect(ids(all.filter((e) => matches(e.record, filter)))).toEqual(expected);
        for (const limit of [1, 2, 3]) {
          const chained: FeedEntry[] = [];
          let after = 0;
          for (;;) {
            const page = await store.read((r) => r.listChanges(after, limit, filter));
            expect(page.length).toBeLessThanOrEqual(limit);
            chained.push(...page);
            if (page.length < limit) break;
            after = page[page.length - 1]!.position;
          }
          expect(ids(chained.filter((e) => matches(e.record, filter)))).toEqual(expected);
        }
        const { countChanges } = await store.read(async (r) => ({
          countChanges:
            typeof r.countChanges === 'function' ? await r.countChanges(0, filter) : undefined,
        }));
        if (countChanges !== undefined) {
          expect(countChanges).toBeGreaterThanOrEqual(expected.length);
          const head = await store.read((r) => r.getHead());
          expect(await store.read((r) => r.countChanges!(head, filter))).toBe(0);
        }
      }
    }),
  );
}
