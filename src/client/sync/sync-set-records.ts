// The persisted sync sets of a device (one metadata entry, written in the same transaction as
// the set's add or remove and as each of its pulled pages), and which records they cover.
import type {
  CollectionDefinition,
  StorageTransaction,
  StoredRecord,
  SyncSetWhere,
} from '../../core/index.js';
import { matchesSyncSet } from '../../core/index.js';

export { noteSetAck, SYNC_SETS_SWEEP_META_KEY } from '../local/set-sweep.js';

/** Metadata key of the persisted sync sets. */
export const SYNC_SETS_META_KEY = 'sync.sets';

/** A sync set as stored on the device. */
export interface StoredSyncSet {
  readonly id: string;
  readonly collection: string;
  readonly where: SyncSetWhere;
  /** The set's own pull cursor; `null` before its first page. */
  readonly cursor: string | null;
  /** Whether a pull of the set has reached the end once (`ready`). */
  readonly complete: boolean;
}

/** Every persisted set, in the order they were added. */
export async function readSyncSets(tx: StorageTransaction): Promise<StoredSyncSet[]> {
  return (await tx.getMeta<StoredSyncSet[]>(SYNC_SETS_META_KEY)) ?? [];
}

/** Replaces the persisted sets. */
export async function writeSyncSets(
  tx: StorageTransaction,
  sets: readonly StoredSyncSet[],
): Promise<void> {
  await tx.setMeta(SYNC_SETS_META_KEY, sets.length > 0 ? sets : undefined);
}

/** Starts every set over from the beginning (after the device re-based on a reset server). */
export async function restartSyncSets(tx: StorageTransaction): Promise<void> {
  const sets = await readSyncSets(tx);
  if (sets.length === 0) return;
  await writeSyncSets(
    tx,
    sets.map((set) => ({ ...set, cursor: null })),
  );
}

/** Whether record data is covered by one of `sets` of its collection. */
export function isCovered(
  sets: readonly StoredSyncSet[],
  collection: string,
  data: Readonly<Record<string, unknown>>,
): boolean {
  return sets.some((set) => set.collection === collection && matchesSyncSet(data, set.where));
}

/**
 * Whether a local record holds something unsynced: a local change not acknowledged, a
 * conflict, or a dead-lettered op. Such a record stays on the device even when no set covers it.
 */
export async function holdsUnsynced(
  tx: StorageTransaction,
  record: StoredRecord,
): Promise<boolean> {
  if (record.syncStatus !== 'synced') return true;
  return (
    (await tx.listOps({ collection: record.collection, recordId: record.id, limit: 1 })).length > 0
  );
}

/**
 * Removes from the device the records of `collection` that no set covers and that hold
 * nothing unsynced. Returns how many were removed.
 */
export async function evictUncovered(
  tx: StorageTransaction,
  collection: CollectionDefinition,
  sets: readonly StoredSyncSet[],
): Promise<number> {
  let removed = 0;
  for (const record of await tx.listRecords(collection.name)) {
    if (record.serverId === null) continue; // never synced: a local insert not pushed yet
    if (!record.deleted && isCovered(sets, collection.name, record.data)) continue;
    if (await holdsUnsynced(tx, record)) continue;
    await tx.deleteRecord(collection.name, record.id);
    removed += 1;
  }
  return removed;
}
