export type {
  Collection,
  CollectionRecord,
  FindOptions,
  LiveQueryCallback,
  SubscribeOptions,
} from './collection-handle.js';
export { isConflictOf } from './conflict-of.js';
export type { ConflictRecord, ConflictResolution } from './conflicts.js';
export { createSyncClient } from './create-sync-client.js';
export type {
  ChangeEvent,
  ConflictEvent,
  DeadLetterEvent,
  RecordSkippedEvent,
  ProgressEvent,
  SyncClientEvents,
  LiveState,
  SyncClientStatus,
  SyncResult,
} from './events.js';
export type {
  SyncClientOptions,
  SyncCoordinator,
  SyncCoordinatorHooks,
  SyncTrigger,
  SyncTriggerContext,
} from './options.js';
export {
  foregroundTrigger,
  intervalTrigger,
  liveTrigger,
  onlineTrigger,
  writeTrigger,
} from './triggers/index.js';
export type { AppStateSource, ConnectivitySource, LiveTriggerOptions } from './triggers/index.js';
export { SyncClient } from './sync-client.js';
export type { RunOnceOptions } from './sync-client.js';
export type { SignOutOptions, SignOutResult } from './sign-out.js';
export type { TransactionCollection, TransactionContext } from './transaction-context.js';
export type { EvictionResult } from './retention.js';
export type { SyncSet, SyncSetOptions } from './sync-sets/sync-sets.js';
export { InvalidRemoteRecordError } from './remote-validation.js';
export type { RemoteRejectedEvent, RemoteSource } from './remote-validation.js';
export type { ClearCacheOptions } from './storage-maintenance.js';
export type { CollectionStorageStats, OutboxStorageStats, StorageStats } from './storage-stats.js';
export { webLocksCoordinator } from './coordinators/index.js';
export type {
  BroadcastChannelConstructor,
  BroadcastChannelLike,
  ChannelMessageEvent,
  LockManagerLike,
  WebLocksCoordinatorOptions,
} from './coordinators/index.js';
