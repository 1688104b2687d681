import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  TidesyncError,
  createSyncClient,
  defineCollection,
  httpTransport,
  lastWriteWins,
  type SyncClient,
} from 'tidesync';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'tidesync/adapters/memory';
import { webLocksCoordinator } from '../../src/client/runtime/coordinators/index.js';
import type { SyncCoordinator } from '../../src/client/runtime/sync-coordinator.js';
import { FakeLockManager, countingServer, type CountingServer } from './coordinator-fakes.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string() }),
  conflict: lastWriteWins(),
});

/** One client plus the coordinator it was given: a tab of the app. */
interface Tab {
  readonly client: SyncClient;
  readonly coordinator: SyncCoordinator;
}

let open: SyncClient[] = [];
let dbCounter = 0;

afterEach(async () => {
  for (const client of open) await client.close();
  open = [];
});

async function openTab(
  server: CountingServer,
  store: MemoryStore,
  locks: FakeLockManager,
  name: string,
): Promise<Tab> {
  const coordinator = webLocksCoordinator({ name, locks, BroadcastChannel });
  const client = await createSyncClient({
    collections: [notes],
    storage: memoryAdapter({ store }),
    transport: httpTransport({ url: 'http://sync.test/sync', fetch: server.fetch }),
    batchSize: 2,
    coordinator,
  });
  open.push(client);
  return { client, coordinator };
}

/** Three tabs on one shared database, after the first lock grant (so one of them leads). */
async function openThreeTabs(): Promise<{
  server: CountingServer;
  locks: FakeLockManager;
  store: MemoryStore;
  name: string;
  tabs: Tab[];
}> {
  const server = countingServer([notes]);
  const locks = new FakeLockManager();
  const store = createMemoryStore();
  const name = `db-${(dbCounter += 1)}-${Date.now()}`;
  const granted = locks.nextGrant();
  const tabs: Tab[] = [];
  for (let i = 0; i < 3; i += 1) tabs.push(await openTab(server, store, locks, name));
  await granted;
  return { server, locks, store, name, tabs };
}

function leaderOf(tabs: readonly Tab[]): Tab {
  const leaders = tabs.filter((t) => t.coordinator.isLeader);
  expect(leaders).toHaveLength(1);
  return leaders[0] as Tab;
}

/** Resolves at the first `syncComplete` of `client` after which `done()` holds. */
function syncedUntil(client: SyncClient, done: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = client.on('syncComplete', () => {
      void done().then((ok) => {
        if (ok) {
          stop();
          resolve();
        }
      }, reject);
    });
  });
}

async function insertNotes(client: SyncClient, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    ids.push((await client.collection('notes').insert({ title: `${prefix}-${i}` })).id);
  }
  return ids;
}

