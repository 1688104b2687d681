import { describe, expect, it } from 'vitest';
import { parseHlc } from 'tidesync';
import type { WireOp } from 'tidesync';
import { NOW, hlcAt, op, pullAll, push, storeKinds } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';

const YEAR_2099 = Date.UTC(2099, 0, 1);
const MINUTE = 60_000;

// Issue 15, items 3 and 4: field clocks are the server's to check; stored far-future clocks
// do not win every later conflict.
describe.each(storeKinds())('field clocks are checked by the server: $name', (kind) => {
  const env = serverPerTest(kind, { maxClockDriftMs: MINUTE });

  /** An update of note `n1` (version 1) clocked at `ms` by `node`, with its own field clocks. */
  const noteUpdate = (
    seq: number,
    node: string,
    ms: number,
    patch: Record<string, unknown>,
    fieldClocks: WireOp['fieldClocks'],
  ) =>
    op({
      seq,
      collection: 'notes',
      id: 'n1',
      serverId: 'n1',
      type: 'update',
      patch,
      baseVersion: 1,
      hlc: hlcAt(ms, node),
      fieldClocks,
    });

  const insertNote = () =>
    push(env.server, 'c1', [
      op({
        seq: 1,
        collection: 'notes',
        id: 'n1',
        data: { title: 't', body: 'b' },
        hlc: hlcAt(NOW - 5000, 'c1'),
        fieldClocks: {
          title: hlcAt(NOW - 5000, 'c1'),
          body: hlcAt(NOW - 5000, 'c1'),
          notAField: hlcAt(NOW - 5000, 'c1'),
          ['x'.repeat(256)]: hlcAt(NOW - 5000, 'c1'),
        },
      }),
    ]);

  it('stores clocks only for schema fields the op writes, never junk', async () => {
    expect((await insertNote()).body.results[0]?.status).toBe('applied');
    const junk: Record<string, string> = { title: hlcAt(NOW - 4000, 'c2') };
    for (let i = 0; i < 500; i++) junk[`junk${i}`] = hlcAt(NOW - 4000, 'c2');
    junk['body'] = hlcAt(YEAR_2099, 'c2'); // not written by this op
    const answer = await push(env.server, 'c2', [
      noteUpdate(1, 'c2', NOW - 4000, { title: 'u' }, junk),
    ]);
    expect(answer.body.results[0]?.status).toBe('applied');
    const stored = await env.store.read((reader) => reader.getRecord('notes', 'n1'));
    expect(Object.keys(stored!.fieldClocks).sort()).toEqual(['body', 'title']);
    expect(stored!.fieldClocks['body']).toBe(hlcAt(NOW - 5000, 'c1'));
    expect(stored!.fieldClocks['title']).toBe(hlcAt(NOW - 4000, 'c2'));
    const { changes } = await pullAll(env.server, 'c3');
    expect(JSON.stringify(changes)).not.toContain('junk');
  });

  it('a forged far-future clock on one field cannot make a teammate’s later edit vanish', async () => {
    await insertNote();
    // c1's op is clocked now, but claims a 2099 clock for `title`.
    await push(env.server, 'c1', [
      noteUpdate(2, 'c1', NOW - 3000, { title: 'forged' }, { title: hlcAt(YEAR_2099, 'c1') }),
    ]);
    const stored = await env.store.read((reader) => reader.getRecord('notes', 'n1'));
    expect(parseHlc(stored!.fieldClocks['title']!)!.ms).toBeLessThanOrEqual(NOW - 3000);
    // A teammate's concurrent edit of the same field, made later (fieldMerge).
    const late = await push(env.server, 'c2', [
      noteUpdate(1, 'c2', NOW - 1000, { title: 'teammate' }, { title: hlcAt(NOW - 1000, 'c2') }),
    ]);
    expect(late.body.results[0]).toMatchObject({
      status: 'applied',
      merged: true,
      record: { data: { title: 'teammate' } },
    });
  });

  it('a record stored with a 2099 clock loses to an honest edit made after the drift window', async () => {
    // As written before clocks were clamped: a 2099 clock, stored ten minutes ago.
    await env.store.transaction(async (tx) => {
      await tx.getRecord('todos', 'old');
      await tx.putRecord({
        collection: 'todos',
        id: 'old',
        ownerId: 'alice',
        version: 1,
        data: { title: '2099', done: false },
        hlc: hlcAt(YEAR_2099, 'bad'),
        fieldClocks: { title: hlcAt(YEAR_2099, 'bad'), done: hlcAt(YEAR_2099, 'bad') },
        deleted: false,
        updatedAt: NOW - 10 * MINUTE,
        originClientId: 'bad',
        originId: 'old',
      });
    });
    const pulled = await pullAll(env.server, 'c1');
    expect(parseHlc(pulled.changes[0]!.hlc)!.ms).toBeLessThanOrEqual(NOW);
    const honest = await push(env.server, 'c1', [
      op({
        seq: 1,
        id: 'old',
        serverId: 'old',
        type: 'update',
        patch: { title: 'honest' },
        baseVersion: 0,
        hlc: hlcAt(NOW - 1000, 'c1'),
        fieldClocks: { title: hlcAt(NOW - 1000, 'c1') },
      }),
    ]);
    expect(honest.body.results[0]).toMatchObject({
      status: 'applied',
      record: { data: { title: 'honest' } },
    });
  });
});
