import type {
  CollectionDefinition,
  FieldClocks,
  HybridLogicalClock,
  RecordData,
  StorageTransaction,
  StoredRecord,
} from '../core/index.js';
import { TidesyncError, createId, toAppRecord } from '../core/index.js';
import { OpCounter, enqueueOp, newOp, type NewOp } from '../queue/index.js';
import { noteDeletedConflict } from './conflicts.js';
import { validateInsert, validateMerged, validatePatch } from './validation.js';

/** Metadata key of the last issued hybrid logical clock timestamp. */
export const HLC_META_KEY = 'client.hlc';

/** What a committed transaction changed, for events and live queries. */
export class ChangeSet {
  readonly collections = new Set<string>();
  pendingDelta = 0;

  touch(collection: string): void {
    this.collections.add(collection);
  }
}

/** Shared state the write path needs. */
export interface WriteEnvironment {
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly clock: HybridLogicalClock;
  readonly now: () => number;
  readonly coalesce: boolean;
  /**
   * A clock value this client's clock has already issued or merged (the last one it stored):
   * a stored clock at or below it needs no merge. Shared by the client's write transactions.
   */
  readonly clockMark: { value: string | undefined };
}

/** An app-facing record. */
export type AppRecord = ReturnType<typeof toAppRecord>;

/** Looks up a collection or throws `UNKNOWN_COLLECTION`. */
export function requireCollection(env: WriteEnvironment, name: string): CollectionDefinition {
  const c = env.collections.get(name);
  if (!c) {
    throw new TidesyncError(
      'UNKNOWN_COLLECTION',
      `Collection \`${name}\` is not registered. Add it to \`collections\` in \`createSyncClient()\`.`,
    );
  }
  return c;
}

/** Finds a record by local id, then by server id. */
export async function findRecord(
  tx: StorageTransaction,
  collection: string,
  id: string,
): Promise<StoredRecord | undefined> {
  if (typeof id !== 'string' || id.length === 0) return undefined;
  return (await tx.getRecord(collection, id)) ?? (await tx.getRecordByServerId(collection, id));
}

/**
 * Local writes inside one storage transaction. Each write stores the record and appends its
 * outbox op in the same transaction (Invariant 1) and advances the persisted clock with it.
 */
export class WriteContext {
  readonly #tx: StorageTransaction;
  readonly #env: WriteEnvironment;
  readonly changes: ChangeSet;
  #clockLoaded = false;
  /** The last clock value issued in this transaction, stored by {@link flush}. */
  #lastTick: string | undefined;
  /** Op sequence numbers of this transaction. */
  readonly #seq: OpCounter;

  constructor(tx: StorageTransaction, env: WriteEnvironment, changes: ChangeSet) {
    this.#tx = tx;
    this.#env = env;
    this.changes = changes;
    this.#seq = new OpCounter(tx);
  }

  /** Issues the next clock value; the first call of a transaction loads the stored clock. */
  #tick(): string | Promise<string> {
    if (!this.#clockLoaded) return this.#loadClock().then(() => this.#tick());
    return (this.#lastTick = this.#env.clock.tick());
  }

  async #loadClock(): Promise<void> {
    // Other clients on the same database (tabs) share the stored clock: merge it first so
    // two of them never issue the same or a smaller timestamp. A stored value this clock has
    // already issued or merged (the usual case: its own last write) needs no merge.
    const stored = await this.#tx.getMeta<string>(HLC_META_KEY);
    const mark = this.#env.clockMark.value;
    if (stored !== undefined && (mark === undefined || stored > mark)) {
      this.#env.clock.receive(stored);
    }
    this.#clockLoaded = true;
  }

  /**
   * Stores the clock and the op counter once for the whole transaction. Must run inside the
   * transaction, after the last write (the client's write path does this).
   */
  async flush(): Promise<void> {
    // The last value issued here: at or above the stored one, which was merged first.
    const last = this.#lastTick;
    if (last !== undefined) {
      await this.#tx.setMeta(HLC_META_KEY, last);
      this.#env.clockMark.value = last;
    }
    await this.#seq.store();
    this.#lastTick = undefined;
  }

