import { describe, expect, it } from 'vitest';
import type { ConflictInput, RecordData } from 'tidesync';
import { custom, fieldMerge, lastWriteWins, manual } from 'tidesync';
import { T0, hlcAt } from './conflict-helpers.js';

const base = hlcAt(T0, 0, 'base');
const early = hlcAt(T0 + 1, 0, 'a');
const late = hlcAt(T0 + 2, 0, 'b');

/** `local` changed `changed` at clock `localHlc`; `remote` is the stored version. */
function input(
  local: RecordData | null,
  localHlc: string,
  changed: string[],
  remote: RecordData | null,
  remoteHlc: string,
  remoteClocks?: Record<string, string>,
): ConflictInput {
  return {
    collection: 'notes',
    id: 'n1',
    local: {
      data: local,
      hlc: localHlc,
      fieldClocks: Object.fromEntries(changed.map((f) => [f, localHlc])),
      changedFields: changed,
    },
    remote: {
      data: remote,
      hlc: remoteHlc,
      fieldClocks:
        remoteClocks ??
        (remote ? Object.fromEntries(Object.keys(remote).map((f) => [f, remoteHlc])) : {}),
    },
  };
}

describe('lastWriteWins()', () => {
  const lww = lastWriteWins();

  it('keeps the later version wholly, whichever side it is on', () => {
    const a = { title: 'A', body: 'b' };
    const b = { title: 't', body: 'B' };
    expect(lww.resolve(input(a, late, ['title'], b, early))).toMatchObject({ data: a, hlc: late });
    expect(lww.resolve(input(a, early, ['title'], b, late))).toMatchObject({ data: b, hlc: late });
  });

  it('breaks equal wall times by the client id in the clock', () => {
    const same = (node: string) => hlcAt(T0 + 1, 0, node);
    const r = lww.resolve(input({ v: 'x' }, same('x'), ['v'], { v: 'y' }, same('y')));
    expect(r).toMatchObject({ data: { v: 'y' } });
  });

  it('treats a delete as a write: a later delete deletes, a later edit survives a delete', () => {
    expect(lww.resolve(input(null, late, [], { v: 1 }, early))).toMatchObject({ data: null });
    expect(lww.resolve(input({ v: 2 }, late, ['v'], null, early))).toMatchObject({
      data: { v: 2 },
    });
  });

  it('returns a copy, never the caller’s object', () => {
    const remote = { v: 1 };
    const r = lww.resolve(input({ v: 0 }, early, ['v'], remote, late));
    expect(r.kind === 'merged' && r.data).not.toBe(remote);
  });
});

describe('fieldMerge()', () => {
  const fm = fieldMerge();

  it('keeps fields changed on one side only, and the later value of a field changed on both', () => {
    const r = fm.resolve(
      input(
        { title: 'A', body: 'B', done: true },
        early,
        ['title', 'done'],
        { title: 'R', body: 'B', done: false },
        late,
        // The remote changed only `title` (and `body`, to the same value) since the base.
        { title: late, body: late, done: base },
      ),
    );
    expect(r).toMatchObject({ data: { title: 'R', body: 'B', done: true } });
    expect(r.kind === 'merged' && r.fieldClocks).toEqual({ title: late, body: late, done: early });
  });

  it('ignores fields the local side did not change', () => {
    const r = fm.resolve(
      input({ title: 'stale', body: 'L' }, late, ['body'], { title: 'R', body: 'b' }, early),
    );
    expect(r).toMatchObject({ data: { title: 'R', body: 'L' } });
  });

  it('lets a delete win over an edit on either side, whatever the clocks', () => {
    expect(fm.resolve(input(null, early, [], { v: 1 }, late))).toMatchObject({
      data: null,
      hlc: late,
    });
    expect(fm.resolve(input({ v: 2 }, late, ['v'], null, early))).toMatchObject({
      data: null,
      hlc: late,
    });
  });
});

describe('manual() and custom(fn)', () => {
  it('manual() always hands the conflict to the app and is not resolved on the server', () => {
    expect(manual().deterministic).toBe(false);
    expect(manual().resolve(input({ v: 1 }, late, ['v'], { v: 2 }, early))).toEqual({
      kind: 'manual',
    });
  });

  it('custom(fn) passes both sides to fn and returns its merge, a delete, or manual', () => {
    const seen: ConflictInput[] = [];
    const strategy = custom((i) => {
      seen.push(i);
      return i.local.data && i.remote.data
        ? { v: Number(i.local.data.v) + Number(i.remote.data.v) }
        : null;
    });
    expect(strategy.deterministic).toBe(false);
    expect(strategy.resolve(input({ v: 1 }, late, ['v'], { v: 2 }, early))).toMatchObject({
      kind: 'merged',
      data: { v: 3 },
      hlc: late,
    });
    expect(strategy.resolve(input(null, late, [], { v: 2 }, early))).toMatchObject({ data: null });
    expect(seen[0]).toMatchObject({ local: { data: { v: 1 } }, remote: { data: { v: 2 } } });
    expect(custom(() => 'manual').resolve(input(null, late, [], null, early))).toEqual({
      kind: 'manual',
    });
  });

  it('custom() refuses a non-function with INVALID_OPTION', () => {
    expect(() => custom('merge' as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('custom(fn) refuses an answer that is not an object, null or manual', () => {
    const strategy = custom(() => 42 as never);
    expect(() => strategy.resolve(input({ v: 1 }, late, ['v'], { v: 2 }, early))).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
