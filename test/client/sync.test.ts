import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, lastWriteWins, manual } from 'tidesync';
import { collections } from './helpers.js';
import { makeClient, makeServer, snapshot } from './sync-helpers.js';

describe('sync between clients through a server', () => {
  it('pushes offline writes in batches and another client pulls them', async () => {
    const server = makeServer(collections);
    const a = await makeClient(collections, server, { batchSize: 7 });
    const b = await makeClient(collections, server);
    const rows = Array.from({ length: 40 }, (_, i) => ({
      title: `t${i}`,
      done: false,
      projectId: null,
    }));
    await a.collection('todos').insertMany(rows);
    const result = await a.sync();
    expect(result).toMatchObject({ pushed: 40, rejected: 0, conflicts: 0, remaining: 0 });
    expect(a.status.pendingOps).toBe(0);
    expect(
      (await a.collection('todos').find()).every((r) => r.syncStatus === 'synced' && r.serverId),
    ).toBe(true);
    await b.sync();
    expect(await snapshot(b, 'todos')).toEqual(await snapshot(a, 'todos'));
    await a.close();
    await b.close();
  });

  it('maps offline-created ids to server ids everywhere, references included', async () => {
    const server = makeServer(collections, 'server');
    const a = await makeClient(collections, server);
    const b = await makeClient(collections, server);
    const { project, todoIds } = await a.transaction(async (tx) => {
      const p = await tx.collection('projects').insert({ name: 'trip' });
      const ids: string[] = [];
      for (const title of ['pack', 'book', 'go']) {
        ids.push((await tx.collection('todos').insert({ title, done: false, projectId: p.id })).id);
      }
      return { project: p, todoIds: ids };
    });
    await a.sync();
    const p = await a.collection('projects').get(project.id);
    expect(p?.serverId).toBeTruthy();
    expect(p?.serverId).not.toBe(project.id);
    for (const id of todoIds) {
      const todo = await a.collection('todos').get(id);
      expect(todo?.serverId).toBeTruthy();
      expect(todo?.projectId).toBe(p?.serverId);
    }
    expect(await a.collection('projects').get(p!.serverId!)).toMatchObject({ name: 'trip' });
    await b.sync();
    const remoteTodos = await b.collection('todos').find();
    expect(remoteTodos).toHaveLength(3);
    for (const todo of remoteTodos) expect(todo.projectId).toBe(p?.serverId);
    expect(await a.pendingOps()).toHaveLength(0);
    await a.close();
    await b.close();
  });

  it('never duplicates or undoes a newer local edit when its own changes echo back', async () => {
    const server = makeServer(collections);
    const a = await makeClient(collections, server);
    const t = await a.collection('todos').insert({ title: 'a', done: false, projectId: null });
    await a.sync();
    await a.collection('todos').update(t.id, { title: 'b' });
    // Pull only: our earlier insert comes back; the newer local title must stay.
    await a.sync();
    expect(await a.collection('todos').find()).toHaveLength(1);
    expect(await a.collection('todos').get(t.id)).toMatchObject({
      title: 'b',
      syncStatus: 'synced',
    });
    await a.close();
  });

  it('create, sync, delete, sync in quick succession never brings the record back', async () => {
    const server = makeServer(collections);
    const a = await makeClient(collections, server);
    const b = await makeClient(collections, server);
    const t = await a
      .collection('todos')
      .insert({ title: 'short-lived', done: false, projectId: null });
    await a.sync();
    await b.sync();
    await a.collection('todos').delete(t.id);
    await a.sync();
    await a.sync();
    await b.sync();
    expect(await a.collection('todos').find()).toHaveLength(0);
    expect(await b.collection('todos').find()).toHaveLength(0);
    await a.close();
    await b.close();
  });

  it('keeps an edit made while the previous op is in flight (never merged into it)', async () => {
    const server = makeServer(collections);
    let release: (() => void) | undefined;
    let edit: (() => Promise<unknown>) | undefined;
    const slow = {
      fetch: async (request: Request) => {
        if (request.url.endsWith('/push') && edit) {
          const doEdit = edit;
          edit = undefined;
          await doEdit();
          await new Promise<void>((r) => (release = r) && r());
        }
        return server.fetch(request);
      },
    };
    const a = await makeClient(collections, slow);
    const todos = a.collection('todos');
    const t = await todos.insert({ title: 'v1', done: false, projectId: null });
    edit = () => todos.update(t.id, { title: 'v2' });
    await a.sync();
    expect(release).toBeDefined();
    await a.sync();
    const b = await makeClient(collections, server);
    await b.sync();
    expect(await b.collection('todos').find()).toMatchObject([{ title: 'v2' }]);
    await a.close();
    await b.close();
  });
});

describe('conflicts across two devices', () => {
  const notes = (conflict: ReturnType<typeof manual>) =>
    defineCollection({
      name: 'notes',
      schema: z.object({ title: z.string(), body: z.string() }),
      conflict,
    });

  it('under lastWriteWins the later write wins wholly on every replica', async () => {
    const c = [notes(lastWriteWins())];
    const server = makeServer(c);
    // Wall clocks under test control: B's edit is made a second after A's.
    let wall = 1_000_000;
    const a = await makeClient(c, server, { now: () => wall });
    const b = await makeClient(c, server, { now: () => wall });
    const n = await a.collection('notes').insert({ title: 't', body: 'b' });
    await a.sync();
    await b.sync();
    wall += 1_000;
    await a.collection('notes').update(n.id, { title: 'A' });
    wall += 1_000;
    await b.collection('notes').update(n.id, { body: 'B' });
    await a.sync();
    await b.sync();
    await a.sync();
    const expected = { title: 't', body: 'B' };
    expect(await a.collection('notes').find()).toMatchObject([expected]);
    expect(await b.collection('notes').find()).toMatchObject([expected]);
    await a.close();
    await b.close();
  });

  it('under manual both versions are kept and the resolution syncs', async () => {
    const c = [notes(manual())];
    const server = makeServer(c);
    const a = await makeClient(c, server);
    const b = await makeClient(c, server);
    const n = await a.collection('notes').insert({ title: 't', body: 'b' });
    await a.sync();
    await b.sync();
    await a.collection('notes').update(n.id, { title: 'A' });
    await b.collection('notes').update(n.id, { title: 'B' });
    await a.sync();
    const conflicts: unknown[] = [];
    b.on('conflict', (e) => conflicts.push(e));
    await b.sync();
    expect(conflicts).toHaveLength(1);
    expect(b.status.conflicts).toBe(1);
    const [open] = await b.conflicts();
    expect(open).toMatchObject({
      local: { title: 'B', body: 'b' },
      remote: { title: 'A', body: 'b' },
    });
    expect(await b.collection('notes').get(open!.id)).toMatchObject({
      title: 'B',
      syncStatus: 'conflicted',
    });
    await b.resolveConflict('notes', open!.id, { value: { title: 'A+B', body: 'b' } });
    await b.sync();
    await a.sync();
    expect(await a.collection('notes').find()).toMatchObject([{ title: 'A+B' }]);
    expect(b.status.conflicts).toBe(0);
    await a.close();
    await b.close();
  });
});
