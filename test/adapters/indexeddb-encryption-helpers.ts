// Shared by the IndexedDB encryption tests: keys, a raw dump of the object stores, and a
// fault that stops a transaction after n puts (a crash before commit).
import { IDBObjectStore } from 'fake-indexeddb';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import type { StorageAdapter } from 'tidesync';

/** A fresh non-extractable AES-GCM key, as an app would keep in IndexedDB. */
export const newKey = (): Promise<CryptoKey> =>
  crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

/** Strings that must never appear in clear in the stores. */
export const SECRETS = {
  record: 'patient-record-secret',
  remote: 'conflict-remote-secret',
  op: 'queued-op-secret',
  meta: 'meta-value-secret',
} as const;

/** Writes a record with an open conflict, an op and a metadata value holding SECRETS. */
export async function writeSecrets(adapter: StorageAdapter): Promise<void> {
  await adapter.transaction('readwrite', async (tx) => {
    await tx.putRecord(
      makeRecord({
        id: 'r1',
        serverId: 's1',
        data: { title: SECRETS.record },
        syncStatus: 'conflicted',
        conflict: {
          remote: { title: SECRETS.remote },
          remoteVersion: 2,
          remoteHlc: '0001700000000001-0000-server',
          remoteFieldClocks: { title: '0001700000000001-0000-server' },
          detectedAt: 1_700_000_000_001,
        },
      }),
    );
    await tx.putOp(makeOp({ opId: 'op1', seq: 1, id: 'r1', data: { title: SECRETS.op } }));
    await tx.setMeta('note', { text: SECRETS.meta });
  });
}

/** Every row of every object store, read with plain IndexedDB, as text (bytes as latin1). */
export async function rawDump(factory: IDBFactory, name: string): Promise<string> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const stores = Array.from({ length: db.objectStoreNames.length }, (_, i) =>
    db.objectStoreNames.item(i)!,
  );
  const tx = db.transaction(stores, 'readonly');
  const rows = await Promise.all(
    stores.flatMap((store) =>
      [tx.objectStore(store).getAll(), tx.objectStore(store).getAllKeys()].map(
        (request) =>
          new Promise<unknown>((resolve, reject) => {
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          }),
      ),
    ),
  );
  db.close();
  return JSON.stringify(rows, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
  );
}

/** Thrown by {@link crashAfterPuts}: the process "died" with the transaction uncommitted. */
export class SimulatedCrash extends Error {}

/** Makes the n-th `put` from now on throw (fake-indexeddb); returns the restore function. */
export function crashAfterPuts(n: number): () => void {
  const proto = IDBObjectStore.prototype as { put: (...args: unknown[]) => unknown };
  const original = proto.put;
  let calls = 0;
  proto.put = function (this: unknown, ...args: unknown[]) {
    calls++;
    if (calls >= n) throw new SimulatedCrash(`crash at put ${calls}`);
    return original.apply(this, args);
  };
  return () => {
    proto.put = original;
  };
}
