import type { ConflictInfo, RecordData, TidesyncError } from '../core/index.js';
import type { SyncClientStatus, SyncResult } from './status-types.js';
import type { RemoteRejectedEvent } from './sync/remote-validation.js';

/** Emitted after a committed local or remote change. */
export interface ChangeEvent {
  readonly collections: readonly string[];
  readonly origin: 'local' | 'remote';
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
  /**
   * Best known total. For pull: the server's count of what remained when the run started (its
   * first page), at least `done`; equal to `done` on the run's last page.
   */
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
  /** A conflict was stored for the app to resolve; emitted once it committed, so `conflicts()` lists it. */
  conflict: (event: ConflictEvent) => void;
  status: (status: SyncClientStatus) => void;
  progress: (event: ProgressEvent) => void;
  /** An op moved to the dead letters; emitted once that committed, so `deadLetters()` lists it. */
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
