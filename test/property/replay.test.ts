// A failing schedule must print what replays it: fast-check's seed and path, and the harness's
// network seed inside the failure message.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';

const notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });

/** Fails whenever the schedule leaves a client offline with an unsynced write. */
const property = fc.asyncProperty(
  fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.boolean()), { maxLength: 6 }),
  async (steps) => {
    const h = await createTestHarness({ collections: [notes], clients: 2 });
    try {
      for (const [client, offline] of steps) {
        if (offline) h.offline(client);
        await h.clients[client]!.collection('notes').insert({ text: `${client}` });
      }
      await h.settle();
      await h.assertConverged();
    } finally {
      await h.close();
    }
  },
);

it('prints a seed and path that replay the shrunk failing schedule', async () => {
  const first = await fc
    .assert(property, { seed: 424242, numRuns: 200, includeErrorInReport: true })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  expect(first?.message).toMatch(/seed: 424242, path: "[\d:]+"/);
  expect(first?.message).toMatch(/Replicas differ from the server \(seed \d+\)/);
  const path = /path: "([\d:]+)"/.exec(first?.message ?? '')?.[1] ?? '';
  const again = await fc
    .assert(property, { seed: 424242, path, numRuns: 1, endOnFailure: true })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  expect(again?.message).toContain('Counterexample: [[[0,true]]]');
});
