import type { StorageAdapter, StorageTransaction, TransactionMode } from '../../core/index.js';
import { StorageError } from '../../core/index.js';
import type { MemoryState } from './memory-state.js';
import { MemoryTransaction } from './memory-transaction.js';

/** Options of {@link memoryAdapter}. */
export interface MemoryAdapterOptions {
  /**
   * Share state between adapter instances created with the same object, to simulate closing and
   * reopening a database in tests. @default a private store
   */
  readonly store?: MemoryStore;
}

/** An opaque in-memory database that {@link memoryAdapter} instances can share. */
export interface MemoryStore {
  readonly __memoryStore: true;
}

/** Creates an empty {@link MemoryStore}. */
export function createMemoryStore(): MemoryStore {
  const state: MemoryState = {
    records: new Map(),
    serverIds: new Map(),
    conflicted: new Map(),
    ops: new Map(),
    opsSorted: true,
    lastSeq: 0,
    opsByRecord: new Map(),
    meta: new Map(),
  };
  return { __memoryStore: true, state } as MemoryStore;
}

function stateOf(store: MemoryStore): MemoryState {
  return (store as unknown as { state: MemoryState }).state;
}

/**
 * Storage adapter that keeps everything in memory: fast, and gone when the process ends.
 * For tests, servers-side scratch clients and apps that do not need persistence.
 *
 * @example
 * const client = await createSyncClient({ collections: [todos], storage: memoryAdapter(), transport });
 */
export function memoryAdapter(options: MemoryAdapterOptions = {}): StorageAdapter {
  return new MemoryAdapter(options.store ?? createMemoryStore());
}

class MemoryAdapter implements StorageAdapter {
  readonly kind = 'memory';
  readonly #state: MemoryState;
  #closed = false;
  // Read-write transactions run one at a time: each waits for the previous one's promise.
  #writeChain: Promise<unknown> = Promise.resolve();

  constructor(store: MemoryStore) {
    this.#state = stateOf(store);
  }

  async open(): Promise<void> {
    this.#throwIfClosed();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async transaction<T>(
    mode: TransactionMode,
    fn: (tx: StorageTransaction) => Promise<T>,
  ): Promise<T> {
    this.#throwIfClosed();
    if (mode === 'readonly') {
      const tx = new MemoryTransaction(this.#state, false);
      try {
        return await fn(tx);
      } finally {
        tx.end();
      }
    }
    const run = this.#writeChain.then(async () => {
      this.#throwIfClosed();
      const tx = new MemoryTransaction(this.#state, true);
      try {
        const result = await fn(tx);
        tx.commit();
        return result;
      } finally {
        tx.end();
      }
    });
    this.#writeChain = run.catch(() => undefined);
    return run;
  }

  #throwIfClosed(): void {
    if (this.#closed) {
      throw new StorageError(
        'STORAGE_CLOSED',
        'The memory adapter is closed. Create a new client to keep working.',
      );
    }
  }
}
