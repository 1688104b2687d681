// Core vocabulary
export {
  ERROR_CODES,
  HybridLogicalClock,
  NetworkError,
  PROTOCOL_VERSION,
  ProtocolError,
  StorageError,
  TidesyncError,
  ValidationError,
  applyQuery,
  compareHlc,
  defineCollection,
  isHlc,
  parseHlc,
} from './core/index.js';
export type {
  CollectionDefinition,
  CollectionOptions,
  ConflictInfo,
  ConflictInput,
  ConflictOutcome,
  ConflictStrategy,
  ConflictStrategyName,
  ErrorCode,
  FieldClocks,
  FieldCondition,
  HybridLogicalClockOptions,
  InferRecord,
  ListOpsOptions,
  OpState,
  OpType,
  OutboxOp,
  Query,
  RecordData,
  RecordMeta,
  RetentionPolicy,
  ScopeFunction,
  SortDirection,
  StorageAdapter,
  StorageTransaction,
  StoredRecord,
  SyncStatus,
  SyncUser,
  SyncedRecord,
  Timers,
  TransactionMode,
  Transport,
  TransportSendOptions,
  ValidationIssue,
  VersionState,
} from './core/index.js';
// Conflict strategies
export { custom, fieldMerge, lastWriteWins, manual } from './conflict/index.js';
export type { CustomResolution, CustomResolver } from './conflict/index.js';
// Client
export {
  SyncClient,
  createSyncClient,
  foregroundTrigger,
  intervalTrigger,
  onlineTrigger,
  writeTrigger,
} from './client/index.js';
export type {
  ChangeEvent,
  Collection,
  CollectionRecord,
  ConflictEvent,
  ConflictRecord,
  ConflictResolution,
  DeadLetterEvent,
  LiveQueryCallback,
  ProgressEvent,
  RunOnceOptions,
  SyncClientEvents,
  AppStateSource,
  ConnectivitySource,
  SyncClientOptions,
  SyncClientStatus,
  SyncCoordinator,
  SyncCoordinatorHooks,
  SyncResult,
  SyncTrigger,
  SyncTriggerContext,
  TransactionCollection,
  TransactionContext,
} from './client/index.js';
export { DEFAULT_RETRY_POLICY, backoffDelayMs } from './queue/index.js';
export type { RetryPolicy } from './queue/index.js';
// Transports
export { directTransport, httpTransport } from './transport/index.js';
export type { FetchHandler, HeadersOption, HttpTransportOptions } from './transport/index.js';
