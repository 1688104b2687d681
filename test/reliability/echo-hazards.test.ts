// Issue 17: the pull leaves out the client's own echoes once it applied their answers
// (`appliedSeq`, src/client/sync/applied-seq.ts). Each hazard where the client does not hold
// the server's state of its own write must still bring that state: a lost push answer, a
// poison op the server committed, a device restored from a backup (seq_gap renumbering), a
// re-base. docs/reliability.md lists which case covers which hazard.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, directTransport, type SyncClient } from 'tidesync';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore, type ServerStore } from 'tidesync/server';
import { clientOn, closeQuietly, readMeta, serverView } from './fault-helpers.js';

const notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
const collections = [notes];

interface Pulled {
  readonly appliedSeq: number | undefined;
  readonly changes: number;
  readonly reset: boolean;
}

/** A server on `store` and a fetch that records pulls and can fail pushes on purpose. */
function rig(store: ServerStore = memoryServerStore(), cursorSecret?: string) {
  const pulls: Pulled[] = [];
  const faults = { dropPushAnswers: 0, failPushes: 0 };
  const make = (secret?: string) =>
    createSyncServer({
      collections,
      store,
      authorize: () => ({ userId: 'alice' }),
      ...(secret === undefined ? {} : { cursorSecret: secret }),
    });
  let server = make(cursorSecret);
  const fetch = async (request: Request): Promise<Response> => {
    const kind = new URL(request.url).pathname.split('/').pop();
    if (kind === 'pull') {
      const body = (await request.clone().json()) as { appliedSeq?: number };
      const response = await server.fetch(request);
      const answer = (await response.clone().json()) as { changes: unknown[]; reset: boolean };
      pulls.push({
        appliedSeq: body.appliedSeq,
        changes: answer.changes.length,
        reset: answer.reset,
      });
      return response;
    }
    if (kind === 'push' && faults.dropPushAnswers > 0) {
      // The server commits; the answer never arrives.
      faults.dropPushAnswers -= 1;
      await server.fetch(request);
      throw new TypeError('network connection lost');
    }
    if (kind === 'push' && faults.failPushes > 0) {
      // The server commits (or replays), then fails: a 500 after the commit.
      faults.failPushes -= 1;
      await server.fetch(request);
      return new Response(JSON.stringify({ error: { code: 'internal', message: 'boom' } }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    }
    return server.fetch(request);
  };
  return {
    pulls,
    faults,
    get server() {
      return server;
    },
    /** The same store behind a server with another cursor secret: every cursor is foreign. */
    rotateCursorSecret(secret: string) {
      server = make(secret);
    },
    client(storage = memoryAdapter(), extra: { pullPageSize?: number; batchSize?: number } = {}) {
      return clientOn(collections, storage, directTransport({ fetch }), extra);
    },
  };
}

/** Syncs until a run succeeds (at most `times` failures), returning the failures seen. */
async function syncThrough(client: SyncClient, times = 10): Promise<number> {
  for (let failures = 0; failures < times; failures++) {
    try {
      await client.sync();
      return failures;
    } catch {
      // a failed run: try again
    }
  }
  throw new Error(`sync kept failing ${times} times`);
}

const texts = async (client: SyncClient): Promise<string[]> =>
  (await client.collection('notes').find()).map((r) => String(r.text)).sort();

async function expectConverged(client: SyncClient, server: ReturnType<typeof rig>['server']) {
  const mine = (await client.collection('notes').find()).map((r) => ({
    serverId: r.serverId,
    text: r.text,
    syncStatus: r.syncStatus,
  }));
  const theirs = (await serverView(collections, server, 'alice', 'notes')).map((r) => ({
    serverId: r['serverId'],
    text: r['text'],
    syncStatus: r['syncStatus'],
  }));
  const byId = (a: { serverId: unknown }, b: { serverId: unknown }) =>
    String(a.serverId).localeCompare(String(b.serverId));
  expect(mine.sort(byId)).toEqual(theirs.sort(byId));
}

const stateOf = (store: MemoryStore): unknown => (store as unknown as { state: unknown }).state;

/** A copy of a memory database, as a device backup is: restored later, as it was. */
function backupOf(store: MemoryStore): () => MemoryStore {
  const copy = structuredClone(stateOf(store));
  return () => {
    const restored = createMemoryStore();
    (restored as unknown as { state: unknown }).state = structuredClone(copy);
    return restored;
  };
}

describe('pull echoes: the hazards', () => {
  it('leaves out the echoes of a push the client applied, and the cursor moves past them', async () => {
    const r = rig();
    const client = await r.client(memoryAdapter(), { batchSize: 10 });
    await client
      .collection('notes')
      .insertMany(Array.from({ length: 30 }, (_, i) => ({ text: `n${i}` })));
    await client.sync();
    expect(r.pulls.map((p) => [p.appliedSeq, p.changes])).toEqual([[30, 0]]);
    // Another device's write still comes, and ours of the next push do not.
    const other = await r.client();
    await other.collection('notes').insert({ text: 'theirs' });
    await other.sync();
    await client.collection('notes').insert({ text: 'mine' });
    await client.sync();
    expect(r.pulls.at(-1)).toEqual({ appliedSeq: 31, changes: 1, reset: false });
    await expectConverged(client, r.server);
    await Promise.all([client.close(), other.close()]);
  });

  it('a lost push answer: the echo comes with the pull until the re-sent batch is answered', async () => {
    const r = rig();
    const storage = createMemoryStore();
    const client = await r.client(memoryAdapter({ store: storage }));
    await client.collection('notes').insert({ text: 'a' });
    r.faults.dropPushAnswers = 1;
    await expect(client.sync()).rejects.toThrow();
    // The server has the write, the device not its answer: nothing of it may be left out.
    expect(await readMeta(storage, 'pull.appliedSeq')).toBeUndefined();
    await syncThrough(client);
    expect(await readMeta(storage, 'pull.appliedSeq')).toBe(1);
    await expectConverged(client, r.server);
    await client.close();
  });

  it('a poison op the server committed: its state comes with the pull after it is dead-lettered', async () => {
    const r = rig();
    const client = await r.client();
    await client.collection('notes').insert({ text: 'first' });
    await client.sync();
    await client.collection('notes').insert({ text: 'poison' });
    // Every attempt commits (then replays) on the server and answers 500: dead-lettered after 5.
    r.faults.failPushes = 5;
    for (let i = 0; i < 4; i++) await expect(client.sync()).rejects.toThrow();
    // Queued behind it, answered in the run that dead-letters it: a rule that trusted the
    // highest answered seq would leave the committed poison op's state out of that run's pull.
    await client.collection('notes').insert({ text: 'later' });
    await client.sync();
    expect((await client.deadLetters()).map((op) => op.error?.code)).toEqual(['SERVER_ERROR']);
    const [poison] = await client.collection('notes').find({ where: { text: 'poison' } });
    expect(poison?.serverId).not.toBeNull();
    expect(poison?.syncStatus).toBe('synced');
    await client.close();
  });

  it('a device restored from a backup gets the writes of its lost future back (seq_gap)', async () => {
    const r = rig();
    const storage = createMemoryStore();
    const client = await r.client(memoryAdapter({ store: storage }));
    await client.collection('notes').insert({ text: 'before' });
    await client.sync();
    const restore = backupOf(storage);
    await client.collection('notes').insertMany([{ text: 'lost-1' }, { text: 'lost-2' }]);
    await client.sync();
    await client.close();
    // The device comes back from the backup: old cursor, old seq counter, old appliedSeq.
    const restored = await r.client(memoryAdapter({ store: restore() }));
    await restored.collection('notes').insert({ text: 'after' });
    await restored.sync();
    expect(await texts(restored)).toEqual(['after', 'before', 'lost-1', 'lost-2']);
    await expectConverged(restored, r.server);
    // Once a pull caught up, its own echoes are left out again.
    await restored.sync();
    await restored.collection('notes').insert({ text: 'then' });
    await restored.sync();
    expect(r.pulls.at(-1)?.changes).toBe(0);
    await restored.close();
  });

  it('a re-base pulls every record again, its own too, on every page of the run', async () => {
    const r = rig(memoryServerStore(), 'first-secret');
    const client = await r.client(memoryAdapter(), { pullPageSize: 2 });
    await client
      .collection('notes')
      .insertMany(Array.from({ length: 6 }, (_, i) => ({ text: `n${i}` })));
    await client.sync();
    r.rotateCursorSecret('second-secret');
    r.pulls.length = 0;
    await client.sync();
    expect(r.pulls[0]?.reset).toBe(true);
    expect(r.pulls.slice(1).map((p) => p.appliedSeq)).toEqual(
      r.pulls.slice(1).map(() => undefined),
    );
    expect(r.pulls.reduce((n, p) => n + p.changes, 0)).toBe(6);
    expect(await texts(client)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    await expectConverged(client, r.server);
    await closeQuietly(client);
  });

  it('clearCache forgets appliedSeq until a pull run catches up', async () => {
    const r = rig();
    const storage = createMemoryStore();
    const client = await r.client(memoryAdapter({ store: storage }));
    await client.collection('notes').insert({ text: 'a' });
    await client.sync();
    expect(await readMeta(storage, 'pull.appliedSeq')).toBe(1);
    await client.clearCache();
    expect(await readMeta(storage, 'pull.appliedSeq')).toBeUndefined();
    await client.sync();
    expect(r.pulls.at(-1)?.appliedSeq).toBeUndefined();
    expect(await readMeta(storage, 'pull.appliedSeq')).toBe(1);
    await client.close();
  });
});
