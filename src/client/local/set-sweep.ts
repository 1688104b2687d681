// Which `sync: 'sets'` collections have acknowledged writes the next set pull must sweep: one
// metadata entry, written in the transaction that acknowledges the write.
import type { CollectionDefinition, StorageTransaction } from '../../core/index.js';

/** Metadata key of the `sync: 'sets'` collections with acknowledged writes not yet swept. */
export const SYNC_SETS_SWEEP_META_KEY = 'sync.sets.sweep';

/**
 * Notes, in the acknowledgement's transaction, that a write to a `sync: 'sets'` collection was
 * acknowledged: the next set pull removes it if no set covers it (`evictUncovered` in the sync flow).
 */
export async function noteSetAck(
  tx: StorageTransaction,
  collection: CollectionDefinition | undefined,
): Promise<void> {
  if (collection?.sync !== 'sets') return;
  const due = (await tx.getMeta<string[]>(SYNC_SETS_SWEEP_META_KEY)) ?? [];
  if (!due.includes(collection.name)) {
    await tx.setMeta(SYNC_SETS_SWEEP_META_KEY, [...due, collection.name]);
  }
}
