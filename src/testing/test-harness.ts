import type { SyncClient } from '../client/index.js';
import { createSyncClient } from '../client/index.js';
import type { StorageAdapter, Transport } from '../core/index.js';
import { NetworkError, TidesyncError, describeValue } from '../core/index.js';
import { createMemoryStore, memoryAdapter } from '../adapters/memory/index.js';
import { httpTransport } from '../transport/index.js';
import { createFakeClock, flushMicrotasks } from './fake-clock.js';
import { assertReplicasConverged } from './harness-convergence.js';
import { SettleError } from './harness-errors.js';
import { randomSeed, seededRandom } from './random.js';
import { harnessServer } from './harness-server.js';
import { seededIds } from './seeded-ids.js';
import { ProcessLife, mortalStorage, mortalTimers, mortalTransport } from './simulated-process.js';
import { simulatedNetwork, type SimulatedNetwork } from './simulated-network.js';
import type {
  HarnessClientOptions,
  TestHarness,
  TestHarnessOptions,
} from './test-harness-types.js';

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
  const ids = seededIds(options.idSeed, clock.now);
  const {
    reopenStore,
    collections: serverCollections = collections,
    ...serverOptions
  } = options.server ?? {};
  if (!Array.isArray(serverCollections) || serverCollections.length === 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Expected `server.collections` to be a non-empty array of `defineCollection()` results, or left out to use `collections`.',
    );
  }
  const server = harnessServer({
    options: {
      ...serverOptions,
      ...(options.assignId ? { assignId: options.assignId } : {}),
    },
    reopenStore,
    collections: serverCollections,
    now: clock.now,
    authorize: (request) => ({ userId: request.headers.get(USER_HEADER) ?? 'user-1' }),
  });
  const users = specs.map((s) => s.user ?? 'user-1');
  const networks: SimulatedNetwork[] = [];
  const clients: SyncClient[] = [];
  // Per client: the running process, its storage as opened, and how to open it again.
  const lives: ProcessLife[] = [];
  const storages: StorageAdapter[] = [];
  // Each device's wall clock offset from the shared clock; `setClockOffset` moves it.
  const offsets = specs.map((spec) => spec.clockOffsetMs ?? 0);
  const openers = specs.map((spec) => {
    if (spec.reopen || spec.storage) return spec.reopen;
    const store = createMemoryStore();
    return () => memoryAdapter({ store });
  });
  // Per client: the collection definitions of its app version (see `restartClient`).
  const appVersions = specs.map((spec) => spec.collections);
  const startClient = (index: number, storage: StorageAdapter): Promise<SyncClient> => {
    const spec = specs[index] ?? {};
    const life = new ProcessLife();
    lives[index] = life;
    storages[index] = storage;
    return createSyncClient({
      collections: [...(appVersions[index] ?? collections)],
      storage: mortalStorage(storage, life),
      transport: mortalTransport(networks[index] as Transport, life),
      now: () => clock.now() + (offsets[index] ?? 0),
      timers: mortalTimers(clock, life),
      ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
    });
  };
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
    const storage = spec.storage ?? (openers[index] as () => StorageAdapter)();
    const client = await startClient(index, storage);
    for (const set of spec.sets ?? []) {
      await client.collection(set.collection).syncSet({ where: set.where });
    }
    clients.push(client);
  }

  const pump = async <T>(work: Promise<T>, client?: number): Promise<T> => {
    let done = false;
    const settled = work.then(
      () => (done = true),
      () => (done = true),
    );
    const life = client === undefined ? undefined : lives[client];
    // Drive latency and backoff timers of the fake clock while the work is in flight; real I/O
    // (a store on disk) gets macrotask turns in between.
    while (!done) {
      await flushMicrotasks();
      if (done) break;
      if (life?.dead) {
        throw new NetworkError(
          'NETWORK_UNAVAILABLE',
          `Client ${client} was restarted while it was syncing; the new client syncs again.`,
          { retryable: true },
        );
      }
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
    get server() {
      return server.current;
    },
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
    sync: (index) => pump(clientAt(index).sync(), index),
    async settle(settleOptions = {}) {
      const maxRounds = settleOptions.maxRounds ?? 25;
      let lastErrors = new Map<number, Error>();
      for (let round = 1; round <= maxRounds; round++) {
        let quiet = true;
        lastErrors = new Map();
        for (const [i, client] of clients.entries()) {
          if (!networks[i]?.isOnline) continue;
          try {
            const r = await pump(client.sync(), i);
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
    assertConverged: () =>
      assertReplicasConverged({
        server: server.current,
        serverCollections: server.collections,
        collections,
        clients,
        users,
        userHeader: USER_HEADER,
        seed,
      }),
    async restartClient(index, restartOptions) {
      clientAt(index);
      if (restartOptions?.collections) appVersions[index] = restartOptions.collections;
      const reopen = openers[index];
      if (!reopen) {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Client ${index} was given \`storage\` without \`reopen\`, so it cannot be restarted. Pass \`reopen: () => StorageAdapter\` that opens the same data again.`,
        );
      }
      lives[index]?.kill();
      // Let the dead client's open transactions reach their next call and roll back, then
      // release its storage as the OS would (nothing more of it commits).
      await flushMicrotasks();
      await storages[index]?.close().catch(() => undefined);
      const client = await startClient(index, reopen());
      clients[index] = client;
      return client;
    },
    restartServer: (restartOptions) => server.restart(restartOptions?.collections),
    setClockOffset(index, offsetMs) {
      clientAt(index);
      if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`offsetMs\` to be a finite number of milliseconds, got ${describeValue(offsetMs)}.`,
        );
      }
      offsets[index] = offsetMs;
    },
    async close() {
      try {
        for (const client of clients) await client.close();
        await server.close();
      } finally {
        ids.restore();
      }
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
