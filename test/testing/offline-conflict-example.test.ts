// The example from docs/testing.md, kept verbatim so the docs cannot rot.
import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, fieldMerge } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
  conflict: fieldMerge(),
});

it('merges an offline edit with a concurrent one', async () => {
  const h = await createTestHarness({ collections: [todos], clients: 2 });
  const [a, b] = h.clients;
  const t = await a!.collection('todos').insert({ title: 'buy milk', done: false });
  await h.settle();

  h.offline(1); // b edits offline while a edits the same record
  await b!.collection('todos').update(t.id, { done: true });
  await a!.collection('todos').update(t.id, { title: 'buy oat milk' });
  await h.sync(0);
  h.online(1);

  await h.settle();
  await h.assertConverged();
  expect(await b!.collection('todos').get(t.id)).toMatchObject({
    title: 'buy oat milk',
    done: true,
  });
  await h.close();
});
