/**
 * Lets several clients that share one database (tabs of a web app) elect one leader that
 * syncs; the others forward sync requests to it and hear about the changes it made.
 */
export interface SyncCoordinator {
  /** Starts taking part; the hooks are called for the lifetime of the client. */
  start(hooks: SyncCoordinatorHooks): void;
  /** Whether this client is the one that syncs now. */
  readonly isLeader: boolean;
  /** Asks the leader to sync (called on a follower). */
  requestSync(): void;
  /** Tells the other clients that these collections changed. */
  publish(collections: readonly string[]): void;
  /**
   * Tells the other clients that this one added or removed a sync set, so the leader's live
   * stream reopens with the sets now persisted. Optional: a coordinator without it leaves the
   * leader's stream on its old sets until it reconnects.
   */
  publishSetsChange?(): void;
  /** Leaves: a waiting client takes over. */
  close(): void;
}

/** What a coordinator calls back into its client. */
export interface SyncCoordinatorHooks {
  /** Leadership was gained or lost. */
  onLeadershipChange(isLeader: boolean): void;
  /** Another client changed these collections in the shared database. */
  onRemoteChange(collections: readonly string[]): void;
  /** A follower asked this (leader) client to sync. */
  onSyncRequest(): void;
  /** Another client added or removed a sync set in the shared database. */
  onRemoteSetsChange?(): void;
}
