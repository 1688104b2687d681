import type {
  HybridLogicalClock,
  RecordData,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { toAppRecord } from '../../core/index.js';
import { type OpCounter, Outbox } from '../../outbox/index.js';
import type { ResolvedOptions } from '../options.js';
import type { ChangeSet } from './change-set.js';
import { noteDeletedConflict } from './deleted-conflicts.js';
import { noteSetAck } from './set-sweep.js';
import { ReferenceLookup, referencesUnconfirmedInsert } from './id-mapping.js';
import {
  adoptedRemote,
  deletedRecord,
  newDeleteOp,
  newInsert,
  newResolution,
  newUpdate,
} from './record-builders.js';
import {
  findRecord,
  requireCollection,
  requireConflicted,
  requireLiveRecord,
} from './record-lookup.js';
import { TransactionClock } from './transaction-clock.js';
import { validateInsert, validateMerged, validatePatch } from './validation.js';

/** The client options local writes read. */
export type WriteOptions = Pick<ResolvedOptions, 'collections' | 'now' | 'coalesce'>;

/** An app-facing record. */
export type AppRecord = ReturnType<typeof toAppRecord>;

/**
 * Local writes inside one storage transaction. Each write stores the record and appends its
 * outbox op in the same transaction (Invariant 1) and advances the persisted clock with it.
 */
export class WriteContext {
  readonly #tx: StorageTransaction;
  readonly #opts: WriteOptions;
  readonly changes: ChangeSet;
  /** Clock values of this transaction. */
  readonly #clock: TransactionClock;
  /** Op sequence numbers of this transaction. */
  readonly #seq: OpCounter;
  readonly #outbox: Outbox;

  /**
   * `clockMark` is the client's shared mark of the last clock value it stored (see
   * {@link TransactionClock}); `changes` collects what the transaction changed.
   */
  constructor(
    tx: StorageTransaction,
    opts: WriteOptions,
    clock: HybridLogicalClock,
    clockMark: { value: string | undefined },
    changes: ChangeSet,
  ) {
    this.#tx = tx;
    this.#opts = opts;
    this.changes = changes;
    this.#clock = new TransactionClock(tx, clock, clockMark);
    this.#outbox = new Outbox(tx);
    this.#seq = this.#outbox.counter();
  }

  /**
   * Stores the clock and the op counter once for the whole transaction. Must run inside the
   * transaction, after the last write (the client's write path does this).
   */
  async flush(): Promise<void> {
    await this.#clock.store();
    await this.#seq.store();
  }

  /**
   * Inserts already validated rows of one collection. Per row one record and one op are
   * written; the clock and the op counter are loaded once, and no coalescing lookup runs
   * (a record created here has no earlier op).
   */
  async insertMany(collectionName: string, rows: readonly RecordData[]): Promise<AppRecord[]> {
    const collection = requireCollection(this.#opts.collections, collectionName);
    const out: AppRecord[] = new Array<AppRecord>(rows.length);
    if (rows.length === 0) return out;
    const clock = this.#clock;
    await clock.load();
    await this.#seq.load();
    const tx = this.#tx;
    const name = collection.name;
    const now = this.#opts.now();
    for (let i = 0; i < rows.length; i += 1) {
      const { record, op } = newInsert(name, rows[i]!, clock.nextLoaded(), now);
      await tx.putRecord(record);
      await this.#outbox.appendNew(op, this.#seq, now);
      out[i] = toAppRecord(record);
    }
    this.changes.touch(name);
    this.changes.pendingDelta += rows.length;
    return out;
  }

  async insert(collectionName: string, value: unknown, validated?: RecordData): Promise<AppRecord> {
    const collection = requireCollection(this.#opts.collections, collectionName);
    const data = validated ?? validateInsert(collection, value);
    const tick = this.#clock.next();
    const hlc = typeof tick === 'string' ? tick : await tick;
    const { record, op } = newInsert(collection.name, data, hlc, this.#opts.now());
    await this.#tx.putRecord(record);
    const result = await this.#outbox.append(op, {
      coalesce: this.#opts.coalesce,
      now: record.updatedAt,
      counter: this.#seq,
    });
    this.changes.count(collection.name, result.kind);
    return toAppRecord(record);
  }

  async update(
    collectionName: string,
    id: string,
    patch: unknown,
    validated?: RecordData,
  ): Promise<AppRecord> {
    const collection = requireCollection(this.#opts.collections, collectionName);
    const clean = validated ?? validatePatch(collection, patch);
    const current = await requireLiveRecord(this.#tx, collection.name, id, 'update');
    const data = validateMerged(collection, { ...current.data, ...clean });
    if (current.syncStatus === 'conflicted') {
      return toAppRecord(await this.#editConflicted(current, data, Object.keys(clean), false));
    }
    const tick = this.#clock.next();
    const hlc = typeof tick === 'string' ? tick : await tick;
    const now = this.#opts.now();
    const { record, op } = newUpdate(collection.name, current, data, clean, hlc, now);
    // An update pointing at a record whose own insert still waits for the server stays an op
    // of its own: merged into this record's unsent insert, two inserts could each wait for the
    // other (A's insert references B, B's references A) and neither would ever be sent.
    const coalesce =
      this.#opts.coalesce &&
      !(await referencesUnconfirmedInsert(
        new ReferenceLookup(this.#tx),
        collection,
        clean,
        current.id,
      ));
    await this.#tx.putRecord(record);
    const result = await this.#outbox.append(op, { coalesce, now, counter: this.#seq });
    this.changes.count(collection.name, result.kind);
    return toAppRecord(record);
  }

  async delete(collectionName: string, id: string): Promise<void> {
    const collection = requireCollection(this.#opts.collections, collectionName);
    const current = await requireLiveRecord(this.#tx, collection.name, id, 'delete');
    if (current.syncStatus === 'conflicted') {
      await this.#editConflicted(current, current.data, [], true);
      return;
    }
    const hlc = await this.#clock.next();
    const now = this.#opts.now();
    const result = await this.#outbox.append(newDeleteOp(collection.name, current, hlc), {
      coalesce: this.#opts.coalesce,
      now,
      counter: this.#seq,
    });
    if (result.kind === 'cancelled') {
      // Never reached the server: nothing to tell it, nothing to keep.
      await this.#tx.deleteRecord(collection.name, current.id);
    } else {
      await this.#tx.putRecord(deletedRecord(current, hlc, now));
    }
    this.changes.count(collection.name, result.kind);
  }

  /**
   * A write to a conflicted record changes its local side only and queues nothing: the record
   * stays conflicted with both versions, and `resolveConflict()` sends what the app keeps.
   * (Sent as an op, it would be based on the server's version and apply over it, settling the
   * conflict on the server with a mix nobody chose while this device still shows it open.)
   */
  async #editConflicted(
    current: StoredRecord,
    data: RecordData,
    changed: readonly string[],
    deleted: boolean,
  ): Promise<StoredRecord> {
    // A write like any other for the clock: it stamps the record after every earlier write.
    const hlc = await this.#clock.next();
    const now = this.#opts.now();
    const fieldClocks = { ...current.fieldClocks };
    for (const field of changed) fieldClocks[field] = hlc;
    const record: StoredRecord = {
      ...current,
      data,
      deleted,
      hlc,
      fieldClocks,
      updatedAt: now,
      accessedAt: now,
    };
    await this.#tx.putRecord(record);
    if (deleted) await noteDeletedConflict(this.#tx, current.collection, current.id, true);
    this.changes.touch(current.collection);
    return record;
  }

  /** Both sides of an open conflict. @throws TidesyncError `CONFLICT_NOT_FOUND` */
  async conflictOf(
    collectionName: string,
    id: string,
  ): Promise<{ local: RecordData | null; remote: RecordData | null }> {
    const current = await requireConflicted(this.#tx, collectionName, id);
    return { local: current.deleted ? null : current.data, remote: current.conflict.remote };
  }

  async get(collectionName: string, id: string): Promise<AppRecord | undefined> {
    requireCollection(this.#opts.collections, collectionName);
    const record = await findRecord(this.#tx, collectionName, id);
    return record && !record.deleted ? toAppRecord(record) : undefined;
  }

  /**
   * Settles a conflicted record with `value` (`null` deletes it). `fromRemote` means the value
   * is the server's own version: it is adopted without a new op. Otherwise the value is synced
   * as a new write based on the server's version.
   */
  async resolve(
    collectionName: string,
    id: string,
    value: RecordData | null,
    fromRemote: boolean,
  ): Promise<void> {
    const collection = requireCollection(this.#opts.collections, collectionName);
    const current = await requireConflicted(this.#tx, collection.name, id);
    const conflict = current.conflict;
    const data = value === null ? current.data : validateMerged(collection, value);
    await noteDeletedConflict(this.#tx, collection.name, current.id, false);
    const now = this.#opts.now();
    if (fromRemote) {
      await this.#tx.putRecord(adoptedRemote(current, conflict, data, value === null, now));
      // The server's version is kept (no op, so no ack): the next set pull drops it when no set
      // covers it.
      await noteSetAck(this.#tx, collection);
      this.changes.touch(collection.name);
      return;
    }
    const hlc = await this.#clock.next();
    const change = newResolution(
      collection.name,
      current,
      conflict,
      data,
      value === null,
      hlc,
      now,
    );
    await this.#tx.putRecord(change.record);
    const result = await this.#outbox.append(change.op, {
      coalesce: false,
      now,
      counter: this.#seq,
    });
    this.changes.count(collection.name, result.kind);
  }
}
