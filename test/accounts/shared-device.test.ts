// S33/S43 on a shared device: two users alternating on one device (one storage per user,
// named with userStorageName), each writing offline, converge with the server for both and
// never see each other's data; a crash during a sign-out wipe leaves all or nothing.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StorageAdapter, SyncClient } from 'tidesync';
import { defineCollection } from 'tidesync';
import { indexedDbAdapter, userStorageName } from 'tidesync/adapters/indexeddb';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { newKey } from '../adapters/indexeddb-encryption-helpers.js';
import { SimulatedCrash, crashingAdapter } from '../reliability/fault-helpers.js';
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
const titles = async (client: SyncClient) =>
  (await client.collection('todos').find()).map((r) => String(r.title)).sort();

describe('two users alternating on one device (encrypted IndexedDB, one database per user)', () => {
  it('each user’s offline writes survive the other’s sessions and converge with the server', async () => {
    const device = new IDBFactory();
    const server = accountServer(collections);
    const session: Session = { user: 'alice', online: true, tokenValid: true };
    // Each user's key, as the app would keep it (Keychain, or a non-extractable key per user).
    const keys = { alice: await newKey(), bob: await newKey() };
    const signIn = (user: 'alice' | 'bob') => {
      session.user = user;
      const storage = indexedDbAdapter({
        name: userStorageName('app', user),
        indexedDB: device,
        IDBKeyRange,
        encryptionKey: keys[user],
      });
      return deviceClient(collections, storage, sessionTransport(server, session));
    };
    const written = { alice: [] as string[], bob: [] as string[] };

    for (let round = 0; round < 3; round++) {
      for (const user of ['alice', 'bob'] as const) {
        const client = await signIn(user);
        // What this user sees is only ever their own.
        expect(await titles(client)).toEqual([...written[user]].sort());
        session.online = round % 2 === 1;
        for (const n of [1, 2]) {
          const title = `${user} r${round} #${n}`;
          await client.collection('todos').insert({ title });
          written[user].push(title);
        }
        // Offline: sign-out keeps the work in this user's storage; online it is pushed.
        const result = await client.signOut({ wipe: false });
        // (An online round pushes the previous offline round's work too.)
        expect(result.unsynced).toBe(session.online ? 0 : 2);
      }
    }
    // Both users come back online and sync: the server holds exactly each user's own writes.
    session.online = true;
    for (const user of ['alice', 'bob'] as const) {
      const client = await signIn(user);
      await client.sync();
      expect(await client.pendingOps()).toEqual([]);
      expect(await titles(client)).toEqual([...written[user]].sort());
      expect(await serverTitles(collections, server, user, 'todos')).toEqual(
        [...written[user]].sort(),
      );
      await client.signOut({ wipe: true });
    }
  });
});

describe('a crash during a sign-out wipe', () => {
  /** Alice's store with three records, all synced. */
  async function syncedStore() {
    const server = accountServer(collections);
    const session: Session = { user: 'alice', online: true, tokenValid: true };
    const store = createMemoryStore();
    const client = await deviceClient(
      collections,
      memoryAdapter({ store }),
      sessionTransport(server, session),
    );
    for (let i = 0; i < 3; i++) await client.collection('todos').insert({ title: `t${i}` });
    await client.sync();
    await client.close();
    return { server, session, store };
  }

  it('leaves all of the user’s data or none, at every call of the wipe, and the next sign-out finishes it', async () => {
    const { server, session, store } = await syncedStore();
    const before = await storageContents(memoryAdapter({ store }), ['todos']);
    expect(before.records).toHaveLength(3);
    const crashes: { result: unknown; after: unknown }[] = [];
    let finished:
      { result: unknown; after: Awaited<ReturnType<typeof storageContents>> } | undefined;
    for (let crashAt = 1; !finished; crashAt++) {
      const adapter = crashingAdapter(memoryAdapter({ store }), (call) => call.index === crashAt, {
        armed: false,
      });
      const client = await deviceClient(collections, adapter, sessionTransport(server, session));
      adapter.arm();
      const result = await client.signOut({ wipe: true }).catch((error: unknown) => error);
      await client.close().catch(() => undefined);
      const after = await storageContents(memoryAdapter({ store }), ['todos']);
      if (adapter.crashed) crashes.push({ result, after });
      else finished = { result, after };
    }
    // Every crash point left exactly the state before the sign-out: not half of it.
    expect(crashes.length).toBeGreaterThan(5);
    for (const crash of crashes) {
      expect(crash.result).toBeInstanceOf(SimulatedCrash);
      expect(crash.after).toEqual(before);
    }
    // The sign-out after the last crash point wiped everything.
    expect(finished.result).toMatchObject({ wiped: true });
    expect(finished.after).toMatchObject({ records: [], ops: [], clientId: undefined });
  });

  it('on encrypted IndexedDB too: a crash mid-wipe keeps everything, readable with the key', async () => {
    const factory = new IDBFactory();
    const key = await newKey();
    const server = accountServer(collections);
    const session: Session = { user: 'alice', online: true, tokenValid: true };
    const open = (): StorageAdapter =>
      indexedDbAdapter({ name: 'alice', indexedDB: factory, IDBKeyRange, encryptionKey: key });
    const first = await deviceClient(collections, open(), sessionTransport(server, session));
    for (let i = 0; i < 3; i++) await first.collection('todos').insert({ title: `t${i}` });
    await first.sync();
    await first.close();
    const before = await storageContents(open(), ['todos']);
    // Crash at the first delete of the wipe transaction.
    const adapter = crashingAdapter(open(), (call) => call.method === 'deleteRecord', {
      armed: false,
    });
    const client = await deviceClient(collections, adapter, sessionTransport(server, session));
    adapter.arm();
    await expect(client.signOut()).rejects.toBeInstanceOf(SimulatedCrash);
    await client.close().catch(() => undefined);
    expect(await storageContents(open(), ['todos'])).toEqual(before);
    const again = await deviceClient(collections, open(), sessionTransport(server, session));
    expect(await again.signOut()).toMatchObject({ wiped: true });
    expect((await storageContents(open(), ['todos'])).records).toEqual([]);
  });
});
