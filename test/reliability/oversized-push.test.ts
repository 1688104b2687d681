// S24, client side: when the server refuses a push body as too large (413), the client splits
// the batch and dead-letters only an op that is too big alone; the ops around it apply in order.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';
import { serverView, userTransport } from './fault-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ n: z.number(), body: z.string() }),
});
const collections = [notes];

describe('S24: a push body over the server limit', () => {
  it('splits the batch, applies every op that fits, and dead-letters only the one too big alone', async () => {
    const server = createSyncServer({
      collections,
      store: memoryServerStore(),
      authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'alice' }),
      maxBodyBytes: 64 * 1024,
    });
    const client = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: userTransport(server, () => 'alice'),
      triggers: [],
      batchSize: 50,
    });
    const handle = client.collection('notes');
    for (let n = 0; n < 30; n += 1) {
      // 30 ops of ~3 KB: together over the limit, each alone well under it.
      await handle.insert({ n, body: String(n).padEnd(3000, '.') });
      if (n === 15) await handle.insert({ n: 999, body: 'x'.repeat(100 * 1024) });
    }
    await client.sync();

    const dead = await client.deadLetters();
    expect(dead.map((o) => [o.data?.['n'], o.error?.code])).toEqual([[999, 'payload_too_large']]);
    expect(await client.pendingOps()).toEqual([]);
    const onServer = await serverView(collections, server, 'alice', 'notes');
    expect(onServer.map((r) => r['n']).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 30 }, (_, n) => n),
    );
    // The refused record stays on the device, flagged by its dead letter, not silently dropped.
    expect(await handle.find({ where: { n: 999 } })).toHaveLength(1);
    await client.close();
  });
});
