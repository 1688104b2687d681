import { StorageError } from '../../core/index.js';
import type { SqliteDriver } from './sqlite-driver.js';

/** The table layout version this code writes, stored in `PRAGMA user_version`. */
export const SQLITE_LAYOUT_VERSION = 7;

// Layout 4: records are a rowid table, so new rows are appended in arrival order and only the
// two small key indexes (local id, server id) take random inserts. Layouts 1-3 clustered the
// whole row by (collection, id): a pull of random ids rewrote most of the table's pages on
// every commit (~2.5x the pages written per 500 records at 10k, ~5x at 100k).
const RECORDS_TABLE = `
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
);
CREATE UNIQUE INDEX IF NOT EXISTS tidesync_records_server_id
  ON tidesync_records (collection, server_id) WHERE server_id IS NOT NULL;`;

const META_TABLE = `
CREATE TABLE IF NOT EXISTS tidesync_meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;`;

const RECORD_COLUMNS_V4 =
  'collection, id, server_id, data, version, hlc, field_clocks, updated_at, accessed_at, sync_status, deleted, conflict';

// Layout 3: the outbox is keyed by `seq` (the rowid), so listing in order needs no index and
// appending an op writes the last page; by op id and by record are the only indexes. Conflicted
// records are indexed alone (a partial index is empty, and costs nothing per write, while there
// are no conflicts). Every index is pages written by every commit: layout 2 wrote ~12 pages per
// insert, layout 3 ~7.
const OPS_TABLE_V3 = `
CREATE TABLE IF NOT EXISTS tidesync_ops (
  seq        INTEGER PRIMARY KEY NOT NULL,
  op_id      TEXT NOT NULL,
  collection TEXT NOT NULL,
  record_id  TEXT NOT NULL,
  state      TEXT NOT NULL,
  body       TEXT NOT NULL
);`;
const OPS_V3 = `${OPS_TABLE_V3}
CREATE UNIQUE INDEX IF NOT EXISTS tidesync_ops_id ON tidesync_ops (op_id);
CREATE INDEX IF NOT EXISTS tidesync_ops_record ON tidesync_ops (collection, record_id);`;

// Layout 5: the clock and the outbox counter, which nearly every local write sets, ride on the
// last op row (which that write appends anyway) instead of in their own meta rows: about 6
// pages per insert instead of 7 (sqlite-carried-meta.ts). Layout 4 files keep their meta rows,
// read while the last op carries nothing, until the first write that carries the values.
const OPS_CARRIED_META = `
ALTER TABLE tidesync_ops ADD COLUMN carried_meta TEXT;`;

// Layout 6: nothing moves. Rows written from layout 6 on store field clocks equal to the row's
// `hlc` as `0`, and op bodies leave out what the op's columns hold (sqlite-field-clocks.ts,
// sqlite-op-body.ts); rows of older layouts read back unchanged. The version says that an older
// tidesync, which would read the new rows wrong, must refuse the file.

// Layout 7: the outbox table has no index. Ops are found by op id and by record through the
// connection's in-memory map of the table (sqlite-op-index.ts): two b-trees fewer written per
// local insert (3 instead of 5). Existing rows stay as they are; new op bodies are arrays and
// an insert's clocks are stored as `0` (sqlite-op-body.ts, sqlite-field-clocks.ts), which an
// older tidesync would read wrong: it refuses the file by its version.
const DROP_OP_INDEXES = `
DROP INDEX IF EXISTS tidesync_ops_id;
DROP INDEX IF EXISTS tidesync_ops_record;`;

const INDEXES_V3 = `
CREATE INDEX IF NOT EXISTS tidesync_records_conflicted
  ON tidesync_records (collection, sync_status) WHERE sync_status = 'conflicted';`;

/**
 * Upgrades from layout N-1 to N. Data is never dropped. Layout 1 had no `accessed_at` column;
 * layout 2 added it with two record indexes and had an op table keyed by op id with three
 * indexes, which layout 3 rebuilds keyed by `seq` (unique per client: it is allocated from one
 * counter in the same transaction as the op). Layout 4 rebuilds the records table as a rowid
 * table (rows and key values unchanged). Layout 5 adds the op column that carries the clock
 * and outbox counter (nothing moves: the meta rows are read until a write carries the values).
 * Layout 6 changes how new rows are written, not the tables (nothing moves either). Layout 7
 * drops the outbox's two indexes (nothing moves).
 */
const MIGRATIONS: Readonly<Record<number, string>> = {
  2: `
ALTER TABLE tidesync_records ADD COLUMN accessed_at INTEGER NOT NULL DEFAULT 0;
UPDATE tidesync_records SET accessed_at = updated_at;`,
  3: `
DROP INDEX IF EXISTS tidesync_records_accessed;
DROP INDEX IF EXISTS tidesync_records_status;
ALTER TABLE tidesync_ops RENAME TO tidesync_ops_v2;
DROP INDEX IF EXISTS tidesync_ops_seq;
DROP INDEX IF EXISTS tidesync_ops_record;
DROP INDEX IF EXISTS tidesync_ops_state;
${OPS_V3}
INSERT INTO tidesync_ops (seq, op_id, collection, record_id, state, body)
  SELECT seq, op_id, collection, record_id, state, body FROM tidesync_ops_v2 ORDER BY seq;
DROP TABLE tidesync_ops_v2;
${INDEXES_V3}`,
  4: `
ALTER TABLE tidesync_records RENAME TO tidesync_records_v3;
DROP INDEX IF EXISTS tidesync_records_server_id;
DROP INDEX IF EXISTS tidesync_records_conflicted;
${RECORDS_TABLE}
INSERT INTO tidesync_records (${RECORD_COLUMNS_V4})
  SELECT ${RECORD_COLUMNS_V4} FROM tidesync_records_v3;
DROP TABLE tidesync_records_v3;
${INDEXES_V3}`,
  5: OPS_CARRIED_META,
  6: '',
  7: DROP_OP_INDEXES,
};

async function checkUniqueSeqs(driver: SqliteDriver): Promise<void> {
  const duplicate = await driver.get(
    'SELECT seq FROM tidesync_ops GROUP BY seq HAVING count(*) > 1 LIMIT 1',
  );
  if (duplicate) {
    throw new StorageError(
      'STORAGE_FAILED',
      `Cannot upgrade the SQLite tidesync layout to version 3: several outbox ops have seq ${String(duplicate['seq'])}, and seqs must be unique. The database was left unchanged; it was probably written by something other than tidesync.`,
    );
  }
}

/**
 * Creates the current layout in an empty database, or upgrades an older one in place. Runs
 * inside the caller's write transaction, so a failed upgrade leaves the old layout untouched.
 *
 * @throws StorageError `STORAGE_FAILED` when the database was written by a newer tidesync, or
 *   holds outbox ops that layout 3 cannot key (duplicate `seq`).
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
    await driver.exec(RECORDS_TABLE + META_TABLE + OPS_TABLE_V3 + OPS_CARRIED_META + INDEXES_V3);
  } else {
    for (let version = current + 1; version <= SQLITE_LAYOUT_VERSION; version++) {
      if (version === 3) await checkUniqueSeqs(driver);
      const step = MIGRATIONS[version];
      if (step) await driver.exec(step);
    }
  }
  await driver.exec(`PRAGMA user_version = ${SQLITE_LAYOUT_VERSION}`);
}
