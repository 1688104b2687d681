// The client push path: what one acknowledged op costs in storage calls and transactions, and
// the work it must still do when it applies a batch's results: server ids rewritten into the
// record's later ops and into references of other records, later ops rebased on the new version.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createSyncClient,
  defineCollection,
  directTransport,
  manual,
  type CollectionDefinition,
  type ListOpsOptions,
  type StorageAdapter,
  type SyncClient,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { makeServer, watchStorage } from './sync-helpers.js';

type Fetch = (request: Request) => Promise<Response>;

/** Storage calls and transactions counted by method, until `stop()`. */
interface Counts {
  readonly calls: Map<string, number>;
  readwrite: number;
  readonly: number;
  counting: boolean;
}

/** Wraps `inner` so that every transaction and transaction call is counted in `counts`. */
function countingAdapter(inner: StorageAdapter, counts: Counts): StorageAdapter {
  const count = (key: string) => {
    if (counts.counting) counts.calls.set(key, (counts.calls.get(key) ?? 0) + 1);
  };
  return watchStorage(inner, {
    transaction: (mode) => {
      if (counts.counting) counts[mode] += 1;
    },
    call: (method, args) =>
      count(method === 'listOps' ? listOpsKind(args[0] as ListOpsOptions) : method),
  });
}

/** Which kind of outbox read a `listOps` call is. */
function listOpsKind(options: ListOpsOptions | undefined): string {
  if (options?.recordId) return 'listOps(record)';
  if (options?.states?.join() === 'inflight') return 'listOps(inflight)';
  const whole = options?.collection === undefined && options?.limit === undefined;
  if (whole && options?.states?.join() === 'queued') return 'listOps(all queued)';
  return 'listOps';
}

const notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
const folders = defineCollection({ name: 'folders', schema: z.object({ name: z.string() }) });
const files = defineCollection({
  name: 'files',
  schema: z.object({ title: z.string(), folderId: z.string().nullable() }),
  references: { folderId: 'folders' },
});
const cards = defineCollection({
  name: 'cards',
  schema: z.object({ text: z.string(), n: z.number() }),
  conflict: manual(),
});

async function clientOf(
  cols: readonly CollectionDefinition[],
  storage: StorageAdapter,
  fetch: Fetch,
  batchSize = 50,
): Promise<SyncClient> {
  return createSyncClient({
    collections: cols,
    storage,
    transport: directTransport({ fetch }),
    triggers: [],
    batchSize,
  });
}

describe('push cost', () => {
  it('an acknowledged insert costs one record read and write, one op lookup and delete; two transactions per batch', async () => {
    const server = makeServer([notes]);
    const counts: Counts = { calls: new Map(), readwrite: 0, readonly: 0, counting: false };
    const client = await clientOf([notes], countingAdapter(memoryAdapter(), counts), (request) => {
      // Count the push only: the pull that follows it is not this path.
      if (request.url.endsWith('/pull')) counts.counting = false;
      return server.fetch(request);
    });
    const n = 200;
    await client
      .collection('notes')
      .insertMany(Array.from({ length: n }, (_, i) => ({ text: `note ${i}` })));
    counts.counting = true;
    const result = await client.sync();
    expect(result.pushed).toBe(n);
    const batches = n / 50;
    const calls = Object.fromEntries(counts.calls);
    // Per op: the op marked in flight (putOp), then on the acknowledgement one lookup of its
    // other ops, one record write and the op's delete; the batch's records are read at once
    // (the adapter's optional getRecords, one call per collection and batch).
    expect(calls['getRecord']).toBeUndefined();
    expect(calls['getRecords']).toBe(batches);
    expect(calls['putRecord']).toBe(n);
    expect(calls['listOps(record)']).toBe(n);
    expect(calls['deleteOp']).toBe(n);
    expect(calls['putOp']).toBe(n);
    // Select + mark + build, then results, per batch; plus the selection that finds nothing.
    expect(counts.readwrite).toBe(2 * batches + 1);
    // With nothing in flight at the start, no selection looks for in-flight ops (without an
    // index on the state, that is a scan of the outbox per batch): only the one-op check that
    // starts the run, and the one that starts the pull run (its `appliedSeq`, applied-seq.ts).
    expect(calls['listOps(inflight)']).toBe(2);
    expect(calls['listOps(all queued)']).toBeUndefined();
    expect(await client.pendingOps()).toEqual([]);

    // A sync with nothing to push opens no write transaction before it pulls.
    counts.calls.clear();
    counts.readwrite = 0;
    counts.counting = true;
    expect((await client.sync()).pushed).toBe(0);
    expect(counts.readwrite).toBe(0);
    expect(counts.calls.get('putOp')).toBeUndefined();
    await client.close();
  });
});

