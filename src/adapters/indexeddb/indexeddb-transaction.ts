import {
  applyQuery,
  innerMap,
  type ListOpsOptions,
  type OutboxOp,
  type Query,
  type StorageTransaction,
  type StoredRecord,
} from '../../core/index.js';
import { DELETED, stagedWithServerId, type Staged } from '../staged.js';
import { decodeWhileActive, openOps, openRecords, type RowSource } from './indexeddb-decrypt.js';
import {
  autoCommittedError,
  endedError,
  mapThrown,
  readonlyError,
  requestResult,
  toStorageError,
} from './indexeddb-errors.js';
import type { EncryptedRows } from './indexeddb-rows.js';
import { overlayOps, readOps, sealWrites, stagedWrites, type Write } from './indexeddb-staging.js';
import {
  META,
  OPS,
  RECORDS,
  RECORDS_BY_COLLECTION,
  RECORDS_BY_SERVER_ID,
} from './indexeddb-layout.js';

const byId = (a: StoredRecord, b: StoredRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One tidesync transaction over one IndexedDB transaction.
 *
 * Reads go to IndexedDB, overlaid with this transaction's own writes. Writes are buffered here
 * and issued all at once by {@link flush} when the callback has resolved, on the same IndexedDB
 * transaction. So a callback that breaks the async rule (awaits a timer, and IndexedDB
 * auto-commits under it) never leaves half a write behind: its buffered writes were never sent.
 *
 * With encryption (`rows`), rows are decrypted after each read and the buffered writes are
 * encrypted by {@link seal} before {@link flush}; both wait for WebCrypto with
 * {@link whileActive}, so IndexedDB does not auto-commit in between.
 */
export class IndexedDbTransaction implements StorageTransaction {
  readonly #idb: IDBTransaction;
  readonly #database: string;
  readonly #writable: boolean;
  readonly #keyRange: typeof IDBKeyRange | undefined;
  // 'open' while the callback runs; 'ended' once transaction() is done with it.
  #state: 'open' | 'ended' = 'open';
  // Set when IndexedDB finished the transaction (complete or abort) before we were done.
  #idbFinished = false;
  readonly #records = new Map<string, Map<string, Staged<StoredRecord>>>();
  readonly #ops = new Map<string, Staged<OutboxOp>>();
  readonly #meta = new Map<string, Staged<unknown>>();
  readonly #rows: EncryptedRows | undefined;
  readonly #source: RowSource;
  // The buffered writes, encrypted by seal(); flush() issues these instead.
  #sealed: Write[] | undefined;

  constructor(
    idb: IDBTransaction,
    database: string,
    writable: boolean,
    keyRange?: typeof IDBKeyRange,
    rows?: EncryptedRows,
  ) {
    this.#idb = idb;
    this.#rows = rows;
    this.#source = { idb, database, rows };
    this.#keyRange = keyRange;
    this.#database = database;
    this.#writable = writable;
  }

  /** Whether any write is buffered. */
  get hasWrites(): boolean {
    return this.#records.size > 0 || this.#ops.size > 0 || this.#meta.size > 0;
  }

  /** Called when IndexedDB reports `complete` or `abort`. */
  markIdbFinished(): void {
    this.#idbFinished = true;
  }

  /** Ends the transaction for the callback: later calls reject with `TRANSACTION_INACTIVE`. */
  end(): void {
    this.#state = 'ended';
  }

  /**
   * Issues every buffered write on the IndexedDB transaction, in one synchronous burst.
   * @throws StorageError `TRANSACTION_INACTIVE` when IndexedDB already ended the transaction,
   * or the mapped IndexedDB error when a write cannot be issued (the caller aborts).
   */
  flush(): void {
    if (this.#idbFinished) throw autoCommittedError(this.#database);
    try {
      for (const { store, key, value } of this.#sealed ?? this.#writes()) {
        const target = this.#idb.objectStore(store);
        if (value === DELETED) target.delete(key);
        else if (store === META) target.put(value, key);
        else target.put(value);
      }
    } catch (error) {
      throw mapThrown(error, this.#database, 'writing');
    }
  }

  /**
   * With encryption, encrypts every buffered write (keeping the transaction alive meanwhile);
   * call it before {@link flush}. Without encryption it does nothing.
   */
  async seal(): Promise<void> {
    const rows = this.#rows;
    if (!rows || !this.hasWrites) return;
    this.#sealed = await decodeWhileActive(
      this.#source,
      sealWrites(rows, this.#writes()),
      'encrypting writes',
    );
  }

  #writes(): Write[] {
    return stagedWrites(this.#records, this.#ops, this.#meta);
  }

  async getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.#check(false);
    const staged = this.#records.get(collection)?.get(id);
    if (staged === DELETED) return undefined;
    if (staged !== undefined) return structuredClone(staged);
    const row = await this.#read<unknown>('reading a record', () =>
      this.#idb.objectStore(RECORDS).get([collection, id]),
    );
    return row === undefined ? undefined : (await openRecords(this.#source, [row]))[0];
  }

  async getRecordByServerId(
    collection: string,
    serverId: string,
  ): Promise<StoredRecord | undefined> {
    this.#check(false);
    const staged = this.#records.get(collection);
    const own = stagedWithServerId(staged, serverId);
    if (own) return structuredClone(own);
    const stored = await this.#read<StoredRecord[]>('reading a record by server id', () =>
      this.#idb.objectStore(RECORDS).index(RECORDS_BY_SERVER_ID).getAll([collection, serverId]),
    );
    // A stored row shadowed by a buffered write no longer has this serverId (checked above).
    const row = stored.find((record) => !staged?.has(record.id));
    return row === undefined ? undefined : (await openRecords(this.#source, [row]))[0];
  }

  async putRecord(record: StoredRecord): Promise<void> {
    this.#check(true);
    innerMap(this.#records, record.collection).set(record.id, this.#copy(record));
  }

  async deleteRecord(collection: string, id: string): Promise<void> {
    this.#check(true);
    innerMap(this.#records, collection).set(id, DELETED);
  }

  async queryRecords(collection: string, query: Query): Promise<StoredRecord[]> {
    this.#check(false);
    return applyQuery(await this.#collection(collection), query);
  }

  async listRecords(collection: string): Promise<StoredRecord[]> {
    this.#check(false);
    return (await this.#collection(collection)).sort(byId);
  }

  async listCollections(): Promise<string[]> {
    this.#check(false);
    const stored = await this.#read<IDBValidKey[]>('listing collections', () =>
      this.#idb.objectStore(RECORDS).index(RECORDS_BY_COLLECTION).getAllKeys(),
    );
    const names = new Set<string>();
    // Primary keys are [collection, id]; a collection counts while one row survives the overlay.
    for (const key of stored) {
      const [collection, id] = key as [string, string];
      if (this.#records.get(collection)?.get(id) !== DELETED) names.add(collection);
    }
    for (const [collection, staged] of this.#records) {
      for (const value of staged.values()) if (value !== DELETED) names.add(collection);
    }
    return [...names].sort();
  }

  async putOp(op: OutboxOp): Promise<void> {
    this.#check(true);
    this.#ops.set(op.opId, this.#copy(op));
  }

  async getOp(opId: string): Promise<OutboxOp | undefined> {
    this.#check(false);
    const staged = this.#ops.get(opId);
    if (staged === DELETED) return undefined;
    if (staged !== undefined) return structuredClone(staged);
    const row = await this.#read<OutboxOp | undefined>('reading an op', () =>
      this.#idb.objectStore(OPS).get(opId),
    );
    return row === undefined ? undefined : (await openOps(this.#source, [row]))[0];
  }

  async listOps(options: ListOpsOptions = {}): Promise<OutboxOp[]> {
    this.#check(false);
    const { limit } = options;
    // getAll(query, 0) would read every op: IndexedDB takes a count of 0 as no count.
    if (limit === 0) return [];
    const stored = await readOps(
      (issue) => this.#read<OutboxOp[]>('listing ops', () => issue(this.#idb.objectStore(OPS))),
      options,
      this.#ops.size,
      this.#keyRange,
    );
    return openOps(this.#source, overlayOps(stored, this.#ops, options));
  }

  async deleteOp(opId: string): Promise<void> {
    this.#check(true);
    this.#ops.set(opId, DELETED);
  }

  async getMeta<T = unknown>(key: string): Promise<T | undefined> {
    this.#check(false);
    if (this.#meta.has(key)) {
      const staged = this.#meta.get(key);
      return staged === DELETED ? undefined : (structuredClone(staged) as T);
    }
    const row = await this.#read<unknown>('reading metadata', () =>
      this.#idb.objectStore(META).get(key),
    );
    const rows = this.#rows;
    if (!rows) return row as T | undefined;
    return (await decodeWhileActive(
      this.#source,
      rows.openMeta(key, row),
      'decrypting metadata',
    )) as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.#check(true);
    this.#meta.set(key, value === undefined ? DELETED : this.#copy(value));
  }

  /** Every record of a collection with the buffered writes applied; fresh copies. */
  async #collection(collection: string): Promise<StoredRecord[]> {
    const stored = await openRecords(
      this.#source,
      await this.#read<StoredRecord[]>('reading a collection', () =>
        this.#idb.objectStore(RECORDS).index(RECORDS_BY_COLLECTION).getAll(collection),
      ),
    );
    const staged = this.#records.get(collection);
    if (!staged) return stored;
    const merged = new Map(stored.map((record) => [record.id, record]));
    for (const [id, value] of staged) {
      if (value === DELETED) merged.delete(id);
      else merged.set(id, structuredClone(value));
    }
    return [...merged.values()];
  }

  #check(write: boolean): void {
    if (this.#state === 'ended') throw endedError(this.#database);
    if (this.#idbFinished) throw autoCommittedError(this.#database);
    if (write && !this.#writable) throw readonlyError();
  }

  #copy<T>(value: T): T {
    try {
      return structuredClone(value);
    } catch (error) {
      throw toStorageError(error, this.#database, 'buffering a write');
    }
  }

  /** Issues one request; IndexedDB returns fresh structured clones, so results are copies. */
  async #read<T>(action: string, issue: () => IDBRequest): Promise<T> {
    let request: IDBRequest;
    try {
      request = issue();
    } catch (error) {
      throw mapThrown(error, this.#database, action);
    }
    return (await requestResult(request, this.#database, action)) as T;
  }
}
