import { TidesyncError } from '../../core/index.js';
import type { SqliteDriver } from './sqlite-driver.js';
import { classifySqliteError, toStorageError } from './sqlite-errors.js';

/** The schema name of the attached lock database. */
const LOCK_SCHEMA = 'tidesync_lock';

/** What a database file's lock file is called: next to it, like its `-wal` and `-shm`. */
export const lockFileOf = (file: string): string => `${file}.tidesync-lock`;

// Process-wide on purpose (like the client's storage claims): the OS lock belongs to one
// connection, and further adapters of this realm on the same file share it rather than
// refuse each other (in-process connections were always allowed; tests simulate crashes so).
const heldInThisRealm = new Set<string>();

/** A held lock; `release()` is idempotent. */
export interface ProcessLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Takes the cross-process lock of the database `driver` is connected to: an exclusive SQLite
 * lock (`locking_mode=EXCLUSIVE`) on a small side database, attached to the same connection and
 * held until it closes. The operating system drops the lock when the process dies, so a killed
 * holder never leaves the file locked. Resolves with `undefined` for databases without a file
 * (`:memory:`, sql.js) and when another adapter of this realm already holds the lock.
 *
 * @throws TidesyncError `STORAGE_IN_USE` when another process holds the lock.
 */
export async function acquireProcessLock(driver: SqliteDriver): Promise<ProcessLock | undefined> {
  const main = (await driver.all('PRAGMA database_list')).find((row) => row['name'] === 'main');
  const file = typeof main?.['file'] === 'string' ? main['file'] : '';
  if (file === '' || heldInThisRealm.has(file)) return undefined;
  const lockFile = lockFileOf(file);
  try {
    // KEY '': the lock database is never encrypted (SQLCipher / SQLite3 Multiple Ciphers would
    // otherwise key it like the main one, and a key rotation would make it unreadable). Plain
    // SQLite parses and ignores the clause.
    await driver.run(`ATTACH DATABASE ? AS ${LOCK_SCHEMA} KEY ''`, [lockFile]);
  } catch (error) {
    throw classifySqliteError(error) === 'busy'
      ? inUse(file, error)
      : toStorageError(error, `attaching the lock file ${lockFile}`);
  }
  try {
    await driver.exec(`PRAGMA ${LOCK_SCHEMA}.locking_mode = EXCLUSIVE`);
    await driver.exec(
      `CREATE TABLE IF NOT EXISTS ${LOCK_SCHEMA}.holder (id INTEGER PRIMARY KEY, since_ms INTEGER NOT NULL)`,
    );
    // A write takes the exclusive lock; in EXCLUSIVE mode it is kept after the commit.
    await driver.run(`INSERT OR REPLACE INTO ${LOCK_SCHEMA}.holder VALUES (1, ?)`, [Date.now()]);
  } catch (error) {
    await driver.exec(`DETACH DATABASE ${LOCK_SCHEMA}`).catch(() => undefined);
    throw classifySqliteError(error) === 'busy'
      ? inUse(file, error)
      : toStorageError(error, `locking ${lockFile}`);
  }
  heldInThisRealm.add(file);
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      heldInThisRealm.delete(file);
      await driver.exec(`DETACH DATABASE ${LOCK_SCHEMA}`).catch(() => undefined);
    },
  };
}

function inUse(file: string, cause: unknown): TidesyncError {
  return new TidesyncError(
    'STORAGE_IN_USE',
    `The SQLite database ${file} is in use by a tidesync client in another process (it holds ${lockFileOf(file)} locked). Two clients on one file would hand out the same op sequence numbers and overwrite each other. Close the other process's client, or give this process its own database file; the lock is released when that client closes or its process exits.`,
    { cause },
  );
}
