import type { SyncClient, SyncResult } from '../client/index.js';
import { createSyncClient } from '../client/index.js';
import type { CollectionDefinition, StorageAdapter } from '../core/index.js';
import { NetworkError, TidesyncError, describeValue } from '../core/index.js';
import { memoryAdapter } from '../adapters/memory/index.js';
import type { ServerStore, SyncServer, SyncServerOptions } from '../server/index.js';
import { createSyncServer, memoryServerStore } from '../server/index.js';
import { httpTransport } from '../transport/index.js';
import { createFakeClock, flushMicrotasks, type FakeClock } from './fake-clock.js';
import { ConvergenceError, SettleError } from './harness-errors.js';
import { randomSeed, seededRandom } from './random.js';
import {
  clientSnapshot,
  diffSnapshots,
  serverSnapshot,
  snapshotDigest,
} from './replica-snapshot.js';
import {
  simulatedNetwork,
  type NetworkFaults,
  type SimulatedNetwork,
} from './simulated-network.js';

/** One client of a {@link createTestHarness} run. */
export interface HarnessClientOptions {
  /** Its storage. @default memoryAdapter() */
  readonly storage?: StorageAdapter;
  /** The user it signs in as; clients of one user share data. @default 'user-1' */
  readonly user?: string;
  /** Ops per push. @default the client's default (50) */
  readonly batchSize?: number;
  /** This device's wall clock runs this far ahead (negative: behind) of the shared clock. @default 0 */
  readonly clockOffsetMs?: number;
}

/** Server settings of a harness: any `createSyncServer` option but the ones the harness owns. */
export type HarnessServerOptions = Partial<Omit<SyncServerOptions, 'collections' | 'authorize'>>;

/** Options of {@link createTestHarness}. */
export interface TestHarnessOptions {
  /** The collection definitions, shared by the server and every client. */
  readonly collections: readonly CollectionDefinition[];
  /** How many clients (on memory storage), or one entry per client. @default 2 */
  readonly clients?: number | readonly HarnessClientOptions[];
  /** Server options; `store` defaults to `memoryServerStore()`. */
  readonly server?: HarnessServerOptions;
  /** Faults of every client's link, and the seed they derive from. @default a perfect link, random seed */
  readonly network?: NetworkFaults & { readonly seed?: number };
  /** Who mints canonical ids. @default 'client' */
  readonly assignId?: 'client' | 'server';
  /** The clock of the server, every client and every link. @default createFakeClock() */
  readonly clock?: FakeClock;
}

/** Options of {@link TestHarness.settle}. */
export interface SettleOptions {
  /** Rounds (every online client syncs once) before giving up. @default 25 */
  readonly maxRounds?: number;
}

/** A server and N clients in one process, with helpers to break and heal their links. */
export interface TestHarness {
  /** The clients, in creation order. Each is an ordinary `SyncClient`. */
  readonly clients: readonly SyncClient[];
  /** Each client's simulated link (same index as `clients`). */
  readonly networks: readonly SimulatedNetwork[];
  /** The in-process sync server. */
  readonly server: SyncServer;
  /** The clock everyone shares. */
  readonly clock: FakeClock;
  /** Seed every link's random source derives from; print it with a failure to replay. */
  readonly seed: number;
  /** The user client `index` signs in as. */
  user(index: number): string;
  /** Takes client `index` off the network. */
  offline(index: number): void;
  /** Puts client `index` back on the network. */
  online(index: number): void;
  /** Only the listed clients can reach the server; the others are cut off. */
  partition(reachable: readonly number[]): void;
  /** Every link online and fault-free. */
  heal(): void;
  /** Runs `sync()` on client `index`, driving the fake clock while it is in flight. */
  sync(index: number): Promise<SyncResult>;
  /**
   * Syncs every online client, round after round, until a round in which all succeed and
   * nothing is pushed, pulled, conflicted or rejected. Resolves with the rounds it took.
   * @throws SettleError `SYNC_STUCK` after `maxRounds` rounds without quiet.
   */
  settle(options?: SettleOptions): Promise<number>;
  /**
   * Compares every client's visible data with the server's data for that client's user
   * (sync metadata aside); unsynced or conflicted records count as differences. Resolves with
   * the digest of each user's data.
   * @throws ConvergenceError `VALIDATION_FAILED` with a readable diff when a replica differs.
   */
  assertConverged(): Promise<Map<string, string>>;
  /** Closes every client, and the server store when the harness created it. */
  close(): Promise<void>;
}

const USER_HEADER = 'x-tidesync-harness-user';

const macrotask = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });

/**
 * Creates an in-process server (memory store unless given one) and N sync clients, each behind
 * its own seeded {@link SimulatedNetwork}, all on one fake clock. See docs/testing.md.
 *
 * @example
 * const h = await createTestHarness({ collections: [todos], clients: 3 });
 * h.offline(1);
 * await h.clients[1].collection('todos').insert({ title: 'offline', done: false });
 * h.online(1);
 * await h.settle();
 * await h.assertConverged();
 * await h.close();
 * @throws TidesyncError `INVALID_OPTION` for no collections or a bad `clients` value.
 */
