import type {
  CollectionDefinition,
  StorageAdapter,
  StreamEvent,
  StreamKind,
  Timers,
  Transport,
} from '../core/index.js';
import type { LiveState } from './events.js';
import { TidesyncError, describeValue, systemTimers } from '../core/index.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../outbox/index.js';
import { checkRetentionPolicy } from './cache/retention.js';

/** Something that can start syncs on its own (network back, app foregrounded, a timer). */
export interface SyncTrigger {
  /** Starts watching; calls `requestSync` when a sync should run. Returns a function that stops it. */
  start(context: SyncTriggerContext): () => void;
}

/** What a trigger gets from the client. */
export interface SyncTriggerContext {
  /** Asks for a sync run (single-flight: extra requests during a run schedule at most one more). */
  requestSync(reason: string): void;
  /** Tells the client whether the network is believed to be up. */
  setOnline(online: boolean): void;
  /** Calls `listener` after every committed local write; returns an unsubscribe function. */
  onLocalWrite(listener: () => void): () => void;
  /** The client's timers (a fake clock in tests). */
  readonly timers: Timers;
  /** This client's id (the live stream sends it, so the device's own pushes do not poke it). */
  readonly clientId: string;
  /**
   * Opens a stream through the client's transport (`Transport.openStream`); `undefined` when
   * the transport has none.
   */
  readonly openStream:
    | ((
        kind: StreamKind,
        body: unknown,
        signal: AbortSignal,
      ) => Promise<AsyncIterable<StreamEvent>>)
    | undefined;
  /** Sets `status.live`. */
  setLive(live: LiveState): void;
  /** Whether this client syncs itself: true, except for a follower tab under a coordinator. */
  isLeader(): boolean;
  /** Calls `listener` when this client gains or loses the leadership; returns an unsubscribe function. */
  onLeadershipChange(listener: (isLeader: boolean) => void): () => void;
  /** Calls `listener` at the start and the successful end of every sync run; returns an unsubscribe function. */
  onSyncRun(listener: (phase: 'start' | 'complete') => void): () => void;
  /** Reports a failure outside a sync run: sets `status.lastError` and emits `syncError`. */
  reportError(error: Error): void;
}

/** Options of `createSyncClient`. */
export interface SyncClientOptions {
  /** The collections this client syncs. */
  readonly collections: readonly CollectionDefinition[];
  /** Where records and the outbox live on this device. */
  readonly storage: StorageAdapter;
  /** How to reach the server; omit for a local-only client (`sync()` then rejects). */
  readonly transport?: Transport;
  /** Ops per push request. @default 50 */
  readonly batchSize?: number;
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

/**
 * Lets several clients that share one database (tabs of a web app) elect one leader that
 * syncs; the others forward sync requests to it and hear about the changes it made.
 */
export interface SyncCoordinator {
  /** Starts taking part; the hooks are called for the lifetime of the client. */
  start(hooks: SyncCoordinatorHooks): void;
  /** Whether this client is the one that syncs now. */
  readonly isLeader: boolean;
  /** Asks the leader to sync (called on a follower). */
  requestSync(): void;
  /** Tells the other clients that these collections changed. */
  publish(collections: readonly string[]): void;
  /** Leaves: a waiting client takes over. */
  close(): void;
}

/** What a coordinator calls back into its client. */
export interface SyncCoordinatorHooks {
  /** Leadership was gained or lost. */
  onLeadershipChange(isLeader: boolean): void;
  /** Another client changed these collections in the shared database. */
  onRemoteChange(collections: readonly string[]): void;
  /** A follower asked this (leader) client to sync. */
  onSyncRequest(): void;
}

/** Validated options with defaults applied. */
export interface ResolvedOptions {
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly storage: StorageAdapter;
  readonly transport: Transport | undefined;
  readonly batchSize: number;
  readonly pullPageSize: number;
  readonly coalesce: boolean;
  readonly triggers: readonly SyncTrigger[];
  readonly now: () => number;
  readonly timers: Timers;
  readonly retry: RetryPolicy;
  readonly coordinator: SyncCoordinator | undefined;
}

function invalid(message: string): TidesyncError {
  return new TidesyncError('INVALID_OPTION', message);
}

function positiveInt(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(
      `Expected \`${name}\` to be an integer from 1 to ${max}, got ${describeValue(value)}.`,
    );
  }
  return value;
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
    batchSize: positiveInt('batchSize', options.batchSize, 50, 1000),
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
