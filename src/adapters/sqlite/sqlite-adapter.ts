import type { StorageAdapter, StorageTransaction, TransactionMode } from '../../core/index.js';
import { StorageError, TidesyncError, describeValue } from '../../core/index.js';
import type { SqliteDriver } from './sqlite-driver.js';
import { classifySqliteError, keyInvalidError, toStorageError } from './sqlite-errors.js';
import { OpIndex } from './sqlite-op-index.js';
import { migrateLayout } from './sqlite-schema.js';
import type { ProcessLock } from './sqlite-process-lock.js';
import { acquireProcessLock } from './sqlite-process-lock.js';
import { SqliteTransaction } from './sqlite-transaction.js';

/** Options of {@link sqliteAdapter}. */
export interface SqliteAdapterOptions {
  /** The database connection, wrapped as a driver (`betterSqlite3Driver(db)`, `sqlJsDriver(db)`, or your own). */
  readonly driver: SqliteDriver;
  /**
   * `'normal'` (WAL + `synchronous=NORMAL`) survives app and process crashes but an OS crash or
   * power loss may lose the last few commits; `'full'` (`synchronous=FULL`) survives those too,
   * at the cost of an fsync per commit. See docs/adapters.md. @default 'normal'
   */
  readonly durability?: 'normal' | 'full';
  /**
   * How long a write waits, in total, for a write lock held by another connection or process
   * before it rejects with `STORAGE_BUSY` (retryable, nothing written). @default 5000
   */
  readonly busyTimeoutMs?: number;
}

// Per attempt, SQLite itself waits this long for a lock (PRAGMA busy_timeout). Kept short
// because synchronous drivers (better-sqlite3) block the JS thread while SQLite waits; the
// rest of `busyTimeoutMs` is waited asynchronously between attempts.
const LOCK_WAIT_PER_ATTEMPT_MS = 20;
const MAX_BACKOFF_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Storage adapter over SQLite, through a small {@link SqliteDriver} so that the same code runs
 * on better-sqlite3 (Node), sql.js (WASM, browsers), expo-sqlite and op-sqlite (React Native).
 * Uses WAL journaling, versioned table layout migrated in place on `open()`, one connection
 * with transactions queued in call order, and bounded retries when another connection holds
 * the write lock. A file database is locked against clients in other processes (a side file
 * `<file>.tidesync-lock`, released on `close()` or when the process dies). `close()` closes the
 * driver.
 *
 * @throws TidesyncError `INVALID_OPTION` at once, before any I/O, for a missing driver or a bad
 *   option. Transactions reject with `StorageError` codes `STORAGE_BUSY`,
 *   `STORAGE_QUOTA_EXCEEDED`, `STORAGE_CLOSED` or `STORAGE_FAILED`; `open()` rejects with
 *   `STORAGE_IN_USE` when a client in another process has the file open, and with
 *   `STORAGE_KEY_INVALID` when an encrypted file (SQLCipher, SQLite3 Multiple Ciphers) was keyed
 *   with another key or not at all (docs/security.md).
 * @example
 * import Database from 'better-sqlite3';
 * import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
 *
 * const storage = sqliteAdapter({ driver: betterSqlite3Driver(new Database('app.db')) });
 */
export function sqliteAdapter(options: SqliteAdapterOptions): StorageAdapter {
  validateOptions(options);
  return new SqliteAdapter(options);
}

function validateOptions(options: SqliteAdapterOptions): void {
  const driver = options?.driver as Partial<SqliteDriver> | undefined;
  const methods = ['exec', 'run', 'get', 'all'] as const;
  if (!driver || methods.some((m) => typeof driver[m] !== 'function')) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`driver\` to be a SqliteDriver with exec, run, get and all methods, got ${describeValue(driver)}. Wrap your database with betterSqlite3Driver(db), sqlJsDriver(db) or your own driver.`,
    );
  }
  const { durability, busyTimeoutMs } = options;
  if (durability !== undefined && durability !== 'normal' && durability !== 'full') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`durability\` to be 'normal' or 'full', got ${describeValue(durability)}.`,
    );
  }
  if (busyTimeoutMs !== undefined && !(Number.isFinite(busyTimeoutMs) && busyTimeoutMs >= 0)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`busyTimeoutMs\` to be a number ≥ 0, got ${describeValue(busyTimeoutMs)}.`,
    );
  }
}

