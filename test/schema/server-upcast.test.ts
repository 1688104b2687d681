// The server upcasts older ops through the collection's migrations. An op the migrations cannot
// carry is rejected with a reason naming the collection, versions and step, and kept on the
// device as a dead letter with its original payload; the ops around it still sync.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';
import { todosV1 } from './todo-versions.js';

const picky = defineCollection({
  name: 'todos',
  version: 2,
  schema: z.object({ title: z.string().max(8), done: z.boolean(), priority: z.number() }),
  migrations: {
    2: (v1) => {
      if (v1['title'] === 'boom') throw new Error('cannot carry boom');
      return { ...v1, priority: 0 };
    },
  },
});

describe('server upcast of older ops', () => {
  it('rejects only what the migrations cannot carry, naming collection, versions and step; the dead letter keeps its payload', async () => {
    const h = await createTestHarness({
      collections: [todosV1],
      clients: 1,
      server: { collections: [picky] },
    });
    const todos = h.clients[0]!.collection('todos');
    const good = await todos.insert({ title: 'good', done: false });
    const boom = await todos.insert({ title: 'boom', done: false });
    const long = await todos.insert({ title: 'far too long', done: true });
    await h.sync(0).catch(() => undefined);

    const letters = await h.clients[0]!.deadLetters();
    const byId = new Map(letters.map((op) => [op.id, op]));
    expect(letters).toHaveLength(2);
    expect(byId.get(boom.id)).toMatchObject({
      data: { title: 'boom', done: false },
      error: { code: 'migration_failed' },
    });
    expect(byId.get(boom.id)?.error?.message).toMatch(
      /`todos` record from version 1 to 2 failed at step 2: it threw: cannot carry boom/,
    );
    expect(byId.get(long.id)).toMatchObject({
      data: { title: 'far too long', done: true },
      error: { code: 'validation_failed' },
    });
    expect(byId.get(long.id)?.error?.message).toMatch(
      /^After upcasting from schema version 1 to 2: data\.title/,
    );
    expect(await todos.get(good.id)).toMatchObject({ syncStatus: 'synced' });
    await h.close();
  });
});