describe('push cost with priorities', () => {
  it('reads the whole outbox only when a batch cannot be filled, not per batch', async () => {
    const first = defineCollection({
      name: 'first',
      schema: z.object({ text: z.string() }),
      priority: 1,
    });
    const server = makeServer([first, notes]);
    const counts: Counts = { calls: new Map(), readwrite: 0, readonly: 0, counting: false };
    const client = await clientOf(
      [first, notes],
      countingAdapter(memoryAdapter(), counts),
      (request) => {
        if (request.url.endsWith('/pull')) counts.counting = false;
        return server.fetch(request);
      },
    );
    await client
      .collection('notes')
      .insertMany(Array.from({ length: 200 }, (_, i) => ({ text: `n${i}` })));
    await client
      .collection('first')
      .insertMany(Array.from({ length: 10 }, (_, i) => ({ text: `f${i}` })));
    counts.counting = true;
    expect((await client.sync()).pushed).toBe(210);
    // Only for the last (short) batch and the selection that finds nothing.
    expect(counts.calls.get('listOps(all queued)')).toBe(2);
    await client.close();
  });
});

describe('push cost with references', () => {
  it('reads a referenced record once per batch, however many ops point at it', async () => {
    const server = makeServer([folders, files], 'server');
    const counts: Counts = { calls: new Map(), readwrite: 0, readonly: 0, counting: false };
    const client = await clientOf(
      [folders, files],
      countingAdapter(memoryAdapter(), counts),
      (request) => {
        if (request.url.endsWith('/pull')) counts.counting = false;
        return server.fetch(request);
      },
    );
    const folder = await client.collection('folders').insert({ name: 'docs' });
    await client.sync();
    const n = 100;
    await client
      .collection('files')
      .insertMany(Array.from({ length: n }, (_, i) => ({ title: `f${i}`, folderId: folder.id })));
    counts.counting = true;
    expect((await client.sync()).pushed).toBe(n);
    // The referenced folder once per batch (two batches of 50); the acknowledged records in
    // one batch read per batch.
    expect(counts.calls.get('getRecord')).toBe(2);
    expect(counts.calls.get('getRecords')).toBe(2);
    const fresh = await clientOf([folders, files], memoryAdapter(), (r) => server.fetch(r));
    await fresh.sync();
    const stored = await fresh.collection('files').find();
    expect(stored).toHaveLength(n);
    const serverFolderId = (await client.collection('folders').get(folder.id))?.serverId;
    expect(serverFolderId).not.toBe(folder.id);
    for (const file of stored) expect(file['folderId']).toBe(serverFolderId);
    await fresh.close();
    await client.close();
  });
});

describe('batch selection', () => {
  it('looks past ops that must wait for a reference to fill the batch', async () => {
    const server = makeServer([folders, files], 'server');
    const sent: string[][] = [];
    const client = await clientOf(
      [folders, files],
      memoryAdapter(),
      async (request) => {
        if (request.url.endsWith('/push')) {
          const body = (await request.clone().json()) as { ops: { collection: string }[] };
          sent.push(body.ops.map((op) => op.collection));
        }
        return server.fetch(request);
      },
      4,
    );
    const first = await client.collection('folders').insert({ name: 'a' });
    for (let i = 0; i < 6; i++)
      await client.collection('files').insert({ title: `f${i}`, folderId: first.id });
    for (const name of ['b', 'c', 'd']) await client.collection('folders').insert({ name });
    expect((await client.sync()).pushed).toBe(10);
    // The six files wait for folder a; the first batch takes the four folders instead.
    expect(sent[0]).toEqual(['folders', 'folders', 'folders', 'folders']);
    expect(sent.slice(1).flat()).toEqual(Array.from({ length: 6 }, () => 'files'));
    await client.close();
  });
});

