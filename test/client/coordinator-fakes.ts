/**
 * Test doubles for multi-tab coordination in Node: an in-memory Web Locks lock manager and a
 * sync server wrapped to count pushes, so tests can check that only one tab pushes.
 */
import type { CollectionDefinition } from 'tidesync';
import {
  createSyncServer,
  memoryServerStore,
  type ServerRecord,
  type SyncServer,
} from 'tidesync/server';
import type { LockManagerLike } from '../../src/client/runtime/coordinators/index.js';

interface Waiter {
  readonly callback: (lock: unknown) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

const abortError = (): Error =>
  Object.assign(new Error('The lock request was aborted.'), { name: 'AbortError' });

/**
 * An in-memory `navigator.locks` with exclusive locks only, granted first come, first served,
 * like the browser's. Share one instance between the clients that play the tabs of an origin.
 */
export class FakeLockManager implements LockManagerLike {
  readonly #queues = new Map<string, Waiter[]>();
  readonly #holders = new Map<string, Waiter>();
  readonly #grantListeners = new Set<() => void>();
  /** How many times any lock was granted. */
  grants = 0;

  request(
    name: string,
    options: { readonly mode: 'exclusive'; readonly signal: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal.aborted) {
        reject(abortError());
        return;
      }
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      const waiter: Waiter = {
        callback,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = queue.indexOf(waiter);
          if (index >= 0) {
            queue.splice(index, 1);
            reject(abortError());
          }
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      queue.push(waiter);
      this.#pump(name);
    });
  }

  /** Whether someone holds `name` now. */
  isHeld(name: string): boolean {
    return this.#holders.has(name);
  }

  /** Resolves after the next grant's callback has run. */
  nextGrant(): Promise<void> {
    return new Promise((resolve) => {
      const listener = (): void => {
        this.#grantListeners.delete(listener);
        resolve();
      };
      this.#grantListeners.add(listener);
    });
  }

  /**
   * Takes the lock away from its holder, as `request(name, { steal: true })` of another
   * context does: the holder's request rejects with `AbortError` and the next in line gets it.
   */
  breakLock(name: string): void {
    const holder = this.#holders.get(name);
    if (!holder) return;
    this.#holders.delete(name);
    holder.reject(abortError());
    this.#pump(name);
  }

  #pump(name: string): void {
    if (this.#holders.has(name)) return;
    const waiter = this.#queues.get(name)?.shift();
    if (!waiter) return;
    this.#holders.set(name, waiter);
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.grants += 1;
    // The browser calls the callback in a later task, never synchronously inside request().
    queueMicrotask(() => {
      let held: Promise<unknown>;
      try {
        held = Promise.resolve(waiter.callback({ name, mode: 'exclusive' }));
      } catch (error) {
        held = Promise.reject(error);
      }
      for (const listener of [...this.#grantListeners]) listener();
      void held.then(
        (value) => this.#settle(name, waiter, () => waiter.resolve(value)),
        (error: unknown) => this.#settle(name, waiter, () => waiter.reject(error)),
      );
    });
  }

  /** The holder's callback settled: release, unless the lock was already taken from it. */
  #settle(name: string, waiter: Waiter, finish: () => void): void {
    if (this.#holders.get(name) !== waiter) return;
    this.#holders.delete(name);
    finish();
    this.#pump(name);
  }
}

/** One push request as the server saw it. */
export interface SeenPush {
  readonly opIds: readonly string[];
}

/** A memory sync server behind a `fetch` that records pushes and how many overlap. */
export interface CountingServer {
  readonly server: SyncServer;
  /** A `fetch` for `httpTransport`; it rejects on abort like a real one, while the server goes on. */
  readonly fetch: typeof fetch;
  /** Writes the server applied (its feed head): one per applied op when nothing is replayed. */
  readonly appliedWrites: () => Promise<number>;
  /** Every live record the server holds. */
  readonly records: () => Promise<ServerRecord[]>;
  readonly pushes: SeenPush[];
  /** The most push requests the server was handling at one time. */
  readonly maxPushesInFlight: () => number;
  /** Every opId pushed, in arrival order (duplicates included). */
  readonly pushedOpIds: () => string[];
  /** Holds every later push until `release()`; the returned promise resolves when one arrives. */
  holdPushes(): { arrived: Promise<void>; release(): void };
}

/** Starts a counting server for `collections`. */
export function countingServer(collections: readonly CollectionDefinition[]): CountingServer {
  const store = memoryServerStore();
  const server = createSyncServer({
    collections,
    store,
    authorize: () => ({ userId: 'alice' }),
  });
  const pushes: SeenPush[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let gate: { arrived: () => void; open: Promise<void> } | undefined;
  const handle = async (request: Request): Promise<Response> => {
    const body = (await request.clone().json()) as { ops?: { opId: string }[] };
    if (!Array.isArray(body.ops)) return server.fetch(request);
    pushes.push({ opIds: body.ops.map((op) => op.opId) });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (gate) {
        gate.arrived();
        await gate.open;
      }
      return await server.fetch(request);
    } finally {
      inFlight -= 1;
    }
  };
  const fetchFn = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const { signal, ...rest } = init ?? {};
    const handled = handle(new Request(input, rest));
    if (!signal) return handled;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = (): void =>
        reject(new DOMException('The request was aborted.', 'AbortError'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      handled.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  return {
    server,
    fetch: fetchFn as typeof fetch,
    appliedWrites: () => store.read((reader) => reader.getHead()),
    records: async () =>
      (await store.read((reader) => reader.listChanges(0, 10_000)))
        .map((entry) => entry.record)
        .filter((record) => !record.deleted),
    pushes,
    maxPushesInFlight: () => maxInFlight,
    pushedOpIds: () => pushes.flatMap((p) => p.opIds),
    holdPushes() {
      let arrived!: () => void;
      let release!: () => void;
      const arrivedPromise = new Promise<void>((resolve) => (arrived = resolve));
      const open = new Promise<void>((resolve) => (release = resolve));
      gate = { arrived, open };
      return {
        arrived: arrivedPromise,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
  };
}
