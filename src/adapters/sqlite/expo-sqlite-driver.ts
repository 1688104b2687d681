import type { NumberBoundValue } from './driver-values.js';
import { withoutBigints } from './driver-values.js';
import type { SqliteDriver, SqliteRow } from './sqlite-driver.js';

/**
 * The part of an expo-sqlite (SDK 50+) `SQLiteDatabase` the driver uses, described
 * structurally so that tidesync never imports expo-sqlite. The real `SQLiteDatabase` type is
 * checked to fit it (test/adapters/react-native-driver-types.test.ts).
 */
export interface ExpoSqliteDatabase {
  execAsync(source: string): Promise<void>;
  runAsync(source: string, params: NumberBoundValue[]): Promise<{ readonly changes: number }>;
  getFirstAsync<T>(source: string, params: NumberBoundValue[]): Promise<T | null>;
  getAllAsync<T>(source: string, params: NumberBoundValue[]): Promise<T[]>;
  closeAsync(): Promise<void>;
}

/**
 * Wraps an expo-sqlite database the app opened (`await SQLite.openDatabaseAsync('app.db')`) as a
 * {@link SqliteDriver}. Give tidesync a database object of its own, so that no other query runs
 * inside its transactions. `bigint` parameters are bound as numbers. The adapter closes the
 * database in its `close()`.
 *
 * @example
 * import * as SQLite from 'expo-sqlite';
 * const storage = sqliteAdapter({ driver: expoSqliteDriver(await SQLite.openDatabaseAsync('app.db')) });
 */
export function expoSqliteDriver(db: ExpoSqliteDatabase): SqliteDriver {
  return {
    exec: (sql) => db.execAsync(sql),
    async run(sql, params = []) {
      const result = await db.runAsync(sql, withoutBigints(params));
      return { changes: result.changes };
    },
    async get(sql, params = []) {
      return (await db.getFirstAsync<SqliteRow>(sql, withoutBigints(params))) ?? undefined;
    },
    all: (sql, params = []) => db.getAllAsync<SqliteRow>(sql, withoutBigints(params)),
    close: () => db.closeAsync(),
  };
}