  /**
   * Inserts already validated rows of one collection. Per row one record and one op are
   * written; the clock and the op counter are loaded once, and no coalescing lookup runs
   * (a record created here has no earlier op).
   */
  async insertMany(collectionName: string, rows: readonly RecordData[]): Promise<AppRecord[]> {
    const collection = requireCollection(this.#env, collectionName);
    const out: AppRecord[] = new Array<AppRecord>(rows.length);
    if (rows.length === 0) return out;
    if (!this.#clockLoaded) await this.#loadClock();
    await this.#seq.load();
    const clock = this.#env.clock;
    const tx = this.#tx;
    const name = collection.name;
    const now = this.#env.now();
    for (let i = 0; i < rows.length; i += 1) {
      const { record, op } = newInsert(name, rows[i]!, (this.#lastTick = clock.tick()), now);
      await tx.putRecord(record);
      await tx.putOp(newOp(op, this.#seq.nextLoaded(), now));
      out[i] = toAppRecord(record);
    }
    this.changes.touch(name);
    this.changes.pendingDelta += rows.length;
    return out;
  }

  async insert(collectionName: string, value: unknown, validated?: RecordData): Promise<AppRecord> {
    const collection = requireCollection(this.#env, collectionName);
    const data = validated ?? validateInsert(collection, value);
    const tick = this.#tick();
    const hlc = typeof tick === 'string' ? tick : await tick;
    const { record, op } = newInsert(collection.name, data, hlc, this.#env.now());
    await this.#tx.putRecord(record);
    const result = await enqueueOp(this.#tx, op, {
      coalesce: this.#env.coalesce,
      now: record.updatedAt,
      counter: this.#seq,
    });
    this.#account(collection.name, result.kind);
    return toAppRecord(record);
  }

  async update(
    collectionName: string,
    id: string,
    patch: unknown,
    validated?: RecordData,
  ): Promise<AppRecord> {
    const collection = requireCollection(this.#env, collectionName);
    const clean = validated ?? validatePatch(collection, patch);
    const current = await this.#require(collection.name, id, 'update');
    const data = validateMerged(collection, { ...current.data, ...clean });
    const tick = this.#tick();
    const hlc = typeof tick === 'string' ? tick : await tick;
    const now = this.#env.now();
    const changed = Object.keys(clean);
    const opClocks: FieldClocks = {};
    for (const field of changed) opClocks[field] = hlc;
    const record: StoredRecord = {
      ...current,
      data,
      hlc,
      fieldClocks: { ...current.fieldClocks, ...opClocks },
      updatedAt: now,
      accessedAt: now,
      syncStatus: current.syncStatus === 'conflicted' ? 'conflicted' : 'pending',
    };
    await this.#tx.putRecord(record);
    const result = await enqueueOp(
      this.#tx,
      {
        collection: collection.name,
        id: current.id,
        serverId: current.serverId,
        type: 'update',
        data,
        patch: clean,
        changedFields: changed,
        baseVersion: current.version,
        hlc,
        fieldClocks: opClocks,
      },
      { coalesce: this.#env.coalesce, now, counter: this.#seq },
    );
    this.#account(collection.name, result.kind);
    return toAppRecord(record);
  }

  async delete(collectionName: string, id: string): Promise<void> {
    const collection = requireCollection(this.#env, collectionName);
    const current = await this.#require(collection.name, id, 'delete');
    const hlc = await this.#tick();
    const now = this.#env.now();
    const result = await enqueueOp(
      this.#tx,
      {
        collection: collection.name,
        id: current.id,
        serverId: current.serverId,
        type: 'delete',
        data: null,
        patch: null,
        changedFields: [],
        baseVersion: current.version,
        hlc,
        fieldClocks: {},
      },
      { coalesce: this.#env.coalesce, now, counter: this.#seq },
    );
    if (result.kind === 'cancelled') {
      // Never reached the server: nothing to tell it, nothing to keep.
      await this.#tx.deleteRecord(collection.name, current.id);
    } else {
      await this.#tx.putRecord({
        ...current,
        deleted: true,
        hlc,
        updatedAt: now,
        accessedAt: now,
        syncStatus: 'pending',
      });
    }
    this.#account(collection.name, result.kind);
  }

  /** Both sides of an open conflict. @throws TidesyncError `CONFLICT_NOT_FOUND` */
  async conflictOf(
    collectionName: string,
    id: string,
  ): Promise<{ local: RecordData | null; remote: RecordData | null }> {
    const current = await findRecord(this.#tx, collectionName, id);
    if (!current || current.syncStatus !== 'conflicted' || !current.conflict) {
      throw new TidesyncError(
        'CONFLICT_NOT_FOUND',
        `\`${collectionName}\` record \`${id}\` has no open conflict. List open conflicts with \`client.conflicts()\`.`,
      );
    }
    return { local: current.deleted ? null : current.data, remote: current.conflict.remote };
  }

  async get(collectionName: string, id: string): Promise<AppRecord | undefined> {
    requireCollection(this.#env, collectionName);
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
    const collection = requireCollection(this.#env, collectionName);
    const current = await findRecord(this.#tx, collection.name, id);
    if (!current || current.syncStatus !== 'conflicted' || !current.conflict) {
      throw new TidesyncError(
        'CONFLICT_NOT_FOUND',
        `\`${collection.name}\` record \`${id}\` has no open conflict. List open conflicts with \`client.conflicts()\`.`,
      );
    }
    const conflict = current.conflict;
    const data = value === null ? current.data : validateMerged(collection, value);
    await noteDeletedConflict(this.#tx, collection.name, current.id, false);
    const now = this.#env.now();
    if (fromRemote) {
      await this.#tx.putRecord({
        ...current,
        data,
        deleted: value === null,
        version: conflict.remoteVersion,
        hlc: conflict.remoteHlc,
        fieldClocks: conflict.remoteFieldClocks,
        syncStatus: 'synced',
        conflict: null,
        updatedAt: now,
        accessedAt: now,
      });
      this.changes.touch(collection.name);
      return;
    }
    const hlc = await this.#tick();
    const fields = Object.keys(data);
    const clocks: FieldClocks = {};
    for (const field of fields) clocks[field] = hlc;
    await this.#tx.putRecord({
      ...current,
      data,
      deleted: value === null,
      version: conflict.remoteVersion,
      hlc,
      fieldClocks: { ...conflict.remoteFieldClocks, ...clocks },
      syncStatus: 'pending',
      conflict: null,
      updatedAt: now,
      accessedAt: now,
    });
    const result = await enqueueOp(
      this.#tx,
      {
        collection: collection.name,
        id: current.id,
        serverId: current.serverId,
        type: value === null ? 'delete' : 'update',
        data: value === null ? null : data,
        patch: value === null ? null : data,
        changedFields: value === null ? [] : fields,
        baseVersion: conflict.remoteVersion,
        hlc,
        fieldClocks: value === null ? {} : clocks,
      },
      { coalesce: false, now, counter: this.#seq },
    );
    this.#account(collection.name, result.kind);
  }

  async #require(collection: string, id: string, action: string): Promise<StoredRecord> {
    const record = await findRecord(this.#tx, collection, id);
    if (!record) {
      throw new TidesyncError(
        'RECORD_NOT_FOUND',
        `Cannot ${action} \`${collection}\` record \`${String(id)}\`: no such record on this device. Check the id (local or server id).`,
      );
    }
    if (record.deleted) {
      throw new TidesyncError(
        'RECORD_DELETED',
        `Cannot ${action} \`${collection}\` record \`${id}\`: it was deleted. Insert a new record instead.`,
      );
    }
    return record;
  }

  #account(collection: string, kind: 'appended' | 'coalesced' | 'cancelled'): void {
    this.changes.touch(collection);
    if (kind === 'appended') this.changes.pendingDelta += 1;
    if (kind === 'cancelled') this.changes.pendingDelta -= 1;
  }
}

/** A new local record, never synced, and its insert op; every field has the clock `hlc`. */
function newInsert(
  collection: string,
  data: RecordData,
  hlc: string,
  now: number,
): { record: StoredRecord; op: NewOp } {
  const fields = Object.keys(data);
  const fieldClocks: FieldClocks = {};
  for (const field of fields) fieldClocks[field] = hlc;
  const id = createId();
  return {
    record: {
      collection,
      id,
      serverId: null,
      data,
      version: 0,
      hlc,
      fieldClocks,
      updatedAt: now,
      accessedAt: now,
      syncStatus: 'pending',
      deleted: false,
      conflict: null,
    },
    op: {
      collection,
      id,
      serverId: null,
      type: 'insert',
      data,
      patch: null,
      changedFields: fields,
      baseVersion: 0,
      hlc,
      fieldClocks,
    },
  };
}

/** Stores the clock for restarts, never moving the stored value backwards. */
export async function persistClock(
  tx: StorageTransaction,
  clock: HybridLogicalClock,
): Promise<void> {
  const stored = await tx.getMeta<string>(HLC_META_KEY);
  const current = clock.peek();
  if (stored === undefined || stored < current) await tx.setMeta(HLC_META_KEY, current);
}
