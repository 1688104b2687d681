import { TidesyncError, createId, describeValue } from '../core/index.js';
import type { PostgresPoolClient } from './postgres-transaction.js';
import { PostgresTransaction } from './postgres-transaction.js';
import { layoutComplete, postgresLayout } from './postgres-layout.js';
import type { PostgresLiveChannel } from './live/postgres-live.js';
import { postgresLiveChannel } from './live/postgres-live.js';
import type { ServerStore, ServerStoreReader, ServerStoreTransaction } from './server-store.js';
import { requireSafeIdentifier } from './sql-rows.js';

export type { PostgresPoolClient } from './postgres-transaction.js';

/** The one method {@link postgresServerStore} needs from a pg `Pool`. */
export interface PostgresPool {
  connect(): Promise<PostgresPoolClient>;
}

/** Options of {@link postgresServerStore}. */
export interface PostgresServerStoreOptions {
  /** Schema that holds the store's tables; created if missing. @default 'public' */
  readonly schema?: string;
  /** Attempts for a transaction that hits a deadlock or a duplicate-key race. @default 5 */
  readonly maxAttempts?: number;
}

// Transient failures after which the whole transaction is re-run: serialisation failure,
// deadlock, and a unique violation from two transactions inserting the same new row.
const RETRYABLE = new Set(['40001', '40P01', '23505']);

/**
 * Server store on PostgreSQL through a pg `Pool`. Creates its tables on first use. Safe with
 * several server processes on one database: pushes of one client are serialised by a row lock,
 * and feed positions are taken in commit order (see docs/server.md), so pulls never skip a change.
 *
 * @example
 * const store = postgresServerStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
 * @throws TidesyncError `INVALID_OPTION` for a bad `schema` or `maxAttempts`.
 */
export function postgresServerStore(
  pool: PostgresPool,
  options: PostgresServerStoreOptions = {},
): ServerStore {
  const schema = requireSafeIdentifier('schema', options.schema ?? 'public');
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`maxAttempts\` to be an integer >= 1, got ${describeValue(maxAttempts)}.`,
    );
  }
  return new PostgresServerStore(pool, schema, maxAttempts);
}

class PostgresServerStore implements ServerStore {
  readonly kind = 'postgres';
  readonly #pool: PostgresPool;
  readonly #t: string;
  readonly #schema: string;
  readonly #maxAttempts: number;
  /** Live pokes to every instance on this database (LISTEN/NOTIFY); stopped by close(). */
  readonly liveChannel: PostgresLiveChannel;
  #opening: Promise<void> | undefined;
  #closed = false;

  constructor(pool: PostgresPool, schema: string, maxAttempts: number) {
    this.#pool = pool;
    this.#schema = schema;
    this.#t = `"${schema}".tidesync_`;
    this.#maxAttempts = maxAttempts;
    this.liveChannel = postgresLiveChannel(pool, this.#t, schema);
  }

  open(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#opening ??= this.#createLayout().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.liveChannel.close();
  }

  async read<T>(fn: (reader: ServerStoreReader) => Promise<T>): Promise<T> {
    await this.open();
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await fn(new PostgresTransaction(client, this.#t, false));
      } finally {
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    await this.open();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(fn);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (attempt >= this.#maxAttempts || typeof code !== 'string' || !RETRYABLE.has(code)) {
          throw error;
        }
        // Jitter so two transactions that just collided do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  async #attempt<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    if (this.#closed) throw closedError();
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const tx = new PostgresTransaction(client, this.#t, true);
        const result = await fn(tx);
        await tx.flush();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken =
            rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      }
    } finally {
      client.release(broken ?? false);
    }
  }

  async #createLayout(): Promise<void> {
    const statements = postgresLayout(this.#t);
    const client = await this.#pool.connect();
    try {
      // Most opens find the layout there: check without DDL, which would lock tables
      // (postgres-layout.ts).
      if (await layoutComplete(client, this.#schema, statements).catch(() => false)) return;
      await client.query('BEGIN');
      // Serialise layout creation across processes: concurrent CREATE ... IF NOT EXISTS can
      // still fail on the catalog's unique index.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `tidesync:${this.#schema}`,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
      for (const ddl of statements) await client.query(ddl);
      await client.query(
        `INSERT INTO ${this.#t}meta (id, epoch, head) VALUES (1, $1, 0) ON CONFLICT DO NOTHING`,
        [createId()],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function closedError(): TidesyncError {
  return new TidesyncError('STORAGE_CLOSED', 'The Postgres server store is closed.');
}
