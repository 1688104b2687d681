import type { StorageTransaction, StoredRecord } from '../../core/index.js';

/** One collection's keys as asked, and the records the batch lookup found for them. */
export interface BatchRead {
  readonly keys: readonly string[];
  readonly found: ReadonlyMap<string, StoredRecord>;
}

/** The name of one of the storage port's optional batch lookups. */
type BatchLookup = 'getRecords' | 'getRecordsByServerIds';

/**
 * Reads the records of `keys` (collection and key) in one call per collection through the
 * storage port's optional batch lookup `name` (`getRecords` by local id, `getRecordsByServerIds`
 * by server id); `undefined` when the adapter does not offer it (one lookup per record then).
 */
export async function readInBatches(
  tx: StorageTransaction,
  name: BatchLookup,
  keys: Iterable<readonly [collection: string, key: string]>,
): Promise<Map<string, BatchRead> | undefined> {
  // `in` first: a wrapper (a Proxy) may answer any name with a function its target lacks.
  if (!(name in tx)) return undefined;
  const lookup = tx[name];
  if (typeof lookup !== 'function') return undefined;
  const grouped = new Map<string, string[]>();
  for (const [collection, key] of keys) {
    const list = grouped.get(collection);
    if (list) list.push(key);
    else grouped.set(collection, [key]);
  }
  const out = new Map<string, BatchRead>();
  for (const [collection, list] of grouped) {
    out.set(collection, { keys: list, found: await lookup.call(tx, collection, list) });
  }
  return out;
}

/** Records found by collection and key; a key missing from its collection's map was not found. */
export type FoundRecords = ReadonlyMap<string, ReadonlyMap<string, StoredRecord>>;

/** {@link readInBatches}, keeping only what was found. */
export async function findInBatches(
  tx: StorageTransaction,
  name: BatchLookup,
  keys: Iterable<readonly [collection: string, key: string]>,
): Promise<FoundRecords | undefined> {
  const read = await readInBatches(tx, name, keys);
  return read && new Map([...read].map(([collection, { found }]) => [collection, found]));
}
