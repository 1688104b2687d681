import type { StorageAdapter } from '../../core/index.js';

/** Durability hint of read-write IndexedDB transactions. */
export type Durability = 'strict' | 'relaxed' | 'default';

/** Options of {@link indexedDbAdapter}. */
export interface IndexedDbAdapterOptions {
  /** Name of the IndexedDB database; one per app (and per user, if users share a browser). */
  readonly name: string;
  /**
   * The IndexedDB factory to use. Pass `new IDBFactory()` from `fake-indexeddb` in Node tests.
   * @default `globalThis.indexedDB`, when it exists
   */
  readonly indexedDB?: IDBFactory;
  /**
   * The `IDBKeyRange` class of the same IndexedDB implementation, used to read the outbox
   * page by page. Pass `IDBKeyRange` from `fake-indexeddb` along with its `IDBFactory` in Node.
   * Without it, listing ops by state reads every op in that state.
   * @default `globalThis.IDBKeyRange`, when it exists
   */
  readonly IDBKeyRange?: typeof IDBKeyRange;
  /**
   * How long `open()` waits for other tabs to close an older version of the database before
   * it gives up with `STORAGE_UPGRADE_BLOCKED`. @default 5000
   */
  readonly upgradeBlockedTimeoutMs?: number;
  /**
   * Durability hint of read-write transactions. `'strict'` resolves a write only once the
   * browser has flushed it to disk, so an acknowledged write survives a power loss;
   * `'relaxed'` is faster and survives a crash of the tab or browser, not of the OS.
   * @default 'strict'
   */
  readonly durability?: Durability;
  /**
   * A WebCrypto AES-GCM `CryptoKey` (usages `encrypt` and `decrypt`; best non-extractable) that
   * encrypts record bodies, outbox payloads, conflict versions and metadata values, each with a
   * fresh IV, authenticated together with the row's clear fields. Ids, server ids, op seqs and
   * states, and collection names stay in clear for the indexes (docs/security.md). A database
   * created with a key opens only with that key: anything else fails at open with
   * `STORAGE_KEY_INVALID`. @default no encryption
   */
  readonly encryptionKey?: CryptoKey;
}

/** The IndexedDB storage adapter: a {@link StorageAdapter} that can also rotate its key. */
export interface IndexedDbAdapter extends StorageAdapter {
  /**
   * Re-encrypts everything stored under `newKey`, in one IndexedDB transaction: a crash at any
   * point leaves every row under the old key, a commit every row under the new one. Later
   * transactions use `newKey`; transactions already started finish under the old one. Store
   * the new key where the app keeps keys only once this resolves, and keep the old one until
   * then. Other tabs with the database open must reopen it with the new key.
   * @throws TidesyncError `INVALID_OPTION` when the adapter has no `encryptionKey`, or
   * `newKey` is not an AES-GCM key.
   */
  rotateEncryptionKey(newKey: CryptoKey): Promise<void>;
}
