export type {
  Collection,
  CollectionRecord,
  FindOptions,
  LiveQueryCallback,
  SubscribeOptions,
} from './local/collection-handle.js';
export { isConflictOf } from './local/conflict-of.js';
export type { ConflictRecord, ConflictResolution } from './local/conflicts.js';
export { createSyncClient } from './create-sync-client.js';
export type {
  ChangeEvent,
  ConflictEvent,
  DeadLetterEvent,
  RecordSkippedEvent,
  ProgressEvent,
  SyncClientEvents,
} from './events.js';
export type { LiveState, SyncClientStatus, SyncResult } from './status-types.js';
export type { SyncClientOptions } from './options.js';
export type { SyncCoordinator, SyncCoordinatorHooks } from './runtime/sync-coordinator.js';
export type { SyncTrigger, SyncTriggerContext } from './runtime/sync-trigger.js';
export {
  foregroundTrigger,
  intervalTrigger,
  liveTrigger,
  onlineTrigger,
  writeTrigger,
  type AppStateSource,
  type ConnectivitySource,
  type LiveTriggerOptions,
} from './runtime/triggers/index.js';
export { SyncClient, type RunOnceOptions } from './sync-client.js';
export type { SignOutOptions, SignOutResult } from './sign-out.js';
export type { TransactionCollection, TransactionContext } from './local/transaction-context.js';
export type { EvictionResult } from './cache/retention.js';
export type { SyncSet, SyncSetOptions } from './local/sync-set-types.js';
export {
  InvalidRemoteRecordError,
  type RemoteRejectedEvent,
  type RemoteSource,
} from './sync/remote-validation.js';
export type { ClearCacheOptions } from './cache/storage-maintenance.js';
export type {
  CollectionStorageStats,
  OutboxStorageStats,
  StorageStats,
} from './cache/storage-stats.js';
export {
  webLocksCoordinator,
  type BroadcastChannelConstructor,
  type BroadcastChannelLike,
  type ChannelMessageEvent,
  type LockManagerLike,
  type WebLocksCoordinatorOptions,
} from './runtime/coordinators/index.js';
