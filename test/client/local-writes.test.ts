import { describe, expect, it } from 'vitest';
import { createSyncClient, TidesyncError, ValidationError, type SyncClient } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { collections } from './helpers.js';

async function newClient(store = createMemoryStore(), now?: () => number): Promise<SyncClient> {
  return createSyncClient({
    collections,
    storage: memoryAdapter({ store }),
    ...(now ? { now } : {}),
  });
}

async function outbox(client: SyncClient) {
  return client.pendingOps();
}

describe('local writes', () => {
  it('reads back an inserted record with sync metadata at once', async () => {
    const client = await newClient();
    const todo = await client
      .collection('todos')
      .insert({ title: 'milk', done: false, projectId: null });
    expect(todo).toMatchObject({
      title: 'milk',
      done: false,
      serverId: null,
      syncStatus: 'pending',
    });
    expect(typeof todo.id).toBe('string');
    expect(await client.collection('todos').get(todo.id)).toEqual(todo);
    await client.close();
  });

  it('appends one outbox op per write, ordered by seq, in the same transaction', async () => {
    const client = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      coalesce: false,
    });
    const todos = client.collection('todos');
    const t = await todos.insert({ title: 'a', done: false, projectId: null });
    await todos.update(t.id, { done: true });
    await todos.delete(t.id);
    const ops = await outbox(client);
    expect(ops.map((o) => o.type)).toEqual(['insert', 'update', 'delete']);
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3]);
    expect(ops[1]).toMatchObject({
      patch: { done: true },
      changedFields: ['done'],
      baseVersion: 0,
    });
    expect(client.status.pendingOps).toBe(3);
    expect(await todos.get(t.id)).toBeUndefined();
    await client.close();
  });

  it('coalesces unsent updates of one record and cancels an unsent insert on delete', async () => {
    const client = await newClient();
    const todos = client.collection('todos');
    const t = await todos.insert({ title: 'a', done: false, projectId: null });
    await todos.update(t.id, { done: true });
    await todos.update(t.id, { title: 'b' });
    const ops = await outbox(client);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({
      type: 'insert',
      data: { title: 'b', done: true, projectId: null },
    });
    await todos.delete(t.id);
    expect(await outbox(client)).toHaveLength(0);
    expect(client.status.pendingOps).toBe(0);
    await client.close();
  });

  it('finds with where, comparisons, orderBy, limit and offset', async () => {
    const client = await newClient();
    const todos = client.collection('todos');
    for (let i = 0; i < 10; i++)
      await todos.insert({ title: `t${i}`, done: i % 2 === 0, projectId: null, priority: i % 5 });
    const open = await todos.find({
      where: { done: false },
      orderBy: [
        ['priority', 'desc'],
        ['title', 'asc'],
      ],
    });
    expect(open.map((r) => r.title)).toEqual(['t9', 't3', 't7', 't1', 't5']);
    const page = await todos.find({
      where: { priority: { gte: 2 } },
      orderBy: [['title', 'asc']],
      limit: 2,
      offset: 1,
    });
    expect(page.map((r) => r.title)).toEqual(['t3', 't4']);
    await client.close();
  });

  it('runs a live query at once and again after every committed change', async () => {
    const client = await newClient();
    const todos = client.collection('todos');
    const seen: string[][] = [];
    let resolveNext: (() => void) | undefined;
    const next = () => new Promise<void>((r) => (resolveNext = r));
    let wait = next();
    const stop = todos.subscribe({ where: { done: false } }, (rows) => {
      seen.push(rows.map((r) => r.title as string));
      resolveNext?.();
    });
    await wait;
    expect(seen).toEqual([[]]);
    wait = next();
    const t = await todos.insert({ title: 'x', done: false, projectId: null });
    await wait;
    expect(seen.at(-1)).toEqual(['x']);
    wait = next();
    await todos.update(t.id, { done: true });
    await wait;
    expect(seen.at(-1)).toEqual([]);
    stop();
    await todos.insert({ title: 'y', done: false, projectId: null });
    await todos.find();
    expect(seen).toHaveLength(3);
    await client.close();
  });

  it('commits a transaction across collections atomically, or not at all', async () => {
    const client = await newClient();
    await client.transaction(async (tx) => {
      const p = await tx.collection('projects').insert({ name: 'trip' });
      await tx.collection('todos').insert({ title: 'pack', done: false, projectId: p.id });
    });
    expect(await client.collection('todos').find()).toHaveLength(1);
    await expect(
      client.transaction(async (tx) => {
        await tx.collection('projects').insert({ name: 'doomed' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await client.collection('projects').find()).map((p) => p.name)).toEqual(['trip']);
    expect(await outbox(client)).toHaveLength(2);
    await client.close();
  });

  it('inserts many rows in one transaction: one invalid row writes none', async () => {
    const client = await newClient();
    const rows = Array.from({ length: 100 }, (_, i) => ({
      title: `r${i}`,
      done: false,
      projectId: null,
    }));
    await expect(
      client.collection('todos').insertMany([...rows, { title: '', done: false, projectId: null }]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await client.collection('todos').find()).toHaveLength(0);
    await client.collection('todos').insertMany(rows);
    expect(await client.collection('todos').find()).toHaveLength(100);
    await client.close();
  });
});

describe('bad input', () => {
  it('rejects a schema-invalid write with a ValidationError naming collection and field; nothing written', async () => {
    const client = await newClient();
    const error = await client
      .collection('todos')
      .insert({ title: 5 as never, done: false, projectId: null })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      collection: 'todos',
      issues: [{ path: 'title' }],
    });
    expect((error as Error).message).toContain('title');
    expect(await outbox(client)).toHaveLength(0);
    expect(await client.collection('todos').find()).toHaveLength(0);
    await client.close();
  });

  it('checks every update patch against its own collection’s schema, update after update', async () => {
    const client = await newClient();
    const todo = await client
      .collection('todos')
      .insert({ title: 'a', done: false, projectId: null });
    const project = await client.collection('projects').insert({ name: 'trip' });
    for (let i = 0; i < 3; i++) {
      await client.collection('todos').update(todo.id, { priority: i });
      await expect(
        client.collection('todos').update(todo.id, { priority: 9 }),
      ).rejects.toMatchObject({ collection: 'todos', issues: [{ path: 'priority' }] });
      await expect(
        client.collection('projects').update(project.id, { name: '' }),
      ).rejects.toMatchObject({ collection: 'projects', issues: [{ path: 'name' }] });
      await client.collection('projects').update(project.id, { name: `trip ${i}` });
    }
    expect(await client.collection('todos').get(todo.id)).toMatchObject({ priority: 2 });
    expect(await client.collection('projects').get(project.id)).toMatchObject({ name: 'trip 2' });
    await client.close();
  });

  it('names unknown collections, unknown ids and deleted records with typed errors', async () => {
    const client = await newClient();
    expect(() => client.collection('nope')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_COLLECTION' }),
    );
    const todos = client.collection('todos');
    await expect(todos.update('missing', { done: true })).rejects.toMatchObject({
      code: 'RECORD_NOT_FOUND',
    });
    await expect(todos.delete('missing')).rejects.toMatchObject({ code: 'RECORD_NOT_FOUND' });
    const t = await todos.insert({ title: 'a', done: false, projectId: null });
    await client.sync().catch(() => undefined);
    const c2 = await createSyncClient({ collections, storage: memoryAdapter(), coalesce: false });
    const t2 = await c2.collection('todos').insert({ title: 'a', done: false, projectId: null });
    await c2.collection('todos').delete(t2.id);
    await expect(c2.collection('todos').update(t2.id, { done: true })).rejects.toMatchObject({
      code: 'RECORD_DELETED',
    });
    expect(t.id).toBeTruthy();
    await client.close();
    await c2.close();
  });

  it('refuses patches that set metadata or prototype keys', async () => {
    const client = await newClient();
    const todos = client.collection('todos');
    const t = await todos.insert({ title: 'a', done: false, projectId: null });
    for (const key of ['id', 'serverId', 'syncStatus']) {
      await expect(todos.update(t.id, { [key]: 'x' } as never)).rejects.toMatchObject({
        code: 'FORBIDDEN_FIELD',
      });
    }
    const evil = JSON.parse('{"__proto__": {"polluted": true}}') as never;
    await expect(todos.update(t.id, evil)).rejects.toBeInstanceOf(TidesyncError);
    await expect(todos.update(t.id, { constructor: 'x' } as never)).rejects.toMatchObject({
      code: 'FORBIDDEN_FIELD',
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await todos.get(t.id)).toMatchObject({ title: 'a', done: false });
    await client.close();
  });

  it('rejects bad options before any I/O', async () => {
    await expect(
      createSyncClient({ collections, storage: memoryAdapter(), batchSize: 0 }),
    ).rejects.toThrow('Expected `batchSize` to be an integer from 1 to 1000, got `0` (number).');
    await expect(
      createSyncClient({ collections: [], storage: memoryAdapter() }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('clock and restart', () => {
  it('keeps the hybrid logical clock monotonic across a restart with a wall clock that went back', async () => {
    const store = createMemoryStore();
    const first = await newClient(store, () => 2_000_000);
    await first.collection('todos').insert({ title: 'a', done: false, projectId: null });
    const before = (await first.pendingOps())[0]!.hlc;
    await first.close();
    const second = await newClient(store, () => 1_000);
    expect(second.clientId).toBe(first.clientId);
    await second.collection('todos').insert({ title: 'b', done: false, projectId: null });
    const ops = await second.pendingOps();
    expect(ops).toHaveLength(2);
    expect(ops[1]!.hlc > before).toBe(true);
    await second.close();
  });

  it('rejects calls after close with CLIENT_CLOSED', async () => {
    const client = await newClient();
    await client.close();
    await expect(client.collection('todos').find()).rejects.toMatchObject({
      code: 'CLIENT_CLOSED',
    });
  });
});