export async function createTestHarness(options: TestHarnessOptions): Promise<TestHarness> {
  if (!options || !Array.isArray(options.collections) || options.collections.length === 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Expected `collections` to be a non-empty array of `defineCollection()` results.',
    );
  }
  const specs = clientSpecs(options.clients ?? 2);
  const collections = options.collections;
  const clock = options.clock ?? createFakeClock();
  const { network: faults = {} } = options;
  const seed = faults.seed ?? randomSeed();
  const seeds = seededRandom(seed);
  const ownStore = options.server?.store === undefined;
  const store: ServerStore = options.server?.store ?? memoryServerStore();
  const server = createSyncServer({
    now: clock.now,
    ...options.server,
    ...(options.assignId ? { assignId: options.assignId } : {}),
    collections,
    store,
    authorize: (request) => ({ userId: request.headers.get(USER_HEADER) ?? 'user-1' }),
  });
  const users = specs.map((s) => s.user ?? 'user-1');
  const networks: SimulatedNetwork[] = [];
  const clients: SyncClient[] = [];
  for (const [index, spec] of specs.entries()) {
    const base = httpTransport({
      url: 'http://tidesync.harness/sync',
      headers: { [USER_HEADER]: users[index] ?? 'user-1' },
      fetch: (input, init) => server.fetch(new Request(input as string, init)),
    });
    const network = simulatedNetwork(base, {
      ...faults,
      seed: seeds.int(0, 0xffff_ffff),
      timers: clock,
    });
    networks.push(network);
    clients.push(
      await createSyncClient({
        collections: [...collections],
        storage: spec.storage ?? memoryAdapter(),
        transport: network,
        now: spec.clockOffsetMs ? () => clock.now() + (spec.clockOffsetMs ?? 0) : clock.now,
        timers: clock,
        ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
      }),
    );
  }

  const pump = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    const settled = work.then(
      () => (done = true),
      () => (done = true),
    );
    // Drive latency and backoff timers of the fake clock while the work is in flight; real I/O
    // (a store on disk) gets macrotask turns in between.
    while (!done) {
      await flushMicrotasks();
      if (done) break;
      if (clock.pendingTimers > 0) await clock.next();
      else await macrotask();
    }
    await settled;
    return work;
  };

  const clientAt = (index: number): SyncClient => {
    const client = clients[index];
    if (!client) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected a client index from 0 to ${clients.length - 1}, got ${describeValue(index)}.`,
      );
    }
    return client;
  };
  const networkAt = (index: number): SimulatedNetwork => {
    clientAt(index);
    return networks[index] as SimulatedNetwork;
  };

  return {
    clients,
    networks,
    server,
    clock,
    seed,
    user: (index) => (clientAt(index), users[index] ?? 'user-1'),
    offline: (index) => networkAt(index).offline(),
    online: (index) => networkAt(index).online(),
    partition(reachable) {
      for (const [i, network] of networks.entries()) {
        if (reachable.includes(i)) network.online();
        else network.offline();
      }
    },
    heal() {
      for (const network of networks) network.heal();
    },
    sync: (index) => pump(clientAt(index).sync()),
    async settle(settleOptions = {}) {
      const maxRounds = settleOptions.maxRounds ?? 25;
      let lastErrors = new Map<number, Error>();
      for (let round = 1; round <= maxRounds; round++) {
        let quiet = true;
        lastErrors = new Map();
        for (const [i, client] of clients.entries()) {
          if (!networks[i]?.isOnline) continue;
          try {
            const r = await pump(client.sync());
            if (r.pushed + r.pulled + r.conflicts + r.rejected > 0 || r.remaining > 0)
              quiet = false;
          } catch (error) {
            if (!(error instanceof NetworkError)) throw error;
            lastErrors.set(i, error);
            quiet = false;
          }
        }
        if (quiet) return round;
      }
      const errors = [...lastErrors].map(([i, e]) => `client ${i}: ${e.message}`).join('; ');
      throw new SettleError(
        `The clients did not settle in ${maxRounds} rounds (seed ${seed}). ${errors || 'They kept pushing or pulling changes.'} Call heal() before settle() if faults are still on, or raise maxRounds.`,
        maxRounds,
        lastErrors,
      );
    },
    async assertConverged() {
      const digests = new Map<string, string>();
      const lines: string[] = [];
      for (const user of new Set(users)) {
        const expected = await serverSnapshot(
          server,
          collections,
          { [USER_HEADER]: user },
          `harness-observer-${[...new Set(users)].indexOf(user)}`,
        );
        digests.set(user, snapshotDigest(expected));
        for (const [i, client] of clients.entries()) {
          if (users[i] !== user) continue;
          const { snapshot, issues } = await clientSnapshot(client, collections);
          for (const issue of issues)
            lines.push(`client ${i} ${issue.collection}/${issue.id}: ${issue.problem}`);
          lines.push(...diffSnapshots(`client ${i}`, snapshot, expected));
        }
      }
      if (lines.length > 0) {
        throw new ConvergenceError(
          `Replicas differ from the server (seed ${seed}):\n  ${lines.join('\n  ')}`,
          lines,
        );
      }
      return digests;
    },
    async close() {
      for (const client of clients) await client.close();
      if (ownStore) await store.close();
    },
  };
}

function clientSpecs(value: number | readonly HarnessClientOptions[]): HarnessClientOptions[] {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 1000) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`clients\` to be an integer from 1 to 1000 or an array of client options, got ${describeValue(value)}.`,
      );
    }
    return Array.from({ length: value }, () => ({}));
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`clients\` to be a number or a non-empty array, got ${describeValue(value)}.`,
    );
  }
  return [...value];
}
