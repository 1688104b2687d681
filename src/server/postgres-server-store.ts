import type { OpResult } from '../core/index.js';
import { TidesyncError, createId, describeValue } from '../core/index.js';
import type {
  ClientState,
  FeedEntry,
  ServerRecord,
  ServerStore,
  ServerStoreReader,
  ServerStoreTransaction,
} from './server-store.js';
import type { ClientRow, RecordRow } from './sql-rows.js';
import {
  RECORD_COLUMNS,
  isSafeIdentifier,
  parseOutcome,
  recordValues,
  rowToClient,
  rowToRecord,
} from './sql-rows.js';

/** A checked-out connection, as pg's `PoolClient` provides it. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
}

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
  const schema = options.schema ?? 'public';
  if (!isSafeIdentifier(schema)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`schema\` to be lowercase letters, digits or _, got ${describeValue(schema)}.`,
    );
  }
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
  #opening: Promise<void> | undefined;
  #closed = false;

  constructor(pool: PostgresPool, schema: string, maxAttempts: number) {
    this.#pool = pool;
    this.#schema = schema;
    this.#t = `"${schema}".tidesync_`;
    this.#maxAttempts = maxAttempts;
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
        await tx.assignPositions();
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
    const t = this.#t;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Serialise layout creation across processes: concurrent CREATE ... IF NOT EXISTS can
      // still fail on the catalog's unique index.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `tidesync:${this.#schema}`,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${t}meta (id int PRIMARY KEY CHECK (id = 1), epoch text NOT NULL, head bigint NOT NULL)`,
      );
      await client.query(
        `INSERT INTO ${t}meta (id, epoch, head) VALUES (1, $1, 0) ON CONFLICT DO NOTHING`,
        [createId()],
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${t}records (
        collection text NOT NULL, id text NOT NULL, owner_id text NOT NULL, version bigint NOT NULL,
        data jsonb NOT NULL, hlc text NOT NULL, field_clocks jsonb NOT NULL, deleted boolean NOT NULL,
        updated_at bigint NOT NULL, origin_client_id text, origin_id text, position bigint,
        PRIMARY KEY (collection, id))`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS tidesync_records_position ON ${t}records (position)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS tidesync_records_origin ON ${t}records (collection, origin_client_id, origin_id)`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${t}clients (client_id text PRIMARY KEY, user_id text NOT NULL, last_seq bigint NOT NULL)`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${t}outcomes (client_id text NOT NULL, op_id text NOT NULL, seq bigint NOT NULL, result jsonb NOT NULL, PRIMARY KEY (client_id, op_id))`,
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

class PostgresTransaction implements ServerStoreTransaction {
  readonly #client: PostgresPoolClient;
  readonly #t: string;
  readonly #touched = new Map<string, readonly [string, string]>();
  /** Records this transaction read (and locked) or wrote: only these may be overwritten. */
  readonly #known = new Set<string>();
  /** ` FOR UPDATE` in write transactions: writers of one record take turns. */
  readonly #lock: string;

  constructor(client: PostgresPoolClient, tables: string, writable: boolean) {
    this.#client = client;
    this.#t = tables;
    this.#lock = writable ? ' FOR UPDATE' : '';
  }

  async #rows<R>(sql: string, values: unknown[] = []): Promise<R[]> {
    return (await this.#client.query(sql, values)).rows as R[];
  }

  async getEpoch(): Promise<string> {
    const [row] = await this.#rows<{ epoch: string }>(
      `SELECT epoch FROM ${this.#t}meta WHERE id = 1`,
    );
    if (!row) throw new Error('tidesync meta row missing');
    return row.epoch;
  }

  async getHead(): Promise<number> {
    const [row] = await this.#rows<{ head: string }>(
      `SELECT head FROM ${this.#t}meta WHERE id = 1`,
    );
    return Number(row?.head ?? 0);
  }

  async listChanges(after: number, limit: number): Promise<FeedEntry[]> {
    const rows = await this.#rows<RecordRow>(
      `SELECT * FROM ${this.#t}records WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, limit],
    );
    return rows.map((row) => ({ position: Number(row.position), record: rowToRecord(row) }));
  }

  async getRecord(collection: string, id: string): Promise<ServerRecord | undefined> {
    const [row] = await this.#rows<RecordRow>(
      `SELECT * FROM ${this.#t}records WHERE collection = $1 AND id = $2${this.#lock}`,
      [collection, id],
    );
    if (row) this.#known.add(`${row.collection}\u0000${row.id}`);
    return row && rowToRecord(row);
  }

  async getClient(clientId: string): Promise<ClientState | undefined> {
    const [row] = await this.#rows<ClientRow>(
      `SELECT * FROM ${this.#t}clients WHERE client_id = $1`,
      [clientId],
    );
    return row && rowToClient(row);
  }

  async lockClient(clientId: string, userId: string): Promise<ClientState> {
    await this.#client.query(
      `INSERT INTO ${this.#t}clients (client_id, user_id, last_seq) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
      [clientId, userId],
    );
    const [row] = await this.#rows<ClientRow>(
      `SELECT * FROM ${this.#t}clients WHERE client_id = $1 FOR UPDATE`,
      [clientId],
    );
    if (!row) throw new Error(`client ${clientId} vanished`);
    return rowToClient(row);
  }

  async setLastSeq(clientId: string, lastSeq: number): Promise<void> {
    await this.#client.query(`UPDATE ${this.#t}clients SET last_seq = $1 WHERE client_id = $2`, [
      lastSeq,
      clientId,
    ]);
  }

  async getOutcome(clientId: string, opId: string): Promise<OpResult | undefined> {
    const [row] = await this.#rows<{ result: unknown }>(
      `SELECT result FROM ${this.#t}outcomes WHERE client_id = $1 AND op_id = $2`,
      [clientId, opId],
    );
    return row && parseOutcome(row.result);
  }

  async putOutcome(clientId: string, opId: string, seq: number, result: OpResult): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#t}outcomes (client_id, op_id, seq, result) VALUES ($1, $2, $3, $4)
       ON CONFLICT (client_id, op_id) DO UPDATE SET seq = EXCLUDED.seq, result = EXCLUDED.result`,
      [clientId, opId, seq, JSON.stringify(result)],
    );
  }

  async getRecordByOrigin(
    collection: string,
    originClientId: string,
    originId: string,
  ): Promise<ServerRecord | undefined> {
    const [row] = await this.#rows<RecordRow>(
      `SELECT * FROM ${this.#t}records WHERE collection = $1 AND origin_client_id = $2 AND origin_id = $3 LIMIT 1${this.#lock}`,
      [collection, originClientId, originId],
    );
    if (row) this.#known.add(`${row.collection}\u0000${row.id}`);
    return row && rowToRecord(row);
  }

  async putRecord(record: ServerRecord): Promise<void> {
    const k = `${record.collection}\u0000${record.id}`;
    // A record this transaction did not see must still be new: a plain INSERT, so a concurrent
    // creator of the same id makes this fail with 23505 and the transaction re-runs (and then
    // sees the record), instead of silently overwriting it.
    const upsert = this.#known.has(k)
      ? `ON CONFLICT (collection, id) DO UPDATE SET owner_id = EXCLUDED.owner_id, version = EXCLUDED.version,
         data = EXCLUDED.data, hlc = EXCLUDED.hlc, field_clocks = EXCLUDED.field_clocks,
         deleted = EXCLUDED.deleted, updated_at = EXCLUDED.updated_at,
         origin_client_id = EXCLUDED.origin_client_id, origin_id = EXCLUDED.origin_id, position = NULL`
      : '';
    await this.#client.query(
      `INSERT INTO ${this.#t}records (${RECORD_COLUMNS}, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL) ${upsert}`,
      recordValues(record, false),
    );
    this.#known.add(k);
    this.#touched.delete(k);
    this.#touched.set(k, [record.collection, record.id]);
  }

  /**
   * Takes feed positions from the single meta row as the last statements before COMMIT. The
   * row lock is held until commit, so positions are handed out in commit order: no transaction
   * can commit a position below one a reader has already seen (docs/server.md).
   */
  async assignPositions(): Promise<void> {
    if (this.#touched.size === 0) return;
    const keys = [...this.#touched.values()];
    const [row] = await this.#rows<{ head: string }>(
      `UPDATE ${this.#t}meta SET head = head + $1 WHERE id = 1 RETURNING head`,
      [keys.length],
    );
    const first = Number(row?.head ?? 0) - keys.length + 1;
    await this.#client.query(
      `UPDATE ${this.#t}records r SET position = v.p
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(c, i, p)
       WHERE r.collection = v.c AND r.id = v.i`,
      [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((_, n) => first + n)],
    );
  }
}
