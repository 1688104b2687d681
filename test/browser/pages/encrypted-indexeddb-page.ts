/**
 * Page script for the encrypted IndexedDB browser tests: the conformance suite with an
 * `encryptionKey`, a raw dump of the object stores, a non-extractable key kept in IndexedDB
 * across reloads, a wrong key, and a key rotation the test may cut short by closing the page.
 * Exposed on `window.tidesyncCryptoPage`.
 */
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { storageAdapterConformanceCases } from '../../../src/testing/conformance/storage-adapter.js';
import { makeOp, makeRecord } from '../../../src/testing/conformance/storage-fixtures.js';

/** One conformance case's outcome. */
export interface CryptoCaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** The functions this page exposes on `window.tidesyncCryptoPage`. */
export interface EncryptedIndexedDbPageApi {
  runConformance(): Promise<CryptoCaseResult[]>;
  /** Writes a record (with a conflict), an op and a meta value holding `secret`. */
  writeSecret(name: string, keyName: string, secret: string): Promise<void>;
  /** Every row of every store of `name`, as text (bytes as latin1). */
  rawDump(name: string): Promise<string>;
  /** What `keyName`'s key reads of `name`: the record's title, or the error code. */
  readSecret(name: string, keyName: string): Promise<string>;
  /** Writes `rows` records of `bytes` each under `keyName`. */
  writeMany(name: string, keyName: string, rows: number, bytes: number): Promise<void>;
  /** How many of the `writeMany` rows `keyName` reads, or the error code. */
  countRows(name: string, keyName: string): Promise<number | string>;
  /** Starts rotating `name` from `fromKey` to `toKey`; resolves once the rotation began. */
  startRotation(name: string, fromKey: string, toKey: string): Promise<void>;
  /** Whether the rotation started by `startRotation` finished (or its error code). */
  rotationOutcome(): Promise<string>;
}

declare global {
  interface Window {
    tidesyncCryptoPage?: EncryptedIndexedDbPageApi;
  }
}

const KEYS_DB = 'app-keys';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * The app's key store: a non-extractable AES-GCM key per name, created once and kept in its
 * own IndexedDB database (structured clone keeps a CryptoKey usable but never readable).
 */
async function loadKey(keyName: string): Promise<CryptoKey> {
  const open = indexedDB.open(KEYS_DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('keys');
  const db = await request(open);
  try {
    const existing = await request(db.transaction('keys').objectStore('keys').get(keyName));
    if (existing) return existing as CryptoKey;
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    await request(db.transaction('keys', 'readwrite').objectStore('keys').put(key, keyName));
    return key;
  } finally {
    db.close();
  }
}

const adapter = async (name: string, keyName: string) =>
  indexedDbAdapter({ name, encryptionKey: await loadKey(keyName) });
const codeOf = (error: unknown): string =>
  String((error as { code?: string }).code ?? (error as Error).message);
let rotation: Promise<string> | undefined;

const api: EncryptedIndexedDbPageApi = {
  async runConformance() {
    const results: CryptoCaseResult[] = [];
    const key = await loadKey('conformance');
    const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    for (const [index, testCase] of storageAdapterConformanceCases.entries()) {
      let created = 0;
      const create = () =>
        indexedDbAdapter({ name: `enc-${run}-${index}-${created++}`, encryptionKey: key });
      try {
        await testCase.run(create);
        results.push({ name: testCase.name, ok: true });
      } catch (error) {
        results.push({ name: testCase.name, ok: false, error: String(error) });
      }
    }
    return results;
  },

  async writeSecret(name, keyName, secret) {
    const storage = await adapter(name, keyName);
    await storage.transaction('readwrite', async (tx) => {
      await tx.putRecord(
        makeRecord({
          id: 'r1',
          data: { title: secret },
          syncStatus: 'conflicted',
          conflict: {
            remote: { title: `${secret}-remote` },
            remoteVersion: 2,
            remoteHlc: 'h',
            remoteFieldClocks: {},
            detectedAt: 1,
          },
        }),
      );
      await tx.putOp(makeOp({ opId: 'op1', seq: 1, data: { title: `${secret}-op` } }));
      await tx.setMeta('note', `${secret}-meta`);
    });
    await storage.close();
  },

  async rawDump(name) {
    const db = await request(indexedDB.open(name));
    const stores = Array.from(db.objectStoreNames);
    const tx = db.transaction(stores, 'readonly');
    const rows = await Promise.all(
      stores.flatMap((s) => [
        request(tx.objectStore(s).getAll()),
        request(tx.objectStore(s).getAllKeys()),
      ]),
    );
    db.close();
    return JSON.stringify(rows, (_k, v: unknown) =>
      v instanceof Uint8Array ? Array.from(v, (b) => String.fromCharCode(b)).join('') : v,
    );
  },

  async readSecret(name, keyName) {
    try {
      const storage = await adapter(name, keyName);
      try {
        const record = await storage.transaction('readonly', (tx) => tx.getRecord('todos', 'r1'));
        return String(record?.data['title']);
      } finally {
        await storage.close();
      }
    } catch (error) {
      return codeOf(error);
    }
  },

  async writeMany(name, keyName, rows, bytes) {
    const storage = await adapter(name, keyName);
    await storage.transaction('readwrite', async (tx) => {
      for (let i = 0; i < rows; i++) {
        await tx.putRecord(makeRecord({ id: `row-${i}`, data: { i, pad: 'x'.repeat(bytes) } }));
      }
    });
    await storage.close();
  },

  async countRows(name, keyName) {
    try {
      const storage = await adapter(name, keyName);
      try {
        return await storage.transaction(
          'readonly',
          async (tx) => (await tx.listRecords('todos')).length,
        );
      } finally {
        await storage.close();
      }
    } catch (error) {
      return codeOf(error);
    }
  },

  async startRotation(name, fromKey, toKey) {
    const storage = await adapter(name, fromKey);
    await storage.open();
    const next = await loadKey(toKey);
    rotation = storage.rotateEncryptionKey(next).then(
      () => 'rotated',
      (error: unknown) => codeOf(error),
    );
  },

  async rotationOutcome() {
    return rotation ?? 'not started';
  },
};

window.tidesyncCryptoPage = api;
