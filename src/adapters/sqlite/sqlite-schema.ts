import { StorageError } from '../../core/index.js';
import type { SqliteDriver } from './sqlite-driver.js';

/** The table layout version this code writes, stored in `PRAGMA user_version`. */
export const SQLITE_LAYOUT_VERSION = 2;

const RECORDS_V2 = `
CREATE TABLE IF NOT EXISTS tidesync_records (
  collection   TEXT NOT NULL,
  id           TEXT NOT NULL,
  server_id    TEXT,
  data         TEXT NOT NULL,
  version      INTEGER NOT NULL,
  hlc          TEXT NOT NULL,
  field_clocks TEXT NOT NULL,
  updated_at   INTEGER NOT NULL,
  accessed_at  INTEGER NOT NULL DEFAULT 0,
  sync_status  TEXT NOT NULL,
  deleted      INTEGER NOT NULL,
  conflict     TEXT,
  PRIMARY KEY (collection, id)
) WITHOUT ROWID;`;

const SHARED_V1 = `
CREATE UNIQUE INDEX IF NOT EXISTS tidesync_records_server_id
  ON tidesync_records (collection, server_id) WHERE server_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS tidesync_ops (
  op_id      TEXT PRIMARY KEY NOT NULL,
  seq        INTEGER NOT NULL,
  collection TEXT NOT NULL,
  record_id  TEXT NOT NULL,
  state      TEXT NOT NULL,
  body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tidesync_ops_seq ON tidesync_ops (seq);
CREATE INDEX IF NOT EXISTS tidesync_ops_record ON tidesync_ops (collection, record_id, seq);
CREATE INDEX IF NOT EXISTS tidesync_ops_state ON tidesync_ops (state, seq);
CREATE TABLE IF NOT EXISTS tidesync_meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;`;

// Added in layout 2: retention scans by collection and last access, and by status.
const INDEXES_V2 = `
CREATE INDEX IF NOT EXISTS tidesync_records_accessed ON tidesync_records (collection, accessed_at);
CREATE INDEX IF NOT EXISTS tidesync_records_status ON tidesync_records (collection, sync_status);`;

/**
 * Upgrades from layout N-1 to N. Each step only adds (columns, indexes, tables) and never drops
 * data. Layout 1 had no `accessed_at` column and no retention indexes.
 */
const MIGRATIONS: Readonly<Record<number, string>> = {
  2: `
ALTER TABLE tidesync_records ADD COLUMN accessed_at INTEGER NOT NULL DEFAULT 0;
UPDATE tidesync_records SET accessed_at = updated_at;
${INDEXES_V2}`,
};

/**
 * Creates the current layout in an empty database, or upgrades an older one in place. Runs
 * inside the caller's write transaction, so a failed upgrade leaves the old layout untouched.
 *
 * @throws StorageError `STORAGE_FAILED` when the database was written by a newer tidesync.
 */
export async function migrateLayout(driver: SqliteDriver): Promise<void> {
  const row = await driver.get('PRAGMA user_version');
  const current = Number(row?.['user_version'] ?? 0);
  if (current === SQLITE_LAYOUT_VERSION) return;
  if (current > SQLITE_LAYOUT_VERSION) {
    throw new StorageError(
      'STORAGE_FAILED',
      `The SQLite database has tidesync layout version ${current}, newer than the ${SQLITE_LAYOUT_VERSION} this version of tidesync understands. Upgrade tidesync; opening it with an older version is refused to protect the data.`,
    );
  }
  if (current === 0) {
    await driver.exec(RECORDS_V2 + SHARED_V1 + INDEXES_V2);
  } else {
    for (let version = current + 1; version <= SQLITE_LAYOUT_VERSION; version++) {
      const step = MIGRATIONS[version];
      if (step) await driver.exec(step);
    }
  }
  await driver.exec(`PRAGMA user_version = ${SQLITE_LAYOUT_VERSION}`);
}
