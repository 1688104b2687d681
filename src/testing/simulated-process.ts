// The life of one simulated process (a client app or a server) in the test harness, and the
// wrappers that make its storage, link, timers and server store die with it: after `kill()`
// nothing of the old process commits, answers or fires again, as after a crash.
import type {
  StorageAdapter,
  StorageTransaction,
  Timers,
  Transport,
  TransactionMode,
} from '../core/index.js';
import type { ServerStore, ServerStoreTransaction } from '../server/index.js';

/** Thrown inside the transactions of a killed process so that they roll back. */
export class ProcessKilledError extends Error {
  constructor(what: string) {
    super(`The simulated ${what} process was restarted; this work died with it.`);
    this.name = 'ProcessKilledError';
  }
}

/** Whether one simulated process is still running. */
export class ProcessLife {
  #dead = false;
  readonly #onDeath: (() => void)[] = [];

  /** Whether {@link kill} was called. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Ends the process: runs every death callback once. Idempotent. */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const callback of this.#onDeath.splice(0)) callback();
  }

  /** Runs `callback` when the process is killed. */
  onDeath(callback: () => void): void {
    this.#onDeath.push(callback);
  }
}

// A promise that never settles: what a dead process's pending calls turn into.
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** Settles like `work` while `life` lasts; never settles once the process is dead. */
function untilDeath<T>(life: ProcessLife, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => (life.dead ? never<T>() : value),
    (error: unknown) => (life.dead ? never<T>() : Promise.reject(error)),
  );
}

/** `target` with every method throwing {@link ProcessKilledError} once `life` is dead. */
function guarded<T extends object>(target: T, life: ProcessLife, what: string): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        if (life.dead) throw new ProcessKilledError(what);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/**
 * Storage of a client process: a transaction running when the process dies throws at its next
 * call (or before its commit) and rolls back; the dead client never sees any result again.
 */
export function mortalStorage(inner: StorageAdapter, life: ProcessLife): StorageAdapter {
  return {
    kind: inner.kind,
    open: () => (life.dead ? never() : untilDeath(life, inner.open())),
    close: () => (life.dead ? never() : untilDeath(life, inner.close())),
    transaction<T>(mode: TransactionMode, fn: (tx: StorageTransaction) => Promise<T>): Promise<T> {
      if (life.dead) return never();
      const run = inner.transaction(mode, async (tx) => {
        const result = await fn(guarded(tx, life, 'client'));
        if (life.dead) throw new ProcessKilledError('client');
        return result;
      });
      return untilDeath(life, run);
    },
  };
}

/** The link of a client process: a dead process sends nothing more and hears no answer. */
export function mortalTransport(inner: Transport, life: ProcessLife): Transport {
  return {
    send: (kind, body, options) =>
      life.dead ? never() : untilDeath(life, inner.send(kind, body, options)),
  };
}

/** Timers of a client process: the ones pending when it dies never fire. */
export function mortalTimers(inner: Timers, life: ProcessLife): Timers {
  const pending = new Set<unknown>();
  life.onDeath(() => {
    for (const handle of pending) inner.clearTimeout(handle);
    pending.clear();
  });
  return {
    setTimeout(callback, delayMs) {
      if (life.dead) return undefined;
      const handle = inner.setTimeout(() => {
        pending.delete(handle);
        if (!life.dead) callback();
      }, delayMs);
      pending.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      pending.delete(handle);
      inner.clearTimeout(handle);
    },
  };
}

/**
 * The server store as one server process sees it: its transactions that have not committed
 * when the process dies roll back. The store itself (the database) outlives the process.
 */
export function mortalServerStore(inner: ServerStore, life: ProcessLife): ServerStore {
  const check = (): void => {
    if (life.dead) throw new ProcessKilledError('server');
  };
  return {
    kind: inner.kind,
    open: async () => (check(), inner.open()),
    close: async () => undefined,
    read: async (fn) => (check(), inner.read((reader) => fn(guarded(reader, life, 'server')))),
    transaction: async (fn) => {
      check();
      return inner.transaction(async (tx: ServerStoreTransaction) => {
        const result = await fn(guarded(tx, life, 'server'));
        check();
        return result;
      });
    },
  };
}
