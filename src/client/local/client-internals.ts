import type { StorageTransaction } from '../../core/index.js';
import type { LiveQueries } from './live-queries.js';
import type { WriteContext } from './write-context.js';

/** What collection handles need from their client. Private to the client folder. */
export interface ClientInternals {
  /** Runs local writes in one readwrite transaction, then announces the change. */
  write<T>(fn: (w: WriteContext) => Promise<T>): Promise<T>;
  /** Runs reads in one readonly transaction. */
  read<T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T>;
  /** Notes a read of a record, for least-recently-used retention. */
  touched(collection: string, id: string): void;
  readonly liveQueries: LiveQueries;
}
