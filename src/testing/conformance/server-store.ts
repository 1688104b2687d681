import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../core/index.js';
import type { CreateServerStore, ServerStoreFixture } from './server-store-fixtures.js';
import { sampleServerRecord } from './server-store-fixtures.js';
import { serverStoreFeedCases } from './server-store-feed.js';
import { serverStoreWriterCases } from './server-store-writer.js';
import { serverStoreRecordCases } from './server-store-records.js';
import { serverStoreSetCases } from './server-store-sets.js';

export { sampleServerRecord } from './server-store-fixtures.js';
export type { CreateServerStore, ServerStoreFixture } from './server-store-fixtures.js';

const outcome = (opId: string): OpResult => ({
  opId,
  status: 'rejected',
  code: 'validation_failed',
  message: 'title: expected string',
});

async function withFixture(
  create: CreateServerStore,
  fn: (f: ServerStoreFixture) => Promise<void>,
) {
  const fixture = await create();
  try {
    await fixture.store.open();
    await fn(fixture);
  } finally {
    await fixture.store.close();
    await fixture.cleanup?.();
  }
}

/**
 * Registers the server store conformance suite with vitest: every guarantee of the
 * `ServerStore` contract, one `it` each. Call it at the top level of a store's test file.
 *
 * @param name - shown in the describe title, such as `postgres`.
 * @param create - returns a fresh, empty, not yet opened store on each call.
 * @example
 * runServerStoreConformance('memory', async () => ({ store: memoryServerStore() }));
 */
