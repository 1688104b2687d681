// The public shape of sync sets (docs/sync-sets.md), declared here so local writes and queries
// (collection handles) need nothing of the sync flow, which implements them (sync/sync-sets.ts).
import type { CollectionDefinition, SyncSetWhere } from '../../core/index.js';

/** Options of `collection(...).syncSet()`. */
export interface SyncSetOptions {
  /** Which records: equality or `{ in: [...] }` on the collection's `indexes` fields. */
  readonly where: SyncSetWhere;
}

/** A subset of a `sync: 'sets'` collection that this device syncs down; persisted. */
export interface SyncSet {
  /** Stable id; the same across restarts. */
  readonly id: string;
  readonly collection: string;
  readonly where: SyncSetWhere;
  /**
   * Resolves when the set's first complete pull has committed locally (at once for a set that
   * completed before). Rejects with `SYNC_SET_REMOVED` when the set is removed first.
   */
  readonly ready: Promise<void>;
  /**
   * Removes the set and, in the same transaction, every record of the collection no other set
   * covers and that holds nothing unsynced (pending, conflicted and dead-lettered records stay).
   */
  remove(): Promise<void>;
}

/** Declaring sync sets, as collection handles need it; the sync flow's `SyncSets` implements it. */
export interface SyncSetRegistry {
  /** Declares a set (or returns the persisted one with the same `where`). */
  add(definition: CollectionDefinition, options: SyncSetOptions): Promise<SyncSet>;
}
