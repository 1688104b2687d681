// TestHarness `server.collections`: the server runs its own definitions (here a stricter
// schema), as after a server deploy that clients have not caught up with.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, TidesyncError } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';

const notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
const stricterNotes = defineCollection({
  name: 'notes',
  schema: z.object({ text: z.string().max(10) }),
});

describe('TestHarness server.collections', () => {
  it('runs the server on its own definitions: a write only the client accepts is dead-lettered, the others sync', async () => {
    const h = await createTestHarness({
      collections: [notes],
      clients: 2,
      server: { collections: [stricterNotes] },
    });
    const a = h.clients[0]!;
    const ok = await a.collection('notes').insert({ text: 'short' });
    const tooLong = await a.collection('notes').insert({ text: 'far longer than ten' });
    await h.settle();
    const letters = await a.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ id: tooLong.id, error: { code: 'validation_failed' } });
    expect(await h.clients[1]!.collection('notes').get(ok.id)).toMatchObject({ text: 'short' });
    expect(await h.clients[1]!.collection('notes').get(tooLong.id)).toBeUndefined();
    await h.close();
  });

  it('uses the clients’ definitions when left out, and refuses an empty list', async () => {
    const h = await createTestHarness({ collections: [notes], clients: 1 });
    await h.clients[0]!.collection('notes').insert({ text: 'far longer than ten' });
    await h.settle();
    expect(await h.clients[0]!.deadLetters()).toEqual([]);
    await h.close();
    await expect(
      createTestHarness({ collections: [notes], server: { collections: [] } }),
    ).rejects.toSatisfy((e) => e instanceof TidesyncError && e.code === 'INVALID_OPTION');
  });
});
