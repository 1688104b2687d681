// The outbox's push side on every adapter: batch selection, settling a sent batch in one call
// (ack and rebase, dead letters, failure counting, renumbering after a seq gap), retry and discard.
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxOp, StorageAdapter } from 'tidesync';
import { TidesyncError } from 'tidesync';
import type { BatchRequest, Outbox } from '../../src/outbox/index.js';
import { makeOp } from '../../src/testing/conformance/storage-fixtures.js';
import { ADAPTERS, openOutbox } from './outbox-adapters.js';

function request(overrides: Partial<BatchRequest> = {}): BatchRequest {
  return {
    limit: 10,
    inflightPossible: true,
    priorities: new Map([
      ['todos', 0],
      ['projects', 0],
    ]),
    blocked: () => Promise.resolve(false),
    ...overrides,
  };
}

async function seed(outbox: Outbox, ops: readonly OutboxOp[]): Promise<void> {
  await outbox.replace(ops);
}

const summary = (ops: readonly OutboxOp[]) => ops.map((o) => [o.opId, o.state, o.pushSeq]);

describe.each(ADAPTERS)('Outbox settle (%s)', (_name, create) => {
  let adapter: StorageAdapter | undefined;
  afterEach(async () => {
    await adapter?.close();
    adapter = undefined;
  });

  async function opened(ops: readonly OutboxOp[]) {
    const o = await openOutbox(create);
    adapter = o.adapter;
    await o.write((outbox) => seed(outbox, ops));
    return o;
  }

  it('selects by priority then seq, one op per record, skipping a blocked op and its record', async () => {
    const { write } = await opened([
      makeOp({ opId: 't1', seq: 1, id: 'a' }),
      makeOp({ opId: 't2', seq: 2, id: 'a', type: 'update' }),
      makeOp({ opId: 't3', seq: 3, id: 'b' }),
      makeOp({ opId: 't4', seq: 4, id: 'c' }),
      makeOp({ opId: 'p1', seq: 5, id: 'p', collection: 'projects' }),
    ]);
    const { batch, resent } = await write((outbox) =>
      outbox.nextBatch(
        request({
          inflightPossible: false,
          priorities: new Map([
            ['todos', 0],
            ['projects', 1],
          ]),
          blocked: (op) => Promise.resolve(op.id === 'b'),
        }),
      ),
    );
    expect(resent).toBe(false);
    expect(summary(batch)).toEqual([
      ['p1', 'inflight', 1],
      ['t1', 'inflight', 2],
      ['t4', 'inflight', 3],
    ]);
    const stored = await write((outbox) => outbox.pending());
    expect(stored.filter((o) => o.state === 'inflight').map((o) => o.opId)).toEqual([
      't1',
      't4',
      'p1',
    ]);
  });

  it('re-sends ops in flight first and alone, with their opIds and push seqs', async () => {
    const { write } = await opened([
      makeOp({ opId: 'q', seq: 1, id: 'q' }),
      makeOp({ opId: 'f2', seq: 2, id: 'f2', state: 'inflight', pushSeq: 8 }),
      makeOp({ opId: 'f1', seq: 3, id: 'f1', state: 'inflight', pushSeq: 7 }),
    ]);
    const { batch, resent } = await write((outbox) => outbox.nextBatch(request()));
    expect(resent).toBe(true);
    expect(summary(batch)).toEqual([
      ['f1', 'inflight', 7],
      ['f2', 'inflight', 8],
    ]);
    expect(await write((outbox) => outbox.peek())).toEqual({ any: true, inflight: true });
  });

  it('settles a mixed batch in one call: ack and rebase, dead letters, ack without rebase', async () => {
    const { write } = await opened([
      makeOp({ opId: 'a0', seq: 1, id: 'a', state: 'dead', error: { code: 'x', message: 'x' } }),
      makeOp({ opId: 'a1', seq: 2, id: 'a', state: 'inflight', pushSeq: 1 }),
      makeOp({ opId: 'b1', seq: 3, id: 'b', state: 'inflight', pushSeq: 2, baseVersion: 3 }),
      makeOp({ opId: 'c1', seq: 4, id: 'c', state: 'inflight', pushSeq: 3 }),
      makeOp({ opId: 'd1', seq: 5, id: 'd', state: 'inflight', pushSeq: 4 }),
      makeOp({ opId: 'e1', seq: 6, id: 'e', state: 'inflight', pushSeq: 5 }),
      makeOp({ opId: 'a2', seq: 7, id: 'a', type: 'update' }),
      makeOp({ opId: 'a3', seq: 8, id: 'a', type: 'update', baseVersion: 4 }),
      makeOp({ opId: 'b2', seq: 9, id: 'b', type: 'update', baseVersion: 3 }),
      makeOp({ opId: 'd2', seq: 10, id: 'd', type: 'update' }),
      makeOp({ opId: 'e2', seq: 11, id: 'e', type: 'update' }),
    ]);
    const batch = await write(async (outbox) =>
      (await outbox.pending()).filter((o) => o.state === 'inflight'),
    );
    expect(batch.map((o) => o.opId)).toEqual(['a1', 'b1', 'c1', 'd1', 'e1']);
    const settled = await write((outbox) =>
      outbox.settle(batch, [
        // Applied straight onto its base: a2 (same base, later) moves onto version 1.
        { kind: 'ack', rebase: { serverId: 's-a', version: 1 } },
        // Merged or conflicted: the server id only.
        { kind: 'ack', rebase: { serverId: 's-b' } },
        { kind: 'dead', code: 'rejected', message: 'no' },
        {
          kind: 'dead',
          code: 'INVALID_REMOTE_RECORD',
          message: 'bad',
          rebase: { serverId: 's-d' },
        },
        { kind: 'ack' },
      ]),
    );
    const ids = (ops: readonly OutboxOp[]) => ops.map((o) => [o.opId, o.serverId, o.baseVersion]);
    expect(settled.map((s) => s.kind)).toEqual(['acked', 'acked', 'dead', 'dead', 'acked']);
    const [a, b, c, d, e] = settled;
    expect(a?.kind === 'acked' && ids(a.others)).toEqual([
      ['a0', 's-a', 0],
      ['a2', 's-a', 1],
      ['a3', 's-a', 4],
    ]);
    expect(b?.kind === 'acked' && ids(b.others)).toEqual([['b2', 's-b', 3]]);
    expect(c?.kind === 'dead' && [c.op.state, c.op.attempts, c.op.error, c.others]).toEqual([
      'dead',
      1,
      { code: 'rejected', message: 'no' },
      [],
    ]);
    expect(d?.kind === 'dead' && ids(d.others)).toEqual([['d2', 's-d', 0]]);
    expect(e?.kind === 'acked' && e.others).toEqual([]);
    // What is stored: acked rows gone, dead letters kept with their push seq, others rebased.
    const stored = await write((outbox) => outbox.all());
    expect(stored.map((o) => [o.opId, o.state, o.pushSeq, o.serverId, o.baseVersion])).toEqual([
      ['a0', 'dead', null, 's-a', 0],
      ['c1', 'dead', 3, null, 0],
      ['d1', 'dead', 4, null, 0],
      ['a2', 'queued', null, 's-a', 1],
      ['a3', 'queued', null, 's-a', 4],
      ['b2', 'queued', null, 's-b', 3],
      ['d2', 'queued', null, 's-d', 0],
      ['e2', 'queued', null, null, 0],
    ]);
  });

  it('settles an op refused alone as an unrecorded dead letter and renumbers the ops behind it', async () => {
    const { write } = await opened([
      makeOp({ opId: 'x', seq: 1, id: 'x', state: 'inflight', pushSeq: 4 }),
      makeOp({ opId: 'y', seq: 2, id: 'y', state: 'inflight', pushSeq: 5 }),
      makeOp({ opId: 'z', seq: 3, id: 'z' }),
    ]);
    const [settled] = await write(async (outbox) => {
      const [x] = await outbox.ofRecord('todos', 'x');
      return outbox.settle(
        [x!],
        [{ kind: 'dead', code: 'bad_request', message: 'no', unrecorded: true }],
      );
    });
    expect(settled).toMatchObject({
      kind: 'dead',
      op: { state: 'dead', attempts: 1, error: { code: 'bad_request' } },
    });
    expect(summary(await write((outbox) => outbox.pending()))).toEqual([
      ['y', 'inflight', 4],
      ['z', 'queued', null],
    ]);
    expect(summary(await write((outbox) => outbox.deadLetters()))).toEqual([['x', 'dead', 4]]);
  });

  it('settles server failures by counting them, and dead-letters a poison op failing alone', async () => {
    const { write } = await opened([
      makeOp({ opId: 'p', seq: 1, id: 'p', state: 'inflight', pushSeq: 1, attempts: 1 }),
      makeOp({ opId: 'n', seq: 2, id: 'n', state: 'inflight', pushSeq: 2 }),
    ]);
    const failed = { kind: 'failed', reason: 'HTTP 500', maxAttempts: 3 } as const;
    const batch = await write((outbox) => outbox.pending());
    const first = await write((outbox) => outbox.settle(batch, [failed, failed]));
    expect(first).toEqual([{ kind: 'counted' }, { kind: 'counted' }]);
    expect((await write((outbox) => outbox.all())).map((o) => o.attempts)).toEqual([2, 1]);
    const alone = (await write((outbox) => outbox.pending())).slice(0, 1);
    const [poisoned] = await write((outbox) => outbox.settle(alone, [failed]));
    expect(poisoned).toMatchObject({
      kind: 'dead',
      op: { opId: 'p', state: 'dead', attempts: 3, error: { code: 'SERVER_ERROR' } },
    });
    // Its push seq was never recorded: the op behind takes it.
    expect(summary(await write((outbox) => outbox.pending()))).toEqual([['n', 'inflight', 1]]);
  });

  it('settles a seq gap by renumbering the sent ops once, so the next push continues at lastSeq + 1', async () => {
    const { write } = await opened([
      makeOp({ opId: 'a', seq: 1, id: 'a', state: 'inflight', pushSeq: 10 }),
      makeOp({ opId: 'b', seq: 2, id: 'b', state: 'inflight', pushSeq: 11 }),
      makeOp({ opId: 'c', seq: 3, id: 'c' }),
    ]);
    const gap = { kind: 'seqGap', lastSeq: 3 } as const;
    const sent = await write(async (outbox) =>
      (await outbox.pending()).filter((o) => o.state === 'inflight'),
    );
    expect(await write((outbox) => outbox.settle(sent, [gap, gap]))).toEqual([
      { kind: 'renumbered' },
      { kind: 'renumbered' },
    ]);
    expect(summary(await write((outbox) => outbox.pending()))).toEqual([
      ['a', 'inflight', 4],
      ['b', 'inflight', 5],
      ['c', 'queued', null],
    ]);
    // Once both are acknowledged, the next op sent takes the number after them.
    const { batch } = await write(async (outbox) => {
      const renumbered = (await outbox.pending()).filter((o) => o.state === 'inflight');
      await outbox.settle(renumbered, [{ kind: 'ack' }, { kind: 'ack' }]);
      return outbox.nextBatch(request({ inflightPossible: false }));
    });
    expect(summary(batch)).toEqual([['c', 'inflight', 6]]);
  });

  it('refuses outcomes that do not match the batch, changing nothing', async () => {
    const { write } = await opened([
      makeOp({ opId: 'a', seq: 1, id: 'a', state: 'inflight', pushSeq: 1 }),
    ]);
    const batch = await write((outbox) => outbox.pending());
    await expect(write((outbox) => outbox.settle(batch, []))).rejects.toBeInstanceOf(RangeError);
    expect(summary(await write((outbox) => outbox.all()))).toEqual([['a', 'inflight', 1]]);
  });

  it("rebases a record's ops onto a server id assigned outside a push answer", async () => {
    const { write } = await opened([
      makeOp({ opId: 'a1', seq: 1, id: 'a' }),
      makeOp({ opId: 'a2', seq: 2, id: 'a', type: 'update', serverId: 's-a' }),
    ]);
    const after = await write(async (outbox) =>
      outbox.rebase(await outbox.ofRecord('todos', 'a'), 's-a'),
    );
    expect(after.map((o) => [o.opId, o.serverId])).toEqual([
      ['a1', 's-a'],
      ['a2', 's-a'],
    ]);
  });

  it('dead-letters an unsent op for a reason outside a push answer', async () => {
    const { write } = await opened([makeOp({ opId: 'q', seq: 1, id: 'q' })]);
    const dead = await write(async (outbox) => {
      const [q] = await outbox.ofRecord('todos', 'q');
      return outbox.deadLetter(q!, 'forbidden', 'gone');
    });
    expect(dead).toMatchObject({ state: 'dead', attempts: 1, error: { code: 'forbidden' } });
    expect(summary(await write((outbox) => outbox.deadLetters()))).toEqual([['q', 'dead', null]]);
  });

  it('retries a dead letter under a new op id and discards another', async () => {
    const { write } = await opened([
      makeOp({ opId: 'd1', seq: 1, id: 'a', state: 'dead', pushSeq: 3, attempts: 2 }),
      makeOp({ opId: 'd2', seq: 2, id: 'b', state: 'dead', pushSeq: 4 }),
    ]);
    await write((outbox) => outbox.retry('d1'));
    const [retried] = await write((outbox) => outbox.pending());
    expect(retried).toMatchObject({ seq: 1, state: 'queued', pushSeq: null, attempts: 0 });
    expect(retried?.opId).not.toBe('d1');
    expect((await write((outbox) => outbox.discard('d2'))).opId).toBe('d2');
    expect(await write((outbox) => outbox.deadLetters())).toEqual([]);
    const missing = write((outbox) => outbox.retry(retried!.opId));
    await expect(missing).rejects.toBeInstanceOf(TidesyncError);
    await expect(missing).rejects.toMatchObject({ code: 'RECORD_NOT_FOUND' });
    await write((outbox) => outbox.clear());
    expect(await write((outbox) => outbox.isEmpty())).toBe(true);
  });
});
