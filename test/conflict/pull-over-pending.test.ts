import { describe, expect, it } from 'vitest';
import type { ConflictStrategy } from 'tidesync';
import { fieldMerge, lastWriteWins, manual } from 'tidesync';
import { T0, createWorld, notes, snapshot } from './conflict-helpers.js';

/**
 * S19: a pull brings the server's newer version of a record while this device has a pending
 * change to it. The pending value is not overwritten by the pull; the push that follows is
 * concurrent and the strategy decides.
 */
const fields = (rows: Record<string, unknown>[]) =>
  rows.map(({ title, body }) => ({ title, body }));
const bPending = { title: 'B', body: 'A body' };
const expected = {
  // B's edit is later and wins wholly: its whole view, made before it saw A's body.
  lastWriteWins: { conflicts: [], a: { title: 'B', body: 'b' }, b: { title: 'B', body: 'b' } },
  fieldMerge: { conflicts: [], a: bPending, b: bPending },
  manual: {
    conflicts: [{ local: bPending, remote: { title: 'A', body: 'A body' } }],
    a: { title: 'A', body: 'A body' },
    b: bPending,
  },
};

describe.each<[keyof typeof expected, ConflictStrategy]>([
  ['lastWriteWins', lastWriteWins()],
  ['fieldMerge', fieldMerge()],
  ['manual', manual()],
])('%s: a pull over a pending change of the same record', (name, strategy) => {
  it('keeps the pending value through the pull, then resolves by the strategy', async () => {
    const world = createWorld([notes(strategy)]);
    const a = await world.device();
    let raceOnce: (() => Promise<void>) | undefined;
    const b = await world.device({ beforePull: () => raceOnce?.() ?? Promise.resolve() });
    const n = await a.client.collection('notes').insert({ title: 't', body: 'b' });
    await a.client.sync();
    await b.client.sync();
    const [row] = await b.client.collection('notes').find();
    a.setNow(T0 + 1_000);
    await a.client.collection('notes').update(n.id, { title: 'A', body: 'A body' });
    await a.client.sync();
    b.setNow(T0 + 2_000);
    raceOnce = async () => {
      raceOnce = undefined;
      await b.client.collection('notes').update(row!.id, { title: 'B' });
    };
    await b.client.sync(); // pushes nothing; B's edit lands while the pull is on its way
    expect(await b.client.collection('notes').get(row!.id)).toMatchObject({
      title: 'B',
      body: 'A body',
      syncStatus: 'pending',
    });
    await b.client.sync();
    await a.client.sync();
    const conflicts = await b.client.conflicts();
    expect(conflicts.map(({ local, remote }) => ({ local, remote }))).toEqual(
      expected[name].conflicts,
    );
    expect(fields(await snapshot(a.client, 'notes'))).toEqual([expected[name].a]);
    expect(fields(await snapshot(b.client, 'notes'))).toEqual([expected[name].b]);
    await world.close();
  });
});
