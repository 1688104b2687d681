import type { ConflictInfo, RecordData, TidesyncError } from '../core/index.js';
import type { RemoteRejectedEvent } from './sync/remote-validation.js';

/** State of the live stream (`liveTrigger()`): `off` without one, or while stopped on purpose. */
export type LiveState = 'off' | 'connecting' | 'connected';

/**
 * The client's state, as shown in a sync indicator. "Synced" (`pendingOps` 0) means nothing of
 * this device is waiting; how fresh the other devices' changes are is `lastPulledAt` (and
 * `live`: while `connected`, a change reaches the device within moments of its commit).
 */
export interface SyncClientStatus {
  /** Whether the network is believed to be up (last request reached the server, or a trigger said so). */
  readonly online: boolean;
  /** A sync run is in progress. */
  readonly syncing: boolean;
  /** Ops waiting to be acknowledged (dead letters not included). */
  readonly pendingOps: number;
  /** Records in `conflicted` state. */
  readonly conflicts: number;
  /** Wall ms of the last sync that completed, or `null`. */
  readonly lastSyncedAt: number | null;
  /** The error of the last failed sync, cleared by the next success. */
  readonly lastError: Error | null;
  /** The live stream: `connected` while the server pokes this device on every change. */
  readonly live: LiveState;
  /** Wall ms of the last pull that reached the server's feed head, or `null` before one. */
  readonly lastPulledAt: number | null;
}

/** Emitted after a committed local or remote change. */
export interface ChangeEvent {
  readonly collections: readonly string[];
  readonly origin: 'local' | 'remote';
}

/** What one sync run did. */
export interface SyncResult {
  /** Ops the server acknowledged as applied (merged ones included). */
  readonly pushed: number;
  /** Ops that came back as conflicts left for the app. */
  readonly conflicts: number;
  /** Ops the server rejected; they are now dead letters. */
  readonly rejected: number;
  /** Remote changes applied locally. */
  readonly pulled: number;
  /** Ops still waiting (for example when a deadline stopped the run). */
  readonly remaining: number;
  /** True when the server's data was reset (restored from a backup) and the client re-based. */
  readonly rebased: boolean;
  /** True when another tab (the coordinator's leader) syncs for this database instead. */
  readonly delegated: boolean;
}

/** Emitted when a record becomes conflicted. */
export interface ConflictEvent {
  readonly collection: string;
  readonly id: string;
  /** This device's version; `null` when it deleted the record. */
  readonly local: RecordData | null;
  readonly remote: ConflictInfo;
  /** Set when a `custom()` resolver threw or returned an invalid value (code `RESOLVER_FAILED`). */
  readonly error?: TidesyncError;
}

/** Progress of a long push or pull. */
export interface ProgressEvent {
  readonly phase: 'push' | 'pull';
  readonly done: number;
  /** Best known total (for pull: changes seen so far plus one page while more remain). */
  readonly total: number;
}

/** Emitted when the server rejects an op and it moves to the dead letters. */
export interface DeadLetterEvent {
  readonly opId: string;
  readonly collection: string;
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Emitted when a pulled record is too large for this client's transport (`maxResponseBytes`):
 * the server sent a placeholder instead, the rest of the feed still arrived, and the cursor
 * moved past it. `error.code` is `RECORD_TOO_LARGE`.
 */
export interface RecordSkippedEvent {
  readonly collection: string;
  /** The record's server id. */
  readonly id: string;
  readonly version: number;
  /** Its size on the wire (JSON, UTF-8). */
  readonly bytes: number;
  readonly error: TidesyncError;
}

/** Every event a client emits, with its payload. */
export interface SyncClientEvents {
  change: (event: ChangeEvent) => void;
  syncStart: () => void;
  syncComplete: (result: SyncResult) => void;
  syncError: (error: TidesyncError | Error) => void;
  conflict: (event: ConflictEvent) => void;
  status: (status: SyncClientStatus) => void;
  progress: (event: ProgressEvent) => void;
  deadLetter: (event: DeadLetterEvent) => void;
  /** A pulled record was too large for this client; see {@link RecordSkippedEvent}. */
  recordSkipped: (event: RecordSkippedEvent) => void;
  /** The server was restored or reset; the client re-based and kept its pending changes. */
  serverReset: () => void;
  /**
   * A record from the server (pull page, push answer, `fetchRemote()`) failed its collection's
   * schema or tried to set metadata: it was not stored, and the rest of the sync went on.
   */
  remoteRejected: (event: RemoteRejectedEvent) => void;
}
