export { createSyncServer } from './sync-server.js';
export type { SyncServer, SyncServerOptions } from './sync-server.js';
export type { LiveServerOptions } from './live/live-service.js';
export type { LiveChannel } from './server-store.js';
export type {
  ChangeNotice,
  CommittedChange,
  IndexedValues,
  SetChange,
} from './live/committed-change.js';
export { memoryServerStore } from './memory-server-store.js';
export { sqliteServerStore } from './sqlite-server-store.js';
export type {
  SqliteServerDatabase,
  SqliteServerStatement,
  SqliteServerStoreOptions,
} from './sqlite-server-store.js';
export { postgresServerStore } from './postgres-server-store.js';
export type {
  PostgresPool,
  PostgresPoolClient,
  PostgresServerStoreOptions,
} from './postgres-server-store.js';
export type {
  ChangeFilter,
  ClientState,
  FeedEntry,
  PreloadRequest,
  ServerRecord,
  ServerStore,
  ServerStoreReader,
  ServerStoreTransaction,
} from './server-store.js';
