import type { CollectionDefinition, StorageAdapter, Timers, Transport } from '../core/index.js';
import type { SyncCoordinator } from './runtime/sync-coordinator.js';
import type { SyncTrigger } from './runtime/sync-trigger.js';
import { TidesyncError, describeValue, positiveInt, systemTimers } from '../core/index.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../outbox/index.js';
import { checkRetentionPolicy } from './cache/retention.js';

/** Options of `createSyncClient`. */
export interface SyncClientOptions {
  /** The collections this client syncs. */
  readonly collections: readonly CollectionDefinition[];
  /** Where records and the outbox live on this device. */
  readonly storage: StorageAdapter;
  /** How to reach the server; omit for a local-only client (`sync()` then rejects). */
  readonly transport?: Transport;
  /**
   * Most ops per push request. Keep it at most the server's `maxOpsPerBatch` (500 by default):
   * a larger request is refused with 413 and the push splits it down. @default 500
   */
  readonly batchSize?: number;
  /**
   * Most bytes of ops per push request (data, patch and field clocks as JSON, plus a fixed
   * allowance per op for its ids and clocks), so a batch of large records stays under the
   * server's `maxBodyBytes` (4 MiB by default). An op larger than this goes alone.
   * @default 1_048_576 (1 MiB)
   */
  readonly batchBytes?: number;
  /** Records per pull page. @default 500 */
  readonly pullPageSize?: number;
  /** Merge consecutive unsent updates of one record into one op. @default true */
  readonly coalesce?: boolean;
  /** Sync triggers; `[]` means sync runs only when `sync()` is called. @default [] */
  readonly triggers?: readonly SyncTrigger[];
  /** Wall clock, injectable for tests. @default Date.now */
  readonly now?: () => number;
  /** Timers for backoff, debounce and interval triggers; tests pass a fake clock. @default the global timers */
  readonly timers?: Timers;
  /**
   * Retry of failed automatic syncs: exponential backoff with full jitter, honouring
   * `Retry-After`. Active when the client has triggers. `maxAttempts` is how many server
   * failures one op may cause before it is dead-lettered as a poison op.
   * @default { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5 }
   */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Coordinates several clients on one database (browser tabs) so exactly one syncs at a time.
   * See `webLocksCoordinator()`. @default none (this client always syncs itself)
   */
  readonly coordinator?: SyncCoordinator;
}

/** Validated options with defaults applied. */
export interface ResolvedOptions {
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly storage: StorageAdapter;
  readonly transport: Transport | undefined;
  readonly batchSize: number;
  readonly batchBytes: number;
  readonly pullPageSize: number;
  readonly coalesce: boolean;
  readonly triggers: readonly SyncTrigger[];
  readonly now: () => number;
  readonly timers: Timers;
  readonly retry: RetryPolicy;
  readonly coordinator: SyncCoordinator | undefined;
}

/** Default most ops per push request (`batchSize`). */
const DEFAULT_BATCH_SIZE = 500;
/** Default most bytes of ops per push request (`batchBytes`): a quarter of the server's body limit. */
const DEFAULT_BATCH_BYTES = 1024 * 1024;

function invalid(message: string): TidesyncError {
  return new TidesyncError('INVALID_OPTION', message);
}

/** Validates `createSyncClient` options before any I/O. */
export function resolveOptions(options: SyncClientOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') {
    throw invalid(
      `Expected \`createSyncClient()\` options to be an object, got ${describeValue(options)}.`,
    );
  }
  if (!Array.isArray(options.collections) || options.collections.length === 0) {
    throw invalid(
      'Expected `collections` to be a non-empty array of `defineCollection()` results.',
    );
  }
  const collections = new Map<string, CollectionDefinition>();
  for (const c of options.collections) {
    if (!c || typeof c.name !== 'string' || !c.schema) {
      throw invalid(
        `Expected each entry of \`collections\` to come from \`defineCollection()\`, got ${describeValue(c)}.`,
      );
    }
    if (collections.has(c.name))
      throw invalid(`Collection \`${c.name}\` is listed twice in \`collections\`.`);
    collections.set(c.name, c);
  }
  for (const c of collections.values()) {
    checkRetentionPolicy(c);
    for (const [field, target] of Object.entries(c.references)) {
      if (!collections.has(target)) {
        throw invalid(
          `Reference \`${c.name}.${field}\` points at collection \`${target}\`, which is not registered. Add it to \`collections\`.`,
        );
      }
    }
  }
  const storage = options.storage;
  if (!storage || typeof storage.transaction !== 'function' || typeof storage.open !== 'function') {
    throw invalid(
      `Expected \`storage\` to be a storage adapter such as \`memoryAdapter()\`, got ${describeValue(storage)}.`,
    );
  }
  if (options.transport !== undefined && typeof options.transport?.send !== 'function') {
    throw invalid(
      `Expected \`transport\` to be a transport such as \`httpTransport({ url })\`, got ${describeValue(options.transport)}.`,
    );
  }
  if (options.triggers !== undefined && !Array.isArray(options.triggers)) {
    throw invalid(`Expected \`triggers\` to be an array, got ${describeValue(options.triggers)}.`);
  }
  return {
    collections,
    storage,
    transport: options.transport,
    batchSize: positiveInt('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, 1000),
    batchBytes: positiveInt('batchBytes', options.batchBytes, DEFAULT_BATCH_BYTES),
    pullPageSize: positiveInt('pullPageSize', options.pullPageSize, 500, 1000),
    coalesce: options.coalesce ?? true,
    triggers: options.triggers ?? [],
    now: options.now ?? Date.now,
    timers: options.timers ?? systemTimers(),
    retry: resolveRetry(options.retry),
    coordinator: options.coordinator,
  };
}

function resolveRetry(retry: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...(retry ?? {}) };
  positiveInt('retry.baseDelayMs', policy.baseDelayMs, 1000, 86_400_000);
  positiveInt('retry.maxDelayMs', policy.maxDelayMs, 60_000, 86_400_000);
  positiveInt('retry.maxAttempts', policy.maxAttempts, 5, 1000);
  if (typeof policy.random !== 'function')
    throw invalid('Expected `retry.random` to be a function returning [0, 1).');
  return policy;
}
