import type { StorageTransaction, TransactionMode } from '../../core/index.js';
import { StorageError, TidesyncError, describeValue } from '../../core/index.js';
import { createCipher } from './indexeddb-cipher.js';
import { autoCommittedError, toStorageError } from './indexeddb-errors.js';
import { checkEncryptionKey, reencryptAll } from './indexeddb-keys.js';
import { ALL_STORES } from './indexeddb-layout.js';
import { openDatabase } from './open-database.js';
import { EncryptedRows } from './indexeddb-rows.js';
import { IndexedDbTransaction } from './indexeddb-transaction.js';
import type { Durability, IndexedDbAdapter, IndexedDbAdapterOptions } from './indexeddb-options.js';

export type { IndexedDbAdapter, IndexedDbAdapterOptions } from './indexeddb-options.js';

/**
 * Storage adapter backed by the browser's IndexedDB: records, the outbox and metadata each in
 * their own object store, with indexes for lookups by collection, server id, seq, record and
 * op state. The layout is versioned and upgraded in place when a newer tidesync opens an older
 * database.
 *
 * Inside `transaction()`, writes are buffered and issued when the callback resolves. If the
 * callback awaits something other than `tx` (a timer, `fetch`) and IndexedDB auto-commits under
 * it, the transaction rejects with `TRANSACTION_INACTIVE` and writes nothing.
 *
 * @throws TidesyncError `INVALID_OPTION` when `name` is empty, when there is no
 * `indexedDB` global and none was passed, or when `encryptionKey` is not an AES-GCM key.
 * With a key, `open()` rejects with `STORAGE_KEY_INVALID` when the database was written
 * under another key, without one, or holds unencrypted data.
 * @example
 * const client = await createSyncClient({
 *   collections: [todos],
 *   storage: indexedDbAdapter({ name: 'my-app' }),
 *   transport: httpTransport({ url: '/sync' }),
 * });
 * // Encrypted, one database per user (docs/security.md):
 * indexedDbAdapter({ name: userStorageName('my-app', userId), encryptionKey });
 */
export function indexedDbAdapter(options: IndexedDbAdapterOptions): IndexedDbAdapter {
  const { name, upgradeBlockedTimeoutMs = 5000, durability = 'strict' } = options;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`name\` to be a non-empty string, got ${describeValue(name)}. Pass the ` +
        'IndexedDB database name, such as `indexedDbAdapter({ name: "my-app" })`.',
    );
  }
  if (!Number.isFinite(upgradeBlockedTimeoutMs) || upgradeBlockedTimeoutMs < 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`upgradeBlockedTimeoutMs\` to be a finite number >= 0, got ` +
        `${describeValue(upgradeBlockedTimeoutMs)}.`,
    );
  }
  if (!['strict', 'relaxed', 'default'].includes(durability)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`durability\` to be 'strict', 'relaxed' or 'default', got ` +
        `${describeValue(durability)}.`,
    );
  }
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory || typeof factory.open !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`indexedDB\` to be an IDBFactory, got ${describeValue(options.indexedDB)}, ` +
        'and this environment has no global `indexedDB`. Pass one: in Node tests, ' +
        '`indexedDbAdapter({ name, indexedDB: new IDBFactory() })` with `IDBFactory` from ' +
        '`fake-indexeddb`; elsewhere use another adapter (sqlite, memory).',
    );
  }
  const keyRange =
    options.IDBKeyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  const rows =
    options.encryptionKey === undefined ? undefined : encryptedRows(options.encryptionKey, name);
  return new IndexedDbStorage(factory, name, upgradeBlockedTimeoutMs, durability, keyRange, rows);
}

function encryptedRows(key: CryptoKey, name: string): EncryptedRows {
  const crypto = (globalThis as { crypto?: Crypto }).crypto;
  return new EncryptedRows(createCipher(key, crypto), name);
}

class IndexedDbStorage implements IndexedDbAdapter {
  readonly kind = 'indexeddb';
  readonly #factory: IDBFactory;
  readonly #name: string;
  readonly #blockedTimeoutMs: number;
  readonly #durability: Durability;
  readonly #keyRange: typeof IDBKeyRange | undefined;
  #connection: Promise<IDBDatabase> | undefined;
  #db: IDBDatabase | undefined;
  #closed = false;
  #rows: EncryptedRows | undefined;
  // Set while a key rotation runs: new transactions wait for it, then use the new key.
  #rotation: Promise<void> | undefined;
  // Why the connection went away without close(): another tab upgrading, or the browser.
  #lost: StorageError | undefined;

  constructor(
    factory: IDBFactory,
    name: string,
    blockedTimeoutMs: number,
    durability: Durability,
    keyRange: typeof IDBKeyRange | undefined,
    rows: EncryptedRows | undefined,
  ) {
    this.#rows = rows;
    this.#factory = factory;
    this.#keyRange = keyRange;
    this.#name = name;
    this.#blockedTimeoutMs = blockedTimeoutMs;
    this.#durability = durability;
  }

