import type {
  CollectionDefinition,
  RecordData,
  RetentionPolicy,
  StorageAdapter,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { TidesyncError, describeValue, toAppRecord } from '../../core/index.js';
import { readEvicted, writeEvicted } from '../local/evicted-index.js';
import { Outbox } from '../../outbox/index.js';
import { forgetAppliedSeq } from '../sync/applied-seq.js';

/** What one retention run or `clearCache()` dropped from this device. */
export interface EvictionResult {
  /** Records dropped, over every collection. */
  readonly total: number;
  /** Records dropped per collection; collections with none are left out. */
  readonly collections: Readonly<Record<string, number>>;
}

/**
 * Checks a collection's `retention` policy before any I/O.
 * @throws TidesyncError `INVALID_OPTION` for a bad `maxAgeMs`, `maxRecords` or `keep`.
 */
export function checkRetentionPolicy(collection: CollectionDefinition): void {
  const policy = collection.retention;
  if (policy === undefined) return;
  const where = `of collection \`${collection.name}\``;
  if (policy === null || typeof policy !== 'object') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`retention\` ${where} to be an object, got ${describeValue(policy)}.`,
    );
  }
  const { maxAgeMs, maxRecords, keep } = policy;
  if (maxAgeMs !== undefined && (typeof maxAgeMs !== 'number' || !(maxAgeMs > 0))) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`retention.maxAgeMs\` ${where} to be a number > 0, got ${describeValue(maxAgeMs)}.`,
    );
  }
  if (
    maxRecords !== undefined &&
    (typeof maxRecords !== 'number' || !Number.isInteger(maxRecords) || maxRecords < 0)
  ) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`retention.maxRecords\` ${where} to be an integer ≥ 0, got ${describeValue(maxRecords)}.`,
    );
  }
  if (keep !== undefined && typeof keep !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`retention.keep\` ${where} to be a function, got ${describeValue(keep)}.`,
    );
  }
}

/** When a record was last used: its last read or its last write, whichever is later. */
const lastUsed = (record: StoredRecord): number => Math.max(record.accessedAt, record.updatedAt);

/**
 * Local ids that unsynced data still names in a reference field. A record created here keeps a
 * local id that differs from its server id (server-assigned ids); a pending op that still holds
 * that local id is resolved to the server id at push time by looking the record up, so the
 * record must stay until the op is gone.
 */
async function referencedLocalIds(
  tx: StorageTransaction,
  collections: ReadonlyMap<string, CollectionDefinition>,
): Promise<Set<string>> {
  const out = new Set<string>();
  const note = (definition: CollectionDefinition | undefined, data: RecordData | null): void => {
    if (!definition || data === null) return;
    for (const [field, target] of Object.entries(definition.references)) {
      const value = data[field];
      if (typeof value === 'string') out.add(`${target}\u0000${value}`);
    }
  };
  for (const op of await new Outbox(tx).all()) {
    const definition = collections.get(op.collection);
    note(definition, op.data);
    note(definition, op.patch);
  }
  for (const definition of collections.values()) {
    if (Object.keys(definition.references).length === 0) continue;
    const unsynced = await tx.queryRecords(definition.name, {
      where: { syncStatus: { ne: 'synced' } },
    });
    for (const record of unsynced) note(definition, record.data);
  }
  return out;
}

/**
 * The records of a collection this device may drop: synced, confirmed by the server, with no
 * op in the outbox in any state (queued, in flight or dead-lettered), no open conflict, and not
 * named by unsynced data (Invariant 10). Must run in the transaction that drops them, so no
 * write can slip in between the check and the delete.
 */
async function evictable(
  tx: StorageTransaction,
  collection: string,
  referenced: ReadonlySet<string>,
): Promise<{ all: StoredRecord[]; candidates: StoredRecord[] }> {
  const all = await tx.listRecords(collection);
  const withOps = new Set((await new Outbox(tx).all(collection)).map((op) => op.id));
  const candidates = all.filter(
    (r) =>
      r.syncStatus === 'synced' &&
      r.conflict === null &&
      r.serverId !== null &&
      !withOps.has(r.id) &&
      !referenced.has(`${collection}\u0000${r.id}`),
  );
  return { all, candidates };
}

