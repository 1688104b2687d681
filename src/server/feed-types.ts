import type { FieldClocks, RecordData } from '../core/index.js';

/** A record as the server stores it: canonical id, owner, version and sync metadata. */
export interface ServerRecord {
  readonly collection: string;
  /** Canonical id (primary key together with `collection`). */
  readonly id: string;
  /** The user who created the record. */
  readonly ownerId: string;
  /** Incremented by 1 on each applied change; 1 after the first insert. */
  readonly version: number;
  /** The record's fields; for a tombstone, the last value (or `{}`). */
  readonly data: RecordData;
  /** Clock of the last write. */
  readonly hlc: string;
  /** Clock of the last write to each field. */
  readonly fieldClocks: FieldClocks;
  /** True for a tombstone. */
  readonly deleted: boolean;
  /** Server wall-clock ms of the last write. */
  readonly updatedAt: number;
  /** Client that created the record, and the local id it used there. */
  readonly originClientId: string | null;
  readonly originId: string | null;
  /**
   * In a collection with a `scope` function: the record's data before its last few changes
   * (newest first, at most the server's `maxFormerStates`), kept on the server only. A user who
   * could see one of them but not the current state is told to remove the record from their
   * devices. Absent (or empty) elsewhere.
   */
  readonly formerData?: readonly RecordData[] | undefined;
  /**
   * The client whose push op wrote this state, and that op's push seq: a pull with
   * `appliedSeq` leaves the state out for that client when it has applied the op's answer
   * (docs/server.md). Absent (or `null`) for a state written before stores kept it.
   */
  readonly writerClientId?: string | null | undefined;
  readonly writerSeq?: number | null | undefined;
}

/** One entry of the change feed: a record's latest state and its feed position. */
export interface FeedEntry {
  /** Position in the feed; unique, greater than every position committed before it. */
  readonly position: number;
  readonly record: ServerRecord;
  /**
   * UTF-8 bytes of the record's `data` plus those of its `fieldClocks`, as the JSON text the
   * store holds them in (as `JSON.stringify` writes them), when it has that text at hand: a pull
   * sizes its page from it instead of serialising the record again. Absent: the pull measures.
   */
  readonly jsonBytes?: number | undefined;
}

/**
 * Narrows `ServerStoreReader.listChanges` to the changes one user may see: records owned
 * by `ownerId` (in `ownerCollections`, when given), plus every record of `collections` (those
 * whose visibility a scope function decides).
 */
export interface ChangeFilter {
  readonly ownerId: string;
  readonly collections: readonly string[];
  /**
   * Optional: the collections in which the records of `ownerId` count; absent, every
   * collection. A feed pull lists the collections it serves, leaving out `sync: 'sets'` ones,
   * so a store can read one index range per (owner, collection) and never scan the rows of a
   * set collection. A store that ignores it returns more entries, which the caller drops.
   */
  readonly ownerCollections?: readonly string[] | undefined;
  /**
   * Optional: leave out of the (owner, collection) ranges the states this client wrote with a
   * push seq at most `seq` (its own echoes, already applied from the push answers). A store may
   * ignore it (the caller drops them too); one that honours it must still count the left-out
   * entries' positions as read: see `ServerStoreReader.lastChange`.
   */
  readonly skipWriter?: { readonly clientId: string; readonly seq: number } | undefined;
}
