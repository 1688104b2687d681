import { describe, expect, it } from 'vitest';
import {
  createSyncClient,
  directTransport,
  foregroundTrigger,
  intervalTrigger,
  onlineTrigger,
  writeTrigger,
  type CollectionDefinition,
  type SyncClient,
  type SyncTrigger,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { collections } from './helpers.js';
import { makeServer } from './sync-helpers.js';
import { manualClock } from './fake-timers.js';

type Fetch = (request: Request) => Promise<Response>;

/** Counts push requests and lets a test make the server fail. */
function instrumented(server: { fetch: Fetch }) {
  const state = {
    pushes: 0,
    pulls: 0,
    fail: undefined as undefined | ((req: Request, body: string) => Response | undefined),
  };
  const fetch: Fetch = async (request) => {
    const body = await request.clone().text();
    if (request.url.endsWith('/push')) state.pushes += 1;
    if (request.url.endsWith('/pull')) state.pulls += 1;
    const failure = state.fail?.(request, body);
    if (failure) return failure;
    return server.fetch(request);
  };
  return { state, fetch };
}

async function client(
  fetch: Fetch,
  clock: ReturnType<typeof manualClock>,
  triggers: SyncTrigger[],
  extra: object = {},
  cols: readonly CollectionDefinition[] = collections,
): Promise<SyncClient> {
  return createSyncClient({
    collections: cols,
    storage: memoryAdapter(),
    transport: directTransport({ fetch }),
    now: clock.now,
    timers: clock.timers,
    triggers,
    retry: { random: () => 0.5 },
    ...extra,
  });
}

describe('triggers', () => {
  it('intervalTrigger syncs on every interval and stops on close', async () => {
    const clock = manualClock();
    const net = instrumented(makeServer(collections));
    const c = await client(net.fetch, clock, [intervalTrigger(30_000)]);
    await c.collection('todos').insert({ title: 'a', done: false, projectId: null });
    await clock.advance(29_000);
    expect(net.state.pushes).toBe(0);
    await clock.advance(1_000);
    expect(net.state.pushes).toBe(1);
    expect(c.status.pendingOps).toBe(0);
    await clock.advance(30_000);
    expect(net.state.pulls).toBe(2);
    await c.close();
    await clock.advance(120_000);
    expect(net.state.pulls).toBe(2);
  });

  it('writeTrigger debounces a burst of writes into one push', async () => {
    const clock = manualClock();
    const net = instrumented(makeServer(collections));
    const c = await client(net.fetch, clock, [writeTrigger({ debounceMs: 200 })]);
    for (let i = 0; i < 5; i++)
      await c.collection('todos').insert({ title: `t${i}`, done: false, projectId: null });
    await clock.advance(199);
    expect(net.state.pushes).toBe(0);
    await clock.advance(1);
    expect(net.state.pushes).toBe(1);
    expect(c.status.pendingOps).toBe(0);
    await c.close();
  });

  it('onlineTrigger tracks connectivity and syncs when the network returns', async () => {
    const clock = manualClock();
    const net = instrumented(makeServer(collections));
    let emit: (online: boolean) => void = () => undefined;
    const source = {
      isOnline: () => false,
      subscribe: (fn: (o: boolean) => void) => ((emit = fn), () => undefined),
    };
    const c = await client(net.fetch, clock, [onlineTrigger({ source })]);
    expect(c.status.online).toBe(false);
    await c.collection('todos').insert({ title: 'a', done: false, projectId: null });
    emit(true);
    await clock.flush();
    expect(c.status.online).toBe(true);
    expect(net.state.pushes).toBe(1);
    await c.close();
  });

  it('foregroundTrigger syncs when the app comes to the foreground', async () => {
    const clock = manualClock();
    const net = instrumented(makeServer(collections));
    let emit: (fg: boolean) => void = () => undefined;
    const c = await client(net.fetch, clock, [
      foregroundTrigger({ source: { subscribe: (fn) => ((emit = fn), () => undefined) } }),
    ]);
    emit(false);
    await clock.flush();
    expect(net.state.pulls).toBe(0);
    emit(true);
    await clock.flush();
    expect(net.state.pulls).toBe(1);
    await c.close();
  });

  it('is single-flight: calls during a run schedule at most one more run', async () => {
    const clock = manualClock();
    const server = makeServer(collections);
    let release: () => void = () => undefined;
    let first = true;
    let inFlight = 0;
    let maxInFlight = 0;
    const fetch: Fetch = async (request) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (first && request.url.endsWith('/pull')) {
        first = false;
        await new Promise<void>((r) => (release = r));
      }
      const res = await server.fetch(request);
      inFlight -= 1;
      return res;
    };
    const c = await client(fetch, clock, []);
    let runs = 0;
    c.on('syncStart', () => void (runs += 1));
    const a = c.sync();
    await clock.flush();
    const b = c.sync();
    const d = c.sync();
    expect(b).toBe(d);
    release();
    await Promise.all([a, b, d]);
    expect(runs).toBe(2);
    expect(maxInFlight).toBe(1);
    await c.close();
  });
});

