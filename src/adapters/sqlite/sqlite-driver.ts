/** A value SQLite can bind or return: text, numbers, blobs and null. */
export type SqliteValue = string | number | bigint | Uint8Array | null;

/** One result row, keyed by column name. */
export type SqliteRow = Record<string, unknown>;

/** What `run()` reports about a write statement. */
export interface SqliteRunResult {
  /** Rows inserted, updated or deleted by the statement. */
  readonly changes: number;
}

/**
 * The few calls the SQLite adapter needs from a database binding, described structurally so
 * tidesync never imports one. `betterSqlite3Driver()` and `sqlJsDriver()` implement it; an
 * expo-sqlite or op-sqlite binding is a dozen lines (see docs/adapters.md).
 *
 * Contract: every call runs on ONE connection, in the order the adapter makes them (the adapter
 * never overlaps calls and keeps its own transaction state with `BEGIN`/`COMMIT`/`ROLLBACK`);
 * failures reject with the engine's error, whose `code` (`SQLITE_BUSY`, `SQLITE_FULL`, ...) or
 * message (`database is locked`, `database or disk is full`) the adapter maps to a
 * `StorageError`. Positional `?` parameters only.
 */
export interface SqliteDriver {
  /** Runs one or more statements without parameters or results (DDL, `BEGIN`, pragmas). */
  exec(sql: string): Promise<void>;
  /** Runs one write statement with positional parameters. */
  run(sql: string, params?: readonly SqliteValue[]): Promise<SqliteRunResult>;
  /** Runs a query and resolves with its first row, or `undefined` when there is none. */
  get(sql: string, params?: readonly SqliteValue[]): Promise<SqliteRow | undefined>;
  /** Runs a query and resolves with every row. */
  all(sql: string, params?: readonly SqliteValue[]): Promise<SqliteRow[]>;
  /** Closes the connection. Called once by the adapter's `close()`; optional. */
  close?(): Promise<void>;
}
