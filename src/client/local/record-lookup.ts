import type { CollectionDefinition, StorageTransaction, StoredRecord } from '../../core/index.js';
import { TidesyncError } from '../../core/index.js';

/** Looks up a collection or throws `UNKNOWN_COLLECTION`. */
export function requireCollection(
  collections: ReadonlyMap<string, CollectionDefinition>,
  name: string,
): CollectionDefinition {
  const c = collections.get(name);
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
 * The record a local write changes (`action` names the write in the error).
 * @throws TidesyncError `RECORD_NOT_FOUND` when no such record is stored,
 *   `RECORD_DELETED` when it is deleted.
 */
export async function requireLiveRecord(
  tx: StorageTransaction,
  collection: string,
  id: string,
  action: string,
): Promise<StoredRecord> {
  const record = await findRecord(tx, collection, id);
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

/** A stored record with an open conflict. */
export type ConflictedRecord = StoredRecord & { conflict: NonNullable<StoredRecord['conflict']> };

/** The record with an open conflict. @throws TidesyncError `CONFLICT_NOT_FOUND` */
export async function requireConflicted(
  tx: StorageTransaction,
  collection: string,
  id: string,
): Promise<ConflictedRecord> {
  const current = await findRecord(tx, collection, id);
  if (!current || current.syncStatus !== 'conflicted' || !current.conflict) {
    throw new TidesyncError(
      'CONFLICT_NOT_FOUND',
      `\`${collection}\` record \`${id}\` has no open conflict. List open conflicts with \`client.conflicts()\`.`,
    );
  }
  return current as ConflictedRecord;
}
