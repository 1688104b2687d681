import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, directTransport } from 'tidesync';
import type { SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';
import type { ServerStore, SyncServer } from 'tidesync/server';
import { authorize, makeServer, op, pull, push, storeKinds } from '../server/server-helpers.js';
import type { PullAnswer } from '../server/server-helpers.js';

/** Lists shared with the users named in `members`. */
const lists = defineCollection({
  name: 'lists',
  schema: z.object({ name: z.string(), members: z.array(z.string()) }),
  scope: (record, user) => (record.data['members'] as string[]).includes(user.userId),
});

type RemovalAnswer = PullAnswer & {
  readonly removed?: { collection: string; id: string; version: number }[];
};

// Issue 15, item 10: what leaves a user's scope leaves their devices.
describe.each(storeKinds())('a record that leaves a user’s scope: $name', (kind) => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;
  let server: SyncServer;
  let seq = 0;

  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    server = makeServer(store, { collections: [lists] });
    seq = 0;
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const insert = (members: string[]) =>
    push(server, 'alice-1', [
      op({ seq: ++seq, collection: 'lists', id: 'l1', data: { name: 'plans', members } }),
    ]);
  const update = (baseVersion: number, patch: Record<string, unknown>) =>
    push(server, 'alice-1', [
      op({
        seq: ++seq,
        collection: 'lists',
        id: 'l1',
        serverId: 'l1',
        type: 'update',
        baseVersion,
        patch,
      }),
    ]);
  const pullAs = async (user: string, cursor: string | null) =>
    (await pull(server, `${user}-1`, cursor, 100, { user })).body as RemovalAnswer;

  it('is removed at the next pull of a user who could see it, even after later edits', async () => {
    await insert(['alice', 'bob']);
    const first = await pullAs('bob', null);
    expect(first.changes.map((c) => c.id)).toEqual(['l1']);
    // Bob's sharing is revoked, then the list is edited twice more.
    expect((await update(1, { members: ['alice'] })).body.results[0]?.status).toBe('applied');
    await update(2, { name: 'p2' });
    await update(3, { name: 'p3' });
    const next = await pullAs('bob', first.cursor);
    expect(next.changes).toEqual([]);
    expect(next.removed).toEqual([{ collection: 'lists', id: 'l1', version: 4 }]);
    // The answer without its cursor (an opaque token that may spell anything) names nothing of p3.
    expect(JSON.stringify({ ...next, cursor: undefined })).not.toContain('p3');
  });

  it('keeps maxFormerStates earlier states: past that, a device that missed them keeps it', async () => {
    server = makeServer(store, { collections: [lists], maxFormerStates: 1 });
    await insert(['alice', 'bob']);
    const first = await pullAs('bob', null);
    await update(1, { members: ['alice'] });
    expect((await pullAs('bob', first.cursor)).removed).toHaveLength(1);
    await update(2, { name: 'p2' });
    // One more change: the state Bob could see is no longer kept (the documented limit).
    expect((await pullAs('bob', first.cursor)).removed).toBeUndefined();
    const stored = await store.read((reader) => reader.getRecord('lists', 'l1'));
    expect(stored?.formerData).toEqual([{ name: 'plans', members: ['alice'] }]);
  });

  it('tells nothing to a user who never could see it', async () => {
    await insert(['alice', 'bob']);
    await update(1, { members: ['alice'] });
    const stranger = await pullAs('dave', null);
    expect(stranger.changes).toEqual([]);
    expect(stranger.removed).toBeUndefined();
    const owner = await pullAs('alice', null);
    expect(owner.changes.map((c) => c.id)).toEqual(['l1']);
    expect(owner.removed).toBeUndefined();
  });
});

describe('a device whose user loses a record', () => {
  it('drops it at the next sync; its unsent edit ends as a forbidden dead letter', async () => {
    const server = createSyncServer({
      collections: [lists],
      store: memoryServerStore(),
      authorize,
    });
    const clients: SyncClient[] = [];
    let beforePull: (() => Promise<void>) | undefined;
    const device = async (user: string) => {
      const client = await createSyncClient({
        collections: [lists],
        storage: memoryAdapter(),
        triggers: [],
        transport: directTransport({
          fetch: async (request) => {
            if (user === 'bob' && request.url.endsWith('/pull')) await beforePull?.();
            const headers = new Headers(request.headers);
            headers.set('x-user', user);
            return server.fetch(new Request(request, { headers }));
          },
        }),
      });
      clients.push(client);
      return client;
    };
    const alice = await device('alice');
    const bob = await device('bob');
    const list = await alice
      .collection(lists.name)
      .insert({ name: 'plans', members: ['alice', 'bob'] });
    await alice.sync();
    await bob.sync();
    expect(await bob.collection(lists.name).get(list.id)).toMatchObject({ name: 'plans' });
    // Bob edits offline; meanwhile Alice stops sharing the list with him.
    await bob.collection(lists.name).update(list.id, { name: 'bob was here' });
    await alice.collection(lists.name).update(list.id, { members: ['alice'] });
    await alice.sync();
    await bob.sync();
    expect(await bob.collection(lists.name).find()).toEqual([]);
    const dead = await bob.deadLetters();
    expect(dead.map((d) => d.error?.code)).toEqual(['forbidden']);
    expect(bob.status.pendingOps).toBe(0);
    // Shared again; this time Bob's edit is made after his push, while his pull is on its way.
    await alice.collection(lists.name).update(list.id, { members: ['alice', 'bob'] });
    await alice.sync();
    await bob.sync();
    expect(await bob.collection(lists.name).get(list.id)).toMatchObject({ name: 'plans' });
    await alice.collection(lists.name).update(list.id, { members: ['alice'] });
    await alice.sync();
    beforePull = async () => {
      beforePull = undefined;
      await bob.collection(lists.name).update(list.id, { name: 'during the pull' });
    };
    // The pull's event comes after its page committed: the handler finds the dead letter.
    const told: Promise<boolean>[] = [];
    bob.on('deadLetter', (event) => {
      told.push(bob.deadLetters().then((list) => list.some((d) => d.opId === event.opId)));
    });
    await bob.sync();
    expect(await bob.collection(lists.name).find()).toEqual([]);
    const again = await bob.deadLetters();
    expect(again.map((d) => [d.error?.code, d.patch?.['name']])).toContainEqual([
      'forbidden',
      'during the pull',
    ]);
    expect(await Promise.all(told)).toEqual([true]);
    await Promise.all(clients.map((c) => c.close()));
  });
});
