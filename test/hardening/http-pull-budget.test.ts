import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, httpTransport } from 'tidesync';
import type { RecordSkippedEvent, SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';

// Issue 15, item 2, end to end: httpTransport tells the pull its `maxResponseBytes`, so a
// record larger than the client accepts comes as a RECORD_TOO_LARGE outcome and every other
// record still arrives, instead of the whole answer failing with RESPONSE_TOO_LARGE.
const KB = 1024;
const notes = defineCollection({ name: 'notes', schema: z.object({ body: z.string() }) });

describe('httpTransport and byte-bounded pulls', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });

  async function startServer(): Promise<string> {
    const server = createSyncServer({
      collections: [notes],
      store: memoryServerStore(),
      authorize: () => ({ userId: 'u1' }),
    });
    const httpServer = http.createServer(server.nodeHandler);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          httpServer.closeAllConnections();
          httpServer.close(() => resolve());
        }),
    });
    return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/sync`;
  }

  async function client(url: string, maxResponseBytes?: number): Promise<SyncClient> {
    const c = await createSyncClient({
      collections: [notes],
      storage: memoryAdapter(),
      transport: httpTransport({ url, ...(maxResponseBytes ? { maxResponseBytes } : {}) }),
      triggers: [],
    });
    open.push(c);
    return c;
  }

  it('exposes its answer limit to the client', () => {
    expect(
      httpTransport({ url: 'http://127.0.0.1:9/sync', maxResponseBytes: 64 * KB }),
    ).toMatchObject({ maxResponseBytes: 64 * KB });
  });

  it('a record over the client limit is skipped with RECORD_TOO_LARGE; the rest arrives', async () => {
    const url = await startServer();
    const writer = await client(url);
    await writer.collection(notes).insert({ body: 'small one' });
    await writer.collection(notes).insert({ body: 'x'.repeat(200 * KB) });
    await writer.collection(notes).insert({ body: 'small two' });
    await writer.sync();

    const reader = await client(url, 64 * KB);
    const skipped: RecordSkippedEvent[] = [];
    reader.on('recordSkipped', (event) => skipped.push(event));
    await reader.sync();
    const bodies = (await reader.collection(notes).find()).map((r) => r.body).sort();
    expect(bodies).toEqual(['small one', 'small two']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.error.code).toBe('RECORD_TOO_LARGE');
    expect(skipped[0]!.bytes).toBeGreaterThan(200 * KB);
  });
});
