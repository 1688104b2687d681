import type { SqliteDriver, SqliteRow, SqliteValue } from './sqlite-driver.js';

/** A value sql.js binds (it has no bigint). */
export type SqlJsValue = string | number | Uint8Array | null;

// sql.js cannot bind bigint: convert to number (the adapter only binds safe integers anyway).
const toSqlJs = (params: readonly SqliteValue[]): SqlJsValue[] =>
  params.map((p) => (typeof p === 'bigint' ? Number(p) : p));

/** The part of a sql.js prepared statement the driver uses. */
export interface SqlJsStatement {
  bind(params?: SqlJsValue[]): boolean;
  step(): boolean;
  getAsObject(): Record<string, unknown>;
  free(): boolean;
}

/**
 * The part of a sql.js `Database` the driver uses, described structurally so that sql.js is
 * never imported by tidesync.
 */
export interface SqlJsDatabase {
  exec(sql: string): unknown;
  run(sql: string, params?: SqlJsValue[]): unknown;
  prepare(sql: string): SqlJsStatement;
  getRowsModified(): number;
  close(): void;
}

/**
 * Wraps a sql.js (SQLite compiled to WebAssembly) `Database` as a {@link SqliteDriver}. It runs
 * in browsers and Node alike; the database lives in memory unless the app exports and saves it.
 * The adapter closes the database in its `close()`.
 *
 * @example
 * const SQL = await initSqlJs();
 * const storage = sqliteAdapter({ driver: sqlJsDriver(new SQL.Database()) });
 */
export function sqlJsDriver(db: SqlJsDatabase): SqliteDriver {
  const query = (sql: string, params: readonly SqliteValue[], first: boolean): SqliteRow[] => {
    const statement = db.prepare(sql);
    try {
      if (params.length > 0) statement.bind(toSqlJs(params));
      const rows: SqliteRow[] = [];
      while (statement.step()) {
        rows.push(statement.getAsObject());
        if (first) break;
      }
      return rows;
    } finally {
      statement.free();
    }
  };
  return {
    async exec(sql) {
      db.exec(sql);
    },
    async run(sql, params = []) {
      db.run(sql, toSqlJs(params));
      return { changes: db.getRowsModified() };
    },
    async get(sql, params = []) {
      return query(sql, params, true)[0];
    },
    async all(sql, params = []) {
      return query(sql, params, false);
    },
    async close() {
      db.close();
    },
  };
}
