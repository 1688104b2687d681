import type { CollectionDefinition, HybridLogicalClock, StorageAdapter } from '../../core/index.js';
import type { SyncClientEvents } from '../events.js';
import type { ServerApi } from './server-api.js';

/** What the push and pull steps need from the client. Private to the client folder. */
export interface EngineContext {
  readonly storage: StorageAdapter;
  /** The client's port to the server. */
  readonly server: ServerApi;
  readonly clientId: string;
  readonly clock: HybridLogicalClock;
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly batchSize: number;
  readonly pullPageSize: number;
  readonly coalesce: boolean;
  readonly now: () => number;
  readonly emit: <E extends keyof SyncClientEvents>(
    event: E,
    ...args: Parameters<SyncClientEvents[E]>
  ) => void;
  /** Aborts requests in flight (close, deadline). */
  readonly signal: AbortSignal | undefined;
  /** Wall ms after which no new batch starts, or `undefined`. */
  readonly deadlineAt: number | undefined;
  /** Server failures one op may cause before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Running estimate of one push batch's duration, for deadlines. Shared across runs. */
  readonly timing: { batchMs: number };
  /** The client's count of queued and in-flight ops (`status.pendingOps`): progress totals. */
  readonly pendingOps: () => number;
}
