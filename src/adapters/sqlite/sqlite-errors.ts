import type { OutboxOp, StoredRecord } from '../../core/index.js';
import { StorageError, TidesyncError, toError } from '../../core/index.js';

/** What kind of engine failure an error from a driver is. */
export type SqliteFailureKind = 'busy' | 'full' | 'other';

/**
 * Classifies a driver error by its SQLite result code (better-sqlite3, op-sqlite) or, for
 * bindings that only give a message (sql.js, expo-sqlite), by SQLite's standard message text.
 */
export function classifySqliteError(error: unknown): SqliteFailureKind {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (/^SQLITE_(BUSY|LOCKED)/.test(code) || /database (table )?is locked/i.test(message)) {
    return 'busy';
  }
  if (code.startsWith('SQLITE_FULL') || /database or disk is full/i.test(message)) return 'full';
  return 'other';
}

/**
 * The error of opening a database whose first read fails with SQLITE_NOTADB ("file is not a
 * database"): with an encrypting build (SQLCipher, SQLite3 Multiple Ciphers) that means the
 * key is wrong or missing; `undefined` for any other error.
 */
export function keyInvalidError(error: unknown): StorageError | undefined {
  // Retried steps of open() arrive already wrapped: look at the engine's own error.
  if (error instanceof TidesyncError) return error.cause ? keyInvalidError(error.cause) : undefined;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (!code.startsWith('SQLITE_NOTADB') && !/file is not a database/i.test(message)) {
    return undefined;
  }
  return new StorageError(
    'STORAGE_KEY_INVALID',
    `SQLite cannot read the database file (${message}): it is encrypted with another key, or it is encrypted and was not keyed, or it is not a database. Key the connection with the key the file was created with (for example \`PRAGMA key\`) before passing it to sqliteAdapter(); nothing was read or written.`,
    { cause: toError(error) },
  );
}

/**
 * Turns a driver error into a `StorageError` with a specific code: `STORAGE_BUSY` (retryable)
 * for a lock held elsewhere, `STORAGE_QUOTA_EXCEEDED` for a full disk, else `STORAGE_FAILED`.
 * Errors that already are tidesync errors pass through unchanged.
 */
export function toStorageError(error: unknown, doing: string): TidesyncError {
  if (error instanceof TidesyncError) return error;
  const cause = toError(error);
  switch (classifySqliteError(error)) {
    case 'busy':
      return new StorageError(
        'STORAGE_BUSY',
        `SQLite was busy while ${doing}: another connection holds the write lock (${cause.message}). Retry later, or find the other process or connection keeping a transaction open.`,
        { cause, retryable: true },
      );
    case 'full':
      return new StorageError(
        'STORAGE_QUOTA_EXCEEDED',
        `SQLite ran out of space while ${doing} (${cause.message}). Nothing of this transaction was written. Free disk space or clear synced data with clearCache().`,
        { cause },
      );
    default:
      return new StorageError('STORAGE_FAILED', `SQLite failed while ${doing}: ${cause.message}`, {
        cause,
      });
  }
}

/**
 * The error of storing `op` when the outbox is keyed by seq (layout 3 and later) and another
 * op already has its seq: a `STORAGE_FAILED` that names the seq; any other error unchanged.
 */
export function duplicateSeq(error: unknown, op: OutboxOp): unknown {
  if (!/UNIQUE constraint failed: tidesync_ops\.seq/.test(String(error))) return error;
  return new StorageError(
    'STORAGE_FAILED',
    `Cannot store outbox op ${op.opId} with seq ${op.seq}: another op already has that seq. Op seqs are unique per client; allocate them from the outbox counter.`,
    { cause: error },
  );
}

/**
 * The error of storing `record` when another record of its collection holds its server id: a
 * `STORAGE_FAILED` that says so; any other error unchanged.
 */
export function duplicateServerId(error: unknown, record: StoredRecord): unknown {
  if (!/UNIQUE constraint failed: .*server_id/.test(String(error))) return error;
  return new StorageError(
    'STORAGE_FAILED',
    `Cannot store record ${record.collection}/${record.id} with server id \`${String(record.serverId)}\`: another record of \`${record.collection}\` already has it. Server ids are unique per collection; remap or remove the other record first.`,
    { cause: error },
  );
}
