import { META } from './indexeddb-layout.js';

/** The meta key the keep-alive requests count; never stored. */
const KEEP_ALIVE_KEY = 'tidesync:keep-alive';

/**
 * Waits for `work` (WebCrypto, which IndexedDB does not know about) without letting `idb`
 * auto-commit: while `work` runs, one cheap request (`count` of an absent meta key) is always
 * pending, and the result is delivered from inside a request's success callback, where the
 * transaction is active, so the caller can issue its next request at once. The same technique
 * as Dexie's `waitFor()`.
 *
 * Rejects with what `work` rejects with, or with the error thrown by `objectStore()` when the
 * transaction has already finished.
 */
export function whileActive<T>(idb: IDBTransaction, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let outcome:
      | { readonly ok: true; readonly value: T }
      | { readonly ok: false; readonly error: unknown }
      | undefined;
    work.then(
      (value) => {
        outcome = { ok: true, value };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    const tick = (): void => {
      let request: IDBRequest;
      try {
        request = idb.objectStore(META).count(KEEP_ALIVE_KEY);
      } catch (error) {
        reject(error);
        return;
      }
      request.onsuccess = () => {
        if (!outcome) tick();
        else if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      };
      request.onerror = () => reject(request.error);
    };
    tick();
  });
}
