import { describe, expect, it } from 'vitest';
import type { RecordData } from 'tidesync';
import { custom, fieldMerge, lastWriteWins, manual } from 'tidesync';
import { PAIRS, run, type Pair } from './pairs.js';

/**
 * The table of docs/conflicts.md, end to end: device A and device B make concurrent changes to
 * one record, A syncs, B syncs, A pulls. Every replica (A, B, and a fresh device C that only
 * pulls) must end with the outcome the table states.
 */

/** The example resolver of the docs: join both edits; an edit beats a delete. */
const joinEdits = custom(({ local, remote }) => {
  if (local.data === null) return remote.data;
  if (remote.data === null) return local.data;
  return {
    title: `${String(remote.data.title)}|${String(local.data.title)}`,
    body: `${String(remote.data.body)}|${String(local.data.body)}`,
  };
});

const fields = (rows: Record<string, unknown>[]) =>
  rows.map(({ title, body }) => ({ title, body }));
const live = (v: RecordData | null) => (v === null ? [] : [v]);

describe.each(['A', 'B'] as const)('when %s wrote later', (later) => {
  const other = later === 'A' ? 'B' : 'A';
  const winner = (pair: Pair) => PAIRS[pair][later === 'A' ? 'a' : 'b'];

  describe('lastWriteWins(): the later write wins wholly, a delete included', () => {
    it.each(Object.keys(PAIRS) as Pair[])('%s', async (pair) => {
      const r = await run(lastWriteWins(), pair, later);
      const expected = live(winner(pair));
      expect(fields(r.server)).toEqual(expected);
      expect(fields(r.a)).toEqual(expected);
      expect(fields(r.b)).toEqual(expected);
      expect(r.conflicts).toEqual([]);
      await r.world.close();
    });
  });

  describe('fieldMerge(): per-field later clock; a delete wins over an edit', () => {
    const expectedOf: Record<Pair, RecordData | null> = {
      'update/update same field': winner('update/update same field'),
      'update/update different fields': { title: 'A', body: 'B' },
      'update/delete': null,
      'delete/update': null,
      'delete/delete': null,
      'insert/insert same id': winner('insert/insert same id'),
    };
    it.each(Object.keys(PAIRS) as Pair[])('%s', async (pair) => {
      const r = await run(fieldMerge(), pair, later);
      const expected = live(expectedOf[pair]);
      expect(fields(r.server)).toEqual(expected);
      expect(fields(r.a)).toEqual(expected);
      expect(fields(r.b)).toEqual(expected);
      expect(r.conflicts).toEqual([]);
      await r.world.close();
    });
  });

  describe(`manual(): B keeps both versions, nothing is overwritten (${other} clock earlier)`, () => {
    it.each(Object.keys(PAIRS) as Pair[])('%s', async (pair) => {
      const r = await run(manual(), pair, later);
      const { a: va, b: vb } = PAIRS[pair];
      expect(fields(r.server)).toEqual(live(va));
      expect(fields(r.a)).toEqual(live(va));
      const isConflict = pair !== 'delete/delete';
      const open = r.conflicts.map(({ local, remote }) => ({ local, remote }));
      expect(open).toEqual(isConflict ? [{ local: vb, remote: va }] : []);
      expect(r.events).toHaveLength(isConflict ? 1 : 0);
      expect(fields(r.b)).toEqual(live(vb));
      expect(r.devices.b.client.status.conflicts).toBe(isConflict ? 1 : 0);
      await r.world.close();
    });
  });

  describe('custom(fn): the resolver runs on B and its answer syncs everywhere', () => {
    const expectedOf: Record<Pair, RecordData | null> = {
      'update/update same field': { title: 'A|B', body: 'b|b' },
      'update/update different fields': { title: 'A|t', body: 'b|B' },
      'update/delete': { title: 'A', body: 'b' },
      'delete/update': { title: 'B', body: 'b' },
      'delete/delete': null,
      'insert/insert same id': { title: 'A|B', body: 'a|bb' },
    };
    it.each(Object.keys(PAIRS) as Pair[])('%s', async (pair) => {
      const r = await run(joinEdits, pair, later);
      const expected = live(expectedOf[pair]);
      expect(fields(r.server)).toEqual(expected);
      expect(fields(r.a)).toEqual(expected);
      expect(fields(r.b)).toEqual(expected);
      expect(r.conflicts).toEqual([]);
      await r.world.close();
    });
  });
});

// `status.conflicts` counts with `listConflicts()` (ClientStatus.refreshCounts in
// src/client/sync/client-status.ts), not `queryRecords`, which skips deleted records: a conflict
// whose local side is a delete is counted as well as listed by `client.conflicts()`.
it('counts a conflict whose local side is a delete in status.conflicts', async () => {
  const r = await run(manual(), 'update/delete', 'B');
  expect(r.conflicts).toHaveLength(1);
  expect(r.devices.b.client.status.conflicts).toBe(1);
  await r.world.close();
});
