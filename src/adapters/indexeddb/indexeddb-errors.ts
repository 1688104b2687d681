import { StorageError } from '../../core/index.js';

/** The message every "transaction ended early" error carries: the rule, and what to do. */
export const AUTO_COMMIT_RULE =
  'IndexedDB commits a transaction as soon as no request is pending at the end of a task, so ' +
  'awaiting anything else inside `transaction()` (a timer, fetch, or another promise that is ' +
  'not a call on `tx`) ends it. Do not await network or timers inside a storage transaction: ' +
  'do that work before or after it.';

/** The name of a DOMException-like error, or `undefined`. */
export function errorName(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** True for the quota errors browsers raise on requests or transaction aborts. */
export function isQuotaError(error: unknown): boolean {
  return errorName(error) === 'QuotaExceededError';
}

/** A `TRANSACTION_INACTIVE` error for a transaction IndexedDB ended before `fn` was done. */
export function autoCommittedError(database: string, cause?: unknown): StorageError {
  return new StorageError(
    'TRANSACTION_INACTIVE',
    `The IndexedDB transaction on \`${database}\` ended before its callback finished, so ` +
      `nothing of it was written. ${AUTO_COMMIT_RULE}`,
    { cause },
  );
}

/**
 * Maps a DOMException (or anything thrown by IndexedDB) to a `StorageError` with the most
 * specific code. `StorageError`s pass through unchanged.
 */
export function toStorageError(error: unknown, database: string, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const name = errorName(error) ?? 'Error';
  const message = (error as { message?: unknown } | null)?.message;
  const detail = `${name}${typeof message === 'string' && message ? `: ${message}` : ''}`;
  if (name === 'QuotaExceededError') {
    return new StorageError(
      'STORAGE_QUOTA_EXCEEDED',
      `IndexedDB \`${database}\` is out of space while ${action}; nothing of this transaction ` +
        'was written. Free space (for example `client.clearCache()`, or ask the user to free ' +
        'disk space) and retry.',
      { cause: error },
    );
  }
  if (name === 'TransactionInactiveError') return autoCommittedError(database, error);
  if (name === 'DataCloneError') {
    return new StorageError(
      'STORAGE_FAILED',
      `IndexedDB \`${database}\` cannot store a value while ${action}: ${detail}. Store only ` +
        'JSON values (strings, finite numbers, booleans, null, arrays, plain objects).',
      { cause: error },
    );
  }
  return new StorageError(
    'STORAGE_FAILED',
    `IndexedDB \`${database}\` failed while ${action}: ${detail}.`,
    { cause: error },
  );
}

/** Resolves with a request's result; rejects with its error mapped to a `StorageError`. */
export function requestResult<T>(
  request: IDBRequest<T>,
  database: string,
  action: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(toStorageError(request.error, database, action));
  });
}

/**
 * An error thrown while issuing a request or awaiting work inside the transaction, as a
 * `StorageError`: `InvalidStateError` from `objectStore()` (or `TransactionInactiveError`) means
 * IndexedDB already finished the transaction.
 */
export function mapThrown(error: unknown, database: string, action: string): StorageError {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'InvalidStateError' || name === 'TransactionInactiveError') {
    return autoCommittedError(database, error);
  }
  return toStorageError(error, database, action);
}

/** A call on a transaction that `transaction()` is already done with. */
export function endedError(database: string): StorageError {
  return new StorageError(
    'TRANSACTION_INACTIVE',
    `This storage transaction on IndexedDB \`${database}\` has already ended. Do all ` +
      'work inside the transaction callback, and await every call on `tx` before it returns.',
  );
}

/** A write in a readonly transaction. */
export function readonlyError(): StorageError {
  return new StorageError(
    'STORAGE_FAILED',
    'Cannot write in a readonly transaction. Open it with mode `readwrite`.',
  );
}
