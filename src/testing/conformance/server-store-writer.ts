import { expect, it } from 'vitest';
import type { ChangeFilter, FeedEntry } from '../../server/index.js';
import type { ServerStoreFixture } from './server-store-fixtures.js';
import { sampleServerRecord } from './server-store-fixtures.js';

type Run = (fn: (fixture: ServerStoreFixture) => Promise<void>) => () => Promise<void>;

const ids = (entries: readonly FeedEntry[]): string[] => entries.map((e) => e.record.id);

/**
 * Conformance cases for the writer of a record's state (`writerClientId`, `writerSeq`) and the
 * echo filter of a feed read (`ChangeFilter.skipWriter`, `lastChange`). A store may ignore
 * `skipWriter` (the pull drops echoes itself), but one that offers `lastChange` honours it: it
 * leaves out exactly the owner's states that client wrote up to that seq, and `lastChange`
 * still finds them. Registered by `runServerStoreConformance`.
 */
export function serverStoreWriterCases(run: Run): void {
  it(
    'keeps who wrote each state, and a rewrite by another writer replaces it',
    run(async ({ store }) => {
      await store.transaction(async (tx) => {
        await tx.putRecord(sampleServerRecord({ id: 'a', writerClientId: 'c1', writerSeq: 7 }));
        await tx.putRecord(sampleServerRecord({ id: 'b' }));
      });
      const a = await store.read((r) => r.getRecord('todos', 'a'));
      expect([a?.writerClientId, a?.writerSeq]).toEqual(['c1', 7]);
      const b = await store.read((r) => r.getRecord('todos', 'b'));
      expect([b?.writerClientId ?? null, b?.writerSeq ?? null]).toEqual([null, null]);
      await store.transaction(async (tx) => {
        await tx.getRecord('todos', 'a');
        await tx.putRecord(
          sampleServerRecord({ id: 'a', version: 2, writerClientId: 'c2', writerSeq: 1 }),
        );
      });
      const feed = await store.read((r) => r.listChanges(0, 10));
      expect(feed.map((e) => [e.record.id, e.record.writerClientId, e.record.writerSeq])).toEqual([
        ['b', undefined, undefined],
        ['a', 'c2', 1],
      ]);
    }),
  );

  it(
    'leaves out only the echoes skipWriter names, and lastChange still finds the last of them',
    run(async ({ store }) => {
      const put = (id: string, ownerId: string, collection: string, writer?: [string, number]) =>
        sampleServerRecord({
          id,
          ownerId,
          collection,
          originId: `${collection}-${id}`,
          ...(writer ? { writerClientId: writer[0], writerSeq: writer[1] } : {}),
        });
      await store.transaction(async (tx) => {
        await tx.putRecord(put('e1', 'alice', 'todos', ['c1', 1])); // echo
        await tx.putRecord(put('o1', 'alice', 'todos', ['c2', 1])); // another device
        await tx.putRecord(put('k1', 'bob', 'boards', ['c1', 2])); // scoped: never left out
        await tx.putRecord(put('n1', 'alice', 'notes')); // written before writers were kept
        await tx.putRecord(put('l1', 'alice', 'todos', ['c1', 9])); // above the applied seq
        await tx.putRecord(put('e2', 'alice', 'notes', ['c1', 3])); // echo, last of the feed
      });
      const filter: ChangeFilter = {
        ownerId: 'alice',
        collections: ['boards'],
        ownerCollections: ['todos', 'notes', 'boards'],
        skipWriter: { clientId: 'c1', seq: 5 },
      };
      const all = await store.read((r) => r.listChanges(0, 100, filter));
      const kept = ids(all).filter((id) => !id.startsWith('e'));
      expect(kept).toEqual(['o1', 'k1', 'n1', 'l1']);
      const positions = all.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      const count = await store.read(async (r) => r.countChanges?.(0, filter));
      if (count !== undefined) expect(count).toBeGreaterThanOrEqual(4);
      const reader = await store.read(async (r) => typeof r.lastChange === 'function');
      if (!reader) return;
      // A store with `lastChange` honours `skipWriter` (docs/server.md): the echoes stay out.
      expect(ids(all)).toEqual(kept);
      const head = await store.read((r) => r.getHead());
      const last = await store.read((r) => r.lastChange!(0, filter));
      expect([last?.record.id, last?.position]).toEqual(['e2', head]);
      expect(await store.read((r) => r.lastChange!(head, filter))).toBeUndefined();
      const bob = await store.read((r) =>
        r.lastChange!(0, { ownerId: 'bob', collections: [], ownerCollections: ['todos'] }),
      );
      expect(bob).toBeUndefined();
    }),
  );
}
