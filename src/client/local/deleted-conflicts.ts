// The index of conflicted records whose local side is a delete (queries skip deleted records).
import type { StorageTransaction } from '../../core/index.js';

/**
 * Metadata key listing conflicted records whose local side is a delete (`collection \u0000 id`).
 * Queries skip deleted records, so these are found through this list instead of a full scan.
 */
export const DELETED_CONFLICTS_META_KEY = 'conflicts.deletedLocally';

/** Records (or forgets) that a conflicted record's local side is a delete. */
export async function noteDeletedConflict(
  tx: StorageTransaction,
  collection: string,
  id: string,
  present: boolean,
): Promise<void> {
  const key = `${collection}\u0000${id}`;
  const list = (await tx.getMeta<string[]>(DELETED_CONFLICTS_META_KEY)) ?? [];
  const has = list.includes(key);
  if (present && !has) await tx.setMeta(DELETED_CONFLICTS_META_KEY, [...list, key]);
  if (!present && has)
    await tx.setMeta(
      DELETED_CONFLICTS_META_KEY,
      list.filter((k) => k !== key),
    );
}

/** The `collection \u0000 id` keys of conflicted records whose local side is a delete. */
export async function listDeletedConflicts(tx: StorageTransaction): Promise<string[]> {
  return (await tx.getMeta<string[]>(DELETED_CONFLICTS_META_KEY)) ?? [];
}
