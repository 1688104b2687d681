// The outbox's push side on every adapter: batch selection, ack and rebase, dead letters,
// failure counting, renumbering after a seq gap, retry and discard.
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

  it('acks an op and rebases only the record ops that change', async () => {
    const { write } = await opened([
      makeOp({ opId: 'a1', seq: 1, id: 'a', state: 'inflight', pushSeq: 1 }),
      makeOp({ opId: 'a2', seq: 2, id: 'a', type: 'update' }),
      makeOp({ opId: 'a3', seq: 3, id: 'a', type: 'update', serverId: 's-a', baseVersion: 1 }),
    ]);
    const after = await write(async (outbox) => {
      const [first] = await outbox.ofRecord('todos', 'a');
      await outbox.ack(first!);
      const others = await outbox.ofRecord('todos', 'a');
      return outbox.rebase(others, 's-a', () => 1);
    });
    expect(after.map((o) => [o.opId, o.serverId, o.baseVersion])).toEqual([
      ['a2', 's-a', 1],
      ['a3', 's-a', 1],
    ]);
    expect((await write((outbox) => outbox.all())).map((o) => o.opId)).toEqual(['a2', 'a3']);
  });

  it('dead-letters an op the server never recorded and renumbers the ops behind it', async () => {
    const { write } = await opened([
      makeOp({ opId: 'x', seq: 1, id: 'x', state: 'inflight', pushSeq: 4 }),
      makeOp({ opId: 'y', seq: 2, id: 'y', state: 'inflight', pushSeq: 5 }),
      makeOp({ opId: 'z', seq: 3, id: 'z' }),
    ]);
    const dead = await write(async (outbox) => {
      const [x] = await outbox.ofRecord('todos', 'x');
      return outbox.deadLetter(x!, 'bad_request', 'no', true);
    });
    expect(dead).toMatchObject({ state: 'dead', attempts: 1, error: { code: 'bad_request' } });
    expect(summary(await write((outbox) => outbox.pending()))).toEqual([
      ['y', 'inflight', 4],
      ['z', 'queued', null],
    ]);
    expect(summary(await write((outbox) => outbox.deadLetters()))).toEqual([['x', 'dead', 4]]);
  });

  it('counts server failures and dead-letters a poison op failing alone maxAttempts times', async () => {
    const { write } = await opened([
      makeOp({ opId: 'p', seq: 1, id: 'p', state: 'inflight', pushSeq: 1, attempts: 1 }),
      makeOp({ opId: 'n', seq: 2, id: 'n', state: 'inflight', pushSeq: 2 }),
    ]);
    const batch = await write((outbox) => outbox.pending());
    expect(await write((outbox) => outbox.countFailure(batch, 3, 'HTTP 500'))).toBeUndefined();
    expect((await write((outbox) => outbox.all())).map((o) => o.attempts)).toEqual([2, 1]);
    const alone = (await write((outbox) => outbox.pending())).slice(0, 1);
    const poisoned = await write((outbox) => outbox.countFailure(alone, 3, 'HTTP 500'));
    expect(poisoned).toMatchObject({ opId: 'p', state: 'dead', attempts: 3 });
    expect(poisoned?.error?.code).toBe('SERVER_ERROR');
    // Its push seq was never recorded: the op behind takes it.
    expect(summary(await write((outbox) => outbox.pending()))).toEqual([['n', 'inflight', 1]]);
  });

  it('renumbers sent ops after a seq gap, so the next push continues at lastSeq + 1', async () => {
    const { write } = await opened([
      makeOp({ opId: 'a', seq: 1, id: 'a', state: 'inflight', pushSeq: 10 }),
      makeOp({ opId: 'b', seq: 2, id: 'b', state: 'inflight', pushSeq: 11 }),
      makeOp({ opId: 'c', seq: 3, id: 'c' }),
    ]);
    await write((outbox) => outbox.renumberAfter(3));
    expect(summary(await write((outbox) => outbox.pending()))).toEqual([
      ['a', 'inflight', 4],
      ['b', 'inflight', 5],
      ['c', 'queued', null],
    ]);
    // Once both are acknowledged, the next op sent takes the number after them.
    const { batch } = await write(async (outbox) => {
      for (const op of await outbox.pending()) if (op.state === 'inflight') await outbox.ack(op);
      return outbox.nextBatch(request({ inflightPossible: false }));
    });
    expect(summary(batch)).toEqual([['c', 'inflight', 6]]);
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
