import { afterEach, describe, expect, it } from 'vitest';
import {
  createSyncClient,
  directTransport,
  liveTrigger,
  type SyncClient,
  type TidesyncError,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { memoryServerStore } from 'tidesync/server';
import type { SyncServer } from 'tidesync/server';
import { seededRandom } from '../../src/testing/conformance/storage-fixtures.js';
import { manualClock } from '../client/fake-timers.js';
import type { Tokens } from './live-helpers.js';
import { collections, liveDevice, startServer, titles, until } from './live-helpers.js';
import { createSyncServer } from 'tidesync/server';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('live stream and credentials (S40)', () => {
  it('ends the stream when the token expires, reports UNAUTHORIZED once and does not storm', async () => {
    const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);
    const running = await startServer(memoryServerStore(), tokens, { live: { heartbeatMs: 30 } });
    cleanups.push(() => running.close());
    const clock = manualClock();
    let opens = 0;
    let refreshes = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/live')) opens += 1;
      return fetch(input, init);
    };
    const client = await liveDevice(running.url, {
      token: 't-alice',
      fetch: counting,
      timers: clock.timers,
      onUnauthorized: () => {
        refreshes += 1;
      },
    });
    cleanups.push(() => client.close());
    const errors: TidesyncError[] = [];
    client.on('syncError', (error) => errors.push(error as TidesyncError));
    await until(
      [client],
      () =>
        client.status.live === 'connected' &&
        client.status.lastPulledAt !== null &&
        !client.status.syncing,
    );
    tokens.delete('t-alice');
    // The next heartbeat re-checks the user and ends the stream; the trigger reopens once.
    await until([client], () => opens === 2 || client.status.live !== 'connected');
    await clock.advance(1000);
    await until([client], () => client.status.live === 'off');
    expect((client.status.lastError as TidesyncError | null)?.code).toBe('UNAUTHORIZED');
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
    expect(refreshes).toBe(1);
    const opensAfter401 = opens;
    await clock.advance(10 * 60_000);
    expect(opens).toBe(opensAfter401);
    expect(client.status.live).toBe('off');
    // New credentials and a successful sync: live sync comes back by itself.
    tokens.set('t-alice', { userId: 'alice' });
    await client.sync();
    await until([client], () => client.status.live === 'connected');
  });

  it('spreads 1,000 reconnects after a server restart; every device converges', async () => {
    const devices = 1000;
    const store = memoryServerStore();
    const makeServer = (): SyncServer =>
      createSyncServer({
        collections,
        store,
        authorize: () => ({ userId: 'alice' }),
        onError: () => {},
      });
    let current = makeServer();
    let opensAt: number[] = [];
    const clock = manualClock();
    const handler = {
      fetch: (request: Request) => {
        if (request.url.endsWith('/live')) opensAt.push(clock.now());
        return current.fetch(request);
      },
    };
    const clients: SyncClient[] = [];
    for (let i = 0; i < devices; i++) {
      const client = await createSyncClient({
        collections,
        storage: memoryAdapter(),
        transport: directTransport(handler),
        timers: clock.timers,
        triggers: [liveTrigger({ baseDelayMs: 1000, random: seededRandom(i + 1) })],
      });
      clients.push(client);
    }
    cleanups.push(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });
    await until([], () => clients.every((c) => c.status.live === 'connected'));
    // The restart: every stream ends at once, and a new server process takes over the store.
    opensAt = [];
    const restartAt = clock.now();
    current.closeLive();
    current = makeServer();
    await until([], () => clients.every((c) => c.status.live === 'connecting'));
    const writer = clients[0]!;
    await writer.collection('todos').insert({ title: 'during the restart' });
    for (let step = 0; step < 12; step++) await clock.advance(100);
    await until([], () => clients.every((c) => c.status.live === 'connected'));
    const perStep = new Map<number, number>();
    for (const at of opensAt) {
      const bucket = Math.floor((at - restartAt) / 100);
      perStep.set(bucket, (perStep.get(bucket) ?? 0) + 1);
    }
    expect(opensAt).toHaveLength(devices);
    // Full jitter over the first second: about 100 per 100 ms, never most of them at once.
    expect(perStep.size).toBeGreaterThanOrEqual(9);
    expect(Math.max(...perStep.values())).toBeLessThanOrEqual(devices * 0.2);
    await writer.sync();
    await Promise.all(
      clients.map((client) =>
        until([client], async () => (await titles(client)).includes('during the restart')),
      ),
    );
  }, 120_000);
});
