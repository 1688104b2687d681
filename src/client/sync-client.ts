import type { z } from '../core/schema-types.js';
import type {
  CollectionDefinition,
  HybridLogicalClock,
  OutboxOp,
  RecordData,
} from '../core/index.js';
import { TidesyncError } from '../core/index.js';
import type { EvictionResult } from './cache/retention.js';
import type { ClearCacheOptions } from './cache/storage-maintenance.js';
import type { StorageStats } from './cache/storage-stats.js';
import { clientClosedError } from './client-closed.js';
import { createClientContext, openIdentity, type ClientContext } from './client-context.js';
import { createClientFlows, startClientRuntime, type ClientFlows } from './client-flows.js';
import type { SyncClientEvents } from './events.js';
import { createCollectionHandle, type Collection } from './local/collection-handle.js';
import { listConflicts, type ConflictRecord, type ConflictResolution } from './local/conflicts.js';
import { requireCollection } from './local/record-lookup.js';
import {
  collectionName,
  createTransactionContext,
  type TransactionContext,
} from './local/transaction-context.js';
import type { ResolvedOptions } from './options.js';
import {
  resolveSignOutOptions,
  signOut,
  type SignOutOptions,
  type SignOutResult,
} from './sign-out.js';
import type { SyncClientStatus, SyncResult } from './status-types.js';
import { releaseStorage, claimStorage } from './storage-claims.js';
import { discardDeadLetter, retryDeadLetter } from './sync/dead-letters.js';
import { settleConflict } from './sync/conflict-settle.js';
import { Outbox } from '../outbox/index.js';
import type { SyncSet } from './local/sync-set-types.js';

/** Options of {@link SyncClient.runOnce}. */
export interface RunOnceOptions {
  /** Time budget in ms; no new batch starts after it. */
  readonly deadlineMs: number;
}

/**
 * A local-first sync client: reads and writes go to local storage at once; `sync()` moves
 * changes to and from the server. Create it with `createSyncClient()`.
 */
export class SyncClient {
  /** This device's client id (stable across restarts). */
  readonly clientId: string;
  readonly #ctx: ClientContext;
  readonly #flows: ClientFlows;
  readonly #handles = new Map<string, Collection>();
  #stopTriggers: (() => void)[] = [];
  #closed = false;

  /** @internal Use `createSyncClient()`. */
  constructor(opts: ResolvedOptions, clientId: string, clock: HybridLogicalClock) {
    this.clientId = clientId;
    this.#ctx = createClientContext(opts, clientId, clock, () => this.#closed);
    this.#flows = createClientFlows(this.#ctx);
  }

  /** @internal Opens storage, restores the client id and clock. */
  static async open(opts: ResolvedOptions): Promise<SyncClient> {
    claimStorage(opts.storage);
    try {
      const { clientId, clock } = await openIdentity(opts);
      const client = new SyncClient(opts, clientId, clock);
      await client.#ctx.status.refreshCounts();
      client.#stopTriggers = startClientRuntime(client.#ctx, client.#flows);
      return client;
    } catch (error) {
      releaseStorage(opts.storage);
      throw error;
    }
  }

  /** The current status; see {@link SyncClientStatus}. Emitted as `status` when it changes. */
  get status(): SyncClientStatus {
    return this.#ctx.status.value;
  }

