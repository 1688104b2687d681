import type { Query, StorageTransaction, StoredRecord } from '../../core/index.js';
import type { LiveQueries } from './live-queries.js';
import type { WriteContext } from './write-context.js';
import type { SyncSetRegistry } from './sync-set-types.js';

/** What collection handles need from their client. Private to the client folder. */
export interface ClientInternals {
  /** Runs local writes in one readwrite transaction, then announces the change. */
  write<T>(fn: (w: WriteContext) => Promise<T>): Promise<T>;
  /** Runs reads in one readonly transaction. */
  read<T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T>;
  /** Notes a read of a record, for least-recently-used retention. */
  touched(collection: string, id: string): void;
  readonly liveQueries: LiveQueries;
  /** Reads that may fetch dropped records back from the server (the cache flow implements it). */
  readonly remote: RemoteReads;
  /** The client's sync sets (docs/sync-sets.md). */
  readonly syncSets: SyncSetRegistry;
}

/** Fetching records this device dropped back from the server; see `RemoteFetcher`. */
export interface RemoteReads {
  /** The record by id, fetched back when it was dropped; `undefined` when the server has none. */
  fetch(collection: string, id: string): Promise<StoredRecord | undefined>;
  /** Fetches every dropped record of the collection back, then runs `query` locally. */
  find(collection: string, query: Query): Promise<StoredRecord[]>;
}
