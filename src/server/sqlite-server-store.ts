import { TidesyncError, createId } from '../core/index.js';
import { Mutex } from './mutex.js';
import type { ServerStore, ServerStoreReader, ServerStoreTransaction } from './server-store.js';
import { requireSafeIdentifier } from './sql-rows.js';
import type { SqliteServerStatement } from './sqlite-transaction.js';
import { SqliteTransaction } from './sqlite-transaction.js';
import { setIndexLayout } from './sets/sql-set-index.js';

export type { SqliteServerStatement } from './sqlite-transaction.js';

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
  const prefix = requireSafeIdentifier('tablePrefix', options.tablePrefix ?? 'tidesync_');
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
        return await fn(new SqliteTransaction(this, this.#p, false));
      } finally {
        this.#db.exec('COMMIT');
      }
    });
  }

  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#openNow();
      this.#db.exec('BEGIN IMMEDIATE');
      const tx = new SqliteTransaction(this, this.#p, true);
      try {
        const result = await fn(tx);
        tx.flush();
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
        former TEXT, writer_client_id TEXT, writer_seq INTEGER, PRIMARY KEY (collection, id));
      CREATE INDEX IF NOT EXISTS ${p}records_position ON ${p}records (position);
      CREATE INDEX IF NOT EXISTS ${p}records_origin ON ${p}records (collection, origin_client_id, origin_id);
      CREATE INDEX IF NOT EXISTS ${p}records_owner_position ON ${p}records (owner_id, position);
      CREATE INDEX IF NOT EXISTS ${p}records_collection_position ON ${p}records (collection, position);
      CREATE INDEX IF NOT EXISTS ${p}records_owner_collection_position ON ${p}records (owner_id, collection, position);
      CREATE TABLE IF NOT EXISTS ${p}clients (client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, last_seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ${p}outcomes (client_id TEXT NOT NULL, op_id TEXT NOT NULL, seq INTEGER NOT NULL, result TEXT NOT NULL, PRIMARY KEY (client_id, op_id));
    `);
    for (const ddl of setIndexLayout(p, `${p}set_index_range`)) this.#db.exec(ddl);
    // Former states of scoped records (scope exits): added in place to an older store.
    const columns = this.statement(`SELECT name FROM pragma_table_info('${p}records')`).all() as {
      name: string;
    }[];
    if (!columns.some((c) => c.name === 'former')) {
      this.#db.exec(`ALTER TABLE ${p}records ADD COLUMN former TEXT`);
    }
    // Who wrote each state (a pull leaves out a client's own echoes): added in place to an
    // older store; rows written before keep NULL, so their echoes are sent as before.
    if (!columns.some((c) => c.name === 'writer_client_id')) {
      this.#db.exec(`ALTER TABLE ${p}records ADD COLUMN writer_client_id TEXT`);
      this.#db.exec(`ALTER TABLE ${p}records ADD COLUMN writer_seq INTEGER`);
    }
    this.statement(`INSERT OR IGNORE INTO ${p}meta (id, epoch, head) VALUES (1, ?, 0)`).run(
      createId(),
    );
    this.#opened = true;
  }
}