  /**
   * A collection, by its definition (record type inferred from the schema) or by name.
   * @throws TidesyncError `UNKNOWN_COLLECTION` when it was not passed to `createSyncClient()`.
   */
  collection<S extends z.ZodObject>(definition: CollectionDefinition<S>): Collection<z.infer<S>>;
  /** A collection by name, typed as `T`. */
  collection<T extends object = RecordData>(name: string): Collection<T>;
  collection(nameOrDefinition: string | CollectionDefinition): Collection {
    const name = typeof nameOrDefinition === 'string' ? nameOrDefinition : nameOrDefinition?.name;
    let handle = this.#handles.get(name);
    if (!handle) {
      const definition = requireCollection(this.#ctx.opts.collections, name);
      handle = createCollectionHandle(this.#flows.internals, definition);
      this.#handles.set(name, handle);
    }
    return handle;
  }

  /** Every sync set persisted on this device, in the order they were added (docs/sync-sets.md). */
  async syncSets(): Promise<SyncSet[]> {
    return this.#flows.syncSets.list();
  }

  /**
   * Runs several writes, across collections, atomically with their outbox ops: all commit or
   * none. Do not await network or timers inside `fn` (IndexedDB would end the transaction).
   */
  async transaction<R>(fn: (tx: TransactionContext) => Promise<R>): Promise<R> {
    return this.#flows.internals.write(async (w) =>
      fn(createTransactionContext(w, (name) => this.collection(name))),
    );
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof SyncClientEvents>(event: E, listener: SyncClientEvents[E]): () => void {
    this.#ctx.events.on(event, listener);
    return () => this.#ctx.events.off(event, listener);
  }

  /** Removes an event listener. */
  off<E extends keyof SyncClientEvents>(event: E, listener: SyncClientEvents[E]): void {
    this.#ctx.events.off(event, listener);
  }

  /**
   * Pushes the outbox, then pulls until the server has no more. Single-flight: a call during a
   * run schedules at most one more run, and every caller gets that run's result.
   * @throws NetworkError when the server cannot be reached (the outbox is kept)
   * @throws ProtocolError when the server answers something invalid (nothing of it is stored)
   */
  sync(): Promise<SyncResult> {
    return this.#flows.runs.sync();
  }

  /**
   * One bounded pass for mobile background tasks: pushes as many whole batches as fit in
   * `deadlineMs`, pulls if time is left, and reports what remains.
   */
  runOnce(options: RunOnceOptions): Promise<SyncResult> {
    if (!options || typeof options.deadlineMs !== 'number' || !(options.deadlineMs > 0)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`deadlineMs\` to be a number > 0, got \`${String(options?.deadlineMs)}\`.`,
      );
    }
    return this.#flows.runs.runWithin(options.deadlineMs);
  }

  /** Ops waiting to be acknowledged by the server, oldest first (dead letters excluded). */
  async pendingOps(): Promise<OutboxOp[]> {
    return this.#ctx.read((tx) => new Outbox(tx).pending());
  }

  /** Ops the server rejected, with its reason; retry or discard them. */
  async deadLetters(): Promise<OutboxOp[]> {
    return this.#ctx.read((tx) => new Outbox(tx).deadLetters());
  }

  /** Queues a dead-lettered op again (under a new op id). */
  async retryDeadLetter(opId: string): Promise<void> {
    this.#throwIfClosed();
    await retryDeadLetter(this.#ctx, opId, this.#flows.runs);
  }

  /**
   * Drops a dead-lettered op; the record returns to the server's version (fetched, so this
   * needs the network unless the server never had the record).
   */
  async discardDeadLetter(opId: string): Promise<void> {
    this.#throwIfClosed();
    await discardDeadLetter(this.#ctx, this.#flows.runs.server(), opId);
  }

  /** Records in `conflicted` state, with both versions; with a definition, only its collection, typed. */
  async conflicts<S extends z.ZodObject>(
    definition: CollectionDefinition<S>,
  ): Promise<ConflictRecord<z.infer<S>>[]>;
  async conflicts(): Promise<ConflictRecord[]>;
  async conflicts(definition?: CollectionDefinition): Promise<ConflictRecord[]> {
    const only = definition === undefined ? undefined : collectionName(definition);
    if (only !== undefined) this.collection(only);
    const all = await this.#ctx.read((tx) => listConflicts(tx, this.#ctx.opts.collections));
    return only === undefined ? all : all.filter((c) => c.collection === only);
  }

  /**
   * Resolves a conflict by keeping the local version, the remote one, or a new value. The
   * resolution is a write like any other: it is synced, based on the server's version.
   * Takes the collection's definition (the `value` is then typed) or its name.
   * @throws TidesyncError `CONFLICT_NOT_FOUND` when the record is not conflicted.
   */
  async resolveConflict<S extends z.ZodObject>(
    definition: CollectionDefinition<S>,
    id: string,
    resolution: ConflictResolution<z.infer<S>>,
  ): Promise<void>;
  async resolveConflict(
    collection: string,
    id: string,
    resolution: ConflictResolution,
  ): Promise<void>;
  async resolveConflict(
    nameOrDefinition: string | CollectionDefinition,
    id: string,
    resolution: ConflictResolution,
  ): Promise<void> {
    const collection = collectionName(nameOrDefinition);
    this.collection(collection);
    await settleConflict(this.#ctx, this.#flows.internals, collection, id, resolution);
  }

  /**
   * Applies each collection's `retention` policy now; it also runs after every successful
   * sync. Drops synced records from this device only (no op is queued): pending, conflicted
   * and dead-lettered records are never evicted. See docs/storage.md.
   * @throws TidesyncError `INVALID_OPTION` when a `retention` policy is malformed
   */
  async applyRetention(): Promise<EvictionResult> {
    this.#throwIfClosed();
    return this.#flows.maintenance.applyRetention();
  }

  /**
   * What this device stores: per collection records, pending, conflicted and approximate
   * bytes, plus the outbox and its dead letters.
   */
  async storageStats(): Promise<StorageStats> {
    this.#throwIfClosed();
    return this.#flows.maintenance.stats();
  }

  /**
   * Drops the synced records of every collection, or of `options.collections`, from this
   * device. They stay on the server and come back with `fetchRemote()` or
   * `find(query, { remote: true })`. Pending, conflicted and dead-lettered records are kept.
   * @throws TidesyncError `UNKNOWN_COLLECTION` for a collection that is not registered
   */
  async clearCache(options?: ClearCacheOptions): Promise<EvictionResult> {
    this.#throwIfClosed();
    return this.#flows.maintenance.clearCache(options);
  }

  /**
   * Signs this client's user out of the device: pushes what is pending (waiting for a push in
   * flight), then with `wipe` (the default) deletes their records, outbox and sync state from
   * the storage in one crash-safe transaction, and closes the client. The next user opens their
   * own storage (docs/security.md). With `wipe: false` it closes after the push, keeping any
   * unsynced work in this user's storage for their next sign-in.
   * @throws TidesyncError `UNSYNCED_CHANGES` with `wipe` when work is still unsynced (offline,
   * token expired, dead letters, conflicts) and `discardUnsynced` is not set: nothing is wiped,
   * and the client keeps running.
   */
  async signOut(options?: SignOutOptions): Promise<SignOutResult> {
    this.#throwIfClosed();
    return signOut(
      {
        storage: this.#ctx.opts.storage,
        collections: [...this.#ctx.opts.collections.values()],
        sync: () => this.sync(),
        stop: async () => {
          const stops = this.#stopTriggers;
          this.#stopTriggers = [];
          for (const stop of stops) stop();
          this.#flows.runs.stop();
          await this.#flows.runs.drain();
        },
        close: () => this.close(),
      },
      resolveSignOutOptions(options),
    );
  }

  /** Stops triggers, aborts requests in flight and closes storage. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#stopTriggers) stop();
    this.#flows.runs.stop();
    this.#ctx.abort.abort();
    this.#ctx.liveQueries.clear();
    await this.#flows.runs.drain();
    // Hand leadership over only after our last run has ended, so two tabs never sync at once (S12).
    this.#ctx.opts.coordinator?.close();
    await this.#flows.maintenance.close();
    try {
      await this.#ctx.opts.storage.close();
    } finally {
      releaseStorage(this.#ctx.opts.storage);
    }
    this.#ctx.events.removeAllListeners();
  }

  #throwIfClosed(): void {
    if (this.#closed) throw clientClosedError();
  }
}
