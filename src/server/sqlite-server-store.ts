import type { OpResult } from '../core/index.js';
import { TidesyncError, createId, describeValue } from '../core/index.js';
import { Mutex } from './mutex.js';
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

/** A prepared statement, as better-sqlite3 provides it. */
export interface SqliteServerStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/**
 * The few methods {@link sqliteServerStore} needs from a synchronous SQLite driver; a
 * better-sqlite3 `Database` fits as is.
 */
export interface SqliteServerDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteServerStatement;
}

/** Options of {@link sqliteServerStore}. */
export interface SqliteServerStoreOptions {
  /** Prefix of the store's table names (lowercase letters, digits, `_`). @default 'tidesync_' */
  readonly tablePrefix?: string;
}

/**
 * Server store on SQLite through a better-sqlite3 `Database` (or any driver with the same
 * `exec`/`prepare` shape). Creates its tables on first use. Writes run one at a time with
 * `BEGIN IMMEDIATE`; use one store per database file per process, and WAL mode
 * (`db.pragma('journal_mode = WAL')`) for concurrent readers.
 *
 * @example
 * const store = sqliteServerStore(new Database('sync.db'));
 * @throws TidesyncError `INVALID_OPTION` for a bad `tablePrefix`.
 */
export function sqliteServerStore(
  db: SqliteServerDatabase,
  options: SqliteServerStoreOptions = {},
): ServerStore {
  const prefix = options.tablePrefix ?? 'tidesync_';
  if (!isSafeIdentifier(prefix)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`tablePrefix\` to be lowercase letters, digits or _, got ${describeValue(prefix)}.`,
    );
  }
  return new SqliteServerStore(db, prefix);
}

class SqliteServerStore implements ServerStore {
  readonly kind = 'sqlite';
  readonly #db: SqliteServerDatabase;
  readonly #p: string;
  readonly #mutex = new Mutex();
  readonly #statements = new Map<string, SqliteServerStatement>();
  #opened = false;
  #closed = false;

  constructor(db: SqliteServerDatabase, prefix: string) {
    this.#db = db;
    this.#p = prefix;
  }

