import { describe, expect, expectTypeOf, it } from 'vitest';
import { createSyncClient, type CollectionRecord } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { collections, todos } from '../client/helpers.js';

interface TodoShape {
  title: string;
  done: boolean;
  projectId: string | null;
}

describe('public types', () => {
  it('infers record types from a collection definition and accepts interfaces', async () => {
    const client = await createSyncClient({ collections, storage: memoryAdapter() });
    const typed = client.collection(todos);
    const row = await typed.insert({ title: 'a', done: false, projectId: null });
    expectTypeOf(row.title).toEqualTypeOf<string>();
    expectTypeOf(row.serverId).toEqualTypeOf<string | null>();
    expectTypeOf(row.syncStatus).toEqualTypeOf<'synced' | 'pending' | 'conflicted'>();
    const byInterface = client.collection<TodoShape>('todos');
    const found: CollectionRecord<TodoShape>[] = await byInterface.find({ where: { done: false } });
    expect(found.map((r) => r.title)).toEqual(['a']);
    // @ts-expect-error title must be a string
    await typed.insert({ title: 1, done: false, projectId: null }).catch(() => undefined);
    await client.close();
  });
});
