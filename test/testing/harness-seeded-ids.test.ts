// createTestHarness({ idSeed }): the ids a run makes (client ids, record ids, op ids) come from a
// source seeded with it, so a run replays with the same ids; after close() ids are random again.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createId, defineCollection } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';
import { swapIdSource } from '../../src/core/index.js';

const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });

/** A small run: what ids it made, and the digest of the converged data. */
async function run(idSeed?: number) {
  const h = await createTestHarness({
    collections: [todos],
    clients: 2,
    network: { seed: 7 },
    ...(idSeed === undefined ? {} : { idSeed }),
  });
  try {
    const a = await h.clients[0]!.collection('todos').insert({ title: 'a' });
    const b = await h.clients[1]!.collection('todos').insert({ title: 'b' });
    const ops = [...(await h.clients[0]!.pendingOps()), ...(await h.clients[1]!.pendingOps())];
    await h.settle();
    const digests = await h.assertConverged();
    return {
      clientIds: h.clients.map((c) => c.clientId),
      recordIds: [a.id, b.id],
      opIds: ops.map((op) => op.opId),
      digests: [...digests.values()],
    };
  } finally {
    await h.close();
  }
}

describe('createTestHarness({ idSeed })', () => {
  it('makes the same ids, and the same data, in two runs with the same seed', async () => {
    const first = await run(42);
    const second = await run(42);
    expect(second).toEqual(first);
    expect(new Set([...first.clientIds, ...first.recordIds, ...first.opIds]).size).toBe(6);
    expect(first.recordIds.every((id) => /^[-0-9A-Za-z_]{21}$/.test(id))).toBe(true);
    const other = await run(43);
    expect(other.recordIds).not.toEqual(first.recordIds);
    expect(other.clientIds).not.toEqual(first.clientIds);
  });

  it('gives random ids without a seed, and again after a seeded harness closed', async () => {
    const unseeded = [await run(), await run()];
    expect(unseeded[1]!.recordIds).not.toEqual(unseeded[0]!.recordIds);
    await run(42);
    // No id source is left in place: createId() uses the clock and the platform's randomness.
    expect(swapIdSource(undefined)).toBeUndefined();
    expect(createId()).not.toBe(createId());
  });

  it('rejects an idSeed that is not an integer', async () => {
    await expect(createTestHarness({ collections: [todos], idSeed: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/idSeed/),
    });
  });
});
