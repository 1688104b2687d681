import type { SqliteDriver, SqliteRow } from './sqlite-driver.js';

/** The part of a better-sqlite3 prepared statement the driver uses. */
export interface BetterSqlite3Statement {
  run(...params: unknown[]): { readonly changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/**
 * The part of a better-sqlite3 `Database` the driver uses, described structurally so that
 * better-sqlite3 stays an optional peer dependency that tidesync never imports.
 */
export interface BetterSqlite3Database {
  prepare(sql: string): BetterSqlite3Statement;
  exec(sql: string): unknown;
  close(): unknown;
}

// Prepared statements are cached per SQL text: the adapter uses a few dozen distinct ones.
const MAX_CACHED_STATEMENTS = 200;

// Run as cached prepared statements: `exec` parses its SQL on every call, and these run twice
// per transaction.
const TRANSACTION_CONTROL: ReadonlySet<string> = new Set([
  'BEGIN',
  'BEGIN IMMEDIATE',
  'COMMIT',
  'ROLLBACK',
]);

/**
 * Wraps a better-sqlite3 `Database` the app opened as a {@link SqliteDriver}, caching prepared
 * statements. The adapter closes the database in its `close()`.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const storage = sqliteAdapter({ driver: betterSqlite3Driver(new Database('app.db')) });
 */
export function betterSqlite3Driver(db: BetterSqlite3Database): SqliteDriver {
  const statements = new Map<string, BetterSqlite3Statement>();
  const prepare = (sql: string): BetterSqlite3Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    async exec(sql) {
      if (TRANSACTION_CONTROL.has(sql)) prepare(sql).run();
      else db.exec(sql);
    },
    async run(sql, params = []) {
      return { changes: prepare(sql).run(...params).changes };
    },
    async get(sql, params = []) {
      return prepare(sql).get(...params) as SqliteRow | undefined;
    },
    async all(sql, params = []) {
      return prepare(sql).all(...params) as SqliteRow[];
    },
    async close() {
      statements.clear();
      db.close();
    },
  };
}
