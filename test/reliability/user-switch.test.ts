// S33: sign-out / user switch with pending ops. The server binds a clientId to the first user
// that pushes with it and answers 403 `forbidden` to any other user, and the client keeps its
// clientId in its storage: the client then stops with USER_MISMATCH and keeps its outbox. This
// file pins that, and shows the pattern that works (one storage per user).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, TidesyncError } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { clientOn, serverView, userTransport } from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';

const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
const collections = [todos];
const titles = (rows: Record<string, unknown>[]) => rows.map((r) => r['title']).sort();

/** Alice syncs one record, then writes one more offline and edits the synced one. */
async function aliceWithPendingWork() {
  const server = makeServer(collections);
  const session = { user: 'alice' };
  const store = createMemoryStore();
  const client = await clientOn(
    collections,
    memoryAdapter({ store }),
    userTransport(server, () => session.user),
  );
  const synced = await client.collection('todos').insert({ title: 'alice synced' });
  await client.sync();
  await client.collection('todos').insert({ title: 'alice offline' });
  await client.collection('todos').update(synced.id, { title: 'alice synced, edited' });
  expect(await client.pendingOps()).toHaveLength(2);
  return { server, session, store, client };
}

describe('S33: switching the signed-in user on one storage', () => {
  it('never pushes the previous user’s ops under the new user, wipes nothing and dead-letters nothing', async () => {
    const { server, session, client } = await aliceWithPendingWork();
    const aliceOps = (await client.pendingOps()).map((o) => ({ opId: o.opId, data: o.data }));
    session.user = 'bob';

    const error = await client.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TidesyncError);
    expect((error as TidesyncError).code).toBe('USER_MISMATCH');
    expect((error as Error).message).toMatch(/one storage per user/);

    // Nothing of alice's reached bob's account, and alice's account is as she last synced it.
    expect(await serverView(collections, server, 'bob', 'todos')).toEqual([]);
    expect(titles(await serverView(collections, server, 'alice', 'todos'))).toEqual([
      'alice synced',
    ]);
    // Nothing wiped and nothing dead-lettered: alice's ops wait, unchanged, for alice.
    expect(await client.deadLetters()).toEqual([]);
    expect((await client.pendingOps()).map((o) => ({ opId: o.opId, data: o.data }))).toEqual(
      aliceOps,
    );
    // The pull is refused the same way.
    expect(titles(await client.collection('todos').find())).toEqual([
      'alice offline',
      'alice synced, edited',
    ]);

    // Back as alice, the same ops land in her account exactly once.
    session.user = 'alice';
    await client.sync();
    expect(await client.pendingOps()).toEqual([]);
    expect(titles(await serverView(collections, server, 'alice', 'todos'))).toEqual([
      'alice offline',
      'alice synced, edited',
    ]);
    await client.close();
  });

  it('known limit: writes made on another user’s storage belong to that storage, and sync under its user', async () => {
    const { server, session, client } = await aliceWithPendingWork();
    session.user = 'bob';
    await client.collection('todos').insert({ title: 'bob wrote this' });
    await expect(client.sync()).rejects.toMatchObject({ code: 'USER_MISMATCH' });
    expect(await serverView(collections, server, 'bob', 'todos')).toEqual([]);

    // The storage is alice's: when alice syncs it, everything in it goes to her account. Apps
    // must give each user their own storage (docs/errors.md, USER_MISMATCH).
    session.user = 'alice';
    await client.sync();
    expect(titles(await serverView(collections, server, 'alice', 'todos'))).toContain(
      'bob wrote this',
    );
    await client.close();
  });

  it('one storage per user works: each user syncs their own data, nothing crosses', async () => {
    const { server, store: aliceStore, client: alice } = await aliceWithPendingWork();
    await alice.close(); // sign-out with pending ops: they stay in alice's storage

    const bob = await clientOn(
      collections,
      memoryAdapter({ store: createMemoryStore() }),
      userTransport(server, () => 'bob'),
    );
    expect(await bob.collection('todos').find()).toEqual([]);
    await bob.collection('todos').insert({ title: 'bob wrote this' });
    await bob.sync();
    expect(await bob.deadLetters()).toEqual([]);
    expect(titles(await bob.collection('todos').find())).toEqual(['bob wrote this']);
    await bob.close();

    const aliceAgain = await clientOn(
      collections,
      memoryAdapter({ store: aliceStore }),
      userTransport(server, () => 'alice'),
    );
    expect(await aliceAgain.pendingOps()).toHaveLength(2);
    await aliceAgain.sync();
    expect(await aliceAgain.pendingOps()).toEqual([]);
    expect(titles(await serverView(collections, server, 'alice', 'todos'))).toEqual([
      'alice offline',
      'alice synced, edited',
    ]);
    expect(titles(await serverView(collections, server, 'bob', 'todos'))).toEqual([
      'bob wrote this',
    ]);
    await aliceAgain.close();
  });
});
