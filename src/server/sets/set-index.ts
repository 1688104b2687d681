// The set index: which records each value of a declared index field has touched, and when.
// On every change of a record of a `sync: 'sets'` collection, the rows of its NEW values and of
// its OLD values (exit markers) take the change's feed position, in the same transaction as the
// feed entry. So a set pull `(field IN values) AND seq > cursor` finds every record that
// entered a set, changed inside it, or left it since the cursor (docs/sync-sets.md).
import type { CollectionDefinition } from '../../core/index.js';
import { setValueKey } from '../../core/index.js';
import type { FeedEntry, ServerRecord } from '../feed-types.js';

/** One index row's key within a record: a declared field and a value's JSON text. */
export interface SetIndexKey {
  readonly field: string;
  /** The value as JSON text (`"p1"`, `3`, `true`, `null`). */
  readonly value: string;
}

/**
 * The partition of a record's index rows: its owner in a collection without a scope function
 * (a user's set pull reads only their own rows), `''` in a scoped one (visibility is checked
 * per record).
 */
export function setPartitionOf(
  collection: CollectionDefinition,
  record: Pick<ServerRecord, 'ownerId'>,
): string {
  return collection.scope ? '' : record.ownerId;
}

/** Index rows that one record change bumps: its keys before and after, at the change's position. */
export interface SetIndexWrite {
  readonly collection: string;
  readonly partition: string;
  readonly id: string;
  readonly keys: readonly SetIndexKey[];
}

/** A range read of the set index: rows of one field's values after a position. */
export interface SetIndexQuery {
  readonly collection: string;
  readonly partition: string;
  readonly field: string;
  /** Value keys (JSON texts), at least one. */
  readonly values: readonly string[];
  /** Rows with a position greater than this. */
  readonly after: number;
}

/**
 * What a server store offers for sync sets (memory, SQLite and Postgres stores all do). Reads
 * see the same committed snapshot as the feed, and index rows commit with their feed entries.
 */
export interface SetIndexReader {
  /**
   * Records with an index row in the range, by ascending row position (the position of the
   * last change that touched that value for that record), at most `limit` rows; a record may
   * appear twice (an old and a new value both in `values`). `record` is the current state.
   */
  listSetChanges(query: SetIndexQuery, limit: number): Promise<FeedEntry[]>;
  /** How many records have a row in the range (each record once). */
  countSetChanges(query: SetIndexQuery): Promise<number>;
}

/** The write side: held until commit, then written with the record's new feed position. */
export interface SetIndexWriter {
  /** Bumps the index rows of `write.keys` for the record to its position in this transaction. */
  putSetKeys(write: SetIndexWrite): Promise<void>;
}

/** The index keys of record data: one per declared field that holds a scalar. */
export function setKeysOf(
  collection: CollectionDefinition,
  data: Readonly<Record<string, unknown>> | undefined,
): SetIndexKey[] {
  if (!data) return [];
  const keys: SetIndexKey[] = [];
  for (const field of collection.indexes) {
    if (!Object.hasOwn(data, field)) continue;
    const value = setValueKey(data[field]);
    if (value !== undefined) keys.push({ field, value });
  }
  return keys;
}

/**
 * The keys a change bumps: those of the record before (exit markers; none for a new record) and
 * after (none for a tombstone), each once.
 */
export function changedSetKeys(
  collection: CollectionDefinition,
  before: ServerRecord | undefined,
  after: ServerRecord,
): SetIndexKey[] {
  const seen = new Map<string, SetIndexKey>();
  const old = before && !before.deleted ? setKeysOf(collection, before.data) : [];
  const next = after.deleted ? [] : setKeysOf(collection, after.data);
  for (const key of [...old, ...next]) seen.set(`${key.field}\u0000${key.value}`, key);
  return [...seen.values()];
}

/** Merges the keys of two writes of one record in one transaction (each key once). */
export function mergeSetKeys(a: readonly SetIndexKey[], b: readonly SetIndexKey[]): SetIndexKey[] {
  const seen = new Map<string, SetIndexKey>();
  for (const key of [...a, ...b]) seen.set(`${key.field}\u0000${key.value}`, key);
  return [...seen.values()];
}