  async open(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Running transactions finish first: IDBDatabase.close() waits for them.
    this.#db?.close();
    this.#db = undefined;
  }

  async transaction<T>(
    mode: TransactionMode,
    fn: (tx: StorageTransaction) => Promise<T>,
  ): Promise<T> {
    // Every call awaits the same connection promise first, so IndexedDB transactions are created
    // in call order, and IndexedDB runs overlapping read-write ones one at a time in that order.
    const db = await this.#connect();
    while (this.#rotation) await this.#rotation.catch(() => undefined);
    this.#throwIfUnusable();
    let idb: IDBTransaction;
    try {
      idb =
        mode === 'readwrite'
          ? db.transaction([...ALL_STORES], 'readwrite', { durability: this.#durability })
          : db.transaction([...ALL_STORES], 'readonly');
    } catch (error) {
      this.#throwIfUnusable();
      throw toStorageError(error, this.#name, 'starting a transaction');
    }
    const tx = new IndexedDbTransaction(
      idb,
      this.#name,
      mode === 'readwrite',
      this.#keyRange,
      this.#rows,
    );
    const done = this.#settled(idb, tx);

    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      tx.end();
      abortQuietly(idb);
      await done.catch(() => undefined);
      throw error;
    }
    tx.end();
    if (mode === 'readonly') return result;

    if (tx.hasWrites) {
      try {
        await tx.seal();
        tx.flush();
      } catch (error) {
        abortQuietly(idb);
        // An abort IndexedDB reported with its own error (quota, I/O) says more than ours.
        await done.catch((abortError: unknown) => {
          if (idb.error) throw abortError;
        });
        throw error;
      }
    }
    try {
      idb.commit();
    } catch {
      // Already committing or finished; `done` tells which.
    }
    await done;
    return result;
  }

  rotateEncryptionKey(newKey: CryptoKey): Promise<void> {
    const from = this.#rows;
    if (!from) {
      return Promise.reject(
        new TidesyncError(
          'INVALID_OPTION',
          `IndexedDB adapter \`${this.#name}\` has no \`encryptionKey\`, so there is no key to ` +
            'rotate. Pass `encryptionKey` to indexedDbAdapter() for a new, encrypted database.',
        ),
      );
    }
    let to: EncryptedRows;
    try {
      to = encryptedRows(newKey, this.#name);
    } catch (error) {
      return Promise.reject(error);
    }
    const previous = this.#rotation ?? Promise.resolve();
    const rotation = previous
      .catch(() => undefined)
      .then(async () => {
        const db = await this.#connect();
        this.#throwIfUnusable();
        await reencryptAll(db, this.#name, this.#rows ?? from, to, this.#durability);
        this.#rows = to;
      })
      .finally(() => {
        if (this.#rotation === rotation) this.#rotation = undefined;
      });
    this.#rotation = rotation;
    return rotation;
  }

  /**
   * Resolves when `idb` completes; rejects with the mapped error when it aborts. Also tells
   * `tx` when IndexedDB finished the transaction, so later calls fail with a clear error.
   */
  #settled(idb: IDBTransaction, tx: IndexedDbTransaction): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      idb.addEventListener('complete', () => {
        tx.markIdbFinished();
        resolve();
      });
      idb.addEventListener('abort', () => {
        tx.markIdbFinished();
        // No error means abort() was called: by us after a failure we report ourselves.
        const error = idb.error;
        reject(
          error ? toStorageError(error, this.#name, 'committing') : autoCommittedError(this.#name),
        );
      });
    });
    // Callers that end early (readonly, fn rejected) never await it; keep that rejection quiet.
    done.catch(() => undefined);
    return done;
  }

  #connect(): Promise<IDBDatabase> {
    this.#throwIfUnusable();
    this.#connection ??= openDatabase({
      factory: this.#factory,
      name: this.#name,
      blockedTimeoutMs: this.#blockedTimeoutMs,
      isWanted: () => !this.#closed,
      onLost: (error) => {
        this.#lost = error;
        this.#db = undefined;
      },
    })
      .then(async (db) => {
        try {
          await checkEncryptionKey(db, this.#name, this.#rows);
        } catch (error) {
          db.close();
          throw error;
        }
        return db;
      })
      .then(
        (db) => {
          this.#db = db;
          return db;
        },
        (error: unknown) => {
          // A failed open (blocked, newer version) may succeed later: let open() retry.
          this.#connection = undefined;
          throw error;
        },
      );
    return this.#connection;
  }

  #throwIfUnusable(): void {
    if (this.#closed) {
      throw new StorageError(
        'STORAGE_CLOSED',
        `The IndexedDB adapter for \`${this.#name}\` is closed. Create a new client to keep working.`,
      );
    }
    if (this.#lost) throw this.#lost;
  }
}

function abortQuietly(idb: IDBTransaction): void {
  try {
    idb.abort();
  } catch {
    // Already committed or aborted: nothing of ours is pending.
  }
}
