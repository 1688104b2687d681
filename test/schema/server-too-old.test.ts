// Newer apps against an older server (a deploy that has not reached every instance): the
// client keeps its ops queued with status.lastError SERVER_TOO_OLD, nothing is dead-lettered,
// and they go once the server catches up.
import { describe, expect, it } from 'vitest';
import { createTestHarness } from 'tidesync/testing';
import { todosV2, todosV3 } from './todo-versions.js';

describe('a version-3 app against a version-2 server', () => {
  it('keeps its ops queued (SERVER_TOO_OLD), dead-letters nothing, and sends them after the deploy', async () => {
    const h = await createTestHarness({
      collections: [todosV2],
      clients: [{ collections: [todosV3] }, {}],
    });
    const [newer, older] = [h.clients[0]!, h.clients[1]!];
    await older.collection('todos').insert({ title: 'from v2', done: false, priority: 1 });
    await h.sync(1);
    const written = await newer
      .collection('todos')
      .insert({ name: 'from v3', done: false, priority: 3 });

    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(h.sync(0)).rejects.toMatchObject({ code: 'SERVER_TOO_OLD' });
    }
    expect(newer.status.lastError).toMatchObject({ code: 'SERVER_TOO_OLD' });
    expect(newer.status.pendingOps).toBe(1);
    expect(await newer.deadLetters()).toEqual([]);

    await h.restartServer({ collections: [todosV3] });
    await h.sync(0);
    expect(newer.status.lastError).toBeNull();
    expect(newer.status.pendingOps).toBe(0);
    expect(await newer.collection('todos').get(written.id)).toMatchObject({ syncStatus: 'synced' });
    // The record the v2 app wrote before the deploy reaches the v3 app at version 3.
    const names = (await newer.collection('todos').find()).map((r) => [r.name, r.priority]);
    expect(names.sort()).toEqual([
      ['from v2', 1],
      ['from v3', 3],
    ]);
    await h.close();
  });
});
