// The client's status and the result of a sync run (`client.status`, `client.sync()`).

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
