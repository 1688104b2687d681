// TestHarness.setClockOffset (S17, S34's clock jumps): a device clock jumped back keeps its
// writes ordered after the earlier ones; jumped forward, its next write wins under LWW.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, lastWriteWins, TidesyncError } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ text: z.string() }),
  conflict: lastWriteWins(),
});

const HOUR = 3_600_000;

describe('TestHarness.setClockOffset', () => {
  it('moves the device clock: a jump forward stamps later updatedAt and wins under LWW', async () => {
    const h = await createTestHarness({ collections: [notes], clients: 2 });
    const [a, b] = [h.clients[0]!, h.clients[1]!];
    const n = await a.collection('notes').insert({ text: 'first' });
    await h.settle();
    const before = (await a.collection('notes').get(n.id))!.updatedAt;
    h.setClockOffset(0, 2 * HOUR);
    await a.collection('notes').update(n.id, { text: 'from the future' });
    const after = (await a.collection('notes').get(n.id))!.updatedAt;
    expect(after - before).toBeGreaterThanOrEqual(2 * HOUR);
    // b writes later in shared time but its clock is 2 h behind a's: a's write wins.
    h.clock.advance(60_000);
    await b.collection('notes').update(n.id, { text: 'from now' });
    await h.settle();
    await h.assertConverged();
    expect(await b.collection('notes').get(n.id)).toMatchObject({ text: 'from the future' });
    await h.close();
  });

  it('a jump back never orders a later write before an earlier one, across a restart', async () => {
    const h = await createTestHarness({
      collections: [notes],
      clients: [{ clockOffsetMs: HOUR }, {}],
    });
    const a = h.clients[0]!;
    const n = await a.collection('notes').insert({ text: 'one' });
    const first = n.updatedAt;
    await h.settle();
    h.setClockOffset(0, -HOUR); // two hours back
    await h.restartClient(0);
    // b writes between a's two writes (in real order): a's second write must still win.
    await h.clients[1]!.collection('notes').update(n.id, { text: 'b' });
    await h.settle();
    await h.clients[0]!.collection('notes').update(n.id, { text: 'two' });
    // The restarted client kept the new offset: its wall clock reads two hours earlier ...
    const second = (await h.clients[0]!.collection('notes').get(n.id))!.updatedAt;
    expect(first - second).toBeGreaterThanOrEqual(2 * HOUR - 1000);
    await h.settle();
    await h.assertConverged();
    // ... and still its later write wins.
    expect(await h.clients[1]!.collection('notes').get(n.id)).toMatchObject({ text: 'two' });
    await h.close();
  });

  it('refuses a bad index or offset with INVALID_OPTION', async () => {
    const h = await createTestHarness({ collections: [notes], clients: 1 });
    expect(() => h.setClockOffset(3, 0)).toThrow(TidesyncError);
    expect(() => h.setClockOffset(0, Number.NaN)).toThrow(/finite number/);
    await h.close();
  });
});
