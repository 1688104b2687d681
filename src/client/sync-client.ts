import { EventEmitter } from 'eventemitter3';
import type { z } from 'zod';
import type {
  CollectionDefinition,
  OutboxOp,
  RecordData,
  StorageTransaction,
} from '../core/index.js';
import { HybridLogicalClock, TidesyncError, createClientId, toError } from '../core/index.js';
import { ChangeSet } from './local/change-set.js';
import { clientClosedError } from './client-closed.js';
import type { ClientInternals } from './local/client-internals.js';
import { startRuntime } from './runtime/client-runtime.js';
import { ClientStatus } from './sync/client-status.js';
import { createCollectionHandle, type Collection } from './local/collection-handle.js';
import {
  listConflicts,
  resolveConflict,
  type ConflictRecord,
  type ConflictResolution,
} from './local/conflicts.js';
import { discardDeadLetter, retryDeadLetter } from './sync/dead-letters.js';
import type { SyncClientEvents } from './events.js';
import type { SyncClientStatus, SyncResult } from './status-types.js';
import { LiveQueries } from './local/live-queries.js';
import type { ResolvedOptions } from './options.js';
import type { EvictionResult } from './cache/retention.js';
import { StorageMaintenance, type ClearCacheOptions } from './cache/storage-maintenance.js';
import type { StorageStats } from './cache/storage-stats.js';
import { requireCollection } from './local/record-lookup.js';
import { claimStorage, releaseStorage } from './storage-claims.js';
import {
  resolveSignOutOptions,
  signOut,
  type SignOutOptions,
  type SignOutResult,
} from './sign-out.js';
import { SyncRunner } from './sync/sync-runner.js';
import { upgradeLocalStorage } from './local/local-upgrade.js';
import { HLC_META_KEY } from './local/transaction-clock.js';
import {
  collectionName,
  createTransactionContext,
  type TransactionContext,
} from './local/transaction-context.js';
import { WriteContext, type WriteEnvironment } from './local/write-context.js';
import { Outbox } from '../outbox/index.js';
import { ServerApi } from './sync/server-api.js';

