import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerStore, ServerStoreTransaction, SyncServer } from 'tidesync/server';
import { makeServer, op, pullAll, push, storeKinds } from './server-helpers.js';

/** Wraps a store so that its `failAt`-th record write (counting from 1) throws, once armed. */
function failingStore(inner: ServerStore): ServerStore & { arm(failAt: number): void } {
  let failAt = 0;
  let writes = 0;
  return {
    kind: inner.kind,
    open: () => inner.open(),
    close: () => inner.close(),
    read: (fn) => inner.read(fn),
    arm(n: number) {
      failAt = n;
      writes = 0;
    },
    transaction: (fn) =>
      inner.transaction((tx) => {
        const wrapped: ServerStoreTransaction = Object.create(tx) as ServerStoreTransaction;
        wrapped.putRecord = async (record) => {
          writes += 1;
          if (failAt > 0 && writes === failAt) {
            failAt = 0;
            throw new Error('disk on fire');
          }
          return tx.putRecord(record);
        };
        for (const name of [
          'getEpoch',
          'getHead',
          'listChanges',
          'getRecord',
          'getClient',
          'lockClient',
          'setLastSeq',
          'getOutcome',
          'putOutcome',
          'getRecordByOrigin',
          'preload',
        ] as const) {
          (wrapped as unknown as Record<string, unknown>)[name] = (
            tx[name] as ((...a: unknown[]) => unknown) | undefined
          )?.bind(tx);
        }
        return fn(wrapped);
      }),
  };
}

describe.each(storeKinds())('push replay and ordering: $name', (kind) => {
  let store: ReturnType<typeof failingStore>;
  let server: SyncServer;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const created = await kind.create();
    store = failingStore(created.store);
    cleanup = created.cleanup;
    server = makeServer(store);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('applies a push sent twice once, and replays the recorded outcomes', async () => {
    const ops = [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' })];
    const first = await push(server, 'c1', ops);
    expect(first.status).toBe(200);
    expect(first.body.lastSeq).toBe(2);
    expect(first.body.results.map((r) => r.status)).toEqual(['applied', 'applied']);
    const second = await push(server, 'c1', ops);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const { changes } = await pullAll(server, 'c1');
    expect(changes.map((c) => [c.id, c.version])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('answers a re-send after a lost response (1-5 retries) with the first outcome', async () => {
    const ops = [op({ seq: 1, id: 'a' })];
    const first = await push(server, 'c1', ops);
    for (let i = 0; i < 5; i++) expect((await push(server, 'c1', ops)).body).toEqual(first.body);
    // A retry that also carries the next op applies only the new one.
    const next = op({
      seq: 2,
      id: 'a',
      serverId: 'a',
      type: 'update',
      patch: { done: true },
      baseVersion: 1,
    });
    const mixed = await push(server, 'c1', [...ops, next]);
    expect(mixed.body.results[0]).toEqual(first.body.results[0]);
    expect(mixed.body.results[1]).toMatchObject({ status: 'applied', version: 2 });
    const { changes } = await pullAll(server, 'c1');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ id: 'a', version: 2, data: { title: 't', done: true } });
  });

  it('refuses a batch that arrives before its predecessor with seq_gap, then takes both in order', async () => {
    const batch1 = [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' })];
    const batch2 = [op({ seq: 3, id: 'c' }), op({ seq: 4, id: 'd' })];
    const early = await push(server, 'c1', batch2);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'seq_gap', lastSeq: 0 });
    expect((await pullAll(server, 'c1')).changes).toEqual([]);
    expect((await push(server, 'c1', batch1)).body.lastSeq).toBe(2);
    expect((await push(server, 'c1', batch2)).body.lastSeq).toBe(4);
    expect((await pullAll(server, 'c1')).changes.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses a reused seq with a new opId and applies nothing of that batch', async () => {
    await push(server, 'c1', [op({ seq: 1, id: 'a' })]);
    const reused = await push(server, 'c1', [op({ seq: 2, id: 'b' }), op({ seq: 3, id: 'c' })]);
    expect(reused.status).toBe(200);
    const clash = await push(server, 'c1', [op({ seq: 3, id: 'x' })]);
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ code: 'seq_gap', lastSeq: 3 });
    expect((await pullAll(server, 'c1')).changes.map((c) => c.id)).toEqual(['a', 'b', 'c']);
  });

  it('applies one of two identical batches arriving at once, without a 500', async () => {
    const ops = [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' }), op({ seq: 3, id: 'c' })];
    const answers = await Promise.all([
      push(server, 'c1', ops),
      push(server, 'c1', ops),
      push(server, 'c1', ops),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.results).toEqual(answers[0]!.body.results);
    }
    const { changes } = await pullAll(server, 'c1');
    expect(changes.map((c) => [c.id, c.version])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('rolls back the whole batch when the store fails mid-batch, and a retry applies it once', async () => {
    await push(server, 'c1', [op({ seq: 1, id: 'first' })]);
    const ops = [1, 2, 3, 4].map((n) => op({ seq: n + 1, id: `r${n}` }));
    store.arm(3);
    const failed = await push(server, 'c1', ops);
    expect(failed.status).toBe(500);
    expect(failed.body.error?.code).toBe('internal');
    expect((await pullAll(server, 'c1')).changes.map((c) => c.id)).toEqual(['first']);
    // lastSeq did not move: the next seq expected is still 2.
    const gap = await push(server, 'c1', [op({ seq: 3, id: 'z' })]);
    expect(gap.body.error).toMatchObject({ code: 'seq_gap', lastSeq: 1 });
    const retry = await push(server, 'c1', ops);
    expect(retry.status).toBe(200);
    expect(retry.body.lastSeq).toBe(5);
    expect((await push(server, 'c1', ops)).body).toEqual(retry.body);
    const { changes } = await pullAll(server, 'c1');
    expect(changes.map((c) => [c.id, c.version])).toEqual([
      ['first', 1],
      ['r1', 1],
      ['r2', 1],
      ['r3', 1],
      ['r4', 1],
    ]);
  });

  it('refuses batches whose seqs do not increase or whose opIds repeat', async () => {
    const a = op({ seq: 1, id: 'a' });
    const dupSeq = await push(server, 'c1', [a, op({ seq: 1, id: 'b' })]);
    expect(dupSeq.status).toBe(400);
    expect(dupSeq.body.error?.message).toContain('ops.1.seq');
    const dupId = await push(server, 'c1', [a, { ...op({ seq: 2, id: 'b' }), opId: a.opId }]);
    expect(dupId.status).toBe(400);
    expect(dupId.body.error?.message).toContain('ops.1.opId');
    expect((await pullAll(server, 'c1')).changes).toEqual([]);
  });
});
