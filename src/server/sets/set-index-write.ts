import type { CollectionDefinition } from '../../core/index.js';
import { TidesyncError } from '../../core/index.js';
import type { ServerRecord, ServerStoreTransaction } from '../server-store.js';
import { changedSetKeys, setPartitionOf } from './set-index.js';

/**
 * After a record of a `sync: 'sets'` collection is put: bumps the set-index rows of its values
 * before and after the change to the change's position (exit markers and entries), in `tx`.
 * Nothing for a `sync: 'all'` collection.
 * @throws TidesyncError `INVALID_OPTION` when the store has no set index.
 */
export async function writeSetKeys(
  tx: ServerStoreTransaction,
  collection: CollectionDefinition,
  before: ServerRecord | undefined,
  after: ServerRecord,
): Promise<void> {
  if (collection.sync !== 'sets') return;
  const keys = changedSetKeys(collection, before, after);
  if (keys.length === 0) return;
  if (typeof tx.putSetKeys !== 'function') throw noSetIndex(collection.name);
  await tx.putSetKeys({
    collection: collection.name,
    partition: setPartitionOf(collection, after),
    id: after.id,
    keys,
  });
}

/** A store that cannot serve a `sync: 'sets'` collection. */
export function noSetIndex(collection: string): TidesyncError {
  return new TidesyncError(
    'INVALID_OPTION',
    `Collection \`${collection}\` has \`sync: 'sets'\`, but the server store has no set index (listSetChanges, countSetChanges, putSetKeys). Use memoryServerStore, sqliteServerStore or postgresServerStore, or \`sync: 'all'\`.`,
  );
}
