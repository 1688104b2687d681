import { expect, it } from 'vitest';
import type { ServerStoreFixture } from './server-store-fixtures.js';
import { sampleServerRecord } from './server-store-fixtures.js';

type Run = (fn: (fixture: ServerStoreFixture) => Promise<void>) => () => Promise<void>;

/**
 * Conformance cases for the record fields the server's hardening relies on: a scoped record's
 * `formerData` (scope exits) and an empty tombstone. Registered by `runServerStoreConformance`.
 */
export function serverStoreRecordCases(run: Run): void {
  it(
    'round-trips formerData and empty tombstones, through reads, the feed and rewrites',
    run(async ({ store }) => {
      const former = [{ name: 'before', members: ['a', 'b'] }, { name: 'older' }];
      const shared = sampleServerRecord({ id: 's', collection: 'lists', formerData: former });
      const tombstone = sampleServerRecord({ id: 't', deleted: true, data: {}, fieldClocks: {} });
      await store.transaction(async (tx) => {
        await tx.getRecord('lists', 's');
        await tx.getRecord('todos', 't');
        await tx.putRecord(shared);
        await tx.putRecord(tombstone);
        // Read back inside the writing transaction too.
        expect(await tx.getRecord('lists', 's')).toEqual(shared);
      });
      expect(await store.read((r) => r.getRecord('lists', 's'))).toEqual(shared);
      expect(await store.read((r) => r.getRecord('todos', 't'))).toEqual(tombstone);
      const feed = await store.read((r) => r.listChanges(0, 10));
      expect(feed.map((e) => e.record)).toEqual([shared, tombstone]);
      // A rewrite without former states drops them.
      const plain = { ...sampleServerRecord({ id: 's', collection: 'lists' }), version: 2 };
      await store.transaction(async (tx) => {
        await tx.getRecord('lists', 's');
        await tx.putRecord(plain);
      });
      const after = await store.read((r) => r.getRecord('lists', 's'));
      expect(after).toEqual(plain);
      expect(after?.formerData ?? []).toEqual([]);
    }),
  );
}
