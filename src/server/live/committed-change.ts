import type { SyncSetValue } from '../../core/index.js';
import type { ServerRecord } from '../feed-types.js';

/** The records one committed transaction changed, and the client that pushed them. */
export interface CommittedChange {
  readonly originClientId: string | null;
  /** Owners of changed records of collections without a scope function. */
  readonly ownerIds: readonly string[];
  /** States before and after of changed records of scoped collections. */
  readonly scopedRecords: readonly ServerRecord[];
  /** The scoped records changed, with the version the change gave each. */
  readonly scoped: readonly {
    readonly collection: string;
    readonly id: string;
    readonly version: number;
  }[];
  /** Changed records of `sync: 'sets'` collections, with their indexed fields before and after. */
  readonly setChanges: readonly SetChange[];
}

/**
 * One changed record of a `sync: 'sets'` collection, as the live hub needs it to decide which
 * streams' sets it touches: the values of its indexed fields before and after the change
 * (`null` for no state: a new record, a tombstone).
 */
export interface SetChange {
  readonly collection: string;
  readonly id: string;
  readonly ownerId: string;
  readonly before: IndexedValues | null;
  readonly after: IndexedValues | null;
}

/** The scalar values of a record's indexed fields (what a sync set may filter on). */
export type IndexedValues = Readonly<Record<string, SyncSetValue>>;

/**
 * What changed in one committed push, as far as live sync needs to know: enough to decide who
 * may see it, never the data itself on the wire between instances.
 */
export interface ChangeNotice {
  /** The store's feed head read after the commit: at or past every change of the push. */
  readonly position: number;
  /** The client that pushed: its own stream is not poked (it already has the results). */
  readonly originClientId: string | null;
  /** Owners of the changed records of collections without a scope function. */
  readonly ownerIds: readonly string[];
  /**
   * Changed records of collections whose visibility a scope function decides, with the version
   * the change gave each (absent in notices of older instances): another instance reads the
   * record's states since then from the store, so devices that lost sight of it are poked too.
   */
  readonly scoped: readonly {
    readonly collection: string;
    readonly id: string;
    readonly version?: number;
  }[];
  /**
   * Those records' states before and after the change, when the notice comes from this
   * process; a notice from another instance leaves them out and they are read from the store.
   */
  readonly scopedRecords?: readonly ServerRecord[];
  /**
   * Changed records of `sync: 'sets'` collections with their indexed values before and after,
   * so a stream that declared its sets is poked only for changes in them. Absent in notices of
   * older instances (whose owners list names these records' owners: every stream is poked).
   */
  readonly setChanges?: readonly SetChange[];
}
