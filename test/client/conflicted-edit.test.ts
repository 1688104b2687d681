import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SyncClient } from 'tidesync';
import { defineCollection, manual } from 'tidesync';
import { concurrentEdits } from './conflict-helpers.js';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
  conflict: manual(),
});

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

/** Device `b` ends with its todo conflicted: local 'soy milk', remote 'oat milk'. */
async function conflicted() {
  const pair = await concurrentEdits(todos, [todos], clients);
  await pair.b.sync();
  return pair;
}

describe('editing a conflicted record', () => {
  it('changes the local side only: both versions stay, nothing is sent until resolved', async () => {
    const { a, b, id } = await conflicted();
    const edited = await b.collection(todos).update(id, { done: true });
    expect(edited).toMatchObject({ title: 'soy milk', done: true, syncStatus: 'conflicted' });
    expect(await b.conflicts(todos)).toMatchObject([
      { local: { title: 'soy milk', done: true }, remote: { title: 'oat milk', done: false } },
    ]);
    expect(await b.pendingOps()).toEqual([]);
    await b.sync();
    await a.sync();
    // The server (and so the other device) did not get a mix nobody chose.
    expect(await a.collection(todos).find()).toMatchObject([{ title: 'oat milk', done: false }]);
    expect(b.status.conflicts).toBe(1);

    await b.resolveConflict(todos, id, { keep: 'local' });
    await b.sync();
    await a.sync();
    expect(await a.collection(todos).find()).toMatchObject([{ title: 'soy milk', done: true }]);
    expect(await b.conflicts()).toEqual([]);
  });

  it('a delete makes the local side a delete and keeps the remote one', async () => {
    const { a, b, id } = await conflicted();
    await b.collection(todos).delete(id);
    expect(await b.collection(todos).get(id)).toBeUndefined();
    expect(await b.conflicts(todos)).toMatchObject([
      { local: null, remote: { title: 'oat milk' } },
    ]);
    expect(await b.pendingOps()).toEqual([]);
    await b.sync();
    await a.sync();
    expect(await a.collection(todos).find()).toHaveLength(1);

    await b.resolveConflict(todos, id, { keep: 'remote' });
    expect(await b.collection(todos).get(id)).toMatchObject({
      title: 'oat milk',
      syncStatus: 'synced',
    });
  });

  it('works the same inside a transaction', async () => {
    const { b, id } = await conflicted();
    await b.transaction(async (tx) => {
      await tx.collection(todos).update(id, { title: 'rice milk' });
    });
    expect(await b.conflicts(todos)).toMatchObject([
      { local: { title: 'rice milk' }, remote: { title: 'oat milk' } },
    ]);
    expect(await b.pendingOps()).toEqual([]);
  });
});
