import { describe, expect, expectTypeOf, it } from 'vitest';
import { createSyncClient, type ConflictRecord, type Query, type SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { collections, projects, todos } from '../client/helpers.js';

// Each `@ts-expect-error` below fails `npm run typecheck` (tsc over test/) if the line starts
// to compile: a type that stops catching the mistake is a regression.

type Todo = { title: string; done: boolean; projectId: string | null; priority?: number };

async function open(): Promise<SyncClient> {
  return createSyncClient({ collections, storage: memoryAdapter() });
}

describe('query types', () => {
  it('accept the fields, metadata and operators of the schema', async () => {
    const client = await open();
    const handle = client.collection(todos);
    await handle.insert({ title: 'a', done: false, projectId: null, priority: 2 });
    const rows = await handle.find({
      where: { done: false, priority: { gte: 1, in: [1, 2] }, syncStatus: 'pending' },
      orderBy: [
        ['priority', 'desc'],
        ['updatedAt', 'asc'],
      ],
      limit: 5,
    });
    expect(rows.map((r) => r.title)).toEqual(['a']);
    expectTypeOf<Query<Todo>['orderBy']>().toEqualTypeOf<
      | readonly (readonly [
          'title' | 'done' | 'projectId' | 'priority' | keyof RecordMetaKeys,
          'asc' | 'desc',
        ])[]
      | undefined
    >();
    await client.close();
  });

  it('refuse unknown fields and operators at compile time (and at run time)', async () => {
    const client = await open();
    const handle = client.collection(todos);
    // @ts-expect-error `titel` is not a field of todos
    await expect(handle.find({ where: { titel: 'x' } })).rejects.toMatchObject({
      code: 'INVALID_QUERY',
    });
    // @ts-expect-error `like` is not an operator
    await expect(handle.find({ where: { title: { like: 'x' } } })).rejects.toMatchObject({
      code: 'INVALID_QUERY',
    });
    // @ts-expect-error a condition's value has the field's type
    await handle.find({ where: { done: 'yes' } });
    // @ts-expect-error orderBy names a field
    expect(() => handle.subscribe({ orderBy: [['dueAt', 'asc']] }, () => undefined)).toThrow(
      /Unknown field `dueAt`/,
    );
    const byInterface = client.collection<Todo>('todos');
    // @ts-expect-error also for a handle typed by an interface
    await byInterface.find({ where: { titel: 'x' } }).catch(() => undefined);
    // Untyped handles stay open: any field compiles (and is checked at run time).
    await expect(client.collection('todos').find({ where: { nope: 1 } })).rejects.toThrow(
      /Unknown field `nope` in the `where` of a query on `todos`/,
    );
    await client.close();
  });
});

describe('transaction and conflict types', () => {
  it('tx.collection(def) is typed like client.collection(def)', async () => {
    const client = await open();
    await client.transaction(async (tx) => {
      const p = await tx.collection(projects).insert({ name: 'trip' });
      expectTypeOf(p.name).toEqualTypeOf<string>();
      const t = await tx.collection(todos).insert({ title: 'pack', done: false, projectId: p.id });
      expectTypeOf(t.done).toEqualTypeOf<boolean>();
      const bad = { title: 'x', done: 'no', projectId: null };
      const txTodos = tx.collection(todos);
      // @ts-expect-error `done` must be a boolean
      await txTodos.insert(bad).catch(() => 0);
      expect(await tx.collection(todos).get(t.id)).toMatchObject({ title: 'pack' });
      expect((await tx.collection('todos').get(t.id))?.['title']).toBe('pack');
    });
    await client.close();
  });

  it('conflicts(def) and resolveConflict(def, ...) are typed from the schema', async () => {
    const client = await open();
    const typed = await client.conflicts(todos);
    expectTypeOf(typed).toEqualTypeOf<ConflictRecord<Todo>[]>();
    expectTypeOf<(typeof typed)[number]['local']>().toEqualTypeOf<Todo | null>();
    const all = await client.conflicts();
    expectTypeOf(all).toEqualTypeOf<ConflictRecord[]>();
    expect(typed).toEqual([]);
    const resolve = () =>
      client.resolveConflict(todos, 'missing', {
        value: { title: 'a', done: true, projectId: null },
      });
    await expect(resolve()).rejects.toMatchObject({ code: 'CONFLICT_NOT_FOUND' });
    // @ts-expect-error the value must be a todo
    await client.resolveConflict(todos, 'missing', { value: { title: 1 } }).catch(() => 0);
    // The name form keeps working, untyped.
    await expect(
      client.resolveConflict('todos', 'missing', { value: { anything: 1 } }),
    ).rejects.toMatchObject({ code: 'CONFLICT_NOT_FOUND' });
    await client.close();
  });
});

type RecordMetaKeys = { id: 0; serverId: 0; updatedAt: 0; syncStatus: 0 };
