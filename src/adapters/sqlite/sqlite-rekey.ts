import { StorageError, TidesyncError, describeValue, toError } from '../../core/index.js';
import type { BetterSqlite3Database } from './better-sqlite3-driver.js';
import { keyInvalidError, toStorageError } from './sqlite-errors.js';

/** The few `node:fs` functions {@link rotateEncryptionKey} uses (Node's `fs` has them all). */
export interface RekeyFileSystem {
  renameSync(from: string, to: string): void;
  rmSync(path: string, options: { force: true }): void;
  openSync(path: string, flags: string): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
}

/** The steps of a key rotation, in order, as reported to `onStep`. */
export type RekeyStep = 'copied' | 'rekeyed' | 'flushed' | 'renamed' | 'done';

/** Options of {@link rotateEncryptionKey}. */
export interface RotateEncryptionKeyOptions {
  /** The database file. Every connection to it must be closed (close the client first). */
  readonly path: string;
  /** The key the file is encrypted with now. */
  readonly oldKey: string;
  /** The key to encrypt it with. */
  readonly newKey: string;
  /**
   * Opens a connection to a file, unkeyed, with an encrypting build of SQLite (SQLite3 Multiple
   * Ciphers or SQLCipher): `(file) => new Database(file)` with better-sqlite3-multiple-ciphers.
   */
  readonly open: (file: string) => BetterSqlite3Database;
  /** File operations. @default `node:fs` (Node 20.16 and later) */
  readonly fileSystem?: RekeyFileSystem;
  /** Called after each step, for logs or progress. */
  readonly onStep?: (step: RekeyStep) => void;
}

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * Re-encrypts the SQLite database at `path` from `oldKey` to `newKey`, crash-safely: it writes
 * a copy under the new key beside the file (`<path>.rekey`), flushes it to disk and renames it
 * over the database (atomic). A crash at any point leaves the whole database under `oldKey`
 * (until the rename) or under `newKey` (after it), never half of each; running it again after a
 * crash under the old key finishes the job. Keep both keys until it returns. In-place
 * `PRAGMA rekey` is not used: a crash in the middle of it can leave a file neither key opens.
 *
 * The work is synchronous (better-sqlite3 calls); it returns a promise like the IndexedDB
 * adapter's `rotateEncryptionKey`.
 *
 * @throws StorageError `STORAGE_KEY_INVALID` (rejects) when `oldKey` does not open the file
 *   (nothing changed; if an earlier rotation finished, the file is already under `newKey`),
 *   `STORAGE_BUSY` when another connection is still reading the database (nothing changed),
 *   `STORAGE_FAILED` for any other engine or file error (the database is left under `oldKey`).
 * @throws TidesyncError `INVALID_OPTION` (rejects) for a missing option or equal keys.
 * @example
 * import Database from 'better-sqlite3-multiple-ciphers';
 * import { rotateEncryptionKey } from 'tidesync/adapters/sqlite';
 *
 * await client.close();
 * await rotateEncryptionKey({ path: 'app.db', oldKey, newKey, open: (file) => new Database(file) });
 */
