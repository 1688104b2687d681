// The staged writes of the adapters that buffer a transaction's writes until commit (memory,
// IndexedDB): how a delete is staged, and lookups that see through the staging.
import type { StoredRecord } from '../core/index.js';

/** Marks a staged delete. */
export const DELETED = Symbol('deleted');
/** A staged value, or a staged delete. */
export type Staged<T> = T | typeof DELETED;

/**
 * The record staged in one collection (`staged`: id to staged write) that holds `serverId`,
 * by a scan; a staged delete never matches.
 */
export function stagedWithServerId(
  staged: ReadonlyMap<string, Staged<StoredRecord>> | undefined,
  serverId: string,
): StoredRecord | undefined {
  for (const value of staged?.values() ?? []) {
    if (value !== DELETED && value.serverId === serverId) return value;
  }
  return undefined;
}
