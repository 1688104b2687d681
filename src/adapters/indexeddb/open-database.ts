import { StorageError } from '../../core/index.js';
import { errorName, toStorageError } from './indexeddb-errors.js';
import { LAYOUT_VERSION, upgradeLayout } from './indexeddb-layout.js';

/** Inputs of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  readonly factory: IDBFactory;
  readonly name: string;
  /** How long to wait while other connections block the upgrade. */
  readonly blockedTimeoutMs: number;
  /** False once the adapter was closed while opening: the connection is then closed again. */
  readonly isWanted: () => boolean;
  /** Called when the open connection goes away on its own, with the error later calls get. */
  readonly onLost: (error: StorageError) => void;
}

/**
 * Opens (creating or upgrading) the tidesync database and returns the connection.
 *
 *   open(name, LAYOUT_VERSION)
 *     -> blocked        other connections hold an older version: wait `blockedTimeoutMs`,
 *                       then reject STORAGE_UPGRADE_BLOCKED (and abort the upgrade if it
 *                       starts later, so nothing changes behind the caller's back)
 *     -> upgradeneeded  run the layout steps from the old version
 *     -> success        watch for versionchange/close, resolve
 *     -> error          reject (VersionError: a newer tidesync created it)
 *
 * The connection closes itself on `versionchange`, so it never blocks another tab's upgrade.
 */
export function openDatabase(options: OpenDatabaseOptions): Promise<IDBDatabase> {
  const { factory, name, blockedTimeoutMs, isWanted, onLost } = options;
  return new Promise<IDBDatabase>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, LAYOUT_VERSION);
    } catch (error) {
      reject(toStorageError(error, name, 'opening the database'));
      return;
    }
    let gaveUp = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let upgradeError: unknown;
    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };

    request.onblocked = () => {
      if (timer !== undefined || gaveUp) return;
      timer = setTimeout(() => {
        timer = undefined;
        gaveUp = true;
        reject(
          new StorageError(
            'STORAGE_UPGRADE_BLOCKED',
            `Cannot upgrade IndexedDB \`${name}\` to layout version ${LAYOUT_VERSION}: another ` +
              `tab or window still has an older version open (waited ${blockedTimeoutMs} ms). ` +
              'Close the other tabs of this app (or reload them), then try again.',
            { retryable: true },
          ),
        );
      }, blockedTimeoutMs);
    };

    request.onupgradeneeded = (event) => {
      stopTimer();
      const upgrade = request.transaction;
      if (!upgrade) return;
      if (gaveUp || !isWanted()) {
        upgrade.abort();
        return;
      }
      try {
        upgradeLayout(request.result, upgrade, event.oldVersion);
      } catch (error) {
        upgradeError = error;
        upgrade.abort();
      }
    };

    request.onsuccess = () => {
      stopTimer();
      const db = request.result;
      if (gaveUp || !isWanted()) {
        db.close();
        if (!gaveUp) {
          reject(
            new StorageError(
              'STORAGE_CLOSED',
              `The IndexedDB adapter for \`${name}\` was closed while opening.`,
            ),
          );
        }
        return;
      }
      db.onversionchange = () => {
        // Close at once so the other tab's upgrade is not blocked by us.
        db.close();
        onLost(
          new StorageError(
            'STORAGE_CLOSED',
            `IndexedDB \`${name}\` was closed because another tab is upgrading or deleting it. ` +
              'Reload this page to continue with the new version.',
          ),
        );
      };
      db.onclose = () => {
        onLost(
          new StorageError(
            'STORAGE_CLOSED',
            `The browser closed IndexedDB \`${name}\` (site data cleared, or storage failed). ` +
              'Reload this page to reopen it.',
          ),
        );
      };
      resolve(db);
    };

    request.onerror = (event) => {
      stopTimer();
      // Handled here; do not let it surface as an uncaught error on the window.
      event.preventDefault();
      if (gaveUp) return;
      const error = request.error;
      if (errorName(error) === 'VersionError') {
        reject(
          new StorageError(
            'STORAGE_FAILED',
            `IndexedDB \`${name}\` has a newer layout than this version of tidesync ` +
              `(${LAYOUT_VERSION}) can read. Reload every tab so they all run the newest app.`,
            { cause: error },
          ),
        );
        return;
      }
      if (upgradeError !== undefined) {
        reject(toStorageError(upgradeError, name, `upgrading to layout ${LAYOUT_VERSION}`));
        return;
      }
      reject(toStorageError(error, name, 'opening the database'));
    };
  });
}