describe('webLocksCoordinator options', () => {
  it('rejects a missing name, a lock manager without request() and a non-class channel', () => {
    const locks = new FakeLockManager();
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return error instanceof TidesyncError ? `${error.code}: ${error.message}` : 'other';
      }
      return undefined;
    };
    expect(code(() => webLocksCoordinator({ name: '', locks, BroadcastChannel }))).toMatch(
      /^INVALID_OPTION: Expected `name` to be a non-empty string.*got `""`/,
    );
    expect(
      code(() =>
        webLocksCoordinator({ name: 'db', locks: {} as FakeLockManager, BroadcastChannel }),
      ),
    ).toMatch(/^INVALID_OPTION: Expected `locks` to be a lock manager/);
    expect(
      code(() =>
        webLocksCoordinator({
          name: 'db',
          locks,
          BroadcastChannel: 'nope' as unknown as typeof BroadcastChannel,
        }),
      ),
    ).toMatch(/^INVALID_OPTION: Expected `BroadcastChannel` to be a class/);
  });

  it.runIf(!(globalThis as { navigator?: { locks?: unknown } }).navigator?.locks)(
    'tells the developer to pass `locks` when the runtime has no navigator.locks',
    () => {
      expect(() => webLocksCoordinator({ name: 'db', BroadcastChannel })).toThrow(
        /found no `navigator.locks`.*Pass `locks`/,
      );
    },
  );

  it('reports a lock manager that refuses the lock through onError, and stays a follower', async () => {
    const reported: TidesyncError[] = [];
    const refusing = {
      request: () =>
        Promise.reject(Object.assign(new Error('opaque origin'), { name: 'SecurityError' })),
    };
    const server = countingServer([notes]);
    const coordinator = webLocksCoordinator({
      name: `db-refused-${Date.now()}`,
      locks: refusing,
      BroadcastChannel,
      onError: (error) => reported.push(error),
    });
    const client = await createSyncClient({
      collections: [notes],
      storage: memoryAdapter(),
      transport: httpTransport({ url: 'http://sync.test/sync', fetch: server.fetch }),
      coordinator,
    });
    open.push(client);
    expect((await client.sync()).delegated).toBe(true);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ code: 'STORAGE_FAILED' });
    expect(reported[0]?.message).toMatch(/opaque origin.*secure, non-opaque origin/);
    expect(coordinator.isLeader).toBe(false);
    expect(server.pushes).toEqual([]);
  });

  it('ignores foreign and malformed messages on its channel; a follower ignores sync requests', async () => {
    const name = `db-noise-${Date.now()}`;
    const neverGranted = { request: () => new Promise<never>(() => undefined) };
    const coordinator = webLocksCoordinator({ name, locks: neverGranted, BroadcastChannel });
    const calls: string[] = [];
    const changed = new Promise<void>((resolve) => {
      coordinator.start({
        onLeadershipChange: (leader) => calls.push(`leader:${leader}`),
        onSyncRequest: () => calls.push('sync'),
        onRemoteChange: (collections) => {
          calls.push(`change:${collections.join(',')}`);
          if (collections.includes('last')) resolve();
        },
      });
    });
    const raw = new BroadcastChannel(`tidesync:tabs:${name}`);
    const mark = 'tidesync.coordinator.v1';
    try {
      for (const junk of [
        null,
        'change',
        { mark: 'other-lib', from: 'x', type: 'change', collections: ['a'] },
        { mark, type: 'change', collections: ['a'] },
        { mark, from: 'x', type: 'change', collections: [1] },
        { mark, from: 'x', type: 'explode' },
        { mark, from: 'x', type: 'sync-request' },
        { mark, from: 'x', type: 'change', collections: ['notes'] },
        { mark, from: 'x', type: 'change', collections: ['last'] },
      ]) {
        raw.postMessage(junk);
      }
      await changed;
    } finally {
      raw.close();
      coordinator.close();
    }
    expect(calls).toEqual(['change:notes', 'change:last']);
    expect(coordinator.isLeader).toBe(false);
  });

  it('refuses to be started by a second client', async () => {
    const server = countingServer([notes]);
    const locks = new FakeLockManager();
    const store = createMemoryStore();
    const tab = await openTab(server, store, locks, `db-twice-${Date.now()}`);
    await expect(
      createSyncClient({
        collections: [notes],
        storage: memoryAdapter({ store }),
        coordinator: tab.coordinator,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('several clients on one database (tabs)', () => {
  it('elects exactly one leader; followers delegate sync() and the leader pushes every op once', async () => {
    const { server, tabs } = await openThreeTabs();
    const leader = leaderOf(tabs);
    await leader.client.sync();
    const followers = tabs.filter((t) => t !== leader);

    const written = [
      ...(await insertNotes(tabs[0]!.client, 'a', 3)),
      ...(await insertNotes(tabs[1]!.client, 'b', 3)),
      ...(await insertNotes(tabs[2]!.client, 'c', 3)),
    ];
    const allPushed = syncedUntil(leader.client, async () => (await server.records()).length === 9);
    // Only followers ask, each twice at once: the leader must push for them, one push at a time.
    const results = await Promise.all([...followers, ...followers].map((t) => t.client.sync()));
    expect(results.map((r) => r.delegated)).toEqual([true, true, true, true]);
    await allPushed;

    const opIds = server.pushedOpIds();
    expect(opIds).toHaveLength(9);
    expect(server.pushes.length).toBeGreaterThanOrEqual(5);
    expect(new Set(opIds).size).toBe(9);
    expect(server.maxPushesInFlight()).toBe(1);
    expect(await server.appliedWrites()).toBe(9);
    expect((await server.records()).map((r) => r.id).sort()).toEqual([...written].sort());
    expect(followers.every((f) => !f.coordinator.isLeader)).toBe(true);
  });

  it('a follower’s live query and status follow what the leader pulled and pushed', async () => {
    const { server, tabs } = await openThreeTabs();
    const leader = leaderOf(tabs);
    const follower = tabs.find((t) => t !== leader) as Tab;
    await leader.client.sync();

    // Another device writes through the server.
    const device = await createSyncClient({
      collections: [notes],
      storage: memoryAdapter(),
      transport: httpTransport({ url: 'http://sync.test/sync', fetch: server.fetch }),
    });
    open.push(device);
    await device.collection('notes').insert({ title: 'from elsewhere' });
    await device.sync();

    const [mine] = await insertNotes(follower.client, 'mine', 1);
    expect(follower.client.status.pendingOps).toBe(1);
    const seen = new Promise<string[]>((resolve) => {
      follower.client.collection('notes').subscribe({}, (rows) => {
        if (rows.length === 2 && rows.every((r) => r.syncStatus === 'synced')) {
          resolve(rows.map((r) => String(r.title)).sort());
        }
      });
    });
    const statusClear = new Promise<void>((resolve) => {
      follower.client.on('status', (s) => s.pendingOps === 0 && resolve());
    });

    await follower.client.sync();
    expect(await seen).toEqual(['from elsewhere', 'mine-0']);
    await statusClear;
    const record = await follower.client.collection('notes').get(mine as string);
    expect(record?.syncStatus).toBe('synced');
    expect(record?.serverId).toBe(mine);
    expect(server.pushes.length).toBe(2); // the device's push and the leader's, none from followers
  });

  it('hands over when the leader closes: the next client leads and drains the outbox', async () => {
    const { server, tabs, locks } = await openThreeTabs();
    const leader = leaderOf(tabs);
    await leader.client.sync();
    const rest = tabs.filter((t) => t !== leader);
    const ids = await insertNotes(rest[0]!.client, 'left behind', 2);

    const handedOver = locks.nextGrant();
    await leader.client.close();
    await handedOver;
    const next = leaderOf(rest);
    await syncedUntil(next.client, async () => (await server.records()).length === 2);

    expect(leader.coordinator.isLeader).toBe(false);
    expect(server.pushedOpIds()).toHaveLength(2);
    expect((await server.records()).map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(await next.client.pendingOps()).toEqual([]);

    // The new leader also serves the remaining follower's requests.
    const other = rest.find((t) => t !== next) as Tab;
    await insertNotes(other.client, 'later', 1);
    const pushed = syncedUntil(next.client, async () => (await server.records()).length === 3);
    expect((await other.client.sync()).delegated).toBe(true);
    await pushed;
    expect(new Set(server.pushedOpIds()).size).toBe(3);
  });

  it('a leader closed in the middle of a push hands over, and the server applies that batch once', async () => {
    const { server, tabs, locks } = await openThreeTabs();
    const leader = leaderOf(tabs);
    await leader.client.sync();
    await insertNotes(leader.client, 'mid-push', 3);

    const hold = server.holdPushes();
    const failed = leader.client.sync().then(
      () => 'resolved',
      (error: unknown) => (error instanceof TidesyncError ? error.code : 'other'),
    );
    await hold.arrived;
    const handedOver = locks.nextGrant();
    await leader.client.close();
    expect(await failed).not.toBe('resolved');
    await handedOver;
    const next = leaderOf(tabs.filter((t) => t !== leader));
    const drained = syncedUntil(
      next.client,
      async () => (await next.client.pendingOps()).length === 0,
    );
    hold.release();
    await drained;

    // The abandoned request and the new leader's re-send carry the same opIds; one applies.
    const opIds = server.pushedOpIds();
    expect(new Set(opIds).size).toBe(3);
    expect(await server.appliedWrites()).toBe(3);
    expect((await server.records()).map((r) => r.data['title']).sort()).toEqual([
      'mid-push-0',
      'mid-push-1',
      'mid-push-2',
    ]);
    expect(await next.client.deadLetters()).toEqual([]);
  });

  it('a closed coordinator releases its queued place and stops hearing the others', async () => {
    const { tabs, locks, name } = await openThreeTabs();
    const leader = leaderOf(tabs);
    const [a, b] = tabs.filter((t) => t !== leader) as [Tab, Tab];
    await a.client.close();
    const handedOver = locks.nextGrant();
    await leader.client.close();
    await handedOver;
    expect(b.coordinator.isLeader).toBe(true);
    expect(a.coordinator.isLeader).toBe(false);
    expect(locks.isHeld(`tidesync:leader:${name}`)).toBe(true);
    await b.client.close();
    // Nobody holds or waits for the lock any more: a new request gets it at once.
    const got = await locks.request(
      `tidesync:leader:${name}`,
      { mode: 'exclusive', signal: new AbortController().signal },
      async () => 'granted',
    );
    expect(got).toBe('granted');
    expect(locks.grants).toBe(3);
  });

  it('a leader whose lock is taken away steps down and queues again', async () => {
    const { server, tabs, locks, name } = await openThreeTabs();
    const leader = leaderOf(tabs);
    await leader.client.sync();
    const handedOver = locks.nextGrant();
    locks.breakLock(`tidesync:leader:${name}`);
    await handedOver;
    const next = leaderOf(tabs);
    expect(next).not.toBe(leader);

    // The old leader is a follower now: it delegates, and the new leader pushes its write.
    const [id] = await insertNotes(leader.client, 'after-steal', 1);
    const pushed = syncedUntil(next.client, async () => (await server.records()).length === 1);
    expect((await leader.client.sync()).delegated).toBe(true);
    await pushed;
    expect((await server.records()).map((r) => r.id)).toEqual([id]);

    // It queued again: after the other two close, it leads once more.
    const last = tabs.find((t) => t !== leader && t !== next) as Tab;
    await last.client.close();
    const back = locks.nextGrant();
    await next.client.close();
    await back;
    expect(leader.coordinator.isLeader).toBe(true);
  });
});
