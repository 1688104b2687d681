import type { RequestKind, Timers, Transport, TransportSendOptions } from '../core/index.js';
import { NetworkError, TidesyncError, describeValue } from '../core/index.js';
import { seededRandom, type SeededRandom } from './random.js';

/** Faults a {@link SimulatedNetwork} injects; every rate is a probability per request, 0 to 1. */
export interface NetworkFaults {
  /** The request is lost before it reaches the server (`NETWORK_UNAVAILABLE`). @default 0 */
  readonly dropRequestRate?: number;
  /**
   * The server applies the request but the response is lost on the way back: the client sees
   * `NETWORK_UNAVAILABLE` although the server did the work (RELIABILITY.md S6). @default 0
   */
  readonly dropResponseRate?: number;
  /** The request is delivered twice, both copies at once; the client sees one answer (S7). @default 0 */
  readonly duplicateRate?: number;
  /** The server answers 503 without doing anything (`SERVER_ERROR`). @default 0 */
  readonly serverErrorRate?: number;
  /** The server answers 429 with `Retry-After` of {@link retryAfterMs}. @default 0 */
  readonly rateLimitRate?: number;
  /** `retryAfterMs` carried by simulated 429s. @default 1000 */
  readonly retryAfterMs?: number;
  /**
   * Delay per request leg as `[min, max]` ms (or one number), waited on the injected `timers`,
   * so a fake clock drives it. @default 0 (no delay, no timer)
   */
  readonly latencyMs?: number | readonly [number, number];
}

/** Options of {@link simulatedNetwork}. */
export interface SimulatedNetworkOptions extends NetworkFaults {
  /** Seed of the random source behind every fault decision; the same seed replays a run. @default random */
  readonly seed?: number;
  /** Whether the link starts online. @default true */
  readonly online?: boolean;
  /** Timers that latency waits on; pass a fake clock. Required when `latencyMs` is set. */
  readonly timers?: Timers;
}

/** Counts of what a {@link SimulatedNetwork} did, for assertions and reports. */
export interface NetworkStats {
  /** Requests the client made. */
  sent: number;
  /** Copies that reached the server (duplicates count twice). */
  delivered: number;
  droppedRequests: number;
  droppedResponses: number;
  duplicated: number;
  serverErrors: number;
  rateLimited: number;
  /** Requests refused because the link was offline. */
  offline: number;
}

/**
 * A transport wrapped in a simulated, seeded, faulty link. It is itself a {@link Transport}:
 * give it to `createSyncClient({ transport })`.
 */
export interface SimulatedNetwork extends Transport {
  /** The seed in use; print it with a failure and pass it back as `seed` to replay. */
  readonly seed: number;
  /** Whether requests currently go through. */
  readonly isOnline: boolean;
  /** What happened so far. */
  readonly stats: Readonly<NetworkStats>;
  /** Cuts the link: every request fails with `NETWORK_UNAVAILABLE` until {@link online}. */
  offline(): void;
  /** Restores the link. */
  online(): void;
  /** Replaces the fault settings (unset fields become 0 / no latency). */
  setFaults(faults: NetworkFaults): void;
  /** Removes every fault and goes online: a perfect link, for the final "heal and settle". */
  heal(): void;
}

interface ResolvedFaults {
  dropRequestRate: number;
  dropResponseRate: number;
  duplicateRate: number;
  serverErrorRate: number;
  rateLimitRate: number;
  retryAfterMs: number;
  latency: readonly [number, number];
}

function rate(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be a number from 0 to 1, got ${describeValue(value)}.`,
    );
  }
  return value;
}

function resolveFaults(faults: NetworkFaults, timers: Timers | undefined): ResolvedFaults {
  const latency = faults.latencyMs ?? 0;
  const range: readonly [number, number] =
    typeof latency === 'number' ? [latency, latency] : latency;
  if (!Array.isArray(range) || !(range[0] >= 0) || !(range[1] >= range[0])) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`latencyMs\` to be a number >= 0 or a [min, max] range, got ${describeValue(latency)}.`,
    );
  }
  if (range[1] > 0 && !timers) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Expected `timers` with `latencyMs`: pass a fake clock (`createFakeClock()`) so latency costs no real time.',
    );
  }
  return {
    dropRequestRate: rate('dropRequestRate', faults.dropRequestRate),
    dropResponseRate: rate('dropResponseRate', faults.dropResponseRate),
    duplicateRate: rate('duplicateRate', faults.duplicateRate),
    serverErrorRate: rate('serverErrorRate', faults.serverErrorRate),
    rateLimitRate: rate('rateLimitRate', faults.rateLimitRate),
    retryAfterMs: faults.retryAfterMs ?? 1000,
    latency: range,
  };
}

