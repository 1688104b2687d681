export { defineCollection } from './collection.js';
export { toErrorCode } from './wire-error-codes.js';
export type {
  CollectionDefinition,
  CollectionOptions,
  CollectionSyncMode,
  InferRecord,
  RetentionPolicy,
  ScopeFunction,
  SyncUser,
} from './collection.js';
export type {
  ConflictInput,
  ConflictOutcome,
  ConflictStrategy,
  ConflictStrategyName,
  VersionState,
} from './conflict-strategy.js';
export {
  ERROR_CODES,
  NetworkError,
  ProtocolError,
  StorageError,
  TidesyncError,
  ValidationError,
  describeValue,
  isTidesyncError,
  toError,
} from './errors.js';
export type { ErrorCode, ValidationIssue } from './errors.js';
export {
  HybridLogicalClock,
  compareHlc,
  encodeHlc,
  isHlc,
  maxHlc,
  parseHlc,
} from './hybrid-logical-clock.js';
export type { HlcParts, HybridLogicalClockOptions } from './hybrid-logical-clock.js';
export { createClientId, createId, idSourceFrom, swapIdSource } from './ids.js';
export type { IdSource } from './ids.js';
export {
  MigrationError,
  canMigrate,
  checkMigrations,
  migrateClocks,
  migrateData,
  migratePatch,
} from './migrations.js';
export type {
  MigrationFunction,
  MigrationStep,
  Migrations,
  VersionedCollection,
} from './migrations.js';
export {
  applyQuery,
  compareByOrder,
  compareValues,
  fieldValue,
  isOperatorCondition,
  matchesWhere,
  QUERY_OPERATORS,
  toAppRecord,
} from './query.js';
export type {
  FieldCondition,
  FieldOperators,
  Query,
  QueryField,
  QueryOperator,
  QueryWhere,
  SortDirection,
} from './query.js';
export { META_FIELDS, SYNC_STATUSES } from './records.js';
export { WRAPPER_TYPES, acceptsObjectValues, keepsUnknownKeys, schemaDef } from './schema-def.js';
export type { SchemaDef } from './schema-def.js';
export type {
  ConflictInfo,
  FieldClocks,
  OpState,
  OpType,
  OutboxOp,
  RecordData,
  RecordMeta,
  StoredRecord,
  SyncStatus,
  SyncedRecord,
} from './records.js';
export type {
  ListOpsOptions,
  StorageAdapter,
  StorageTransaction,
  TransactionMode,
} from './storage-adapter.js';
export { systemTimers } from './timers.js';
export type { Timers } from './timers.js';
export type { StreamEvent, StreamKind, Transport, TransportSendOptions } from './transport.js';
export { SseParser } from './sse-parser.js';
export {
  FORBIDDEN_KEYS,
  MAX_DATA_DEPTH,
  MAX_HELD_RECORDS,
  MAX_MESSAGE_DEPTH,
  PROTOCOL_VERSION,
  WIRE_ERROR_CODES,
  errorResponseSchema,
  escapeUnstorable,
  findUnsafeKey,
  findUnstorableString,
  markScreened,
  safeParseWire,
  getRequestSchema,
  getResponseSchema,
  isStorableString,
  opResultSchema,
  pullRequestSchema,
  pullResponseSchema,
  pushRequestSchema,
  pushResponseSchema,
  removedRecordSchema,
  skippedRecordSchema,
  wireOpSchema,
  wireRecordSchema,
} from './wire.js';
export type {
  AppliedResult,
  ErrorResponse,
  GetRequest,
  GetResponse,
  LeanAppliedResult,
  OpResult,
  PullRequest,
  PullResponse,
  PushRequest,
  PushResponse,
  RequestKind,
  RemovedRecord,
  SkippedRecord,
  WireErrorCode,
  WireOp,
  WireOpResult,
  WireRecord,
} from './wire.js';
export { leanRecord, toLeanResult } from './lean-result.js';
export { innerMap } from './inner-map.js';
export { parserOf, partialOf, safeParseSchema, shapeOf, strictOf } from './schema-parse.js';
export type { SchemaParseResult, SchemaParser } from './schema-parse.js';
export { fallbackIssueMessage, issueMessage } from './issue-messages.js';
export { userStorageName } from './user-storage-name.js';
export { nonNegativeInt, positiveInt } from './option-checks.js';
export {
  MAX_SYNC_SET_FIELDS,
  MAX_SYNC_SET_WIRE_VALUES,
  canonicalWhere,
  conditionValues,
  matchesSyncSet,
  setValueKey,
  syncSetSpecSchema,
  syncSetWhereSchema,
} from './sync-set-wire.js';
export type { SyncSetCondition, SyncSetSpec, SyncSetValue, SyncSetWhere } from './sync-set-wire.js';
