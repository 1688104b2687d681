import { describe, expect, it } from 'vitest';
import type { RecordData } from 'tidesync';
import { custom, manual } from 'tidesync';
import { snapshot } from './conflict-helpers.js';
import { PAIRS, run, type Pair } from './pairs.js';

/**
 * Under manual(), B resolves each kind of conflict by keeping its version, the server's, or a new
 * value; the resolution syncs, and every replica ends with it. Deletes included: keeping a
 * delete deletes the record everywhere; keeping an edit over a delete brings the record back.
 */

const CONFLICTING = (Object.keys(PAIRS) as Pair[]).filter((p) => p !== 'delete/delete');
const VALUE = { title: 'V', body: 'v' };
const fields = (rows: Record<string, unknown>[]) =>
  rows.map(({ title, body }) => ({ title, body }));
const live = (v: RecordData | null) => (v === null ? [] : [v]);

describe.each(CONFLICTING)('manual(), %s', (pair) => {
  it.each([
    ['keep local', { keep: 'local' } as const, PAIRS[pair].b],
    ['keep remote', { keep: 'remote' } as const, PAIRS[pair].a],
    ['a new value', { value: VALUE }, VALUE],
    ['a null value (delete)', { value: null }, null],
  ])('resolved with %s: every replica ends with it', async (_, resolution, expected) => {
    const r = await run(manual(), pair, 'B');
    const [open] = r.conflicts;
    expect(open).toBeDefined();
    const deadLetters: unknown[] = [];
    r.devices.b.client.on('deadLetter', (e) => deadLetters.push(e));
    await r.devices.b.client.resolveConflict('notes', open!.id, resolution);
    expect(await r.devices.b.client.conflicts()).toEqual([]);
    expect(fields(await snapshot(r.devices.b.client, 'notes'))).toEqual(live(expected));
    await r.devices.b.client.sync();
    await r.devices.a.client.sync();
    await r.devices.b.client.sync();
    const c = await r.world.device();
    await c.client.sync();
    for (const client of [r.devices.a.client, r.devices.b.client, c.client]) {
      expect(fields(await snapshot(client, 'notes'))).toEqual(live(expected));
      expect(client.status).toMatchObject({ pendingOps: 0, conflicts: 0 });
    }
    expect(deadLetters).toEqual([]);
    await r.world.close();
  });
});

it('resolveConflict() on a record without a conflict fails with CONFLICT_NOT_FOUND', async () => {
  const r = await run(manual(), 'delete/delete', 'B');
  await expect(
    r.devices.b.client.resolveConflict('notes', 'no-such-id', { keep: 'local' }),
  ).rejects.toMatchObject({ code: 'CONFLICT_NOT_FOUND' });
  await r.world.close();
});

it('custom(fn) returning manual hands the conflict over as under manual()', async () => {
  const r = await run(
    custom(({ local, remote }) => (local.data && remote.data ? local.data : 'manual')),
    'delete/update',
    'B',
  );
  expect(r.conflicts.map(({ local, remote }) => ({ local, remote }))).toEqual([
    { local: PAIRS['delete/update'].b, remote: null },
  ]);
  await r.world.close();
});
