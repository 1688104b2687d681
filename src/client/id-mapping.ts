import type {
  CollectionDefinition,
  RecordData,
  StorageTransaction,
  StoredRecord,
} from '../core/index.js';

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
  for (const op of await tx.listOps({ collection: record.collection, recordId: record.id })) {
    if (op.serverId !== serverId) await tx.putOp({ ...op, serverId });
  }
  if (serverId === record.id) return updated;
  for (const { collection, field } of referrers(collections, record.collection)) {
    for (const other of await tx.queryRecords(collection, { where: { [field]: record.id } })) {
      await tx.putRecord({ ...other, data: { ...other.data, [field]: serverId } });
    }
    for (const op of await tx.listOps({ collection, states: ['queued', 'inflight'] })) {
      const data = rewrite(op.data, field, record.id, serverId);
      const patch = rewrite(op.patch, field, record.id, serverId);
      if (data !== op.data || patch !== op.patch) await tx.putOp({ ...op, data, patch });
    }
  }
  return updated;
}

function rewrite(
  value: RecordData | null,
  field: string,
  from: string,
  to: string,
): RecordData | null {
  if (value === null || value[field] !== from) return value;
  return { ...value, [field]: to };
}

/**
 * Rewrites reference fields of `data` that still hold a local id whose record has a server id
 * by now. Used when building a push, so the server only sees canonical ids where known.
 */
export async function resolveReferences(
  tx: StorageTransaction,
  collection: CollectionDefinition,
  data: RecordData | null,
): Promise<RecordData | null> {
  if (data === null) return null;
  let out = data;
  for (const [field, target] of Object.entries(collection.references)) {
    const value = data[field];
    if (typeof value !== 'string') continue;
    const ref = await tx.getRecord(target, value);
    if (ref?.serverId && ref.serverId !== value) out = { ...out, [field]: ref.serverId };
  }
  return out;
}

/**
 * True when `data` references a record of this device whose insert still waits for the server:
 * the op must wait for the server id. A reference to a record whose insert was dead-lettered
 * does not block (it would block forever). `cache` memoises lookups within one batch.
 */
export async function referencesUnconfirmedInsert(
  tx: StorageTransaction,
  collection: CollectionDefinition,
  data: RecordData,
  cache: Map<string, boolean>,
): Promise<boolean> {
  for (const [field, target] of Object.entries(collection.references)) {
    const value = data[field];
    if (typeof value !== 'string') continue;
    const key = `${target}\u0000${value}`;
    let blocked = cache.get(key);
    if (blocked === undefined) {
      const ref = await tx.getRecord(target, value);
      blocked =
        ref !== undefined &&
        ref.serverId === null &&
        (await tx.listOps({ collection: target, recordId: ref.id })).some(
          (op) => op.state !== 'dead',
        );
      cache.set(key, blocked);
    }
    if (blocked) return true;
  }
  return false;
}