class SqliteAdapter implements StorageAdapter {
  readonly kind = 'sqlite';
  readonly #driver: SqliteDriver;
  readonly #durability: 'normal' | 'full';
  readonly #busyTimeoutMs: number;
  #opening: Promise<void> | undefined;
  #opened = false;
  #useJson = false;
  #closed = false;
  #lock: ProcessLock | undefined;
  /** The outbox's op ids and records, for this connection (sqlite-op-index.ts). */
  readonly #opIndex = new OpIndex();
  // One connection runs one transaction at a time: every transaction waits for the previous.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SqliteAdapterOptions) {
    this.#driver = options.driver;
    this.#durability = options.durability ?? 'normal';
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  }

  open(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (!this.#opening) {
      const opening = this.#enqueue(() => this.#openNow());
      this.#opening = opening;
      opening.then(
        () => {
          this.#opened = true;
        },
        // A failed open may be retried (for example after STORAGE_BUSY).
        () => {
          if (this.#opening === opening) this.#opening = undefined;
        },
      );
    }
    return this.#opening;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Let the running transaction finish; queued ones see #closed and reject.
    await this.#queue;
    await this.#lock?.release();
    await this.#driver.close?.();
  }

  async transaction<T>(
    mode: TransactionMode,
    fn: (tx: StorageTransaction) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw this.#closedError();
    if (!this.#opened) await this.open();
    return this.#enqueue(() => this.#run(mode, fn));
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw this.#closedError();
      return work();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #openNow(): Promise<void> {
    const d = this.#driver;
    try {
      await d.exec(
        `PRAGMA busy_timeout = ${Math.min(LOCK_WAIT_PER_ATTEMPT_MS, this.#busyTimeoutMs)}`,
      );
      await this.#retryWhileBusy('opening the database', async () => {
        // Returns 'memory' for in-memory databases, which have no WAL: that is fine.
        await d.get('PRAGMA journal_mode = WAL');
      });
      await d.exec(`PRAGMA synchronous = ${this.#durability === 'full' ? 'FULL' : 'NORMAL'}`);
      // A second process's client on this file is refused here (STORAGE_IN_USE).
      this.#lock ??= await acquireProcessLock(d);
      await this.#retryWhileBusy('upgrading the table layout', () => d.exec('BEGIN IMMEDIATE'));
      try {
        await migrateLayout(d);
        await d.exec('COMMIT');
      } catch (error) {
        await d.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
      this.#useJson = await d
        .get(`SELECT json_extract('{"a":1}', '$.a') AS a`)
        .then((row) => Number(row?.['a']) === 1)
        .catch(() => false);
    } catch (error) {
      // An encrypted file read with a wrong (or no) key fails on its first read: say so.
      throw keyInvalidError(error) ?? toStorageError(error, 'opening the database');
    }
  }

  async #run<T>(mode: TransactionMode, fn: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    const d = this.#driver;
    if (mode === 'readwrite') {
      // BEGIN IMMEDIATE takes the write lock now, so a busy database is detected before any
      // work, when retrying is still safe.
      await d.exec('BEGIN IMMEDIATE').catch((error: unknown) => {
        if (classifySqliteError(error) !== 'busy') {
          throw toStorageError(error, 'starting a write transaction');
        }
        return this.#retryWhileBusy('starting a write transaction', () =>
          d.exec('BEGIN IMMEDIATE'),
        );
      });
    } else {
      await d.exec('BEGIN').catch((error: unknown) => {
        throw toStorageError(error, 'starting a read transaction');
      });
    }
    this.#opIndex.begin();
    const tx = new SqliteTransaction(d, mode, this.#useJson, this.#opIndex);
    let result: T;
    try {
      result = await fn(tx);
      if (mode === 'readwrite') await tx.flush();
    } catch (error) {
      tx.end();
      this.#opIndex.rolledBack();
      await d.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
    tx.end();
    try {
      await d.exec('COMMIT');
    } catch (error) {
      this.#opIndex.rolledBack();
      await d.exec('ROLLBACK').catch(() => undefined);
      throw toStorageError(error, 'committing a transaction');
    }
    return result;
  }

  async #retryWhileBusy(doing: string, attempt: () => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (let backoffMs = 5; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
      try {
        await attempt();
        return;
      } catch (error) {
        const left = deadline - Date.now();
        if (classifySqliteError(error) !== 'busy' || left <= 0) {
          const failure = toStorageError(error, doing);
          if (failure.code !== 'STORAGE_BUSY') throw failure;
          throw new StorageError(
            'STORAGE_BUSY',
            `SQLite stayed locked by another connection for ${this.#busyTimeoutMs} ms (\`busyTimeoutMs\`) while ${doing}. Nothing was written; retry later, or find the process or connection that keeps a write transaction open.`,
            { cause: error, retryable: true },
          );
        }
        await sleep(Math.min(backoffMs, left));
      }
    }
  }

  #closedError(): StorageError {
    return new StorageError(
      'STORAGE_CLOSED',
      'The SQLite adapter is closed. Create a new adapter (and client) to keep working.',
    );
  }
}
