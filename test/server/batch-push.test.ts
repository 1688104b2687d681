import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpResult, WireOp } from '../../src/core/index.js';
import type { ServerStore } from 'tidesync/server';
import { hlcAt, makeServer, NOW, op, pullAll, push, storeKinds } from './server-helpers.js';

/**
 * A script of pushes that exercises everything a batch can hold: creates, updates and deletes,
 * several ops on one record (also a record created earlier in the same batch), conflicts merged
 * by the strategy or returned, rejections, replays of ops applied before, and an op that targets
 * a record by its local id.
 */
function script(): WireOp[][] {
  let seq = 0;
  const next = (fields: Partial<WireOp>): WireOp => op({ seq: ++seq, ...fields });
  const first = [
    next({ id: 'a', data: { title: 'a', done: false } }),
    next({ id: 'b', data: { title: 'b', done: false } }),
    next({ id: 'm', collection: 'memos', data: { text: 'm' } }),
  ];
  const second = [
    // Replays of ops applied by the first batch (a re-sent batch whose answer was lost).
    first[1]!,
    first[2]!,
    // A record created, updated twice and deleted within the batch.
    next({ id: 'c', data: { title: 'c', done: false } }),
    next({ id: 'c', type: 'update', patch: { done: true }, baseVersion: 1 }),
    next({ id: 'c', type: 'update', patch: { title: 'c2' }, baseVersion: 2 }),
    next({ id: 'c', type: 'delete', baseVersion: 3, hlc: hlcAt(NOW - 10) }),
    // Updates of records from the first batch, one concurrent (stale baseVersion: LWW merges).
    next({ id: 'a', type: 'update', patch: { done: true }, baseVersion: 1 }),
    next({ id: 'a', type: 'update', patch: { title: 'late' }, baseVersion: 1, hlc: hlcAt(NOW) }),
    // A concurrent write to a manual() collection: a conflict, nothing applied.
    next({ id: 'm', collection: 'memos', type: 'update', patch: { text: 'x' }, baseVersion: 0 }),
    // Rejections: bad data, unknown record, unknown collection.
    next({ id: 'bad', data: { title: 1, done: false } as never }),
    next({ id: 'ghost', type: 'update', patch: { done: true }, baseVersion: 1 }),
    next({ id: 'z', collection: 'nope', data: { x: 1 } }),
    // A delete of a record from the first batch, and an insert of an id that exists (merged).
    next({ id: 'b', type: 'delete', baseVersion: 1 }),
    next({ id: 'a', data: { title: 'again', done: false }, hlc: hlcAt(NOW - 5000) }),
  ];
  return [first, second];
}

/** Outcomes with server-minted ids replaced by their order of appearance. */
function normalise(results: readonly OpResult[]): unknown {
  const ids = new Map<string, string>();
  const rename = (id: string) => {
    if (!ids.has(id)) ids.set(id, `id${ids.size}`);
    return ids.get(id)!;
  };
  return JSON.parse(
    JSON.stringify(results, (field, value: unknown) =>
      (field === 'serverId' || field === 'id') && typeof value === 'string' ? rename(value) : value,
    ),
  ) as unknown;
}

describe.each(storeKinds())('batched push: $name', (kind) => {
  const created: { store: ServerStore; cleanup: () => Promise<void> }[] = [];
  const fresh = async () => {
    const made = await kind.create();
    created.push(made);
    return made.store;
  };
  beforeEach(() => {
    created.length = 0;
  });
  afterEach(async () => {
    for (const { store, cleanup } of created) {
      await store.close();
      await cleanup();
    }
  });

  for (const assignId of ['client', 'server'] as const) {
    it(`answers a mixed batch exactly as the same ops pushed one at a time (assignId ${assignId})`, async () => {
      const batched = makeServer(await fresh(), { assignId });
      const single = makeServer(await fresh(), { assignId });
      const batchedResults: OpResult[] = [];
      const singleResults: OpResult[] = [];
      const batches = script();
      for (const batch of batches) {
        const answer = await push(batched, 'c1', batch);
        expect(answer.status).toBe(200);
        batchedResults.push(...answer.body.results);
      }
      for (const batch of batches) {
        for (const one of batch) {
          const answer = await push(single, 'c1', [one]);
          expect(answer.status).toBe(200);
          singleResults.push(...answer.body.results);
        }
      }
      expect(normalise(batchedResults)).toEqual(normalise(singleResults));
      expect(batchedResults.map((r) => r.status)).toContain('conflict');
      expect(batchedResults.map((r) => r.status)).toContain('rejected');
      expect(batchedResults.filter((r) => r.status === 'applied' && r.merged).length).toBe(2);
      const feed = async (server: typeof batched) =>
        (await pullAll(server, 'c1')).changes.map((c) => [
          c.collection,
          c.version,
          c.deleted,
          c.data,
        ]);
      expect(await feed(batched)).toEqual(await feed(single));
    });
  }

  it('replays a whole re-sent batch with the recorded outcomes and writes nothing', async () => {
    const server = makeServer(await fresh());
    const [first, second] = script();
    await push(server, 'c1', first!);
    const answer = await push(server, 'c1', second!);
    const before = await pullAll(server, 'c1');
    const again = await push(server, 'c1', second!);
    expect(again.body).toEqual(answer.body);
    const after = await pullAll(server, 'c1', before.cursor);
    expect(after.changes).toEqual([]);
  });

  it('leaves no trace of a batch refused with seq_gap after some of its ops applied in memory', async () => {
    const server = makeServer(await fresh());
    const [first] = script();
    await push(server, 'c1', first!);
    const gap = await push(server, 'c1', [
      op({ seq: 4, id: 'n1' }),
      op({ seq: 5, id: 'n2' }),
      op({ seq: 9, id: 'n3' }),
    ]);
    expect(gap.status).toBe(409);
    expect(gap.body.error).toMatchObject({ code: 'seq_gap', lastSeq: 3 });
    const { changes } = await pullAll(server, 'c1');
    expect(changes.map((c) => c.id).sort()).toEqual(['a', 'b', 'm']);
    const retry = await push(server, 'c1', [op({ seq: 4, id: 'n1' })]);
    expect(retry.body.results[0]).toMatchObject({ status: 'applied', serverId: 'n1' });
  });
});
