import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConflictStrategy, RecordData } from 'tidesync';
import { custom, defineCollection, lastWriteWins } from 'tidesync';
import { T0, createWorld } from './conflict-helpers.js';

/**
 * S17, control run. Device A's wall clock is 2 h ahead, device B's 30 min behind. A edits a
 * note; B edits the same note while A's edit is on its way to it (a pull over B's pending
 * change), then, having seen A's edit, edits it again a minute later: B's final write is
 * causally later. The push that follows is concurrent for the server (B's op is based on the
 * version before A's), so a strategy picks the winner.
 *
 * Under hybrid logical clocks B wins. Under a last-write-wins on the devices' own wall clocks
 * (a `custom()` resolver comparing an `editedAt` the app stamps from each device's clock, and
 * the records' `updatedAt`) A's causally earlier write wins: the HLC result is not an accident
 * of the scenario.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Real time of the scenario; each device reads it through its skewed clock. */
const REAL = T0 + 10 * MINUTE;
const A_SKEW = 2 * HOUR;
const B_SKEW = -30 * MINUTE;

const notes = (conflict: ConflictStrategy) =>
  defineCollection({
    name: 'notes',
    schema: z.object({ title: z.string(), editedAt: z.number() }),
    conflict,
  });

/** Plain wall-clock LWW: the version whose device clock read later wins wholly. */
const wallClockLww = custom(({ local, remote }): RecordData | null => {
  const at = (data: RecordData | null) => (data === null ? -Infinity : Number(data.editedAt));
  return at(local.data) > at(remote.data) ? local.data : remote.data;
});

async function scenario(strategy: ConflictStrategy) {
  const world = createWorld([notes(strategy)], { maxClockDriftMs: 24 * HOUR });
  world.setServerNow(REAL);
  const a = await world.device({ now: REAL + A_SKEW });
  let raceOnce: (() => Promise<void>) | undefined;
  const b = await world.device({
    now: REAL + B_SKEW,
    beforePull: () => raceOnce?.() ?? Promise.resolve(),
  });
  const n = await a.client.collection('notes').insert({ title: 'first', editedAt: REAL + A_SKEW });
  await a.client.sync();
  await b.client.sync();
  const [row] = await b.client.collection('notes').find();
  expect(row).toMatchObject({ title: 'first', syncStatus: 'synced' });

  // Real time +1 min: A edits and syncs.
  a.setNow(REAL + MINUTE + A_SKEW);
  world.setServerNow(REAL + MINUTE);
  const aWrite = await a.client
    .collection('notes')
    .update(n.id, { title: 'A', editedAt: REAL + MINUTE + A_SKEW });
  await a.client.sync();

  // Real time +2 min: B edits while A's edit is on its way to it (concurrent with A's) ...
  b.setNow(REAL + 2 * MINUTE + B_SKEW);
  world.setServerNow(REAL + 2 * MINUTE);
  raceOnce = async () => {
    raceOnce = undefined;
    await b.client
      .collection('notes')
      .update(row!.id, { title: 'B draft', editedAt: REAL + 2 * MINUTE + B_SKEW });
  };
  await b.client.sync(); // pushes nothing; the pull brings A's edit (and clock) over B's draft
  expect(raceOnce).toBeUndefined();
  expect(await b.client.collection('notes').get(row!.id)).toMatchObject({
    title: 'B draft',
    syncStatus: 'pending',
  });

  // ... and at real time +3 min, having seen A's edit, B writes again: causally after A's.
  b.setNow(REAL + 3 * MINUTE + B_SKEW);
  world.setServerNow(REAL + 3 * MINUTE);
  const bWrite = await b.client
    .collection('notes')
    .update(row!.id, { title: 'B', editedAt: REAL + 3 * MINUTE + B_SKEW });
  await b.client.sync();
  await a.client.sync();
  await b.client.sync();
  const titles = async () => [
    (await a.client.collection('notes').get(n.id))?.title,
    (await b.client.collection('notes').get(row!.id))?.title,
  ];
  return { world, a, b, aWrite, bWrite, titles };
}

describe('S17 control: A +2 h, B −30 min, B writes after seeing A’s write', () => {
  it('the two writes’ wall clocks put A’s (causally earlier) write last', async () => {
    const { world, aWrite, bWrite } = await scenario(lastWriteWins());
    // What each device recorded as the wall time of its write: A's reads 2 h 28 min later.
    expect(aWrite.updatedAt).toBe(REAL + MINUTE + A_SKEW);
    expect(bWrite.updatedAt).toBe(REAL + 3 * MINUTE + B_SKEW);
    expect(aWrite.updatedAt - bWrite.updatedAt).toBe(2 * HOUR + 28 * MINUTE);
    await world.close();
  });

  it('lastWriteWins (hybrid logical clock): B’s causally later write wins on every replica', async () => {
    const { world, a, b, titles } = await scenario(lastWriteWins());
    expect(await titles()).toEqual(['B', 'B']);
    expect(await b.client.conflicts()).toEqual([]);
    expect(a.client.status.pendingOps + b.client.status.pendingOps).toBe(0);
    await world.close();
  });

  it('control: last-write-wins on the devices’ wall clocks picks A’s earlier write on every replica', async () => {
    const { world, a, b, titles } = await scenario(wallClockLww);
    expect(await titles()).toEqual(['A', 'A']);
    expect(await b.client.conflicts()).toEqual([]);
    expect(a.client.status.pendingOps + b.client.status.pendingOps).toBe(0);
    for (const d of [a, b]) {
      const [rec] = await d.client.collection('notes').find();
      expect(rec).toMatchObject({ title: 'A', editedAt: REAL + MINUTE + A_SKEW });
    }
    await world.close();
  });
});
