/** The sync state of a record on this device. */
export type SyncStatus = 'synced' | 'pending' | 'conflicted';

/** Runtime list of {@link SyncStatus} values. */
export const SYNC_STATUSES = ['synced', 'pending', 'conflicted'] as const;

/** Plain JSON-like field values of a record, without sync metadata. */
export type RecordData = Record<string, unknown>;

/** Per-field hybrid logical clock timestamps: field name to the clock of its last write. */
export type FieldClocks = Record<string, string>;

/** The fields tidesync adds to every record an app sees. */
export interface RecordMeta {
  /** Local id, stable on this device. */
  readonly id: string;
  /** Canonical server id; `null` until the server confirms the record. */
  readonly serverId: string | null;
  /** Wall-clock milliseconds of the last local or remote write. */
  readonly updatedAt: number;
  /** Whether the record has unsynced changes or an open conflict. */
  readonly syncStatus: SyncStatus;
}

/** Names of the metadata fields; a patch may not set them. */
export const META_FIELDS = ['id', 'serverId', 'updatedAt', 'syncStatus'] as const;

/** A record as the app sees it: its fields plus {@link RecordMeta}. */
export type SyncedRecord<T extends RecordData = RecordData> = T & RecordMeta;

/** The other side of a conflict kept for the app under `manual()` or `custom()`. */
export interface ConflictInfo {
  /** The server's version of the data, `null` when the server deleted it. */
  readonly remote: RecordData | null;
  /** Server version number of `remote`. */
  readonly remoteVersion: number;
  /** Clock of the remote write. */
  readonly remoteHlc: string;
  /** Per-field clocks of the remote version. */
  readonly remoteFieldClocks: FieldClocks;
  /** When the conflict was detected (wall ms). */
  readonly detectedAt: number;
  /**
   * Why a `custom()` resolver could not settle the conflict (it threw, or its result failed the
   * schema); absent when none ran or it handed the conflict on with `'manual'`.
   */
  readonly resolverError?: { readonly code: string; readonly message: string };
}

/**
 * A record as a storage adapter stores it. Adapters persist every field and return it unchanged;
 * they never interpret `data`.
 */
export interface StoredRecord {
  readonly collection: string;
  /** Local id (primary key together with `collection`). */
  readonly id: string;
  /** Canonical id, `null` until confirmed. Unique per collection when set. */
  readonly serverId: string | null;
  /** The record's fields. For a local delete waiting to sync, the last known fields. */
  readonly data: RecordData;
  /** Server version this replica last saw (0 for never synced). */
  readonly version: number;
  /** Clock of the last write to any field. */
  readonly hlc: string;
  /** Clock of the last write to each field. */
  readonly fieldClocks: FieldClocks;
  /** Wall-clock ms of the last write. */
  readonly updatedAt: number;
  /** Wall-clock ms of the last read or write, for least-recently-used retention. */
  readonly accessedAt: number;
  readonly syncStatus: SyncStatus;
  /** True for a record deleted locally whose delete has not been acknowledged yet. */
  readonly deleted: boolean;
  /** The remote side of an open conflict, else `null`. */
  readonly conflict: ConflictInfo | null;
}

/** Kinds of outbox operation. */
export type OpType = 'insert' | 'update' | 'delete';

/** State of an outbox operation. */
export type OpState = 'queued' | 'inflight' | 'dead';

/** One local change waiting to be acknowledged by the server. */
export interface OutboxOp {
  /** Unique id; the server applies each `opId` at most once. */
  readonly opId: string;
  /** Local order: strictly increasing per client, assigned in the write's transaction. */
  readonly seq: number;
  /**
   * Push sequence number: `null` until the op is first sent, then the contiguous per-client
   * number the server checks for gaps. Never reassigned once set.
   */
  readonly pushSeq: number | null;
  readonly collection: string;
  /** Local id of the record. */
  readonly id: string;
  /** Server id of the record, when known at the time of sending. */
  readonly serverId: string | null;
  readonly type: OpType;
  /** Full data for an insert. */
  readonly data: RecordData | null;
  /** Changed fields and their new values for an update. */
  readonly patch: RecordData | null;
  /** Names of the fields this op changes. */
  readonly changedFields: readonly string[];
  /** Server version the change was made on (0 for an insert). */
  readonly baseVersion: number;
  /** Clock of the change. */
  readonly hlc: string;
  /** Clock per changed field. */
  readonly fieldClocks: FieldClocks;
  readonly state: OpState;
  /** Delivery attempts so far. */
  readonly attempts: number;
  /** Wall ms the op was created. */
  readonly createdAt: number;
  /** Why the op is dead-lettered, when `state` is `dead`. */
  readonly error: { readonly code: string; readonly message: string } | null;
}
