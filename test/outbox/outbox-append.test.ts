// The outbox's append path on every adapter: new ops, coalescing, cancelling, the insertMany path.
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageAdapter } from 'tidesync';
import type { NewOp } from '../../src/outbox/index.js';
import { ADAPTERS, openOutbox } from './outbox-adapters.js';

const HLC = '0001700000000000-0000-client1';

function op(type: NewOp['type'], id: string, data: Record<string, unknown> | null = {}): NewOp {
  return {
    collection: 'todos',
    id,
    serverId: null,
    type,
    data: data as NewOp['data'],
    patch: type === 'update' ? (data as NewOp['patch']) : null,
    changedFields: Object.keys(data ?? {}),
    baseVersion: 0,
    hlc: HLC,
    fieldClocks: {},
  };
}

describe.each(ADAPTERS)('Outbox append (%s)', (_name, create) => {
  let adapter: StorageAdapter | undefined;
  afterEach(async () => {
    await adapter?.close();
    adapter = undefined;
  });

  it('appends queued ops numbered in order, never sent', async () => {
    const opened = await openOutbox(create);
    adapter = opened.adapter;
    const ops = await opened.write(async (outbox) => {
      await outbox.append(op('insert', 'a', { title: 'a' }), { coalesce: true, now: 1 });
      await outbox.append(op('insert', 'b', { title: 'b' }), { coalesce: true, now: 2 });
      return outbox.pending();
    });
    expect(ops.map((o) => [o.id, o.seq, o.state, o.pushSeq, o.attempts])).toEqual([
      ['a', 1, 'queued', null, 0],
      ['b', 2, 'queued', null, 0],
    ]);
  });

  it('coalesces an update into a never-sent insert, and a delete cancels both', async () => {
    const opened = await openOutbox(create);
    adapter = opened.adapter;
    const merged = await opened.write(async (outbox) => {
      await outbox.append(op('insert', 'a', { title: 'a' }), { coalesce: true, now: 1 });
      const update = await outbox.append(op('update', 'a', { title: 'b' }), {
        coalesce: true,
        now: 2,
      });
      return { update, ops: await outbox.all() };
    });
    expect(merged.update.kind).toBe('coalesced');
    expect(merged.ops).toHaveLength(1);
    expect(merged.ops[0]).toMatchObject({ type: 'insert', data: { title: 'b' } });
    const cancelled = await opened.write(async (outbox) => {
      const result = await outbox.append(op('delete', 'a', null), { coalesce: true, now: 3 });
      return { result, empty: await outbox.isEmpty() };
    });
    expect(cancelled).toEqual({ result: { kind: 'cancelled' }, empty: true });
  });

  it('never merges into an op in flight: a later edit is a new op', async () => {
    const opened = await openOutbox(create);
    adapter = opened.adapter;
    const ops = await opened.write(async (outbox) => {
      await outbox.append(op('insert', 'a', { title: 'a' }), { coalesce: true, now: 1 });
      await outbox.nextBatch({
        limit: 10,
        inflightPossible: false,
        priorities: new Map([['todos', 0]]),
        blocked: () => Promise.resolve(false),
      });
      await outbox.append(op('update', 'a', { title: 'b' }), { coalesce: true, now: 2 });
      return outbox.ofRecord('todos', 'a');
    });
    expect(ops.map((o) => [o.type, o.state])).toEqual([
      ['insert', 'inflight'],
      ['update', 'queued'],
    ]);
  });

  it('appends many new records with one counter stored once', async () => {
    const opened = await openOutbox(create);
    adapter = opened.adapter;
    await opened.write((outbox) =>
      outbox.append(op('insert', 'first', {}), { coalesce: true, now: 1 }),
    );
    const seqs = await opened.write(async (outbox) => {
      const counter = outbox.counter();
      await counter.load();
      for (const id of ['x', 'y', 'z']) await outbox.appendNew(op('insert', id), counter, 5);
      await counter.store();
      return (await outbox.all()).map((o) => [o.id, o.seq]);
    });
    expect(seqs).toEqual([
      ['first', 1],
      ['x', 2],
      ['y', 3],
      ['z', 4],
    ]);
    // The stored counter continues after the batch.
    const next = await opened.write(async (outbox) => {
      await outbox.append(op('insert', 'after'), { coalesce: true, now: 6 });
      return (await outbox.ofRecord('todos', 'after'))[0]?.seq;
    });
    expect(next).toBe(5);
  });
});
