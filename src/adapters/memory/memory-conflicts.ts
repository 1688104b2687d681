import type { Query, StoredRecord } from '../../core/index.js';

/**
 * collection -> ids of the committed records whose `syncStatus` is `'conflicted'`: the client
 * counts its open conflicts after every sync that changed something (`where: { syncStatus:
 * 'conflicted' }`), which would otherwise scan every record of every collection. Conflicts are
 * few; the index holds nothing while there are none (as SQLite's partial index).
 */
export type ConflictIndex = Map<string, Set<string>>;

/** Notes the committed state of one record (`undefined`: deleted) in `index`. */
export function noteConflictState(
  index: ConflictIndex,
  collection: string,
  id: string,
  record: StoredRecord | undefined,
): void {
  const ids = index.get(collection);
  if (record?.syncStatus === 'conflicted') {
    if (ids) ids.add(id);
    else index.set(collection, new Set([id]));
  } else if (ids?.delete(id) && ids.size === 0) {
    index.delete(collection);
  }
}

/** Whether `query` can only match conflicted records, so the index may narrow its candidates. */
export function asksForConflicts(query: Query): boolean {
  return query.where?.syncStatus === 'conflicted';
}

/**
 * The records a conflicts-only query needs to look at: the committed conflicted ones that the
 * transaction has not staged over, and every record it staged (`staged`, deletions left out).
 */
export function conflictCandidates(
  index: ConflictIndex,
  collection: string,
  committed: ReadonlyMap<string, StoredRecord> | undefined,
  staged: ReadonlyMap<string, StoredRecord | symbol> | undefined,
): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (const id of index.get(collection) ?? []) {
    const record = staged?.has(id) ? undefined : committed?.get(id);
    if (record) out.push(record);
  }
  for (const value of staged?.values() ?? []) {
    if (typeof value !== 'symbol') out.push(value);
  }
  return out;
}