const CLIENT_ID_META_KEY = 'client.id';

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
  readonly #opts: ResolvedOptions;
  readonly #events = new EventEmitter();
  readonly #handles = new Map<string, Collection>();
  readonly #abort = new AbortController();
  readonly #liveQueries: LiveQueries;
  readonly #internals: ClientInternals;
  readonly #maintenance: StorageMaintenance;
  readonly #status: ClientStatus;
  readonly #runs: SyncRunner;
  readonly #writeListeners = new Set<() => void>();
  /** The one port to the server, built at open; `undefined` without a transport. */
  readonly #server: ServerApi | undefined;
  #stopTriggers: (() => void)[] = [];
  #closed = false;

  /** @internal Use `createSyncClient()`. */
  constructor(opts: ResolvedOptions, clientId: string, clock: HybridLogicalClock) {
    this.#opts = opts;
    this.clientId = clientId;
    this.#server = opts.transport ? new ServerApi(opts.transport, clientId) : undefined;
    const events = this.#events;
    const onError = (error: unknown): boolean => events.emit('syncError', toError(error));
    this.#liveQueries = new LiveQueries(onError);
    const isClosed = (): boolean => this.#closed;
    this.#status = new ClientStatus(opts, events, isClosed);
    // One context for the storage upkeep and the sync runs.
    const context = {
      clientId,
      clock,
      server: this.#server,
      signal: this.#abort.signal,
      events,
      status: this.#status,
      notify: (collections: Iterable<string>, origin: 'local' | 'remote'): void =>
        this.#notify(collections, origin),
      onError,
      isClosed,
    };
    this.#maintenance = new StorageMaintenance(opts, context);
    this.#runs = new SyncRunner(opts, context, () => this.#maintenance.afterSync());
    const env: WriteEnvironment = {
      collections: opts.collections,
      clock,
      now: opts.now,
      coalesce: opts.coalesce,
      clockMark: { value: undefined },
    };
    this.#internals = {
      liveQueries: this.#liveQueries,
      remote: this.#maintenance.remote,
      read: (fn) => this.#read(fn),
      touched: (collection, id) => this.#maintenance.access.touch(collection, id),
      write: async (fn) => {
        this.#throwIfClosed();
        const changes = new ChangeSet();
        const result = await opts.storage.transaction('readwrite', async (tx) => {
          const w = new WriteContext(tx, env, changes);
          const value = await fn(w);
          await w.flush();
          return value;
        });
        this.#afterLocalCommit(changes);
        return result;
      },
    };
  }

  /** @internal Opens storage, restores the client id and clock. */
  static async open(opts: ResolvedOptions): Promise<SyncClient> {
    claimStorage(opts.storage);
    try {
      return await SyncClient.#open(opts);
    } catch (error) {
      releaseStorage(opts.storage);
      throw error;
    }
  }

  static async #open(opts: ResolvedOptions): Promise<SyncClient> {
    await opts.storage.open();
    await upgradeLocalStorage(opts.storage, opts.collections);
    const { clientId, last } = await opts.storage.transaction('readwrite', async (tx) => {
      let id = await tx.getMeta<string>(CLIENT_ID_META_KEY);
      if (!id) {
        id = createClientId();
        await tx.setMeta(CLIENT_ID_META_KEY, id);
      }
      return { clientId: id, last: await tx.getMeta<string>(HLC_META_KEY) };
    });
    const clock = new HybridLogicalClock({ nodeId: clientId, now: opts.now, last });
    const client = new SyncClient(opts, clientId, clock);
    await client.#status.refreshCounts();
    client.#startRuntime();
    return client;
  }

  #startRuntime(): void {
    this.#stopTriggers = startRuntime(this.#opts, this.#runs, this.#status, {
      clientId: this.clientId,
      server: this.#server,
      events: this.#events,
      writeListeners: this.#writeListeners,
      onRemoteChange: (collections) => {
        this.#liveQueries.notify(collections);
        this.#events.emit('change', { collections: [...collections], origin: 'remote' });
        void this.#status.refreshCounts().catch(() => undefined);
      },
    });
  }

  /** The current status; see {@link SyncClientStatus}. Emitted as `status` when it changes. */
  get status(): SyncClientStatus {
    return this.#status.value;
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
      const definition = requireCollection(this.#opts.collections, name);
      handle = createCollectionHandle(this.#internals, definition);
      this.#handles.set(name, handle);
    }
    return handle;
  }

  /**
   * Runs several writes, across collections, atomically with their outbox ops: all commit or
   * none. Do not await network or timers inside `fn` (IndexedDB would end the transaction).
   */
  async transaction<R>(fn: (tx: TransactionContext) => Promise<R>): Promise<R> {
    return this.#internals.write(async (w) =>
      fn(createTransactionContext(w, (name) => this.collection(name))),
    );
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof SyncClientEvents>(event: E, listener: SyncClientEvents[E]): () => void {
    this.#events.on(event, listener);
    return () => this.#events.off(event, listener);
  }

  /** Removes an event listener. */
  off<E extends keyof SyncClientEvents>(event: E, listener: SyncClientEvents[E]): void {
    this.#events.off(event, listener);
  }

  /**
   * Pushes the outbox, then pulls until the server has no more. Single-flight: a call during a
   * run schedules at most one more run, and every caller gets that run's result.
   * @throws NetworkError when the server cannot be reached (the outbox is kept)
   * @throws ProtocolError when the server answers something invalid (nothing of it is stored)
   */
  sync(): Promise<SyncResult> {
    return this.#runs.sync();
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
    return this.#runs.runWithin(options.deadlineMs);
  }

  /** Ops waiting to be acknowledged by the server, oldest first (dead letters excluded). */
  async pendingOps(): Promise<OutboxOp[]> {
    return this.#read((tx) => new Outbox(tx).pending());
  }

  /** Ops the server rejected, with its reason; retry or discard them. */
  async deadLetters(): Promise<OutboxOp[]> {
    return this.#read((tx) => new Outbox(tx).deadLetters());
  }

  /** Queues a dead-lettered op again (under a new op id). */
  async retryDeadLetter(opId: string): Promise<void> {
    this.#throwIfClosed();
    await this.#opts.storage.transaction('readwrite', (tx) => retryDeadLetter(tx, opId));
    // The dead letter (not counted) is queued again: exactly one more pending op.
    this.#status.addPending(1);
    if (this.#opts.triggers.length > 0) this.#runs.request();
  }

  /**
   * Drops a dead-lettered op; the record returns to the server's version (fetched, so this
   * needs the network unless the server never had the record).
   */
  async discardDeadLetter(opId: string): Promise<void> {
    this.#throwIfClosed();
    const collection = await discardDeadLetter(this.#runs.engineContext(undefined), opId);
    if (collection) this.#notify([collection], 'local');
    // Dead letters are not pending ops: only the conflicts may have changed.
    await this.#status.refreshCounts(false);
  }

  /** Records in `conflicted` state, with both versions; with a definition, only its collection, typed. */
  async conflicts<S extends z.ZodObject>(
    definition: CollectionDefinition<S>,
  ): Promise<ConflictRecord<z.infer<S>>[]>;
  async conflicts(): Promise<ConflictRecord[]>;
  async conflicts(definition?: CollectionDefinition): Promise<ConflictRecord[]> {
    const only = definition === undefined ? undefined : collectionName(definition);
    if (only !== undefined) this.collection(only);
    const all = await this.#read((tx) => listConflicts(tx, this.#opts.collections));
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
    // The write counts its op into pendingOps itself; only the conflicts need a read.
    await this.#internals.write((w) => resolveConflict(w, collection, id, resolution));
    await this.#status.refreshCounts(false);
  }

  /**
   * Applies each collection's `retention` policy now; it also runs after every successful
   * sync. Drops synced records from this device only (no op is queued): pending, conflicted
   * and dead-lettered records are never evicted. See docs/storage.md.
   * @throws TidesyncError `INVALID_OPTION` when a `retention` policy is malformed
   */
  async applyRetention(): Promise<EvictionResult> {
    this.#throwIfClosed();
    return this.#maintenance.applyRetention();
  }

  /**
   * What this device stores: per collection records, pending, conflicted and approximate
   * bytes, plus the outbox and its dead letters.
   */
  async storageStats(): Promise<StorageStats> {
    this.#throwIfClosed();
    return this.#maintenance.stats();
  }

  /**
   * Drops the synced records of every collection, or of `options.collections`, from this
   * device. They stay on the server and come back with `fetchRemote()` or
   * `find(query, { remote: true })`. Pending, conflicted and dead-lettered records are kept.
   * @throws TidesyncError `UNKNOWN_COLLECTION` for a collection that is not registered
   */
  async clearCache(options?: ClearCacheOptions): Promise<EvictionResult> {
    this.#throwIfClosed();
    return this.#maintenance.clearCache(options);
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
        storage: this.#opts.storage,
        collections: [...this.#opts.collections.values()],
        sync: () => this.sync(),
        stop: async () => {
          const stops = this.#stopTriggers;
          this.#stopTriggers = [];
          for (const stop of stops) stop();
          this.#runs.stop();
          await this.#runs.drain();
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
    this.#runs.stop();
    this.#abort.abort();
    this.#liveQueries.clear();
    await this.#runs.drain();
    // Hand leadership over only after our last run has ended, so two tabs never sync at once (S12).
    this.#opts.coordinator?.close();
    await this.#maintenance.close();
    try {
      await this.#opts.storage.close();
    } finally {
      releaseStorage(this.#opts.storage);
    }
    this.#events.removeAllListeners();
  }

  #read<T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    this.#throwIfClosed();
    return this.#opts.storage.transaction('readonly', fn);
  }

  /** Tells triggers, other tabs, the status and live queries of a committed local write. */
  #afterLocalCommit(changes: ChangeSet): void {
    if (changes.collections.size > 0) {
      for (const listener of this.#writeListeners) listener();
      this.#opts.coordinator?.publish([...changes.collections]);
    }
    this.#status.addPending(changes.pendingDelta);
    if (changes.collections.size > 0) this.#notify(changes.collections, 'local');
  }

  #notify(collections: Iterable<string>, origin: 'local' | 'remote'): void {
    const list = [...collections];
    this.#events.emit('change', { collections: list, origin });
    this.#liveQueries.notify(list);
  }

  #throwIfClosed(): void {
    if (this.#closed) throw clientClosedError();
  }
}
