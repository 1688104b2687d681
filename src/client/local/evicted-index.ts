import type { StorageTransaction } from '../../core/index.js';

/**
 * Which records of a collection this device dropped (by retention or `clearCache()`): server
 * id to the local id the record had. Lets `fetchRemote()` accept a local id the app still
 * holds and restore the record under it, and tells a remote `find()` what to re-fetch.
 * Kept in storage metadata as a list of pairs (never as an object keyed by server ids, so an
 * id such as `__proto__` is just a string), one key per collection.
 */
export type EvictedIndex = Map<string, string>;

const metaKey = (collection: string): string => `retention.evicted.${collection}`;

/** The evicted index of a collection (empty when nothing was evicted). */
export async function readEvicted(
  tx: StorageTransaction,
  collection: string,
): Promise<EvictedIndex> {
  const stored = await tx.getMeta<unknown>(metaKey(collection));
  const index: EvictedIndex = new Map();
  if (!Array.isArray(stored)) return index;
  for (const pair of stored) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string')
      index.set(pair[0], pair[1]);
  }
  return index;
}

/** Stores the evicted index of a collection; an empty index removes the key. */
export async function writeEvicted(
  tx: StorageTransaction,
  collection: string,
  index: EvictedIndex,
): Promise<void> {
  await tx.setMeta(metaKey(collection), index.size > 0 ? [...index] : undefined);
}

/** The server id an evicted record had, looked up by its server id or its old local id. */
export function findEvicted(
  index: EvictedIndex,
  id: string,
): { serverId: string; localId: string } | undefined {
  const localId = index.get(id);
  if (localId !== undefined) return { serverId: id, localId };
  for (const [serverId, local] of index) {
    if (local === id) return { serverId, localId: local };
  }
  return undefined;
}
