import type {
  CollectionDefinition,
  RecordData,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { readEvicted } from './evicted-index.js';
import { Outbox } from '../../outbox/index.js';

/** Collections and fields that reference `target`. */
function referrers(
  collections: ReadonlyMap<string, CollectionDefinition>,
  target: string,
): { collection: string; field: string }[] {
  const out: { collection: string; field: string }[] = [];
  for (const c of collections.values()) {
    for (const [field, to] of Object.entries(c.references))
      if (to === target) out.push({ collection: c.name, field });
  }
  return out;
}

/** A temporary local id replaced by the canonical id the server assigned. */
export interface ServerIdRemap {
  /** Collection of the remapped record. */
  readonly collection: string;
  /** The temporary local id. */
  readonly from: string;
  /** The canonical server id. */
  readonly to: string;
}

/**
 * Records the canonical id of a record created on this device and rewrites the temporary id
 * everywhere it is used: the record itself, its queued ops, reference fields of other records
 * and of their queued ops. Idempotent, so a crash during the remap is redone safely.
 */
export async function assignServerId(
  tx: StorageTransaction,
  collections: ReadonlyMap<string, CollectionDefinition>,
  record: StoredRecord,
  serverId: string,
): Promise<StoredRecord> {
  const updated: StoredRecord = { ...record, serverId };
  if (record.serverId === serverId) return updated;
  await tx.putRecord(updated);
  const outbox = new Outbox(tx);
  await outbox.rebase(await outbox.ofRecord(record.collection, record.id), serverId);
  await rewriteReferences(tx, collections, [
    { collection: record.collection, from: record.id, to: serverId },
  ]);
  return updated;
}

/**
 * True when rewriting `remap` into other records can change anything: the canonical id differs
 * from the temporary one and some collection has a reference field pointing at its collection.
 */
export function needsReferenceRewrite(
  collections: ReadonlyMap<string, CollectionDefinition>,
  remap: ServerIdRemap,
): boolean {
  return remap.from !== remap.to && referrers(collections, remap.collection).length > 0;
}

/**
 * Rewrites temporary ids into the reference fields of other records and of their queued and
 * in-flight ops, for a whole set of remaps at once: one record query per referring field and
 * one read of each referring collection's pending ops, however many ids changed. Idempotent.
 */
export async function rewriteReferences(
  tx: StorageTransaction,
  collections: ReadonlyMap<string, CollectionDefinition>,
  remaps: readonly ServerIdRemap[],
): Promise<void> {
  const byField = new Map<string, { field: string; ids: Map<string, string> }[]>();
  for (const remap of remaps) {
    if (remap.from === remap.to) continue;
    for (const { collection, field } of referrers(collections, remap.collection)) {
      const fields = byField.get(collection) ?? [];
      let entry = fields.find((f) => f.field === field);
      if (!entry) {
        entry = { field, ids: new Map() };
        fields.push(entry);
      }
      entry.ids.set(remap.from, remap.to);
      byField.set(collection, fields);
    }
  }
  for (const [collection, fields] of byField) {
    // One query per referring field for every id of the batch, not one per id.
    for (const { field, ids } of fields) {
      const where = { [field]: { in: [...ids.keys()] } };
      for (const other of await tx.queryRecords(collection, { where })) {
        const data = rewrite(other.data, field, ids);
        if (data !== other.data && data) await tx.putRecord({ ...other, data });
      }
    }
    const outbox = new Outbox(tx);
    for (const op of await outbox.pending(collection)) {
      let { data, patch } = op;
      for (const { field, ids } of fields) {
        data = rewrite(data, field, ids);
        patch = rewrite(patch, field, ids);
      }
      if (data !== op.data || patch !== op.patch) await outbox.replace([{ ...op, data, patch }]);
    }
  }
}

function rewrite(
  value: RecordData | null,
  field: string,
  ids: ReadonlyMap<string, string>,
): RecordData | null {
  const from = value?.[field];
  if (value === null || typeof from !== 'string') return value;
  const to = ids.get(from);
  return to === undefined ? value : { ...value, [field]: to };
}

/**
 * The records that reference fields point at, read once per push selection: deciding which ops
 * wait for a server id and rewriting local ids into the wire form read the same few records
 * (many children of one parent). Valid for one transaction that writes no records.
 */
export class ReferenceLookup {
  readonly #tx: StorageTransaction;
  readonly #records = new Map<string, StoredRecord | undefined>();
  readonly #blocking = new Map<string, boolean>();
  /** Per collection: old local id to server id of the records this device evicted. */
  readonly #evicted = new Map<string, Map<string, string>>();

  constructor(tx: StorageTransaction) {
    this.#tx = tx;
  }

  /** The record of `collection` with local id `id`, or `undefined`. */
  async record(collection: string, id: string): Promise<StoredRecord | undefined> {
    const key = `${collection}\u0000${id}`;
    if (this.#records.has(key)) return this.#records.get(key);
    const record = await this.#tx.getRecord(collection, id);
    this.#records.set(key, record);
    return record;
  }

  /**
   * The server id of a record this device evicted (retention, `clearCache()`) while it had the
   * local id `id`, or `undefined`. The evicted index is read once per collection.
   */
  async evictedServerId(collection: string, id: string): Promise<string | undefined> {
    let byLocalId = this.#evicted.get(collection);
    if (!byLocalId) {
      byLocalId = new Map();
      for (const [serverId, localId] of await readEvicted(this.#tx, collection))
        byLocalId.set(localId, serverId);
      this.#evicted.set(collection, byLocalId);
    }
    return byLocalId.get(id);
  }

  /**
   * True when the record is one of this device's whose insert still waits for the server. A
   * record whose insert was dead-lettered does not block (it would block forever).
   */
  async isUnconfirmed(collection: string, id: string): Promise<boolean> {
    const key = `${collection}\u0000${id}`;
    let blocked = this.#blocking.get(key);
    if (blocked === undefined) {
      const ref = await this.record(collection, id);
      blocked =
        ref !== undefined &&
        ref.serverId === null &&
        (await new Outbox(this.#tx).pendingOf(collection, ref.id)).length > 0;
      this.#blocking.set(key, blocked);
    }
    return blocked;
  }
}

/**
 * Rewrites reference fields of `data` that still hold a local id whose record has a server id
 * by now, or whose record this device evicted (the evicted index keeps its server id). Used
 * when building a push, so the server only sees canonical ids where known.
 */
export async function resolveReferences(
  refs: ReferenceLookup,
  collection: CollectionDefinition,
  data: RecordData | null,
): Promise<RecordData | null> {
  if (data === null) return null;
  let out = data;
  for (const [field, target] of Object.entries(collection.references)) {
    const value = data[field];
    if (typeof value !== 'string') continue;
    const ref = await refs.record(target, value);
    const serverId = ref ? ref.serverId : await refs.evictedServerId(target, value);
    if (serverId && serverId !== value) out = { ...out, [field]: serverId };
  }
  return out;
}

/**
 * True when `data` references a record of this device whose insert still waits for the server:
 * the op must wait for the server id (see {@link ReferenceLookup.isUnconfirmed}).
 */
export async function referencesUnconfirmedInsert(
  refs: ReferenceLookup,
  collection: CollectionDefinition,
  data: RecordData,
  ownId?: string,
): Promise<boolean> {
  for (const [field, target] of Object.entries(collection.references)) {
    const value = data[field];
    // A record pointing at itself cannot wait for its own insert to be confirmed.
    if (typeof value !== 'string' || (target === collection.name && value === ownId)) continue;
    if (await refs.isUnconfirmed(target, value)) return true;
  }
  return false;
}
