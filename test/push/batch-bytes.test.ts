// Push batches sized by ops and by bytes (issue 17): `batchSize` ops at most, `batchBytes` of
// op JSON at most (an op larger than that goes alone), and `runOnce` deadlines estimated from
// the time per op, so the last, smaller batch still starts when it fits.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { manualClock } from '../client/fake-timers.js';
import { leanServer, serverRecords } from './lean-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ n: z.number(), body: z.string() }),
});

/** A client of `server` that records the size and op count of every push body it sends. */
async function measuredClient(
  server: { fetch(request: Request): Promise<Response> },
  sent: { ops: number; bytes: number }[],
  options: { batchBytes?: number; batchSize?: number } = {},
) {
  return createSyncClient({
    collections: [notes],
    storage: memoryAdapter(),
    transport: directTransport({
      fetch: async (request) => {
        if (request.url.endsWith('/push')) {
          const text = await request.clone().text();
          sent.push({
            ops: (JSON.parse(text) as { ops: unknown[] }).ops.length,
            bytes: text.length,
          });
        }
        return server.fetch(request);
      },
    }),
    triggers: [],
    ...options,
  });
}

describe('push batch sizing', () => {
  it('keeps each push body within batchBytes and still pushes everything', async () => {
    const server = leanServer([notes]);
    const sent: { ops: number; bytes: number }[] = [];
    const client = await measuredClient(server, sent, { batchBytes: 20_000 });
    for (let n = 0; n < 40; n += 1) {
      await client.collection('notes').insert({ n, body: String(n).padEnd(4000, '.') });
    }
    const result = await client.sync();

    expect(result.pushed).toBe(40);
    expect(sent.length).toBeGreaterThan(1);
    for (const request of sent) expect(request.bytes).toBeLessThanOrEqual(20_000);
    // Not one op per request either: the bound packs as many as fit.
    expect(Math.max(...sent.map((r) => r.ops))).toBeGreaterThan(1);
    expect(await serverRecords(server, 'notes')).toHaveLength(40);
    await client.close();
  });

  it('sends an op larger than batchBytes alone', async () => {
    const server = leanServer([notes]);
    const sent: { ops: number; bytes: number }[] = [];
    const client = await measuredClient(server, sent, { batchBytes: 10_000 });
    const handle = client.collection('notes');
    await handle.insert({ n: 0, body: 'small' });
    await handle.insert({ n: 1, body: 'x'.repeat(50_000) });
    await handle.insert({ n: 2, body: 'small' });
    const result = await client.sync();

    expect(result.pushed).toBe(3);
    expect(sent.map((r) => r.ops)).toEqual([1, 1, 1]);
    expect(sent[1]!.bytes).toBeGreaterThan(50_000);
    await client.close();
  });

  it('pushes 1,000 ops to a server with default limits in two requests by default', async () => {
    const server = leanServer([notes]);
    const sent: { ops: number; bytes: number }[] = [];
    const client = await measuredClient(server, sent);
    await client
      .collection('notes')
      .insertMany(Array.from({ length: 1000 }, (_, n) => ({ n, body: `note ${n}` })));
    const result = await client.sync();

    expect(result).toMatchObject({ pushed: 1000, rejected: 0 });
    expect(sent.map((r) => r.ops)).toEqual([500, 500]);
    await client.close();
  });

  it.each([0, -1, 1.5, '1000', Number.NaN])('refuses batchBytes %s', async (batchBytes) => {
    await expect(
      createSyncClient({
        collections: [notes],
        storage: memoryAdapter(),
        batchBytes: batchBytes as number,
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('Expected `batchBytes` to be an integer >= 1'),
    });
  });

  it('runOnce starts the last, smaller batch when the time per op says it fits', async () => {
    const clock = manualClock();
    const server = leanServer([notes]);
    const client = await createSyncClient({
      collections: [notes],
      storage: memoryAdapter(),
      transport: directTransport({
        fetch: async (request) => {
          if (request.url.endsWith('/push')) {
            const body = (await request.clone().json()) as { ops: unknown[] };
            await clock.advance(4 * body.ops.length); // 4 ms per op
          }
          return server.fetch(request);
        },
      }),
      now: clock.now,
      timers: clock.timers,
      triggers: [],
      batchSize: 50,
    });
    await client
      .collection('notes')
      .insertMany(Array.from({ length: 120 }, (_, n) => ({ n, body: '' })));
    // Two batches of 50 take 400 ms; the last 20 ops are expected to take 80 ms more: they fit
    // in 500 ms. A batch of 50 would not have (600 ms), nor would one more after them.
    const result = await client.runOnce({ deadlineMs: 500 });
    expect(result).toMatchObject({ pushed: 120, remaining: 0 });

    await client
      .collection('notes')
      .insertMany(Array.from({ length: 120 }, (_, n) => ({ n: 200 + n, body: '' })));
    const short = await client.runOnce({ deadlineMs: 450 });
    expect(short).toMatchObject({ pushed: 100, remaining: 20 });
    await client.close();
  });
});