describe('batch selection by priority', () => {
  it('sends higher priorities first, in write order within one, looking past ops that wait', async () => {
    const urgent = defineCollection({
      name: 'urgent',
      schema: z.object({ title: z.string(), folderId: z.string() }),
      references: { folderId: 'folders' },
      priority: 2,
    });
    const normal = defineCollection({
      name: 'normal',
      schema: z.object({ text: z.string() }),
      priority: 1,
    });
    const cols = [urgent, normal, folders];
    const server = makeServer(cols, 'server');
    const sent: string[][] = [];
    const client = await clientOf(
      cols,
      memoryAdapter(),
      async (request) => {
        if (request.url.endsWith('/push')) {
          const body = (await request.clone().json()) as {
            ops: { collection: string; data: Record<string, unknown> | null }[];
          };
          const label = (d: Record<string, unknown> | null) =>
            String(d?.['title'] ?? d?.['text'] ?? d?.['name']);
          sent.push(body.ops.map((op) => label(op.data)));
        }
        return server.fetch(request);
      },
      2,
    );
    const f = await client.collection('folders').insert({ name: 'F' });
    for (let i = 1; i <= 5; i++)
      await client.collection('urgent').insert({ title: `u${i}`, folderId: f.id });
    for (let i = 1; i <= 3; i++) await client.collection('normal').insert({ text: `n${i}` });
    await client.collection('folders').insert({ name: 'G' });
    expect((await client.sync()).pushed).toBe(10);
    // The urgent ops wait for folder F, which has the lowest priority: the notes go first.
    expect(sent).toEqual([
      ['n1', 'n2'],
      ['n3', 'F'],
      ['u1', 'u2'],
      ['u3', 'u4'],
      ['u5', 'G'],
    ]);
    await client.close();
  });
});

describe('applying results', () => {
  it('rewrites every server id confirmed in one batch into the references of waiting records and ops', async () => {
    const server = makeServer([folders, files], 'server');
    let pushes = 0;
    const client = await clientOf([folders, files], memoryAdapter(), async (request) => {
      // The second push (the files, held back until their folders have server ids) fails.
      if (request.url.endsWith('/push') && ++pushes === 2)
        return new Response('down', { status: 503 });
      return server.fetch(request);
    });
    const folderIds: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const folder = await client.collection('folders').insert({ name });
      folderIds.push(folder.id);
      for (const title of ['1', '2'])
        await client.collection('files').insert({ title: `${name}${title}`, folderId: folder.id });
    }
    await expect(client.sync()).rejects.toThrow();
    const confirmed = new Map<string, string>();
    for (const id of folderIds) {
      const folder = await client.collection('folders').get(id);
      expect(folder?.serverId).toBeTruthy();
      expect(folder?.serverId).not.toBe(id);
      confirmed.set(id, folder?.serverId ?? '');
    }
    const waiting = await client.pendingOps();
    expect(waiting).toHaveLength(6);
    const serverIds = [...confirmed.values()];
    for (const op of waiting) expect(serverIds).toContain(op.data?.['folderId']);
    for (const file of await client.collection('files').find())
      expect(serverIds).toContain(file['folderId']);

    await client.sync();
    expect(await client.pendingOps()).toEqual([]);
    const fresh = await clientOf([folders, files], memoryAdapter(), (r) => server.fetch(r));
    await fresh.sync();
    const byFolder = new Map<string, string[]>();
    for (const file of await fresh.collection('files').find()) {
      const list = byFolder.get(String(file['folderId'])) ?? [];
      list.push(String(file['title']));
      byFolder.set(String(file['folderId']), list.sort());
    }
    const expected = ['a', 'b', 'c'].map((name, i) => [
      confirmed.get(folderIds[i] ?? ''),
      [`${name}1`, `${name}2`],
    ]);
    expect([...byFolder].sort()).toEqual(expected.sort());
    await fresh.close();
    await client.close();
  });

  it('an edit made while its insert is in flight gets the server id and version, and syncs without a conflict', async () => {
    const server = makeServer([cards], 'server');
    let pushes = 0;
    let cardId = '';
    const client: SyncClient = await clientOf([cards], memoryAdapter(), async (request) => {
      if (!request.url.endsWith('/push')) return server.fetch(request);
      pushes += 1;
      // A local write while the insert is on the wire: a new op, not merged into the sent one.
      if (pushes === 1) await client.collection('cards').update(cardId, { n: 2 });
      // The edit's own push fails, so the state between the two can be looked at.
      if (pushes === 2) return new Response('down', { status: 503 });
      return server.fetch(request);
    });
    const card = await client.collection('cards').insert({ text: 'x', n: 1 });
    cardId = card.id;
    await expect(client.sync()).rejects.toThrow();
    const [follower] = await client.pendingOps();
    const stored = await client.collection('cards').get(cardId);
    expect(stored?.serverId).toBeTruthy();
    expect(follower).toMatchObject({ serverId: stored?.serverId, baseVersion: 1, type: 'update' });
    // The local value keeps the pending edit over the acknowledged insert.
    expect(stored).toMatchObject({ n: 2, syncStatus: 'pending' });

    // Under manual() a wrong base version would come back as a conflict.
    const second = await client.sync();
    expect(second).toMatchObject({ pushed: 1, conflicts: 0 });
    expect(await client.conflicts()).toEqual([]);
    expect(await client.collection('cards').get(cardId)).toMatchObject({
      text: 'x',
      n: 2,
      syncStatus: 'synced',
    });
    await client.close();
  });
});
