import { describe, expect, it } from 'vitest';
import { TransactionCache } from '../../src/server/transaction-cache.js';
import { sampleServerRecord } from '../../src/testing/conformance/server-store.js';
import type { OpResult } from '../../src/core/index.js';

const rejected = (opId: string): OpResult => ({
  opId,
  status: 'rejected',
  code: 'not_found',
  message: 'gone',
});

describe('TransactionCache', () => {
  it('tells unknown (ask the database) from known absent', () => {
    const cache = new TransactionCache();
    expect(cache.record('todos', 'r1')).toBeUndefined();
    cache.noteRecord('todos', 'r1', null);
    expect(cache.hasRecord('todos', 'r1')).toBe(true);
    expect(cache.record('todos', 'r1')).toBeNull();
    expect(cache.outcome('c1', 'op1')).toBeUndefined();
    cache.noteOutcome('c1', 'op1', null);
    expect(cache.outcome('c1', 'op1')).toBeNull();
    expect(cache.byOrigin('todos', 'c1', 'l1')).toBeUndefined();
    cache.noteNoOrigin('todos', 'c1', 'l1');
    expect(cache.byOrigin('todos', 'c1', 'l1')).toBeNull();
  });

  it('answers with its own writes first, also by origin, and returns copies', () => {
    const cache = new TransactionCache();
    const stored = sampleServerRecord({ id: 'r1', originClientId: 'c1', originId: 'l1' });
    cache.noteRecord('todos', 'r1', stored);
    expect(cache.byOrigin('todos', 'c1', 'l1')).toEqual(stored);
    const copy = cache.record('todos', 'r1')!;
    (copy.data as Record<string, unknown>)['title'] = 'mutated';
    expect(cache.record('todos', 'r1')).toEqual(stored);

    const next = { ...stored, version: 2, data: { title: 'b' } };
    cache.putRecord(next);
    next.data.title = 'changed after put';
    expect(cache.record('todos', 'r1')).toEqual({ ...stored, version: 2, data: { title: 'b' } });
    expect(cache.byOrigin('todos', 'c1', 'l1')?.version).toBe(2);
    // A record created in this transaction is found by its origin before the database knows it.
    cache.noteNoOrigin('todos', 'c1', 'l2');
    cache.putRecord(sampleServerRecord({ id: 'r2', originClientId: 'c1', originId: 'l2' }));
    expect(cache.byOrigin('todos', 'c1', 'l2')?.id).toBe('r2');

    cache.noteOutcome('c1', 'op1', null);
    cache.putOutcome('c1', 'op1', 1, rejected('op1'));
    expect(cache.outcome('c1', 'op1')).toEqual(rejected('op1'));
  });

  it('holds each record once, in the order of its last write, marked stored or new', () => {
    const cache = new TransactionCache();
    cache.noteRecord('todos', 'old', sampleServerRecord({ id: 'old' }));
    cache.noteRecord('todos', 'gone', null);
    cache.putRecord(sampleServerRecord({ id: 'old', version: 2 }));
    cache.putRecord(sampleServerRecord({ id: 'gone' }));
    cache.putRecord(sampleServerRecord({ id: 'unseen' }));
    cache.putRecord(sampleServerRecord({ id: 'old', version: 3 }));
    const pending = cache.pendingRecords();
    expect(pending.map((p) => [p.record.id, p.record.version, p.stored])).toEqual([
      ['gone', 1, false],
      ['unseen', 1, false],
      ['old', 3, true],
    ]);
    expect(JSON.parse(pending[2]!.data)).toEqual(sampleServerRecord().data);
    cache.putOutcome('c1', 'a', 1, rejected('a'));
    cache.putOutcome('c1', 'b', 2, rejected('b'));
    expect(cache.pendingOutcomes().map((o) => [o.opId, o.seq, JSON.parse(o.result)])).toEqual([
      ['a', 1, rejected('a')],
      ['b', 2, rejected('b')],
    ]);
  });
});