/** Drops records in the caller's transaction and remembers the live ones as server-only. */
async function drop(
  tx: StorageTransaction,
  collection: string,
  records: readonly StoredRecord[],
): Promise<void> {
  if (records.length === 0) return;
  // Dropped records come back with pulls like any other: none of our echoes may be left out
  // until a pull run catches up again (applied-seq.ts).
  await forgetAppliedSeq(tx);
  const index = await readEvicted(tx, collection);
  for (const record of records) {
    await tx.deleteRecord(collection, record.id);
    // A synced tombstone holds nothing the app can read: nothing to fetch back.
    if (record.deleted || record.serverId === null) continue;
    // A record pulled back after an earlier eviction is stored under its server id: keep the
    // local id it had before, which the app and references may still hold.
    if (record.id === record.serverId && index.has(record.serverId)) continue;
    index.set(record.serverId, record.id);
  }
  await writeEvicted(tx, collection, index);
}

/** Which candidates a policy evicts: expired ones, then least recently used over the cap. */
function selectByPolicy(
  policy: RetentionPolicy,
  all: readonly StoredRecord[],
  candidates: readonly StoredRecord[],
  now: number,
): StoredRecord[] {
  const out: StoredRecord[] = [];
  const rest: StoredRecord[] = [];
  for (const record of candidates) {
    if (record.deleted) out.push(record);
    else if (policy.keep?.(toAppRecord(record))) continue;
    else if (policy.maxAgeMs !== undefined && now - lastUsed(record) > policy.maxAgeMs)
      out.push(record);
    else rest.push(record);
  }
  if (policy.maxRecords !== undefined) {
    // Pinned and unsynced records count toward the cap but are never dropped.
    let live = all.filter((r) => !r.deleted).length - out.filter((r) => !r.deleted).length;
    rest.sort((a, b) => lastUsed(a) - lastUsed(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const record of rest) {
      if (live <= policy.maxRecords) break;
      out.push(record);
      live -= 1;
    }
  }
  return out;
}

/**
 * Applies each collection's `retention` policy, one readwrite transaction per collection.
 * Only synced records are dropped, locally (no op is queued); see {@link evictable}.
 */
export async function applyRetentionPolicies(
  storage: StorageAdapter,
  collections: ReadonlyMap<string, CollectionDefinition>,
  now: number,
): Promise<EvictionResult> {
  const withPolicy = [...collections.values()].filter((c) => c.retention !== undefined);
  for (const collection of withPolicy) checkRetentionPolicy(collection);
  const counts: Record<string, number> = {};
  let total = 0;
  for (const collection of withPolicy) {
    const policy = collection.retention;
    if (!policy) continue;
    const dropped = await storage.transaction('readwrite', async (tx) => {
      const referenced = await referencedLocalIds(tx, collections);
      const { all, candidates } = await evictable(tx, collection.name, referenced);
      const chosen = selectByPolicy(policy, all, candidates, now);
      await drop(tx, collection.name, chosen);
      return chosen.length;
    });
    if (dropped > 0) counts[collection.name] = dropped;
    total += dropped;
  }
  return { total, collections: counts };
}

/**
 * Drops every synced record of the named collections (pins included), one readwrite
 * transaction per collection. Pending, conflicted and dead-lettered records stay.
 */
export async function clearSyncedRecords(
  storage: StorageAdapter,
  collections: ReadonlyMap<string, CollectionDefinition>,
  names: readonly string[],
): Promise<EvictionResult> {
  const counts: Record<string, number> = {};
  let total = 0;
  for (const name of names) {
    const dropped = await storage.transaction('readwrite', async (tx) => {
      const referenced = await referencedLocalIds(tx, collections);
      const { candidates } = await evictable(tx, name, referenced);
      await drop(tx, name, candidates);
      return candidates.length;
    });
    if (dropped > 0) counts[name] = dropped;
    total += dropped;
  }
  return { total, collections: counts };
}
