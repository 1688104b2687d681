import { describe, expect, it } from 'vitest';
import type { ListOpsOptions, StorageAdapter, SyncClient, Transport } from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { collections } from './helpers.js';
import { clientWithHook, makeClient, makeServer, watchStorage } from './sync-helpers.js';

/** Wraps an adapter and records every `listOps` call made in its transactions. */
function countingAdapter(inner: StorageAdapter, calls: ListOpsOptions[]): StorageAdapter {
  return watchStorage(inner, {
    call: (method, args) => {
      if (method === 'listOps') calls.push((args[0] as ListOpsOptions | undefined) ?? {});
    },
  });
}

async function seed(server: ReturnType<typeof makeServer>, n: number): Promise<SyncClient> {
  const writer = await makeClient(collections, server);
  await writer
    .collection('todos')
    .insertMany(
      Array.from({ length: n }, (_, i) => ({ title: `t${i}`, done: false, projectId: null })),
    );
  await writer.sync();
  return writer;
}

describe('pull pages', () => {
  it('looks up no per-record ops when the outbox is empty', async () => {
    const server = makeServer(collections);
    const writer = await seed(server, 600);
    const calls: ListOpsOptions[] = [];
    const reader = await createSyncClient({
      collections,
      storage: countingAdapter(memoryAdapter(), calls),
      transport: directTransport({ fetch: (request) => server.fetch(request) }),
      triggers: [],
    });
    expect((await reader.sync()).pulled).toBe(600);
    // Every record changes on the server; the reader already holds each one.
    for (const row of await writer.collection('todos').find()) {
      await writer.collection('todos').update(row.id, { done: true });
    }
    await writer.sync();
    calls.length = 0;
    expect((await reader.sync()).pulled).toBe(600);
    expect(calls.filter((c) => c.recordId !== undefined)).toEqual([]);
    expect(await reader.collection('todos').find({ where: { done: true } })).toHaveLength(600);
    await reader.close();
    await writer.close();
  });

  it('keeps an unsent local field when the page brings a newer server version', async () => {
    const server = makeServer(collections);
    const writer = await seed(server, 3);
    const calls: ListOpsOptions[] = [];
    const hook: { beforePull?: (client: SyncClient) => Promise<void> } = {};
    const reader = await clientWithHook(
      server,
      countingAdapter(memoryAdapter(), calls),
      collections,
      hook,
    );
    await reader.sync();
    const [theirs] = await writer.collection('todos').find({ where: { title: 't1' } });
    await writer.collection('todos').update(theirs!.id, { done: true });
    await writer.sync();
    // The reader's edit lands after its push and before its pull: pending while the page applies.
    hook.beforePull = async (client) => {
      await client.collection('todos').update(theirs!.serverId!, { title: 'mine' });
    };
    calls.length = 0;
    const result = await reader.sync();
    expect(result.pulled).toBe(1);
    expect(calls.some((c) => c.recordId !== undefined)).toBe(true);
    const [row] = await reader.collection('todos').find({ where: { done: true } });
    expect(row).toMatchObject({ title: 'mine', done: true, syncStatus: 'pending' });
    expect(await reader.pendingOps()).toHaveLength(1);
    await reader.sync();
    await writer.sync();
    expect(await writer.collection('todos').get(theirs!.id)).toMatchObject({
      title: 'mine',
      done: true,
      syncStatus: 'synced',
    });
    await reader.close();
    await writer.close();
  });

  it('moves the clock past the latest change of a page, wherever it is in the page', async () => {
    const wall = 1_700_000_000_000;
    const server = makeServer(collections);
    // The page holds old, new, late: the writer an hour ahead wrote the middle one.
    const early = await makeClient(collections, server, { now: () => wall });
    await early.collection('todos').insert({ title: 'old', done: false, projectId: null });
    await early.sync();
    const ahead = await makeClient(collections, server, { now: () => wall + 3_600_000 });
    await ahead.collection('todos').insert({ title: 'new', done: false, projectId: null });
    await ahead.sync();
    await early.collection('todos').insert({ title: 'late', done: false, projectId: null });
    await early.sync();
    const store = createMemoryStore();
    const reader = await createSyncClient({
      collections,
      storage: memoryAdapter({ store }),
      transport: directTransport({ fetch: (request) => server.fetch(request) }),
      triggers: [],
      now: () => wall,
    });
    expect((await reader.sync()).pulled).toBe(3);
    const mine = await reader
      .collection('todos')
      .insert({ title: 'x', done: false, projectId: null });
    const peek = memoryAdapter({ store });
    const records = await peek.transaction('readonly', (tx) => tx.listRecords('todos'));
    const pulled = records.filter((r) => r.id !== mine.id).map((r) => r.hlc);
    const local = records.find((r) => r.id === mine.id)!.hlc;
    expect(pulled).toHaveLength(3);
    for (const hlc of pulled) expect(local > hlc).toBe(true);
    await Promise.all([early.close(), ahead.close(), reader.close()]);
  });

  it('stores a page before the error of the request made for the next one surfaces', async () => {
    const server = makeServer(collections);
    const writer = await seed(server, 5);
    const direct = directTransport({ fetch: (request) => server.fetch(request) });
    let pulls = 0;
    const failing: Transport = {
      async send(kind, body, options) {
        if (kind === 'pull' && ++pulls === 2) throw new Error('network down on page 2');
        return direct.send(kind, body, options);
      },
    };
    const store = createMemoryStore();
    const open = (transport: Transport) =>
      createSyncClient({
        collections,
        storage: memoryAdapter({ store }),
        transport,
        triggers: [],
        pullPageSize: 2,
      });
    const reader = await open(failing);
    await expect(reader.sync()).rejects.toThrow('network down on page 2');
    // Page 1 (two records) committed although page 2 was asked for while it was stored.
    expect(await reader.collection('todos').find()).toHaveLength(2);
    await reader.close();
    const again = await open(direct);
    expect((await again.sync()).pulled).toBe(3);
    const titles = (await again.collection('todos').find()).map((r) => r['title']).sort();
    expect(titles).toEqual(['t0', 't1', 't2', 't3', 't4']);
    await again.close();
    await writer.close();
  });

  it('drops the next page when storing the current one fails', async () => {
    const server = makeServer(collections);
    const writer = await seed(server, 5);
    const direct = directTransport({ fetch: (request) => server.fetch(request) });
    let pulls = 0;
    const transport: Transport = {
      async send(kind, body, options) {
        // The early request for page 2 fails too: its rejection must not go unhandled.
        if (kind === 'pull' && ++pulls === 2) throw new Error('page 2 lost');
        return direct.send(kind, body, options);
      },
    };
    const inner = memoryAdapter();
    const broken: StorageAdapter = {
      kind: inner.kind,
      open: () => inner.open(),
      close: () => inner.close(),
      transaction: (mode, fn) =>
        inner.transaction(mode, async (tx) => {
          const result = await fn(tx);
          if (mode === 'readwrite' && (await tx.getMeta('pull.cursor')) !== undefined) {
            throw new Error('disk full');
          }
          return result;
        }),
    };
    const reader = await createSyncClient({
      collections,
      storage: broken,
      transport,
      triggers: [],
      pullPageSize: 2,
    });
    await expect(reader.sync()).rejects.toThrow('disk full');
    expect(pulls).toBe(2);
    expect(await reader.collection('todos').find()).toHaveLength(0);
    await reader.close();
    await writer.close();
  });
});