const unreachable = (why: string): NetworkError =>
  new NetworkError('NETWORK_UNAVAILABLE', `Simulated network: ${why}. The outbox is kept.`, {
    retryable: true,
  });

/**
 * Wraps `transport` in a simulated link with an offline switch, latency, drops (before and
 * after the server), duplicate delivery and server errors, all decided by a seeded random
 * source so a failing run replays from its seed. Faults surface exactly as a real transport
 * reports them (`NetworkError` with `NETWORK_UNAVAILABLE` or `SERVER_ERROR`).
 *
 * @example
 * const net = simulatedNetwork(directTransport(server), { seed: 42, dropResponseRate: 0.2 });
 * const client = await createSyncClient({ collections, storage: memoryAdapter(), transport: net });
 * net.offline(); // ... write ...
 * net.online(); await client.sync();
 * @throws TidesyncError `INVALID_OPTION` for a rate outside 0..1, a bad latency, or latency without `timers`.
 */
export function simulatedNetwork(
  transport: Transport,
  options: SimulatedNetworkOptions = {},
): SimulatedNetwork {
  if (!transport || typeof transport.send !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`transport\` to be a Transport such as \`directTransport(server)\`, got ${describeValue(transport)}.`,
    );
  }
  const random: SeededRandom = seededRandom(options.seed);
  const timers = options.timers;
  let faults = resolveFaults(options, timers);
  let isOnline = options.online ?? true;
  const stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    droppedRequests: 0,
    droppedResponses: 0,
    duplicated: 0,
    serverErrors: 0,
    rateLimited: 0,
    offline: 0,
  };

  const delay = async (): Promise<void> => {
    const [min, max] = faults.latency;
    if (max <= 0 || !timers) return;
    const ms = min + random.next() * (max - min);
    await new Promise<void>((resolve) => timers.setTimeout(resolve, ms));
  };

  const deliver = async (
    kind: RequestKind,
    body: unknown,
    sendOptions: TransportSendOptions | undefined,
  ): Promise<unknown> => {
    stats.delivered += 1;
    return transport.send(kind, body, sendOptions);
  };

  return {
    seed: random.seed,
    get isOnline() {
      return isOnline;
    },
    stats,
    offline() {
      isOnline = false;
    },
    online() {
      isOnline = true;
    },
    setFaults(next) {
      faults = resolveFaults(next, timers);
    },
    heal() {
      faults = resolveFaults({}, timers);
      isOnline = true;
    },
    async send(kind, body, sendOptions) {
      stats.sent += 1;
      // Every decision is drawn up front, in a fixed order, so a seed replays the same faults
      // whatever the server answers.
      const dropRequest = random.chance(faults.dropRequestRate);
      const serverError = random.chance(faults.serverErrorRate);
      const rateLimited = random.chance(faults.rateLimitRate);
      const duplicate = random.chance(faults.duplicateRate);
      const dropResponse = random.chance(faults.dropResponseRate);
      await delay();
      if (!isOnline) {
        stats.offline += 1;
        throw unreachable('the link is offline');
      }
      if (dropRequest) {
        stats.droppedRequests += 1;
        throw unreachable('the request was lost before it reached the server');
      }
      if (serverError) {
        stats.serverErrors += 1;
        throw new NetworkError('SERVER_ERROR', 'Simulated network: the server answered 503.', {
          retryable: true,
          status: 503,
        });
      }
      if (rateLimited) {
        stats.rateLimited += 1;
        throw new NetworkError(
          'SERVER_ERROR',
          `Simulated network: the server answered 429 (Retry-After ${faults.retryAfterMs} ms).`,
          { retryable: true, status: 429, retryAfterMs: faults.retryAfterMs },
        );
      }
      let answer: Promise<unknown>;
      if (duplicate) {
        stats.duplicated += 1;
        const [first, second] = [
          deliver(kind, body, sendOptions),
          deliver(kind, body, sendOptions),
        ];
        // The client sees one answer; the other copy's outcome (often a replay or a refusal)
        // is discarded, as a real duplicate's would be.
        second.catch(() => undefined);
        answer = first.then(
          async (value) => {
            await second.catch(() => undefined);
            return value;
          },
          async (error: unknown) => {
            await second.catch(() => undefined);
            throw error;
          },
        );
      } else {
        answer = deliver(kind, body, sendOptions);
      }
      const value = await answer;
      await delay();
      if (dropResponse || !isOnline) {
        stats.droppedResponses += 1;
        throw unreachable('the server applied the request but its response was lost');
      }
      return value;
    },
  };
}
