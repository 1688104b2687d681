import { expect, it } from 'vitest';
import type { ServerRecord, ServerStore, ServerStoreTransaction } from '../../server/index.js';
import type { SetIndexQuery, SetIndexWrite } from '../../server/sets/set-index.js';
import type { ServerStoreFixture } from './server-store-fixtures.js';
import { sampleServerRecord } from './server-store-fixtures.js';

/** Runs a case with a fresh fixture; `skip()` marks the case skipped (the store has no index). */
export type RunWithSkip = (
  fn: (fixture: ServerStoreFixture, skip: () => never) => Promise<void>,
) => (context: { skip: (note?: string) => never }) => Promise<void>;

const order = (id: string, region: string, overrides: Partial<ServerRecord> = {}) =>
  sampleServerRecord({ collection: 'orders', id, data: { title: id, region }, ...overrides });

const keys = (...regions: string[]) =>
  regions.map((region) => ({ field: 'region', value: JSON.stringify(region) }));

const range = (values: string[], after = 0, partition = 'alice'): SetIndexQuery => ({
  collection: 'orders',
  partition,
  field: 'region',
  values: values.map((v) => JSON.stringify(v)),
  after,
});

/** Puts records with their index keys in one transaction (each record read first). */
async function put(
  store: ServerStore,
  writes: readonly { record: ServerRecord; keys: SetIndexWrite['keys']; partition?: string }[],
): Promise<void> {
  await store.transaction(async (tx) => {
    for (const { record, keys: k, partition } of writes) await putIn(tx, record, k, partition);
  });
}

/** Puts `record` with its index keys in `tx`, reading it first as the push does. */
async function putIn(
  tx: ServerStoreTransaction,
  record: ServerRecord,
  k: SetIndexWrite['keys'],
  partition = record.ownerId,
): Promise<void> {
  await tx.getRecord(record.collection, record.id);
  await tx.putRecord(record);
  await tx.putSetKeys!({ collection: record.collection, partition, id: record.id, keys: k });
}

async function hasSetIndex(store: ServerStore): Promise<boolean> {
  const reader = await store.read(async (r) => r);
  const writes = await store.transaction(async (tx) => typeof tx.putSetKeys === 'function');
  return (
    writes &&
    typeof reader.listSetChanges === 'function' &&
    typeof reader.countSetChanges === 'function'
  );
}

/**
 * Conformance cases for the optional set index (`putSetKeys`, `listSetChanges`,
 * `countSetChanges`), registered by `runServerStoreConformance`; skipped (reported as skipped)
 * for a store without it.
 */
export function serverStoreSetCases(run: RunWithSkip): void {
  // Every case needs the index: a store without one reports it skipped.
  const setCase = (name: string, fn: (fixture: ServerStoreFixture) => Promise<void>) =>
    it(
      name,
      run(async (fixture, skip) => {
        if (!(await hasSetIndex(fixture.store))) skip();
        await fn(fixture);
      }),
    );

  setCase(
    'set index: rows take the feed position of their change, exit markers included',
    async ({ store }) => {
      await put(store, [
        { record: order('a', 'north'), keys: keys('north') },
        { record: order('b', 'south'), keys: keys('south') },
      ]);
      // `a` moves to south: the north row is bumped too (its exit marker).
      const moved = order('a', 'south', { version: 2 });
      await put(store, [{ record: moved, keys: keys('north', 'south') }]);
      const feed = await store.read((r) => r.listChanges(0, 10));
      expect(feed.map((e) => e.record.id)).toEqual(['b', 'a']);
      const north = await store.read((r) => r.listSetChanges!(range(['north']), 10));
      expect(north).toEqual([{ position: feed[1]!.position, record: moved }]);
      const south = await store.read((r) => r.listSetChanges!(range(['south']), 10));
      expect(south.map((e) => [e.record.id, e.position])).toEqual([
        ['b', feed[0]!.position],
        ['a', feed[1]!.position],
      ]);
      expect(south[1]!.record).toEqual(moved);
      expect(await store.read((r) => r.countSetChanges!(range(['south'])))).toBe(2);
      expect(await store.read((r) => r.countSetChanges!(range(['north'])))).toBe(1);
      const last = feed[1]!.position;
      expect(
        await store.read((r) => r.listSetChanges!(range(['north', 'south'], last), 10)),
      ).toEqual([]);
      expect(await store.read((r) => r.countSetChanges!(range(['north', 'south'], last)))).toBe(0);
    },
  );

  setCase(
    'set index: ranges keep to their partition, collection, field and limit; counts each record once',
    async ({ store }) => {
      await put(store, [
        { record: order('a1', 'north'), keys: keys('north') },
        { record: order('b1', 'north', { ownerId: 'bob' }), keys: keys('north') },
        {
          record: sampleServerRecord({ collection: 'visits', id: 'v1', data: { region: 'north' } }),
          keys: keys('north'),
        },
        {
          record: order('p1', 'east', { data: { title: 'p1', region: 'east', project: 'north' } }),
          keys: [{ field: 'project', value: '"north"' }, ...keys('east')],
        },
      ]);
      await put(store, [{ record: order('a2', 'north'), keys: keys('north') }]);
      // One record with rows in two values of the range: listed per row, counted once.
      await put(store, [
        { record: order('a1', 'south', { version: 2 }), keys: keys('north', 'south') },
      ]);
      const alice = await store.read((r) => r.listSetChanges!(range(['north']), 10));
      expect(alice.map((e) => e.record.id)).toEqual(['a2', 'a1']);
      const bob = await store.read((r) => r.listSetChanges!(range(['north'], 0, 'bob'), 10));
      expect(bob.map((e) => e.record.id)).toEqual(['b1']);
      const both = await store.read((r) => r.listSetChanges!(range(['north', 'south']), 10));
      expect(both.map((e) => e.record.id)).toEqual(['a2', 'a1', 'a1']);
      expect(await store.read((r) => r.countSetChanges!(range(['north', 'south'])))).toBe(2);
      const one = await store.read((r) => r.listSetChanges!(range(['north', 'south']), 1));
      expect(one.map((e) => e.record.id)).toEqual(['a2']);
      expect(await store.read((r) => r.countSetChanges!(range(['east'])))).toBe(1);
      expect(await store.read((r) => r.countSetChanges!(range(['west'])))).toBe(0);
    },
  );

  setCase(
    'set index: a failed transaction writes no rows; two writes of one record in one merge',
    async ({ store }) => {
      await expect(
        put(store, [{ record: order('x', 'north'), keys: keys('north') }]).then(() =>
          store.transaction(async (tx) => {
            await putIn(tx, order('y', 'north'), keys('north'));
            throw new Error('rolled back');
          }),
        ),
      ).rejects.toThrow('rolled back');
      const north = await store.read((r) => r.listSetChanges!(range(['north']), 10));
      expect(north.map((e) => e.record.id)).toEqual(['x']);
      await store.transaction(async (tx) => {
        await putIn(tx, order('z', 'south'), keys('south'));
        await tx.putSetKeys!({
          collection: 'orders',
          partition: 'alice',
          id: 'z',
          keys: keys('west'),
        });
      });
      const head = await store.read((r) => r.getHead());
      for (const region of ['south', 'west']) {
        const rows = await store.read((r) => r.listSetChanges!(range([region]), 10));
        expect(rows.map((e) => [e.record.id, e.position])).toEqual([['z', head]]);
      }
    },
  );
}