describe('backoff and retries', () => {
  it('retries a failed sync on the backoff schedule without a new write, honouring Retry-After', async () => {
    const clock = manualClock();
    const net = instrumented(makeServer(collections));
    let failures = 3;
    net.state.fail = () => {
      if (failures <= 0) return undefined;
      failures -= 1;
      return failures === 0
        ? new Response('busy', { status: 429, headers: { 'retry-after': '7' } })
        : new Response('down', { status: 503 });
    };
    const c = await client(net.fetch, clock, [writeTrigger({ debounceMs: 0 })], {
      retry: { random: () => 0.5, baseDelayMs: 1000, maxDelayMs: 60_000 },
    });
    await c.collection('todos').insert({ title: 'a', done: false, projectId: null });
    await clock.advance(0);
    expect(net.state.pushes).toBe(1);
    expect(clock.pending()).toEqual([500]); // 0.5 * 1000
    await clock.advance(500);
    expect(net.state.pushes).toBe(2);
    expect(clock.pending()).toEqual([1000]); // 0.5 * 2000
    await clock.advance(1000);
    expect(net.state.pushes).toBe(3);
    expect(clock.pending()).toEqual([7000]); // Retry-After 7 s beats 0.5 * 4000
    await clock.advance(7000);
    expect(net.state.pushes).toBe(4);
    expect(c.status.pendingOps).toBe(0);
    expect(clock.pending()).toEqual([]);
    await c.close();
  });

  it('keeps the outbox when the server cannot be reached and drains it later', async () => {
    const clock = manualClock();
    const server = makeServer(collections);
    let down = true;
    const fetch: Fetch = async (request) => {
      if (down) throw new TypeError('fetch failed');
      return server.fetch(request);
    };
    const c = await client(fetch, clock, [intervalTrigger(60_000)]);
    await c.collection('todos').insert({ title: 'a', done: false, projectId: null });
    await expect(c.sync()).rejects.toMatchObject({ code: 'NETWORK_UNAVAILABLE' });
    expect(c.status).toMatchObject({ online: false, pendingOps: 1 });
    down = false;
    await clock.advance(1000);
    expect(c.status).toMatchObject({ online: true, pendingOps: 0 });
    await c.close();
  });
});

