import type { OpResult } from '../core/index.js';
import type { ChangeFilter, FeedEntry, ServerRecord } from './feed-types.js';
import type { ChangeNotice, CommittedChange } from './live/committed-change.js';
import type { SetIndexReader, SetIndexWriter } from './sets/set-index.js';

export type { ChangeFilter, FeedEntry, ServerRecord } from './feed-types.js';

/** Per-client push state. */
export interface ClientState {
  readonly clientId: string;
  /** The user this client id is bound to (the first user that used it). */
  readonly userId: string;
  /** Highest push sequence number applied for this client (0 before the first). */
  readonly lastSeq: number;
}

/**
 * The server storage port: records, the change feed, per-client state and recorded op outcomes.
 *
 * Contract every implementation keeps (checked by `runServerStoreConformance` in
 * `tidesync/testing`):
 *
 * - **Layout.** `open()` creates the store's tables on first use and is idempotent (also when
 *   several processes call it at once). It creates the store's `epoch`, a random id that never
 *   changes afterwards for that layout; a store rebuilt from scratch gets a new one.
 * - **Atomicity.** Everything written in one `transaction()` commits together when `fn`
 *   resolves, or not at all when `fn` rejects; the rejection is passed on unchanged.
 * - **Serialisation per client.** After `lockClient(id)` no other transaction can lock the same
 *   client until this one ends, so two copies of one push never both apply. An implementation
 *   may run transactions that touch different clients and records in parallel, and may re-run
 *   `fn` after a transient conflict (deadlock, serialisation failure, a duplicate-key race), so
 *   `fn` must have no side effects outside `tx`.
 * - **Isolation.** Neither `read()` nor another transaction sees a transaction's writes before
 *   it commits.
 * - **Gap-free feed.** Each `putRecord` gives the record a new feed position when the
 *   transaction commits; positions are unique, and a commit's positions are greater than those
 *   of every transaction that committed before it. So a reader that has seen every position up
 *   to `p` will find every later change after `p`: nothing is ever committed below a position a
 *   reader already passed. `getHead()` is the highest committed position (0 when empty).
 * - **Values.** Records and outcomes come back structurally equal to what was put (JSON values);
 *   returned objects are copies.
 * - **Lifecycle.** After `close()`, calls reject. `close()` does not close a database handle or
 *   pool that was passed in.
 */
export interface ServerStore {
  /** Short name for messages: `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  /** Creates the layout if missing. Idempotent. */
  open(): Promise<void>;
  /** Runs `fn` in one read-write transaction; see the contract. */
  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T>;
  /** Runs `fn` against one consistent snapshot of committed data. */
  read<T>(fn: (reader: ServerStoreReader) => Promise<T>): Promise<T>;
  /** Releases what the store holds; does not close a database or pool passed in. Idempotent. */
  close(): Promise<void>;
  /**
   * How committed changes reach live streams served by other instances of this store (Postgres:
   * LISTEN/NOTIFY). Leave it out for a store that lives in one process: live sync then pokes
   * within the process.
   */
  readonly liveChannel?: LiveChannel;
}

/**
 * Reads available in {@link ServerStore.read} and inside transactions. The sync-set reads
 * (`listSetChanges`, `countSetChanges`) are optional: a store without them cannot serve
 * `sync: 'sets'` collections (docs/sync-sets.md).
 */
