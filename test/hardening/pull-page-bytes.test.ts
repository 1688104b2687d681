import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSyncClient, directTransport } from 'tidesync';
import type { RecordSkippedEvent, Transport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';
import type { ServerStore, SyncServer } from 'tidesync/server';
import {
  authorize,
  call,
  collections,
  makeServer,
  op,
  push,
  storeKinds,
  todos,
} from '../server/server-helpers.js';
import type { PullAnswer } from '../server/server-helpers.js';

const KB = 1024;
const text = (bytes: number, mark = 'x') => mark.repeat(bytes);

interface BytesAnswer extends PullAnswer {
  readonly skipped?: {
    collection: string;
    id: string;
    version: number;
    bytes: number;
    code: string;
  }[];
}

const pullBytes = (server: SyncServer, cursor: string | null, maxBytes?: number) =>
  call<BytesAnswer>(server, 'pull', {
    protocol: 1,
    clientId: 'reader',
    cursor,
    limit: 1000,
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });

// Issue 15, item 2: pull pages are bounded in bytes, not only in records.
describe.each(storeKinds())('pull pages are bounded in bytes: $name', (kind) => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;
  let server: SyncServer;

  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    server = makeServer(store, { maxPullPageBytes: 32 * KB, maxRecordBytes: 128 * KB });
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const insertTodos = async (sizes: readonly number[]) => {
    const ops = sizes.map((bytes, i) =>
      op({ seq: i + 1, id: `r${i}`, data: { title: text(bytes, String(i % 10)), done: false } }),
    );
    const answer = await push(server, 'writer', ops);
    expect(answer.body.results.map((r) => r.status)).toEqual(sizes.map(() => 'applied'));
  };

  it('fills a page up to the server’s byte limit, always at least one record, and skips none', async () => {
    // 12 records of 10 KB, one of 100 KB (larger than a page, but a valid push).
    await insertTodos([
      ...Array.from({ length: 6 }, () => 10 * KB),
      100 * KB,
      ...Array.from({ length: 6 }, () => 10 * KB),
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(20);
      const answer = await pullBytes(server, cursor);
      expect(answer.status).toBe(200);
      const ids = answer.body.changes.map((c) => c.id);
      expect(ids.length).toBeGreaterThan(0);
      const bytes = JSON.stringify(answer.body.changes).length;
      // Over the budget only when it is a single record (a page always makes progress).
      expect(ids.length === 1 || bytes <= 32 * KB).toBe(true);
      seen.push(...ids);
      cursor = answer.body.cursor;
      if (!answer.body.hasMore) break;
    }
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => `r${i}`));
  });

  it('a record larger than the client’s maxBytes comes as a placeholder; the rest still arrives', async () => {
    await insertTodos([KB, 100 * KB, KB]);
    const answer = await pullBytes(server, null, 16 * KB);
    expect(answer.body.changes.map((c) => c.id)).toEqual(['r0', 'r2']);
    expect(answer.body.skipped).toEqual([
      {
        collection: 'todos',
        id: 'r1',
        version: 1,
        bytes: expect.any(Number),
        code: 'record_too_large',
      },
    ]);
    expect(answer.body.skipped![0]!.bytes).toBeGreaterThan(100 * KB);
    expect(answer.body.hasMore).toBe(false);
    expect(JSON.stringify(answer.body).length).toBeLessThan(16 * KB);
    // A client without a budget (an older one) still gets it, alone on its page.
    const first = await pullBytes(server, null);
    expect(first.body.changes.map((c) => c.id)).toEqual(['r0']);
    const second = await pullBytes(server, first.body.cursor);
    expect(second.body.changes.map((c) => c.id)).toEqual(['r1']);
    expect(second.body.skipped).toBeUndefined();
  });

  it('refuses a write whose record would exceed maxRecordBytes with record_too_large', async () => {
    const big = await push(server, 'writer', [
      op({ seq: 1, id: 'big', data: { title: text(200 * KB), done: false } }),
    ]);
    expect(big.body.results[0]).toMatchObject({ status: 'rejected', code: 'record_too_large' });
    const small = await push(server, 'writer', [
      op({ seq: 2, id: 'grow', data: { title: 'a', done: false } }),
    ]);
    expect(small.body.results[0]?.status).toBe('applied');
    const grow = await push(server, 'writer', [
      op({
        seq: 3,
        id: 'grow',
        serverId: 'grow',
        type: 'update',
        baseVersion: 1,
        patch: { title: text(200 * KB) },
      }),
    ]);
    expect(grow.body.results[0]).toMatchObject({ status: 'rejected', code: 'record_too_large' });
    expect(await store.read((reader) => reader.getRecord('todos', 'big'))).toBeUndefined();
    expect((await store.read((reader) => reader.getRecord('todos', 'grow')))?.data).toEqual({
      title: 'a',
      done: false,
    });
  });
});

describe('a client whose transport limits answers', () => {
  it('gets every record that fits and a RECORD_TOO_LARGE event for the one that does not', async () => {
    const server = createSyncServer({ collections, store: memoryServerStore(), authorize });
    const inner = directTransport({
      fetch: (request) => {
        const headers = new Headers(request.headers);
        headers.set('x-user', 'alice');
        return server.fetch(new Request(request, { headers }));
      },
    });
    const transport: Transport = {
      maxResponseBytes: 64 * KB,
      send: (...args) => inner.send(...args),
    };
    const writer = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: inner,
      triggers: [],
    });
    const reader = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport,
      triggers: [],
    });
    const big = await writer.collection(todos.name).insert({ title: text(200 * KB), done: false });
    for (let i = 0; i < 5; i++)
      await writer.collection(todos.name).insert({ title: `small ${i}`, done: false });
    await writer.sync();
    const events: RecordSkippedEvent[] = [];
    reader.on('recordSkipped', (event) => events.push(event));
    await reader.sync();
    expect((await reader.collection(todos.name).find()).map((r) => r.title).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `small ${i}`),
    );
    expect(events).toEqual([
      expect.objectContaining({ collection: 'todos', id: big.id, version: 1 }),
    ]);
    expect(events[0]!.error.code).toBe('RECORD_TOO_LARGE');
    // The next sync moves on: nothing is stuck.
    await reader.sync();
    expect(events).toHaveLength(1);
    await Promise.all([writer.close(), reader.close()]);
  });
});
