import { StorageError } from '../../core/index.js';
import { errorName, toStorageError } from './indexeddb-errors.js';
import { whileActive } from './indexeddb-keep-alive.js';
import { ALL_STORES, META, OPS, RECORDS } from './indexeddb-layout.js';
import type { EncryptedRows } from './indexeddb-rows.js';

/** The meta key of the key-check value: a known text sealed under the database's key. */
export const KEY_CHECK = 'tidesync:key-check';
const KEY_CHECK_TEXT = 'tidesync key check v1';

/** Issues `requests` on one transaction and resolves with their results once it completes. */
function run(
  db: IDBDatabase,
  mode: IDBTransactionMode,
  issue: (idb: IDBTransaction) => IDBRequest[],
) {
  return new Promise<unknown[]>((resolve, reject) => {
    const idb = db.transaction([...ALL_STORES], mode);
    const requests = issue(idb);
    idb.oncomplete = () => resolve(requests.map((r) => r.result as unknown));
    idb.onabort = () => reject(idb.error ?? new Error('aborted'));
  });
}

const wrongKey = (name: string, cause?: unknown): StorageError =>
  new StorageError(
    'STORAGE_KEY_INVALID',
    `IndexedDB \`${name}\` is encrypted with another key than \`encryptionKey\`. Open it with the ` +
      'key it was created with (during a key rotation: the old key, then the new one); nothing ' +
      'was read or written.',
    { cause },
  );

/**
 * Checks, at open, that the database and the adapter agree on encryption:
 *
 * - with a key: the key-check value must decrypt under it; a database without one is given one
 *   when it is empty, and refused when it holds unencrypted data;
 * - without a key: a database that has a key-check value is refused.
 *
 * @throws StorageError `STORAGE_KEY_INVALID` on any disagreement, before anything is read.
 */
export async function checkEncryptionKey(
  db: IDBDatabase,
  name: string,
  rows: EncryptedRows | undefined,
): Promise<void> {
  let seen: unknown[];
  try {
    seen = await run(db, 'readonly', (idb) => [
      idb.objectStore(META).get(KEY_CHECK),
      idb.objectStore(RECORDS).count(),
      idb.objectStore(OPS).count(),
      idb.objectStore(META).count(),
    ]);
  } catch (error) {
    throw toStorageError(error, name, 'checking the encryption key');
  }
  const [check, ...counts] = seen as [unknown, number, number, number];
  if (!rows) {
    if (check === undefined) return;
    throw new StorageError(
      'STORAGE_KEY_INVALID',
      `IndexedDB \`${name}\` is encrypted, and the adapter has no \`encryptionKey\`. Pass the key ` +
        'it was created with: `indexedDbAdapter({ name, encryptionKey })`.',
    );
  }
  if (check !== undefined) {
    const text = await rows.openMeta(KEY_CHECK, check).catch((error: unknown) => {
      throw wrongKey(name, error);
    });
    if (text !== KEY_CHECK_TEXT) throw wrongKey(name);
    return;
  }
  if (counts.some((count) => count > 0)) {
    throw new StorageError(
      'STORAGE_KEY_INVALID',
      `IndexedDB \`${name}\` holds unencrypted data, and the adapter has an \`encryptionKey\`. ` +
        'Open it without a key, or sync it and start a new, encrypted database under another name.',
    );
  }
  const sealed = await rows.sealMeta(KEY_CHECK, KEY_CHECK_TEXT);
  try {
    await run(db, 'readwrite', (idb) => [idb.objectStore(META).add(sealed, KEY_CHECK)]);
  } catch (error) {
    // Another tab wrote its key check first: check ours against it.
    if (errorName(error) === 'ConstraintError') return checkEncryptionKey(db, name, rows);
    throw toStorageError(error, name, 'storing the encryption key check');
  }
}

/**
 * Re-encrypts every record, op and metadata value (the key check included) from `from` to `to`
 * in ONE read-write transaction: a crash or failure at any point leaves every row under the old
 * key, and a commit leaves every row under the new one. Holds the whole database in memory
 * while it runs.
 */
export async function reencryptAll(
  db: IDBDatabase,
  name: string,
  from: EncryptedRows,
  to: EncryptedRows,
  durability: 'strict' | 'relaxed' | 'default',
): Promise<void> {
  const idb = db.transaction([...ALL_STORES], 'readwrite', { durability });
  const done = new Promise<void>((resolve, reject) => {
    idb.oncomplete = () => resolve();
    idb.onabort = () =>
      reject(toStorageError(idb.error ?? new Error('aborted'), name, 'rotating the key'));
  });
  done.catch(() => undefined);
  try {
    const read = (request: IDBRequest): Promise<unknown[]> =>
      new Promise((resolve, reject) => {
        request.onsuccess = () => resolve(request.result as unknown[]);
        request.onerror = () => reject(request.error);
      });
    const [records, ops, metaKeys, metaValues] = await Promise.all([
      read(idb.objectStore(RECORDS).getAll()),
      read(idb.objectStore(OPS).getAll()),
      read(idb.objectStore(META).getAllKeys()),
      read(idb.objectStore(META).getAll()),
    ]);
    const keys = metaKeys as string[];
    const sealed = await whileActive(
      idb,
      Promise.all([
        Promise.all(records.map(async (r) => to.sealRecord(await from.openRecord(r)))),
        Promise.all(ops.map(async (o) => to.sealOp(await from.openOp(o)))),
        Promise.all(
          keys.map(async (k, i) => to.sealMeta(k, await from.openMeta(k, metaValues[i]))),
        ),
      ]),
    );
    const [newRecords, newOps, newMeta] = sealed;
    for (const row of newRecords) idb.objectStore(RECORDS).put(row);
    for (const row of newOps) idb.objectStore(OPS).put(row);
    newMeta.forEach((row, i) => idb.objectStore(META).put(row, keys[i]));
    idb.commit();
  } catch (error) {
    try {
      idb.abort();
    } catch {
      // Already finished.
    }
    throw toStorageError(error, name, 'rotating the key');
  }
  await done;
}