  async open(): Promise<void> {
    await this.#mutex.run(async () => this.#openNow());
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  read<T>(fn: (reader: ServerStoreReader) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#openNow();
      this.#db.exec('BEGIN');
      try {
        return await fn(new SqliteTransaction(this, this.#p));
      } finally {
        this.#db.exec('COMMIT');
      }
    });
  }

  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#openNow();
      this.#db.exec('BEGIN IMMEDIATE');
      const tx = new SqliteTransaction(this, this.#p);
      try {
        const result = await fn(tx);
        tx.assignPositions();
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /** A cached prepared statement. */
  statement(sql: string): SqliteServerStatement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #openNow(): void {
    if (this.#closed) {
      throw new TidesyncError('STORAGE_CLOSED', 'The SQLite server store is closed.');
    }
    if (this.#opened) return;
    const p = this.#p;
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS ${p}meta (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL, head INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ${p}records (
        collection TEXT NOT NULL, id TEXT NOT NULL, owner_id TEXT NOT NULL, version INTEGER NOT NULL,
        data TEXT NOT NULL, hlc TEXT NOT NULL, field_clocks TEXT NOT NULL, deleted INTEGER NOT NULL,
        updated_at INTEGER NOT NULL, origin_client_id TEXT, origin_id TEXT, position INTEGER,
        PRIMARY KEY (collection, id));
      CREATE INDEX IF NOT EXISTS ${p}records_position ON ${p}records (position);
      CREATE INDEX IF NOT EXISTS ${p}records_origin ON ${p}records (collection, origin_client_id, origin_id);
      CREATE TABLE IF NOT EXISTS ${p}clients (client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, last_seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ${p}outcomes (client_id TEXT NOT NULL, op_id TEXT NOT NULL, seq INTEGER NOT NULL, result TEXT NOT NULL, PRIMARY KEY (client_id, op_id));
    `);
    this.statement(`INSERT OR IGNORE INTO ${p}meta (id, epoch, head) VALUES (1, ?, 0)`).run(
      createId(),
    );
    this.#opened = true;
  }
}

class SqliteTransaction implements ServerStoreTransaction {
  readonly #store: SqliteServerStore;
  readonly #p: string;
  /** Keys written in this transaction, in write order (re-inserted on each write). */
  readonly #touched = new Map<string, readonly [string, string]>();

  constructor(store: SqliteServerStore, prefix: string) {
    this.#store = store;
    this.#p = prefix;
  }

  #meta(): { epoch: string; head: number } {
    const row = this.#store
      .statement(`SELECT epoch, head FROM ${this.#p}meta WHERE id = 1`)
      .get() as { epoch: string; head: number } | undefined;
    if (!row) throw new Error('tidesync meta row missing');
    return row;
  }

  async getEpoch(): Promise<string> {
    return this.#meta().epoch;
  }

  async getHead(): Promise<number> {
    return Number(this.#meta().head);
  }

  async listChanges(after: number, limit: number): Promise<FeedEntry[]> {
    const rows = this.#store
      .statement(`SELECT * FROM ${this.#p}records WHERE position > ? ORDER BY position LIMIT ?`)
      .all(after, limit) as RecordRow[];
    return rows.map((row) => ({ position: Number(row.position), record: rowToRecord(row) }));
  }

  async getRecord(collection: string, id: string): Promise<ServerRecord | undefined> {
    const row = this.#store
      .statement(`SELECT * FROM ${this.#p}records WHERE collection = ? AND id = ?`)
      .get(collection, id) as RecordRow | undefined;
    return row && rowToRecord(row);
  }

  async getClient(clientId: string): Promise<ClientState | undefined> {
    const row = this.#store
      .statement(`SELECT * FROM ${this.#p}clients WHERE client_id = ?`)
      .get(clientId) as ClientRow | undefined;
    return row && rowToClient(row);
  }

  async lockClient(clientId: string, userId: string): Promise<ClientState> {
    this.#store
      .statement(
        `INSERT OR IGNORE INTO ${this.#p}clients (client_id, user_id, last_seq) VALUES (?, ?, 0)`,
      )
      .run(clientId, userId);
    const client = await this.getClient(clientId);
    if (!client) throw new Error(`client ${clientId} vanished`);
    return client;
  }

  async setLastSeq(clientId: string, lastSeq: number): Promise<void> {
    this.#store
      .statement(`UPDATE ${this.#p}clients SET last_seq = ? WHERE client_id = ?`)
      .run(lastSeq, clientId);
  }

  async getOutcome(clientId: string, opId: string): Promise<OpResult | undefined> {
    const row = this.#store
      .statement(`SELECT result FROM ${this.#p}outcomes WHERE client_id = ? AND op_id = ?`)
      .get(clientId, opId) as { result: string } | undefined;
    return row && parseOutcome(row.result);
  }

  async putOutcome(clientId: string, opId: string, seq: number, result: OpResult): Promise<void> {
    this.#store
      .statement(
        `INSERT OR REPLACE INTO ${this.#p}outcomes (client_id, op_id, seq, result) VALUES (?, ?, ?, ?)`,
      )
      .run(clientId, opId, seq, JSON.stringify(result));
  }

  async getRecordByOrigin(
    collection: string,
    originClientId: string,
    originId: string,
  ): Promise<ServerRecord | undefined> {
    const row = this.#store
      .statement(
        `SELECT * FROM ${this.#p}records WHERE collection = ? AND origin_client_id = ? AND origin_id = ? LIMIT 1`,
      )
      .get(collection, originClientId, originId) as RecordRow | undefined;
    return row && rowToRecord(row);
  }

  async putRecord(record: ServerRecord): Promise<void> {
    this.#store
      .statement(
        `INSERT OR REPLACE INTO ${this.#p}records (${RECORD_COLUMNS}, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(...recordValues(record, true));
    const k = `${record.collection}\u0000${record.id}`;
    this.#touched.delete(k);
    this.#touched.set(k, [record.collection, record.id]);
  }

  /** Gives each written record its feed position; the last statement before COMMIT. */
  assignPositions(): void {
    if (this.#touched.size === 0) return;
    let position = Number(this.#meta().head);
    const update = this.#store.statement(
      `UPDATE ${this.#p}records SET position = ? WHERE collection = ? AND id = ?`,
    );
    for (const [collection, id] of this.#touched.values()) {
      position += 1;
      update.run(position, collection, id);
    }
    this.#store.statement(`UPDATE ${this.#p}meta SET head = ? WHERE id = 1`).run(position);
  }
}
