import type { NumberBoundValue } from './driver-values.js';
import { splitStatements, withoutBigints } from './driver-values.js';
import type { SqliteDriver, SqliteRow } from './sqlite-driver.js';

/** What op-sqlite's `execute` resolves with: the part the driver reads. */
export interface OpSqliteQueryResult {
  readonly rowsAffected: number;
  readonly rows: readonly Record<string, unknown>[];
}

/**
 * The part of an op-sqlite (v9+) `DB` the driver uses, described structurally so that tidesync
 * never imports op-sqlite. op-sqlite's `Scalar` has no `bigint`, so parameters are typed without
 * it; the real `DB` type is checked to fit (test/adapters/react-native-driver-types.test.ts).
 */
export interface OpSqliteDatabase {
  execute(query: string, params?: NumberBoundValue[]): Promise<OpSqliteQueryResult>;
  close(): void;
}

/**
 * Wraps an op-sqlite database the app opened (`open({ name: 'app.db' })`) as a
 * {@link SqliteDriver}. Give tidesync a database object of its own, so that no other query runs
 * inside its transactions. `bigint` parameters are bound as numbers; multi-statement SQL (the
 * adapter's table set-up) runs one statement per `execute`. The adapter closes the database in
 * its `close()`.
 *
 * @example
 * import { open } from '@op-engineering/op-sqlite';
 * const storage = sqliteAdapter({ driver: opSqliteDriver(open({ name: 'app.db' })) });
 */
export function opSqliteDriver(db: OpSqliteDatabase): SqliteDriver {
  return {
    async exec(sql) {
      for (const statement of splitStatements(sql)) await db.execute(statement);
    },
    async run(sql, params = []) {
      return { changes: (await db.execute(sql, withoutBigints(params))).rowsAffected };
    },
    async get(sql, params = []) {
      return (await db.execute(sql, withoutBigints(params))).rows[0] as SqliteRow | undefined;
    },
    async all(sql, params = []) {
      return (await db.execute(sql, withoutBigints(params))).rows as SqliteRow[];
    },
    async close() {
      db.close();
    },
  };
}
