import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerStore, SyncServer } from 'tidesync/server';
import { makeServer, op, push, storeKinds } from './server-helpers.js';

const KB = 1024;

/** A pull page's answer as the server sends it, and its size in bytes on the wire. */
async function pullPage(server: SyncServer, cursor: string | null, maxBytes?: number) {
  const response = await server.fetch(
    new Request('http://sync.test/sync/pull', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      body: JSON.stringify({
        protocol: 1,
        clientId: 'reader',
        cursor,
        limit: 1000,
        ...(maxBytes === undefined ? {} : { maxBytes }),
      }),
    }),
  );
  expect(response.status).toBe(200);
  const text = await response.text();
  const body = JSON.parse(text) as {
    changes: { id: string; schemaVersion?: number }[];
    cursor: string;
    hasMore: boolean;
  };
  return { body, bytes: new TextEncoder().encode(text).byteLength };
}

// Issue 15, item 2: a page is sized before the answer tags each change with its schemaVersion
// (and the changes go out comma-separated): with many small records per page those bytes must
// be counted too, or the answer grows past the limit.
describe.each(storeKinds())(
  'a page of many small records stays within its bytes: $name',
  (kind) => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let server: SyncServer;

    beforeEach(async () => {
      ({ store, cleanup } = await kind.create());
      server = makeServer(store, { maxPullPageBytes: 32 * KB, maxPullLimit: 1000 });
      for (let batch = 0; batch < 3; batch++) {
        const ops = Array.from({ length: 200 }, (_, i) => {
          const n = batch * 200 + i;
          return op({
            seq: n + 1,
            id: `r${String(n).padStart(4, '0')}`,
            data: { title: 't', done: false },
          });
        });
        const answer = await push(server, 'writer', ops);
        if (!answer.body.results.every((r) => r.status === 'applied')) throw new Error('push');
      }
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    for (const maxBytes of [undefined, 20 * KB]) {
      it(`no answer is larger than ${maxBytes === undefined ? 'the server’s limit' : 'the client’s maxBytes'}`, async () => {
        const limit = maxBytes ?? 32 * KB;
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThan(100);
          const { body, bytes } = await pullPage(server, cursor, maxBytes);
          expect(body.changes.length).toBeGreaterThan(1);
          expect(body.changes.every((c) => c.schemaVersion === 1)).toBe(true);
          expect(bytes).toBeLessThanOrEqual(limit);
          seen.push(...body.changes.map((c) => c.id));
          cursor = body.cursor;
          if (!body.hasMore) break;
        }
        expect(seen).toEqual(
          Array.from({ length: 600 }, (_, n) => `r${String(n).padStart(4, '0')}`),
        );
      });
    }
  },
);