export function runServerStoreConformance(name: string, create: CreateServerStore): void {
  const run = (fn: (f: ServerStoreFixture) => Promise<void>) => () => withFixture(create, fn);
  describe(`server store conformance: ${name}`, () => {
    it(
      'starts empty with a stable epoch, and open() is idempotent',
      run(async ({ store, reopen }) => {
        await store.open();
        const epoch = await store.read((r) => r.getEpoch());
        expect(epoch).toMatch(/^.{8,}$/);
        expect(await store.read((r) => r.getHead())).toBe(0);
        expect(await store.read((r) => r.listChanges(0, 10))).toEqual([]);
        expect(await store.read((r) => r.getRecord('todos', 'r1'))).toBeUndefined();
        expect(await store.read((r) => r.getClient('c1'))).toBeUndefined();
        if (reopen) {
          const again = await reopen();
          await again.open();
          expect(await again.read((r) => r.getEpoch())).toBe(epoch);
          await again.close();
        }
      }),
    );

    it(
      'commits records with unique, increasing feed positions and moves the head',
      run(async ({ store }) => {
        await store.transaction(async (tx) => {
          await tx.putRecord(sampleServerRecord({ id: 'a' }));
          await tx.putRecord(sampleServerRecord({ id: 'b', collection: 'notes' }));
        });
        await store.transaction(async (tx) => tx.putRecord(sampleServerRecord({ id: 'c' })));
        const feed = await store.read((r) => r.listChanges(0, 100));
        expect(feed.map((e) => e.record.id)).toEqual(['a', 'b', 'c']);
        const positions = feed.map((e) => e.position);
        expect([...positions].sort((x, y) => x - y)).toEqual(positions);
        expect(new Set(positions).size).toBe(3);
        expect(await store.read((r) => r.getHead())).toBe(positions[2]);
        expect(await store.read((r) => r.listChanges(positions[0]!, 1))).toEqual([feed[1]]);
        expect(await store.read((r) => r.getRecord('notes', 'b'))).toEqual(
          sampleServerRecord({ id: 'b', collection: 'notes' }),
        );
      }),
    );

    it(
      'keeps one feed entry per record, moved to the end by its latest write',
      run(async ({ store }) => {
        await store.transaction(async (tx) => {
          await tx.putRecord(sampleServerRecord({ id: 'a' }));
          await tx.putRecord(sampleServerRecord({ id: 'b' }));
          await tx.putRecord(sampleServerRecord({ id: 'a', version: 2 }));
        });
        await store.transaction(async (tx) => {
          expect((await tx.getRecord('todos', 'b'))?.version).toBe(1);
          await tx.putRecord(sampleServerRecord({ id: 'b', version: 2, deleted: true }));
        });
        const feed = await store.read((r) => r.listChanges(0, 100));
        expect(feed.map((e) => [e.record.id, e.record.version, e.record.deleted])).toEqual([
          ['a', 2, false],
          ['b', 2, true],
        ]);
      }),
    );

    it(
      'rolls back everything of a transaction whose function rejects, and passes the error on',
      run(async ({ store }) => {
        await store.transaction(async (tx) => tx.putRecord(sampleServerRecord({ id: 'keep' })));
        const head = await store.read((r) => r.getHead());
        const boom = new Error('boom');
        await expect(
          store.transaction(async (tx) => {
            await tx.lockClient('c9', 'alice');
            await tx.setLastSeq('c9', 5);
            await tx.putOutcome('c9', 'op1', 1, outcome('op1'));
            await tx.getRecord('todos', 'keep');
            await tx.putRecord(sampleServerRecord({ id: 'keep', version: 9 }));
            await tx.putRecord(sampleServerRecord({ id: 'gone' }));
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store.read((r) => r.getHead())).toBe(head);
        expect((await store.read((r) => r.getRecord('todos', 'keep')))?.version).toBe(1);
        expect(await store.read((r) => r.getRecord('todos', 'gone'))).toBeUndefined();
        expect(await store.read((r) => r.getClient('c9'))).toBeUndefined();
        expect(await store.transaction((tx) => tx.getOutcome('c9', 'op1'))).toBeUndefined();
      }),
    );

    it(
      'binds a client to its first user and keeps lastSeq',
      run(async ({ store }) => {
        const first = await store.transaction((tx) => tx.lockClient('c1', 'alice'));
        expect(first).toEqual({ clientId: 'c1', userId: 'alice', lastSeq: 0 });
        await store.transaction(async (tx) => {
          await tx.lockClient('c1', 'alice');
          await tx.setLastSeq('c1', 7);
        });
        const other = await store.transaction((tx) => tx.lockClient('c1', 'mallory'));
        expect(other).toEqual({ clientId: 'c1', userId: 'alice', lastSeq: 7 });
        expect(await store.read((r) => r.getClient('c1'))).toEqual(other);
      }),
    );

    it(
      'stores op outcomes and finds records by origin',
      run(async ({ store }) => {
        const applied: OpResult = {
          opId: 'op2',
          status: 'applied',
          serverId: 'srv-1',
          version: 1,
          merged: false,
          record: { ...sampleServerRecord({ id: 'srv-1' }), ownerId: undefined } as never,
        };
        await store.transaction(async (tx) => {
          await tx.lockClient('c1', 'alice');
          await tx.putOutcome('c1', 'op1', 1, outcome('op1'));
          await tx.putOutcome('c1', 'op2', 2, applied);
          await tx.putRecord(
            sampleServerRecord({ id: 'srv-1', originClientId: 'c1', originId: 'l1' }),
          );
        });
        await store.transaction(async (tx) => {
          expect(await tx.getOutcome('c1', 'op1')).toEqual(outcome('op1'));
          expect(await tx.getOutcome('c1', 'op2')).toEqual(JSON.parse(JSON.stringify(applied)));
          expect(await tx.getOutcome('c2', 'op1')).toBeUndefined();
          expect((await tx.getRecordByOrigin('todos', 'c1', 'l1'))?.id).toBe('srv-1');
          expect(await tx.getRecordByOrigin('notes', 'c1', 'l1')).toBeUndefined();
          expect(await tx.getRecordByOrigin('todos', 'c2', 'l1')).toBeUndefined();
        });
      }),
    );

    it(
      'lets a transaction see its own writes, and returns copies',
      run(async ({ store }) => {
        await store.transaction(async (tx) => {
          await tx.putRecord(sampleServerRecord({ id: 'x' }));
          const seen = await tx.getRecord('todos', 'x');
          expect(seen?.data).toEqual(sampleServerRecord().data);
          (seen!.data as Record<string, unknown>)['title'] = 'mutated';
        });
        const stored = await store.read((r) => r.getRecord('todos', 'x'));
        expect(stored?.data['title']).toBe('a');
      }),
    );

    it(
      'never shows uncommitted writes to a reader',
      run(async ({ store }) => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let written!: () => void;
        const wrote = new Promise<void>((resolve) => (written = resolve));
        let committed = false;
        const writer = store
          .transaction(async (tx) => {
            await tx.putRecord(sampleServerRecord({ id: 'pending' }));
            written();
            await gate;
          })
          .then(() => (committed = true));
        await wrote;
        const reader = store
          .read(async (r) => [await r.getRecord('todos', 'pending'), await r.getHead()] as const)
          .then((value) => ({ value, beforeCommit: !committed }));
        // Give a store that reads in parallel the chance to answer before the commit.
        await Promise.race([reader, new Promise((resolve) => setTimeout(resolve, 100))]);
        release();
        await writer;
        const { value, beforeCommit } = await reader;
        if (beforeCommit) expect(value).toEqual([undefined, 0]);
        else expect(value[0]?.id).toBe('pending');
      }),
    );

    it(
      'serialises transactions that lock the same client',
      run(async ({ store }) => {
        const bump = () =>
          store.transaction(async (tx) => {
            const client = await tx.lockClient('c1', 'alice');
            await tx.putRecord(sampleServerRecord({ id: `r${client.lastSeq}` }));
            await tx.setLastSeq('c1', client.lastSeq + 1);
          });
        await Promise.all([bump(), bump(), bump(), bump()]);
        expect((await store.read((r) => r.getClient('c1')))?.lastSeq).toBe(4);
        expect((await store.read((r) => r.listChanges(0, 10))).length).toBe(4);
      }),
    );

    it(
      'never lets a reader that follows the feed skip a change of concurrent writers',
      run(async ({ store }) => {
        const writers = Array.from({ length: 4 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 10; i++) {
              await store.transaction(async (tx) => {
                await tx.putRecord(sampleServerRecord({ id: `w${w}-${i}` }));
                await tx.putRecord(sampleServerRecord({ id: `w${w}-${i}-b` }));
              });
            }
          })(),
        );
        const seen = new Set<string>();
        let position = 0;
        let done = false;
        const all = Promise.all(writers).then(() => (done = true));
        while (!done) {
          const page = await store.read((r) => r.listChanges(position, 3));
          for (const entry of page) {
            expect(seen.has(entry.record.id)).toBe(false);
            seen.add(entry.record.id);
            position = entry.position;
          }
          if (page.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        await all;
        for (;;) {
          const page = await store.read((r) => r.listChanges(position, 50));
          if (page.length === 0) break;
          for (const entry of page) {
            expect(seen.has(entry.record.id)).toBe(false);
            seen.add(entry.record.id);
            position = entry.position;
          }
        }
        expect(seen.size).toBe(80);
      }),
    );

    serverStoreRecordCases(run);
    serverStoreFeedCases(run);
    serverStoreWriterCases(run);
    serverStoreSetCases(
      (fn) => (context) => withFixture(create, (f) => fn(f, () => context.skip())),
    );

    it(
      'rejects calls after close()',
      run(async ({ store }) => {
        await store.close();
        await expect(store.read((r) => r.getHead())).rejects.toThrow();
        await expect(store.transaction((tx) => tx.getHead())).rejects.toThrow();
      }),
    );
  });
}