describe('dead letters', () => {
  const strict = defineCollection({
    name: 'todos',
    schema: z.object({ title: z.string(), done: z.boolean(), projectId: z.string().nullable() }),
  });

  it('moves a poison op that makes the server fail to the dead letters; the 200 others sync; no retry loop', async () => {
    const clock = manualClock();
    const net = instrumented(makeServer([strict]));
    net.state.fail = (_req, body) =>
      body.includes('POISON') ? new Response('boom', { status: 500 }) : undefined;
    const c = await client(
      net.fetch,
      clock,
      [writeTrigger({ debounceMs: 0 })],
      { retry: { random: () => 0.5, maxAttempts: 3 } },
      [strict],
    );
    const letters: string[] = [];
    c.on('deadLetter', (e) => letters.push(e.code));
    await c
      .collection('todos')
      .insertMany(
        Array.from({ length: 100 }, (_, i) => ({ title: `a${i}`, done: false, projectId: null })),
      );
    await c.collection('todos').insert({ title: 'POISON', done: false, projectId: null });
    await c
      .collection('todos')
      .insertMany(
        Array.from({ length: 100 }, (_, i) => ({ title: `b${i}`, done: false, projectId: null })),
      );
    await clock.advance(10 * 60_000);
    expect(letters).toEqual(['SERVER_ERROR']);
    const dead = await c.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      type: 'insert',
      data: { title: 'POISON' },
      error: { code: 'SERVER_ERROR' },
    });
    expect(c.status.pendingOps).toBe(0);
    const pushesAfter = net.state.pushes;
    await clock.advance(10 * 60_000);
    expect(net.state.pushes).toBe(pushesAfter);
    const b = await client(net.fetch, manualClock(), []);
    await b.sync();
    expect(await b.collection('todos').find()).toHaveLength(200);
    await c.close();
    await b.close();
  });

  it('dead-letters an op the server rejects as invalid and keeps the queue going', async () => {
    const clock = manualClock();
    const serverSide = defineCollection({
      name: 'todos',
      schema: z.object({
        title: z.string().max(5),
        done: z.boolean(),
        projectId: z.string().nullable(),
      }),
    });
    const net = instrumented(makeServer([serverSide]));
    const c = await client(net.fetch, clock, [], {}, [strict]);
    await c.collection('todos').insert({ title: 'ok', done: false, projectId: null });
    await c.collection('todos').insert({ title: 'far too long', done: false, projectId: null });
    await c.collection('todos').insert({ title: 'ok2', done: false, projectId: null });
    const result = await c.sync();
    expect(result).toMatchObject({ pushed: 2, rejected: 1, remaining: 0 });
    const [dead] = await c.deadLetters();
    expect(dead).toMatchObject({ state: 'dead', error: { code: 'validation_failed' } });
    await c.close();
  });
});

describe('status and progress', () => {
  it('emits progress during a long push and pull, and status when pending/syncing/online change', async () => {
    const server = makeServer(collections);
    const a = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: directTransport(server),
      batchSize: 10,
    });
    const statuses: { syncing: boolean; pendingOps: number }[] = [];
    a.on('status', (s) => statuses.push({ syncing: s.syncing, pendingOps: s.pendingOps }));
    const pushes: [number, number][] = [];
    a.on('progress', (e) => e.phase === 'push' && pushes.push([e.done, e.total]));
    await a
      .collection('todos')
      .insertMany(
        Array.from({ length: 35 }, (_, i) => ({ title: `t${i}`, done: false, projectId: null })),
      );
    await a.sync();
    expect(pushes).toEqual([
      [10, 35],
      [20, 35],
      [30, 35],
      [35, 35],
    ]);
    expect(statuses[0]).toEqual({ syncing: false, pendingOps: 35 });
    expect(statuses).toContainEqual({ syncing: true, pendingOps: 35 });
    expect(statuses.at(-1)).toEqual({ syncing: false, pendingOps: 0 });
    const b = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: directTransport(server),
      pullPageSize: 10,
    });
    const pulls: number[] = [];
    b.on('progress', (e) => e.phase === 'pull' && pulls.push(e.done));
    await b.sync();
    expect(pulls).toEqual([10, 20, 30, 35]);
    expect(b.status.lastSyncedAt).not.toBeNull();
    await a.close();
    await b.close();
  });
});

