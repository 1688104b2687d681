import type {
  ListOpsOptions,
  OutboxOp,
  Query,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { StorageError, applyQuery, innerMap } from '../../core/index.js';
import { autoCommittedError, requestResult, toStorageError } from './indexeddb-errors.js';
import { whileActive } from './indexeddb-keep-alive.js';
import type { EncryptedRows } from './indexeddb-rows.js';
import {
  META,
  OPS,
  OPS_BY_RECORD,
  OPS_BY_SEQ,
  OPS_BY_STATE,
  OPS_BY_STATE_SEQ,
  RECORDS,
  RECORDS_BY_COLLECTION,
  RECORDS_BY_SERVER_ID,
} from './indexeddb-layout.js';

const DELETED = Symbol('deleted');
type Staged<T> = T | typeof DELETED;
/** One buffered write: a value (or a delete) for one key of one store. */
interface Write {
  readonly store: typeof RECORDS | typeof OPS | typeof META;
  readonly key: IDBValidKey;
  readonly value: unknown;
}
const isSealedRow = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && 'sealed' in value;

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
      throw this.#mapThrown(error, 'writing');
    }
  }

  /**
   * With encryption, encrypts every buffered write (keeping the transaction alive meanwhile);
   * call it before {@link flush}. Without encryption it does nothing.
   */
  async seal(): Promise<void> {
    const rows = this.#rows;
    if (!rows || !this.hasWrites) return;
    const writes = this.#writes().map(async (w): Promise<Write> => {
      if (w.value === DELETED) return w;
      if (w.store === RECORDS)
        return { ...w, value: await rows.sealRecord(w.value as StoredRecord) };
      if (w.store === OPS) return { ...w, value: await rows.sealOp(w.value as OutboxOp) };
      return { ...w, value: await rows.sealMeta(w.key as string, w.value) };
    });
    this.#sealed = await this.#decode(Promise.all(writes), 'encrypting writes');
  }

  #writes(): Write[] {
    const writes: Write[] = [];
    for (const [collection, staged] of this.#records) {
      for (const [id, value] of staged)
        writes.push({ store: RECORDS, key: [collection, id], value });
    }
    for (const [opId, value] of this.#ops) writes.push({ store: OPS, key: opId, value });
    for (const [key, value] of this.#meta) writes.push({ store: META, key, value });
    return writes;
  }

  async getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.#check(false);
    const staged = this.#records.get(collection)?.get(id);
    if (staged === DELETED) return undefined;
    if (staged !== undefined) return structuredClone(staged);
    const row = await this.#read<unknown>('reading a record', () =>
      this.#idb.objectStore(RECORDS).get([collection, id]),
    );
    return row === undefined ? undefined : (await this.#openRecords([row]))[0];
  }

  async getRecordByServerId(
    collection: string,
    serverId: string,
  ): Promise<StoredRecord | undefined> {
    this.#check(false);
    const staged = this.#records.get(collection);
    for (const value of staged?.values() ?? []) {
      if (value !== DELETED && value.serverId === serverId) return structuredClone(value);
    }
    const stored = await this.#read<StoredRecord[]>('reading a record by server id', () =>
      this.#idb.objectStore(RECORDS).index(RECORDS_BY_SERVER_ID).getAll([collection, serverId]),
    );
    // A stored row shadowed by a buffered write no longer has this serverId (checked above).
    const row = stored.find((record) => !staged?.has(record.id));
    return row === undefined ? undefined : (await this.#openRecords([row]))[0];
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
    return row === undefined ? undefined : (await this.#openOps([row]))[0];
  }

  async listOps(options: ListOpsOptions = {}): Promise<OutboxOp[]> {
    this.#check(false);
    const { states, collection, recordId, limit } = options;
    // getAll(query, 0) would read every op: IndexedDB takes a count of 0 as no count.
    if (limit === 0) return [];
    const ops = (): IDBObjectStore => this.#idb.objectStore(OPS);
    // The engine may cut a read at `limit` only when no filter is left for the overlay below:
    // a recordId without a collection is such a filter (it has no index of its own).
    const unfiltered = collection === undefined && recordId === undefined;
    let stored: OutboxOp[];
    if (collection !== undefined && recordId !== undefined) {
      stored = await this.#read('listing ops', () =>
        ops().index(OPS_BY_RECORD).getAll([collection, recordId]),
      );
    } else if (states !== undefined) {
      // The lowest `limit` ops of a state, plus one per buffered op that may override one of
      // them, are enough to answer after the overlay below. Needs IDBKeyRange for the range.
      const range = this.#keyRange;
      const count = range && limit !== undefined && unfiltered ? limit + this.#ops.size : undefined;
      stored = [];
      for (const state of new Set(states)) {
        stored.push(
          ...(await this.#read<OutboxOp[]>('listing ops', () =>
            range && count !== undefined
              ? ops()
                  .index(OPS_BY_STATE_SEQ)
                  .getAll(range.bound([state, -Infinity], [state, Infinity]), count)
              : ops().index(OPS_BY_STATE).getAll(state),
          )),
        );
      }
    } else {
      // With nothing buffered, the engine can apply the limit itself.
      const count = this.#ops.size === 0 && unfiltered ? limit : undefined;
      stored = await this.#read('listing ops', () => ops().index(OPS_BY_SEQ).getAll(null, count));
    }
    const merged = new Map<string, OutboxOp>();
    for (const op of stored) if (!this.#ops.has(op.opId)) merged.set(op.opId, op);
    for (const [opId, value] of this.#ops) {
      if (value !== DELETED) merged.set(opId, structuredClone(value));
    }
    const allowed = states ? new Set(states) : undefined;
    const rows = [...merged.values()]
      .filter(
        (op) =>
          (!allowed || allowed.has(op.state)) &&
          (collection === undefined || op.collection === collection) &&
          (recordId === undefined || op.id === recordId),
      )
      .sort((a, b) => a.seq - b.seq);
    return this.#openOps(limit === undefined ? rows : rows.slice(0, limit));
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
    return (await this.#decode(rows.openMeta(key, row), 'decrypting metadata')) as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.#check(true);
    this.#meta.set(key, value === undefined ? DELETED : this.#copy(value));
  }

  /** Every record of a collection with the buffered writes applied; fresh copies. */
  async #collection(collection: string): Promise<StoredRecord[]> {
    const stored = await this.#openRecords(
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

  /** Stored rows as records: decrypted with encryption, else as read. */
  async #openRecords(rows: readonly unknown[]): Promise<StoredRecord[]> {
    const codec = this.#rows;
    if (!codec) return rows as StoredRecord[];
    return this.#decode(Promise.all(rows.map((r) => codec.openRecord(r))), 'decrypting records');
  }

  /** Ops, decrypting those read from storage (buffered ones are plain already). */
  async #openOps(ops: readonly OutboxOp[]): Promise<OutboxOp[]> {
    const codec = this.#rows;
    if (!codec || !ops.some(isSealedRow)) return ops as OutboxOp[];
    const opened = ops.map((op) => (isSealedRow(op) ? codec.openOp(op) : op));
    return this.#decode(Promise.all(opened), 'decrypting ops');
  }

  /** Awaits WebCrypto work without letting IndexedDB auto-commit; maps failures. */
  async #decode<T>(work: Promise<T>, action: string): Promise<T> {
    try {
      return await whileActive(this.#idb, work);
    } catch (error) {
      throw this.#mapThrown(error, action);
    }
  }

  #check(write: boolean): void {
    if (this.#state === 'ended') {
      throw new StorageError(
        'TRANSACTION_INACTIVE',
        `This storage transaction on IndexedDB \`${this.#database}\` has already ended. Do all ` +
          'work inside the transaction callback, and await every call on `tx` before it returns.',
      );
    }
    if (this.#idbFinished) throw autoCommittedError(this.#database);
    if (write && !this.#writable) {
      throw new StorageError(
        'STORAGE_FAILED',
        'Cannot write in a readonly transaction. Open it with mode `readwrite`.',
      );
    }
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
      throw this.#mapThrown(error, action);
    }
    return (await requestResult(request, this.#database, action)) as T;
  }

  #mapThrown(error: unknown, action: string): StorageError {
    // InvalidStateError from objectStore() means the transaction has finished.
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'InvalidStateError' || name === 'TransactionInactiveError') {
      return autoCommittedError(this.#database, error);
    }
    return toStorageError(error, this.#database, action);
  }
}
