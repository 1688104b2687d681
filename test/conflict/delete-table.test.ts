import { describe, expect, it } from 'vitest';
import type { ConflictStrategy, RecordData } from 'tidesync';
import { custom, fieldMerge, lastWriteWins, manual } from 'tidesync';
import { T0, createWorld, notes, snapshot } from './conflict-helpers.js';

/**
 * The table of docs/conflicts.md, end to end: device A and device B make concurrent changes to
 * one record, A syncs, B syncs, A pulls. Every replica (A, B, and a fresh device C that only
 * pulls) must end with the outcome the table states.
 */

type Pair =
  | 'update/update same field'
  | 'update/update different fields'
  | 'update/delete'
  | 'delete/update'
  | 'delete/delete'
  | 'insert/insert same id';

const BASE = { title: 't', body: 'b' };

/** Each pair: what A and B do, and each side's whole version after its own change. */
const PAIRS: Record<Pair, { a: RecordData | null; b: RecordData | null }> = {
  'update/update same field': { a: { title: 'A', body: 'b' }, b: { title: 'B', body: 'b' } },
  'update/update different fields': { a: { title: 'A', body: 'b' }, b: { title: 't', body: 'B' } },
  'update/delete': { a: { title: 'A', body: 'b' }, b: null },
  'delete/update': { a: null, b: { title: 'B', body: 'b' } },
  'delete/delete': { a: null, b: null },
  'insert/insert same id': { a: { title: 'A', body: 'a' }, b: { title: 'B', body: 'bb' } },
};

/** The example resolver of the docs: join both edits; an edit beats a delete. */
const joinEdits = custom(({ local, remote }) => {
  if (local.data === null) return remote.data;
  if (remote.data === null) return local.data;
  return {
    title: `${String(remote.data.title)}|${String(local.data.title)}`,
    body: `${String(remote.data.body)}|${String(local.data.body)}`,
  };
});

async function run(strategy: ConflictStrategy, pair: Pair, later: 'A' | 'B') {
  const world = createWorld([notes(strategy)]);
  const a = await world.device();
  const b = await world.device();
  const events: unknown[] = [];
  b.client.on('conflict', (e) => events.push(e));
  a.setNow(T0 + (later === 'A' ? 2_000 : 1_000));
  b.setNow(T0 + (later === 'B' ? 2_000 : 1_000));
  const A = a.client.collection('notes');
  const B = b.client.collection('notes');
  if (pair === 'insert/insert same id') {
    const ra = await A.insert({ title: 'A', body: 'a' });
    const rb = await B.insert({ title: 'B', body: 'bb' });
    b.collideId(rb.id, ra.id);
  } else {
    a.setNow(T0);
    const r = await A.insert(BASE);
    a.setNow(T0 + (later === 'A' ? 2_000 : 1_000));
    await a.client.sync();
    await b.client.sync();
    const [rb] = await B.find();
    const [onA, onB] = pair.split('/') as ['update' | 'delete', string];
    if (onA === 'delete') await A.delete(r.id);
    else await A.update(r.id, { title: 'A' });
    if (onB.startsWith('delete')) await B.delete(rb!.id);
    else if (pair === 'update/update different fields') await B.update(rb!.id, { body: 'B' });
    else await B.update(rb!.id, { title: 'B' });
  }
  await a.client.sync();
  await b.client.sync();
  await a.client.sync();
  const c = await world.device();
  await c.client.sync();
  const out = {
    a: await snapshot(a.client, 'notes'),
    b: await snapshot(b.client, 'notes'),
    server: await snapshot(c.client, 'notes'),
    conflicts: await b.client.conflicts(),
    events,
    world,
    devices: { a, b },
  };
  return out;
}

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
      expect(r.devices.b.client.status.conflicts).toBe(isConflict && vb !== null ? 1 : 0);
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

// Known bug, reported to the lead: `status.conflicts` counts conflicted records with
// `queryRecords`, which skips deleted ones, so a conflict whose local side is a delete is listed
// by `client.conflicts()` but not counted. Fix: count with `listConflicts()` in
// src/client/sync-client.ts `#refreshCounts`. This test flips to failing once that is fixed.
it.fails('counts a conflict whose local side is a delete in status.conflicts', async () => {
  const r = await run(manual(), 'update/delete', 'B');
  expect(r.conflicts).toHaveLength(1);
  expect(r.devices.b.client.status.conflicts).toBe(1);
  await r.world.close();
});