describe('dead letter retry and discard', () => {
  const strict = defineCollection({
    name: 'todos',
    schema: z.object({ title: z.string(), done: z.boolean(), projectId: z.string().nullable() }),
  });
  const serverSide = defineCollection({
    name: 'todos',
    schema: z.object({
      title: z.string().max(5),
      done: z.boolean(),
      projectId: z.string().nullable(),
    }),
  });

  it('discarding a rejected update returns the record to the server version', async () => {
    const net = instrumented(makeServer([serverSide]));
    const c = await client(net.fetch, manualClock(), [], {}, [strict]);
    const t = await c.collection('todos').insert({ title: 'ok', done: false, projectId: null });
    await c.sync();
    await c.collection('todos').update(t.id, { title: 'far too long', done: true });
    expect(await c.sync()).toMatchObject({ rejected: 1 });
    const [dead] = await c.deadLetters();
    await c.discardDeadLetter(dead!.opId);
    expect(await c.deadLetters()).toHaveLength(0);
    expect(await c.collection('todos').get(t.id)).toMatchObject({
      title: 'ok',
      done: false,
      syncStatus: 'synced',
    });
    await expect(c.discardDeadLetter(dead!.opId)).rejects.toMatchObject({
      code: 'RECORD_NOT_FOUND',
    });
    await c.close();
  });

  it('retrying a dead letter sends it again under a new op id once the server accepts it', async () => {
    const net = instrumented(makeServer([strict]));
    let broken = true;
    net.state.fail = () => (broken ? new Response('boom', { status: 500 }) : undefined);
    const clock = manualClock();
    const c = await client(net.fetch, clock, [], { retry: { random: () => 0.5, maxAttempts: 2 } }, [
      strict,
    ]);
    await c.collection('todos').insert({ title: 'a', done: false, projectId: null });
    await expect(c.sync()).rejects.toMatchObject({ code: 'SERVER_ERROR' });
    await c.sync().catch(() => undefined);
    const [dead] = await c.deadLetters();
    expect(dead).toMatchObject({ error: { code: 'SERVER_ERROR' } });
    broken = false;
    await c.retryDeadLetter(dead!.opId);
    const [queued] = await c.pendingOps();
    expect(queued!.opId).not.toBe(dead!.opId);
    expect(await c.sync()).toMatchObject({ pushed: 1, remaining: 0 });
    await c.close();
  });
});

describe('runOnce and priorities', () => {
  it('runOnce pushes whole batches until the deadline and reports what is left', async () => {
    const clock = manualClock();
    const server = makeServer(collections);
    const fetch: Fetch = async (request) => {
      if (request.url.endsWith('/push')) await clock.advance(400); // each push takes 400 ms
      return server.fetch(request);
    };
    const c = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: directTransport({ fetch }),
      now: clock.now,
      timers: clock.timers,
      batchSize: 10,
    });
    await c
      .collection('todos')
      .insertMany(
        Array.from({ length: 100 }, (_, i) => ({ title: `t${i}`, done: false, projectId: null })),
      );
    const result = await c.runOnce({ deadlineMs: 1_000 });
    expect(result.pushed % 10).toBe(0);
    expect(result.pushed).toBeGreaterThan(0);
    expect(result.pushed).toBeLessThan(100);
    expect(result.remaining).toBe(100 - result.pushed);
    expect((await c.pendingOps()).every((op) => op.state === 'queued')).toBe(true);
    await c.close();
  });

  it('pushes collections with higher priority first, keeping per-record order', async () => {
    const low = defineCollection({
      name: 'logs',
      schema: z.object({ line: z.string() }),
      priority: 0,
    });
    const high = defineCollection({
      name: 'orders',
      schema: z.object({ total: z.number() }),
      priority: 10,
    });
    const server = makeServer([low, high]);
    const order: string[] = [];
    const fetch: Fetch = async (request) => {
      if (request.url.endsWith('/push')) {
        const body = (await request.clone().json()) as {
          ops: { collection: string; type: string }[];
        };
        order.push(...body.ops.map((o) => `${o.collection}:${o.type}`));
      }
      return server.fetch(request);
    };
    const c = await createSyncClient({
      collections: [low, high],
      storage: memoryAdapter(),
      transport: directTransport({ fetch }),
      coalesce: false,
      batchSize: 2,
    });
    const l = await c.collection('logs').insert({ line: 'a' });
    await c.collection('logs').update(l.id, { line: 'b' });
    const o = await c.collection('orders').insert({ total: 1 });
    await c.collection('orders').update(o.id, { total: 2 });
    await c.sync();
    expect(order).toEqual(['orders:insert', 'logs:insert', 'orders:update', 'logs:update']);
    await c.close();
  });
});