export async function rotateEncryptionKey(options: RotateEncryptionKeyOptions): Promise<void> {
  const { path, oldKey, newKey, open, onStep } = validate(options);
  const fs = options.fileSystem ?? nodeFileSystem();
  const side = `${path}.rekey`;
  const removeSide = (): void => {
    fs.rmSync(side, { force: true });
    fs.rmSync(`${side}-journal`, { force: true });
  };
  removeSide();
  withDatabase(open, path, oldKey, 'reading the database with the old key', (db) => {
    // An empty WAL afterwards: nothing of the old file lives outside it when it is replaced.
    // A connection still reading keeps its frames there: writes through it would be lost.
    const checkpoint = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy?: unknown };
    if (checkpoint?.busy) {
      throw new StorageError(
        'STORAGE_BUSY',
        'Cannot rotate the SQLite key: another connection is using the database (its WAL could not be checkpointed). Close every connection to it (close the client first) and retry; nothing was changed.',
        { retryable: true },
      );
    }
    db.exec(`VACUUM INTO ${quote(side)}`);
  });
  onStep?.('copied');
  withDatabase(open, side, oldKey, 'encrypting the copy with the new key', (db) => {
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(`PRAGMA rekey = ${quote(newKey)}`);
  });
  onStep?.('rekeyed');
  guard('flushing the copy to disk', () => {
    fsyncPath(fs, side);
    // The old file's WAL and shm are empty (checkpointed, every connection closed): a WAL
    // left beside the new file would be read as its own.
    fs.rmSync(`${path}-wal`, { force: true });
    fs.rmSync(`${path}-shm`, { force: true });
  });
  onStep?.('flushed');
  guard('renaming the copy over the database', () => fs.renameSync(side, path));
  onStep?.('renamed');
  guard('flushing the directory', () => fsyncDirectory(fs, path));
  onStep?.('done');
}

function validate(options: RotateEncryptionKeyOptions): RotateEncryptionKeyOptions {
  const { path, oldKey, newKey, open } = options ?? ({} as RotateEncryptionKeyOptions);
  for (const [name, value] of [
    ['path', path],
    ['oldKey', oldKey],
    ['newKey', newKey],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`${name}\` to be a non-empty string, got ${describeValue(value)}.`,
      );
    }
  }
  if (typeof open !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`open\` to be a function that opens a file, got ${describeValue(open)}. With better-sqlite3-multiple-ciphers: \`open: (file) => new Database(file)\`.`,
    );
  }
  if (oldKey === newKey) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Expected `newKey` to differ from `oldKey`: rotating to the same key changes nothing.',
    );
  }
  return options;
}

/** Opens `file` keyed with `key`, checks the key reads it, runs `use`, and closes it. */
function withDatabase(
  open: (file: string) => BetterSqlite3Database,
  file: string,
  key: string,
  doing: string,
  use: (db: BetterSqlite3Database) => void,
): void {
  const db = guard(doing, () => open(file));
  try {
    guard(doing, () => {
      db.exec(`PRAGMA key = ${quote(key)}`);
      try {
        db.prepare('SELECT count(*) FROM sqlite_master').get();
      } catch (error) {
        throw keyInvalidError(error) ?? error;
      }
      use(db);
    });
  } finally {
    db.close();
  }
}

function guard<T>(doing: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof StorageError && error.code === 'STORAGE_KEY_INVALID') {
      throw new StorageError(
        'STORAGE_KEY_INVALID',
        `Cannot rotate the SQLite key: \`oldKey\` does not open the database (${toError(error.cause).message}). Nothing was changed. Pass the key the file is encrypted with now; if an earlier rotation finished, the file is already under the new key.`,
        { cause: error.cause },
      );
    }
    throw toStorageError(error, `${doing} during a key rotation (the database is unchanged)`);
  }
}

function fsyncPath(fs: RekeyFileSystem, file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes the rename durable; some platforms (Windows) cannot open a directory: skipped there. */
function fsyncDirectory(fs: RekeyFileSystem, file: string): void {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  const directory = slash < 0 ? '.' : file.slice(0, slash) || '/';
  let fd: number;
  try {
    fd = fs.openSync(directory, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Not supported for directories here (Windows); the rename itself is atomic.
  } finally {
    fs.closeSync(fd);
  }
}

/** `node:fs`, looked up at run time so that bundles for React Native and browsers need no stub. */
function nodeFileSystem(): RekeyFileSystem {
  const lookup = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
    .process?.getBuiltinModule;
  const fs = lookup?.('node:fs') as RekeyFileSystem | undefined;
  if (!fs) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'rotateEncryptionKey() needs file operations: this runtime has no `node:fs` (Node 20.16 or later has it). Pass `fileSystem` with renameSync, rmSync, openSync, fsyncSync and closeSync.',
    );
  }
  return fs;
}
