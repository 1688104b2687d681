import type { Query } from './query.js';
import type { OpState, OutboxOp, StoredRecord } from './records.js';

/** `readonly` transactions may run alongside each other; `readwrite` ones never interleave. */
export type TransactionMode = 'readonly' | 'readwrite';

/** Filters for {@link StorageTransaction.listOps}. */
export interface ListOpsOptions {
  /** Only ops in these states. @default every state */
  readonly states?: readonly OpState[];
  /** Only ops of this collection. */
  readonly collection?: string;
  /** Only ops of this record (local id); give `collection` too (adapters index by both). */
  readonly recordId?: string;
  /** At most this many, lowest `seq` first: a non-negative integer (`0` returns none). */
  readonly limit?: number;
}

/**
 * The storage port: where a client keeps records, its outbox and its metadata.
 *
 * Contract every implementation must keep (the conformance suite in `tidesync/testing`,
 * `runStorageAdapterConformance`, checks each point):
 *
 * - **Atomicity.** Everything written inside one `transaction()` call commits together when
 *   `fn` resolves, or not at all when `fn` rejects (the rejection is passed on). After a crash
 *   at any instant, a transaction is either wholly present or wholly absent.
 * - **Isolation.** `readwrite` transactions run one at a time, in call order; a transaction
 *   sees its own writes at once, and no other transaction sees them before commit.
 * - **Values.** Records, ops and metadata come back structurally equal to what was put
 *   (JSON values: strings, finite numbers, booleans, null, arrays, plain objects). Returned
 *   objects are copies: mutating them changes nothing stored.
 * - **Ordering.** `listOps` returns ops by ascending `seq`.
 * - **Queries.** `queryRecords` returns non-deleted records of one collection with the exact
 *   semantics of `applyQuery` from core (where, orderBy with `id` as the last tie-break,
 *   offset, limit). An adapter may push the query down to its engine, but the result must match.
 * - **Async discipline.** `fn` awaits only calls on its `tx`; the caller never awaits foreign
 *   promises (network, timers) inside a transaction, so engines that auto-commit idle
 *   transactions (IndexedDB) are safe. Calling `tx` after the transaction ended rejects with
 *   `TRANSACTION_INACTIVE`.
 * - **Lifecycle.** `open()` creates or upgrades the layout in place (never dropping data) and is
 *   idempotent. After `close()`, every call rejects with a `StorageError` of code
 *   `STORAGE_CLOSED`.
 * - **Errors.** Failures surface as `StorageError` with a specific code where one applies
 *   (`STORAGE_BUSY` for a lock held elsewhere, `STORAGE_QUOTA_EXCEEDED` when space runs out).
 */
export interface StorageAdapter {
  /** Short name for messages and stats, such as `memory`, `sqlite`, `indexeddb`. */
  readonly kind: string;
  /** Opens the store, creating or migrating its layout. Idempotent. */
  open(): Promise<void>;
  /** Runs `fn` in one transaction; see the contract above. */
  transaction<T>(mode: TransactionMode, fn: (tx: StorageTransaction) => Promise<T>): Promise<T>;
  /** Closes the store; later calls reject with `STORAGE_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

/** Operations available inside one storage transaction. Writes require a `readwrite` transaction. */
export interface StorageTransaction {
  /** The record with this local id, deleted or not, or `undefined`. */
  getRecord(collection: string, id: string): Promise<StoredRecord | undefined>;
  /** The record with this server id, or `undefined`. */
  getRecordByServerId(collection: string, serverId: string): Promise<StoredRecord | undefined>;
  /** Inserts or replaces the record with the same `collection` and `id`. */
  putRecord(record: StoredRecord): Promise<void>;
  /** Removes a record physically. Removing a missing record is not an error. */
  deleteRecord(collection: string, id: string): Promise<void>;
  /** Non-deleted records matching `query`; see the contract. */
  queryRecords(collection: string, query: Query): Promise<StoredRecord[]>;
  /** Every record of a collection, deleted ones included, ordered by `id`. */
  listRecords(collection: string): Promise<StoredRecord[]>;
  /** Names of the collections that hold at least one record. */
  listCollections(): Promise<string[]>;
  /**
   * Optional batch lookup: the records of `collection` holding any of `serverIds`, keyed by
   * server id (ids with no record are absent). Same answers as one `getRecordByServerId` per
   * id; an adapter that can read them in one statement offers it, and the pull then reads a
   * whole page's records at once.
   */
  getRecordsByServerIds?(
    collection: string,
    serverIds: readonly string[],
  ): Promise<ReadonlyMap<string, StoredRecord>>;
  /**
   * Optional batch lookup: the records of `collection` with any of the local `ids`, deleted or
   * not, keyed by id (ids with no record are absent). Same answers as one `getRecord` per id;
   * a push then reads the records of a whole answered batch at once.
   */
  getRecords?(
    collection: string,
    ids: readonly string[],
  ): Promise<ReadonlyMap<string, StoredRecord>>;

  /** Inserts or replaces the op with the same `opId`. */
  putOp(op: OutboxOp): Promise<void>;
  /** The op with this id, or `undefined`. */
  getOp(opId: string): Promise<OutboxOp | undefined>;
  /** Ops by ascending `seq`, filtered by `options`. */
  listOps(options?: ListOpsOptions): Promise<OutboxOp[]>;
  /** Removes an op. Removing a missing op is not an error. */
  deleteOp(opId: string): Promise<void>;

  /** A metadata value (any JSON value) or `undefined`. */
  getMeta<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores a metadata value (any JSON value); `undefined` removes the key. */
  setMeta(key: string, value: unknown): Promise<void>;
}
