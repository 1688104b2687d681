import { describe, expect, it } from 'vitest';
import type { Transport } from 'tidesync';

type RequestKind = Parameters<Transport['send']>[0];
import { NetworkError } from 'tidesync';
import { createFakeClock, simulatedNetwork } from 'tidesync/testing';

/** A transport that records what reached the "server" and answers with a counter. */
function recorder(): Transport & { received: RequestKind[] } {
  const received: RequestKind[] = [];
  return {
    received,
    send: (kind) => {
      received.push(kind);
      return Promise.resolve({ n: received.length });
    },
  };
}

async function outcomes(seed: number, count: number) {
  const inner = recorder();
  const net = simulatedNetwork(inner, {
    seed,
    dropRequestRate: 0.2,
    dropResponseRate: 0.2,
    duplicateRate: 0.2,
    serverErrorRate: 0.1,
    rateLimitRate: 0.1,
  });
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await net.send('push', {});
      seen.push('ok');
    } catch (error) {
      seen.push(`${(error as NetworkError).code}:${(error as NetworkError).status ?? ''}`);
    }
  }
  return { seen, delivered: inner.received.length, stats: { ...net.stats }, seed: net.seed };
}

describe('simulatedNetwork', () => {
  it('replays the same faults from the same seed, and different ones from another', async () => {
    const a = await outcomes(1234, 200);
    const b = await outcomes(1234, 200);
    const c = await outcomes(4321, 200);
    expect(a.seed).toBe(1234);
    expect(b).toEqual(a);
    expect(c.seen).not.toEqual(a.seen);
    expect(a.stats.droppedRequests).toBeGreaterThan(0);
    expect(a.stats.droppedResponses).toBeGreaterThan(0);
    expect(a.stats.duplicated).toBeGreaterThan(0);
    expect(a.stats.serverErrors).toBeGreaterThan(0);
    expect(a.stats.rateLimited).toBeGreaterThan(0);
    // Lost responses and duplicates still reached the server; lost requests and 5xx did not.
    expect(a.delivered).toBe(a.stats.delivered);
    expect(a.delivered).toBe(
      200 -
        a.stats.droppedRequests -
        a.stats.serverErrors -
        a.stats.rateLimited +
        a.stats.duplicated,
    );
  });

  it('reports a lost response as NETWORK_UNAVAILABLE after the server did the work', async () => {
    const inner = recorder();
    const net = simulatedNetwork(inner, { seed: 1, dropResponseRate: 1 });
    await expect(net.send('push', {})).rejects.toMatchObject({
      code: 'NETWORK_UNAVAILABLE',
      retryable: true,
    });
    expect(inner.received).toEqual(['push']);
  });

  it('delivers a duplicate twice and answers once', async () => {
    const inner = recorder();
    const net = simulatedNetwork(inner, { seed: 1, duplicateRate: 1 });
    expect(await net.send('pull', {})).toEqual({ n: 1 });
    expect(inner.received).toEqual(['pull', 'pull']);
  });

  it('answers 429 with retryAfterMs and 503 as retryable SERVER_ERROR, reaching nothing', async () => {
    const inner = recorder();
    const limited = simulatedNetwork(inner, { rateLimitRate: 1, retryAfterMs: 7000 });
    await expect(limited.send('push', {})).rejects.toMatchObject({
      code: 'SERVER_ERROR',
      status: 429,
      retryAfterMs: 7000,
    });
    const failing = simulatedNetwork(inner, { serverErrorRate: 1 });
    await expect(failing.send('push', {})).rejects.toMatchObject({ status: 503, retryable: true });
    expect(inner.received).toEqual([]);
  });

  it('goes offline and back, and heal() removes every fault', async () => {
    const inner = recorder();
    const net = simulatedNetwork(inner, { dropRequestRate: 1 });
    net.offline();
    expect(net.isOnline).toBe(false);
    await expect(net.send('pull', {})).rejects.toBeInstanceOf(NetworkError);
    net.heal();
    expect(net.isOnline).toBe(true);
    expect(await net.send('pull', {})).toEqual({ n: 1 });
  });

  it('waits its latency on the injected clock, not in real time', async () => {
    const clock = createFakeClock({ start: 0 });
    const inner = recorder();
    const net = simulatedNetwork(inner, { latencyMs: [100, 100], timers: clock });
    let answered = false;
    const pending = net.send('pull', {}).then(() => (answered = true));
    await clock.advance(99);
    expect(inner.received).toEqual([]);
    await clock.advance(1);
    expect(inner.received).toEqual(['pull']);
    expect(answered).toBe(false);
    await clock.advance(100);
    await pending;
    expect(answered).toBe(true);
  });

  it('refuses bad options with INVALID_OPTION', () => {
    const inner = recorder();
    expect(() => simulatedNetwork(inner, { dropRequestRate: 2 })).toThrow(/dropRequestRate/);
    expect(() => simulatedNetwork(inner, { latencyMs: 50 })).toThrow(/timers/);
  });
});