export interface ServerStoreReader extends Partial<SetIndexReader> {
  /** The store's epoch (random id made when the layout was created). */
  getEpoch(): Promise<string>;
  /** Highest committed feed position, 0 when nothing was written. */
  getHead(): Promise<number>;
  /**
   * Records whose feed position is greater than `after`, by ascending position, at most `limit`.
   * With a `filter`, only entries that match it count (an index range per owner and collection
   * keeps this cheap however many other users write); a store may still return entries that do
   * not match (the caller checks visibility), but never skips one that does.
   */
  listChanges(after: number, limit: number, filter?: ChangeFilter): Promise<FeedEntry[]>;
  /**
   * Optional: how many entries {@link listChanges} would return after `after` with `filter`
   * and no limit (for a pull's `remaining`). May count entries the caller then finds it may
   * not see, never fewer than it would return.
   */
  countChanges?(after: number, filter?: ChangeFilter): Promise<number>;
  /**
   * Optional: the entry with the highest position after `after` within `filter` (its
   * `skipWriter` ignored), or `undefined` when there is none. A store that has it honours
   * `ChangeFilter.skipWriter` in {@link listChanges} and {@link countChanges}: a pull that read
   * its ranges to the end then moves its cursor past the echoes left out. A store without it
   * gets no `skipWriter` (the pull drops echoes itself).
   */
  lastChange?(after: number, filter: ChangeFilter): Promise<FeedEntry | undefined>;
  /** The record with this canonical id (tombstones included), or `undefined`. */
  getRecord(collection: string, id: string): Promise<ServerRecord | undefined>;
  /** The state of a client, or `undefined` when it never made a request. */
  getClient(clientId: string): Promise<ClientState | undefined>;
}

/**
 * How a store's committed changes reach every live hub that serves it: within one process for
 * the memory and SQLite stores, across every instance on one database for Postgres.
 */
export interface LiveChannel {
  /**
   * Announces a committed change to every subscriber (this process's first, with the records'
   * states), stamped with the feed head read after the commit. Resolves once it is sent.
   */
  publish(change: CommittedChange, store: ServerStore): Promise<void>;
  /**
   * Calls `listener` for every change published on the store, also by other instances;
   * `onResync` when notices may have been missed (a dropped listen connection came back), so
   * the hub pokes every stream once. Returns the function that unsubscribes.
   */
  subscribe(listener: (notice: ChangeNotice) => void, onResync?: () => void): () => void;
}

/** What a push batch is about to read, for {@link ServerStoreTransaction.preload}. */
export interface PreloadRequest {
  /** The client whose outcomes and origin mappings are read. */
  readonly clientId: string;
  /** Ops whose recorded outcomes will be read with `getOutcome(clientId, opId)`. */
  readonly opIds: readonly string[];
  /** Records that will be read with `getRecord(collection, id)`. */
  readonly records: readonly (readonly [collection: string, id: string])[];
  /** Records that will be read with `getRecordByOrigin(collection, clientId, originId)`. */
  readonly origins: readonly (readonly [collection: string, originId: string])[];
}

/** Operations inside one {@link ServerStore.transaction}; `putSetKeys` is optional (sync sets). */
export interface ServerStoreTransaction extends ServerStoreReader, Partial<SetIndexWriter> {
  /**
   * Optional hint: the reads that follow in this transaction. A store may load (and lock, as
   * those reads would) everything at once and answer the reads from memory, so a batch costs a
   * constant number of round trips. Reads it answers this way must return what the single
   * reads would have returned.
   */
  preload?(request: PreloadRequest): Promise<void>;
  /**
   * Returns the client's state, creating it (bound to `userId`, `lastSeq` 0) when missing, and
   * locks it until the transaction ends. A client bound to another user is returned unchanged.
   */
  lockClient(clientId: string, userId: string): Promise<ClientState>;
  /** Sets the client's `lastSeq`. The client must have been locked in this transaction. */
  setLastSeq(clientId: string, lastSeq: number): Promise<void>;
  /** The recorded outcome of an op, or `undefined`. */
  getOutcome(clientId: string, opId: string): Promise<OpResult | undefined>;
  /** Records the outcome of an op (`seq` is its push sequence number). */
  putOutcome(clientId: string, opId: string, seq: number, result: OpResult): Promise<void>;
  /** The record created by `originClientId` with local id `originId`, or `undefined`. */
  getRecordByOrigin(
    collection: string,
    originClientId: string,
    originId: string,
  ): Promise<ServerRecord | undefined>;
  /**
   * Inserts or replaces a record; it gets a new feed position when the transaction commits.
   * Read a record (`getRecord`, `getRecordByOrigin`) in the same transaction before replacing
   * it: a store may treat a put of a record it did not see as an insert, and fail (or re-run
   * the transaction) when another transaction created that record meanwhile, so a concurrent
   * creator is never silently overwritten.
   */
  putRecord(record: ServerRecord): Promise<void>;
}
