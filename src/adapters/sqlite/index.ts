export { betterSqlite3Driver } from './better-sqlite3-driver.js';
export type { BetterSqlite3Database, BetterSqlite3Statement } from './better-sqlite3-driver.js';
export { sqlJsDriver } from './sql-js-driver.js';
export type { SqlJsDatabase, SqlJsStatement, SqlJsValue } from './sql-js-driver.js';
export { sqliteAdapter } from './sqlite-adapter.js';
export type { SqliteAdapterOptions } from './sqlite-adapter.js';
export type { SqliteDriver, SqliteRow, SqliteRunResult, SqliteValue } from './sqlite-driver.js';
export { SQLITE_LAYOUT_VERSION } from './sqlite-schema.js';
export { userStorageName } from '../../core/index.js';
