import type {
  CollectionDefinition,
  StorageAdapter,
  StorageTransaction,
  SyncClient,
  Transport,
} from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter, type MemoryStore } from 'tidesync/adapters/memory';
import type { SyncServer } from 'tidesync/server';

/** The error a {@link crashingAdapter} throws at its crash point. */
export class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`simulated crash at ${where}`);
    this.name = 'SimulatedCrash';
  }
}

/** One storage call as a {@link crashingAdapter} sees it. */
export interface StorageCall {
  /** 1-based index over every transaction method call since the adapter was created. */
  readonly index: number;
  readonly method: keyof StorageTransaction;
  readonly args: readonly unknown[];
}

/**
 * An injected crash, not a process kill (see kill-points.test.ts for those).
 * Wraps a storage adapter so that the first call for which `crashWhen` returns true throws
 * {@link SimulatedCrash} inside the open transaction (so that transaction rolls back), and every
 * later call fails too: the "process" is dead. Reopen the same underlying store to restart.
 * With `armed: false`, nothing crashes and calls are not counted until `arm()`.
 */
export function crashingAdapter(
  inner: StorageAdapter,
  crashWhen: (call: StorageCall) => boolean,
  options: { armed?: boolean } = {},
): StorageAdapter & { readonly calls: number; readonly crashed: boolean; arm(): void } {
  let calls = 0;
  let crashed = false;
  let armed = options.armed ?? true;
  const dead = () => {
    if (crashed) throw new SimulatedCrash('a call after the crash');
  };
  return {
    kind: inner.kind,
    get calls() {
      return calls;
    },
    get crashed() {
      return crashed;
    },
    arm() {
      armed = true;
      calls = 0;
    },
    open: async () => {
      dead();
      await inner.open();
    },
    close: () => inner.close(),
    transaction: async (mode, fn) => {
      dead();
      return inner.transaction(mode, (tx) => {
        const wrapped = new Proxy(tx, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver) as unknown;
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              dead();
              calls += 1;
              const method = property as keyof StorageTransaction;
              if (armed && crashWhen({ index: calls, method, args })) {
                crashed = true;
                throw new SimulatedCrash(`call ${calls} (${String(method)})`);
              }
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        });
        return fn(wrapped);
      });
    },
  };
}

/**
 * An in-process transport to `server` (e.g. `makeServer` from test/client/sync-helpers.ts) that
 * signs every request as `user()` (read per request).
 */
export function userTransport(server: SyncServer, user: () => string): Transport {
  return directTransport({
    fetch: (request) => {
      request.headers.set('x-user', user());
      return server.fetch(request);
    },
  });
}

/** A client on `storage` (or a fresh adapter over `store`) with no triggers. */
export function clientOn(
  collections: readonly CollectionDefinition[],
  storage: StorageAdapter,
  transport: Transport,
  extra: { pullPageSize?: number; batchSize?: number; now?: () => number } = {},
): Promise<SyncClient> {
  return createSyncClient({ collections, storage, transport, triggers: [], ...extra });
}

/** Reads one metadata value straight from a memory store (the client's own view of it). */
export async function readMeta(store: MemoryStore, key: string): Promise<unknown> {
  const adapter = memoryAdapter({ store });
  return adapter.transaction('readonly', (tx) => tx.getMeta(key));
}

/** Every live record of `collection` as the server holds it for `user`, read by a fresh client. */
export async function serverView(
  collections: readonly CollectionDefinition[],
  server: SyncServer,
  user: string,
  collection: string,
): Promise<Record<string, unknown>[]> {
  const observer = await clientOn(
    collections,
    memoryAdapter(),
    userTransport(server, () => user),
  );
  await observer.sync();
  const rows = await observer.collection(collection).find();
  await observer.close();
  return rows.map(({ id: _id, updatedAt: _u, ...rest }) => rest);
}

/** Closes a client whose storage may have crashed, ignoring the crash. */
export async function closeQuietly(client: SyncClient): Promise<void> {
  await client.close().catch(() => undefined);
}

/**
 * Checks that run inside code the library calls (a transport, a hook): there a failed `expect`
 * rejects the sync, which the retry loop takes for a network failure and retries. `run` keeps
 * the first failure (and still throws it where it happened); `rethrow` raises it in the test
 * body, so an assertion fails the test wherever it ran.
 */
export function hookChecks(): {
  run<T>(check: () => Promise<T>): Promise<T>;
  rethrow(): void;
} {
  const failures: unknown[] = [];
  return {
    async run(check) {
      try {
        return await check();
      } catch (error) {
        failures.push(error);
        throw error;
      }
    },
    rethrow() {
      if (failures.length > 0) throw failures[0];
    },
  };
}
