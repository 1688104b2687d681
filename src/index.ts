export {
  HybridLogicalClock,
  NetworkError,
  ProtocolError,
  StorageError,
  TidesyncError,
  ValidationError,
  compareHlc,
  defineCollection,
  parseHlc,
} from './core/index.js';
export type {
  CollectionDefinition,
  ErrorCode,
  Query,
  RecordData,
  StorageAdapter,
  StorageTransaction,
  SyncStatus,
  SyncedRecord,
  Transport,
} from './core/index.js';
