// client.signOut({ wipe, discardUnsynced }) (S33): pushes first, wipes one user's storage in
// one transaction, and never wipes unsynced work unless asked. Offline, with a push in flight,
// with a token that expired, and the next user on the wiped storage.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { userStorageName } from 'tidesync/adapters/indexeddb';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { deferred } from '../../src/testing/conformance/storage-fixtures.js';
import {
  accountServer,
  deviceClient,
  serverTitles,
  sessionTransport,
  storageContents,
  type Session,
} from './account-helpers.js';

const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
const collections = [todos];
const EMPTY = { collections: [], records: [], ops: [], clientId: undefined, cursor: undefined };

/** Alice on her own memory store, with one synced record and `pending` unsynced inserts. */
async function alice(pending: number, hooks: Parameters<typeof sessionTransport>[2] = {}) {
  const server = accountServer(collections);
  const session: Session = { user: 'alice', online: true, tokenValid: true };
  const store = createMemoryStore();
  const client = await deviceClient(
    collections,
    memoryAdapter({ store }),
    sessionTransport(server, session, hooks),
  );
  await client.collection('todos').insert({ title: 'alice synced' });
  await client.sync();
  for (let i = 0; i < pending; i++)
    await client.collection('todos').insert({ title: `alice ${i}` });
  return { server, session, store, client };
}

describe('client.signOut()', () => {
  it('pushes pending work first, then wipes the storage and closes the client', async () => {
    const { server, store, client } = await alice(2);
    const result = await client.signOut({ wipe: true });
    expect(result).toEqual({ wiped: true, discarded: 0, unsynced: 0 });
    expect(await serverTitles(collections, server, 'alice', 'todos')).toEqual([
      'alice 0',
      'alice 1',
      'alice synced',
    ]);
    expect(await storageContents(memoryAdapter({ store }), ['todos'])).toEqual(EMPTY);
    await expect(client.pendingOps()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('waits for a push in flight and pushes what was written meanwhile, then wipes', async () => {
    const gate = deferred();
    let pushes = 0;
    const { server, store, client } = await alice(1, {
      beforePush: async () => {
        if (++pushes === 2) await gate.promise;
      },
    });
    const inFlight = client.sync();
    await client.collection('todos').insert({ title: 'written during the push' });
    const signingOut = client.signOut();
    gate.resolve();
    await inFlight;
    expect(await signingOut).toMatchObject({ wiped: true, discarded: 0 });
    expect(await serverTitles(collections, server, 'alice', 'todos')).toEqual([
      'alice 0',
      'alice synced',
      'written during the push',
    ]);
    expect(await storageContents(memoryAdapter({ store }), ['todos'])).toEqual(EMPTY);
  });

  it('offline with pending work: rejects with UNSYNCED_CHANGES, keeps everything, keeps running', async () => {
    const { session, store, client } = await alice(2);
    session.online = false;
    const work = async () =>
      (await client.pendingOps()).map((op) => ({ opId: op.opId, data: op.data }));
    const before = await work();
    const error = await client.signOut({ wipe: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TidesyncError',
      code: 'UNSYNCED_CHANGES',
      cause: { code: 'NETWORK_UNAVAILABLE' },
      message: expect.stringMatching(/2 change\(s\).*nothing was wiped/s),
    });
    // (The failed push marked them in flight with a push seq, as any failed push does.)
    expect(await work()).toEqual(before);
    expect((await client.collection('todos').find()).map((r) => r.title).sort()).toEqual([
      'alice 0',
      'alice 1',
      'alice synced',
    ]);
    // Still running: the user keeps working, and sign-out succeeds once online.
    await client.collection('todos').insert({ title: 'alice later' });
    session.online = true;
    expect(await client.signOut()).toMatchObject({ wiped: true, discarded: 0 });
    expect(await storageContents(memoryAdapter({ store }), ['todos'])).toEqual(EMPTY);
  });

  it('offline with discardUnsynced: wipes and reports what it dropped', async () => {
    const { server, session, store, client } = await alice(2);
    session.online = false;
    expect(await client.signOut({ wipe: true, discardUnsynced: true })).toEqual({
      wiped: true,
      discarded: 2,
      unsynced: 0,
    });
    expect(await storageContents(memoryAdapter({ store }), ['todos'])).toEqual(EMPTY);
    expect(await serverTitles(collections, server, 'alice', 'todos')).toEqual(['alice synced']);
  });

  it('a token that expires mid-sync: UNSYNCED_CHANGES with the UNAUTHORIZED cause, nothing dropped', async () => {
    const { server, session, client } = await alice(1);
    session.tokenValid = false;
    await expect(client.signOut()).rejects.toMatchObject({
      code: 'UNSYNCED_CHANGES',
      cause: { code: 'UNAUTHORIZED' },
    });
    expect(await client.pendingOps()).toHaveLength(1);
    expect(await client.deadLetters()).toEqual([]);
    session.tokenValid = true; // the app refreshed the token
    await client.signOut();
    expect(await serverTitles(collections, server, 'alice', 'todos')).toEqual([
      'alice 0',
      'alice synced',
    ]);
  });

  it('wipe: false while offline closes and keeps the unsynced work in that user’s storage', async () => {
    const { server, session, store, client } = await alice(2);
    session.online = false;
    expect(await client.signOut({ wipe: false })).toEqual({
      wiped: false,
      discarded: 0,
      unsynced: 2,
    });
    // Alice signs in again later: her work is there and syncs.
    session.online = true;
    const again = await deviceClient(
      collections,
      memoryAdapter({ store }),
      sessionTransport(server, session),
    );
    expect(await again.pendingOps()).toHaveLength(2);
    await again.sync();
    expect(await serverTitles(collections, server, 'alice', 'todos')).toHaveLength(3);
    await again.close();
  });

  it('the next user on a wiped storage gets a new client id, no USER_MISMATCH and nothing of the last user', async () => {
    const { server, session, store, client } = await alice(1);
    const aliceId = client.clientId;
    await client.signOut();
    session.user = 'bob';
    const bob = await deviceClient(
      collections,
      memoryAdapter({ store }),
      sessionTransport(server, session),
    );
    expect(bob.clientId).not.toBe(aliceId);
    await bob.collection('todos').insert({ title: 'bob 0' });
    await bob.sync();
    expect((await bob.collection('todos').find()).map((r) => r.title)).toEqual(['bob 0']);
    expect(await serverTitles(collections, server, 'bob', 'todos')).toEqual(['bob 0']);
    expect(await serverTitles(collections, server, 'alice', 'todos')).toEqual([
      'alice 0',
      'alice synced',
    ]);
    await bob.close();
  });

  it('rejects bad options before any I/O', async () => {
    const { client } = await alice(0);
    await expect(client.signOut({ wipe: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    expect(await client.pendingOps()).toEqual([]);
    await client.close();
  });
});

describe('userStorageName()', () => {
  it('names each user’s storage safely and distinctly, also on case-insensitive file systems', () => {
    const names = ['alice', 'Alice', 'a/../b', 'a.b', 'a_2e', 'ünïcode', 'a b'].map((id) =>
      userStorageName('app', id),
    );
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^app--user-[a-z0-9_-]+$/);
    expect(() => userStorageName('app', '')).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    );
  });
});
