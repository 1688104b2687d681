import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConflictStrategy } from 'tidesync';
import { defineCollection, fieldMerge, lastWriteWins, manual } from 'tidesync';
import { T0, createWorld } from './conflict-helpers.js';

/**
 * The acceptance scenario of issue 5: A and B start synced with 1,000 todos; offline, A changes
 * `title` on all; B changes `done` on 0-499 and `title` on 500-999; A syncs, B syncs, A pulls.
 * Clocks: A writes at T0+1500; B writes its first half of each range at T0+1000 (earlier than
 * A) and its second half at T0+2000 (later), so "the later write" differs record by record.
 */

const N = 1_000;
const todos = (conflict: ConflictStrategy) =>
  defineCollection({
    name: 'todos',
    schema: z.object({ n: z.number().int(), title: z.string(), done: z.boolean() }),
    conflict,
  });

/** B wrote later than A on 250-499 and 750-999. */
const bLater = (n: number) => n % 500 >= 250;

async function scenario(strategy: ConflictStrategy) {
  const world = createWorld([todos(strategy)]);
  const a = await world.device({ batchSize: 250, pullPageSize: 500 });
  const b = await world.device({ batchSize: 250, pullPageSize: 500 });
  const rows = Array.from({ length: N }, (_, n) => ({ n, title: `t${n}`, done: false }));
  await a.client.collection('todos').insertMany(rows);
  await a.client.sync();
  await b.client.sync();
  const onA = await a.client.collection('todos').find();
  const onB = await b.client.collection('todos').find();
  expect(onB).toHaveLength(N);

  a.setNow(T0 + 1_500);
  await a.client.transaction(async (tx) => {
    for (const r of onA) await tx.collection('todos').update(r.id, { title: `A${r.n}` });
  });
  await b.client.transaction(async (tx) => {
    for (const later of [false, true]) {
      b.setNow(T0 + (later ? 2_000 : 1_000));
      for (const r of onB) {
        const n = r.n as number;
        if (bLater(n) !== later) continue;
        const patch = n < 500 ? { done: true } : { title: `B${n}` };
        await tx.collection('todos').update(r.id, patch);
      }
    }
  });

  await a.client.sync();
  await b.client.sync();
  await a.client.sync();
  const byN = async (client: typeof a.client) => {
    const all = await client.collection('todos').find({ orderBy: [['n', 'asc']] });
    return all.map(({ n, title, done, syncStatus }) => ({ n, title, done, syncStatus }));
  };
  return { world, a, b, onA: await byN(a.client), onB: await byN(b.client) };
}

describe('two devices, 1,000 todos edited offline (issue 5)', () => {
  it('fieldMerge: 0-499 keep A’s title and B’s done; 500-999 take the later title', async () => {
    const r = await scenario(fieldMerge());
    const expected = Array.from({ length: N }, (_, n) => ({
      n,
      title: n < 500 || !bLater(n) ? `A${n}` : `B${n}`,
      done: n < 500,
      syncStatus: 'synced',
    }));
    expect(r.onA).toEqual(expected);
    expect(r.onB).toEqual(expected);
    expect(r.a.client.status.pendingOps).toBe(0);
    expect(r.b.client.status.pendingOps).toBe(0);
    await r.world.close();
  });

  it('lastWriteWins: each record is wholly the later write', async () => {
    const r = await scenario(lastWriteWins());
    const expected = Array.from({ length: N }, (_, n) => {
      if (!bLater(n)) return { n, title: `A${n}`, done: false, syncStatus: 'synced' };
      return n < 500
        ? { n, title: `t${n}`, done: true, syncStatus: 'synced' }
        : { n, title: `B${n}`, done: false, syncStatus: 'synced' };
    });
    expect(r.onA).toEqual(expected);
    expect(r.onB).toEqual(expected);
    await r.world.close();
  });

  it('manual: B holds 1,000 conflicted records with both versions; nothing is overwritten', async () => {
    const r = await scenario(manual());
    expect(r.onA).toEqual(
      Array.from({ length: N }, (_, n) => ({
        n,
        title: `A${n}`,
        done: false,
        syncStatus: 'synced',
      })),
    );
    const bVersion = (n: number) =>
      n < 500 ? { n, title: `t${n}`, done: true } : { n, title: `B${n}`, done: false };
    expect(r.onB).toEqual(
      Array.from({ length: N }, (_, n) => ({ ...bVersion(n), syncStatus: 'conflicted' })),
    );
    const conflicts = await r.b.client.conflicts();
    expect(conflicts).toHaveLength(N);
    expect(r.b.client.status.conflicts).toBe(N);
    const both = conflicts
      .map(({ local, remote }) => ({ local, remote }))
      .sort((x, y) => Number(x.local?.n) - Number(y.local?.n));
    expect(both).toEqual(
      Array.from({ length: N }, (_, n) => ({
        local: bVersion(n),
        remote: { n, title: `A${n}`, done: false },
      })),
    );
    // Nothing was overwritten on the server either: a fresh device sees A's versions.
    const c = await r.world.device();
    await c.client.sync();
    const fresh = await c.client.collection('todos').find({ orderBy: [['n', 'asc']] });
    expect(fresh.map((t) => t.title)).toEqual(Array.from({ length: N }, (_, n) => `A${n}`));
    await r.world.close();
  });
});
