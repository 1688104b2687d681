import type { TransactionMode } from '../../core/index.js';
import { StorageError } from '../../core/index.js';
import type { SqliteDriver } from './sqlite-driver.js';
import { toStorageError } from './sqlite-errors.js';

/** What {@link guardedCall} checks before a statement runs. */
export interface CallState {
  readonly driver: SqliteDriver;
  readonly mode: TransactionMode;
  /** False once the adapter ended the transaction. */
  readonly active: boolean;
}

/**
 * Runs one storage call's statements on the driver, refusing a call after the transaction ended
 * (`TRANSACTION_INACTIVE`) or a write in a readonly one, and turning a driver error into a
 * `StorageError` that says what was being done. Not async: one async frame and one await fewer
 * per statement (this runs for every one).
 */
export function guardedCall<T>(
  state: CallState,
  write: boolean,
  doing: () => string,
  work: (d: SqliteDriver) => Promise<T>,
): Promise<T> {
  if (!state.active) {
    return Promise.reject(
      new StorageError(
        'TRANSACTION_INACTIVE',
        `Cannot ${doing()}: this storage transaction has already ended. Do all work inside the transaction callback and await every call.`,
      ),
    );
  }
  if (write && state.mode !== 'readwrite') {
    return Promise.reject(
      new StorageError(
        'STORAGE_FAILED',
        `Cannot ${doing()} in a readonly transaction. Open the transaction with mode \`readwrite\`.`,
      ),
    );
  }
  let pending: Promise<T>;
  try {
    pending = work(state.driver);
  } catch (error) {
    return Promise.reject(toStorageError(error, doing()));
  }
  return pending.catch((error: unknown) => {
    throw toStorageError(error, doing());
  });
}
