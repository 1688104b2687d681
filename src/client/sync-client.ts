import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import type { z } from 'zod';
import type {
  CollectionDefinition,
  OutboxOp,
  RecordData,
  StorageTransaction,
} from '../core/index.js';
import { HybridLogicalClock, TidesyncError, createClientId, toError } from '../core/index.js';
import { createCollectionHandle, type Collection } from './collection-handle.js';
import type { ClientInternals } from './client-internals.js';
import {
  listConflicts,
  resolveConflict,
  type ConflictRecord,
  type ConflictResolution,
} from './conflicts.js';
import type { EngineContext } from './engine-context.js';
import type { SyncClientEvents, SyncClientStatus, SyncResult } from './events.js';
import { LiveQueries } from './live-queries.js';
import type { ResolvedOptions } from './options.js';
import { pullChanges } from './pull.js';
import { discardDeadLetter, retryDeadLetter } from './dead-letters.js';
import { pushOutbox } from './push.js';
import type { EvictionResult } from './retention.js';
import { StorageMaintenance, type ClearCacheOptions } from './storage-maintenance.js';
import type { StorageStats } from './storage-stats.js';
import { SyncScheduler } from './sync-scheduler.js';
import { ChangeSet } from './change-set.js';
import { HLC_META_KEY } from './transaction-clock.js';
import { WriteContext, type WriteEnvironment } from './write-context.js';

const CLIENT_ID_META_KEY = 'client.id';

const EMPTY_RESULT: SyncResult = {
  pushed: 0,
  conflicts: 0,
  rejected: 0,
  pulled: 0,
  remaining: 0,
  rebased: false,
  delegated: false,
};

/** Handle for writes inside `client.transaction()`. */
export interface TransactionContext {
  /** The collection, bound to this transaction. Reads see the transaction's own writes. */
  collection<T extends object = RecordData>(name: string): TransactionCollection<T>;
}

/** Writes and reads of one collection inside a transaction. */
export type TransactionCollection<T extends object = RecordData> = Pick<
  Collection<T>,
  'insert' | 'update' | 'delete' | 'get'
>;

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
  readonly #clock: HybridLogicalClock;
  readonly #events = new EventEmitter();
  readonly #handles = new Map<string, Collection>();
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #abort = new AbortController();
  readonly #liveQueries: LiveQueries;
  readonly #internals: ClientInternals;
  readonly #maintenance: StorageMaintenance;
  #scheduled: Promise<SyncResult> | undefined;
  #scheduledToken: object | undefined;
  #closed = false;
  #stopTriggers: (() => void)[] = [];
  #scheduler: SyncScheduler | undefined;
  readonly #writeListeners = new Set<() => void>();
  readonly #timing = { batchMs: 0 };
  #status: SyncClientStatus = {
    online: true,
    syncing: false,
    pendingOps: 0,
    conflicts: 0,
    lastSyncedAt: null,
    lastError: null,
  };

  /** @internal Use `createSyncClient()`. */
  constructor(opts: ResolvedOptions, clientId: string, clock: HybridLogicalClock) {
    this.#opts = opts;
    this.clientId = clientId;
    this.#clock = clock;
    this.#liveQueries = new LiveQueries((error) => this.#events.emit('syncError', toError(error)));
    const env: WriteEnvironment = {
      collections: opts.collections,
      clock,
      now: opts.now,
      coalesce: opts.coalesce,
      clockMark: { value: undefined },
    };
    this.#maintenance = new StorageMaintenance(opts, {
      clientId,
      clock,
      signal: this.#abort.signal,
      notify: (collections, origin) => this.#notify(collections, origin),
      onError: (error) => this.#events.emit('syncError', toError(error)),
    });
    this.#internals = {
      liveQueries: this.#liveQueries,
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
        this.#afterCommit(changes, 'local');
        return result;
      },
    };
  }

  /** @internal Opens storage, restores the client id and clock. */
  static async open(opts: ResolvedOptions): Promise<SyncClient> {
    await opts.storage.open();
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
    await client.#refreshCounts();
    client.#startRuntime();
    return client;
  }

  #startRuntime(): void {
    const opts = this.#opts;
    if (opts.triggers.length > 0) {
      this.#scheduler = new SyncScheduler(() => this.sync(), opts.timers, opts.retry);
    }
    const coordinator = opts.coordinator;
    if (coordinator) {
      coordinator.start({
        onLeadershipChange: (isLeader) => {
          if (isLeader) this.#requestSync();
        },
        onRemoteChange: (collections) => {
          this.#liveQueries.notify(collections);
          this.#events.emit('change', { collections: [...collections], origin: 'remote' });
          void this.#refreshCounts().catch(() => undefined);
        },
        onSyncRequest: () => this.#requestSync(),
      });
    }
    for (const trigger of opts.triggers) {
      this.#stopTriggers.push(
        trigger.start({
          requestSync: () => this.#requestSync(),
          setOnline: (online) => this.#setStatus({ online }),
          onLocalWrite: (listener) => {
            this.#writeListeners.add(listener);
            return () => this.#writeListeners.delete(listener);
          },
          timers: opts.timers,
        }),
      );
    }
  }

  /** A trigger or another tab wants a sync: run it here, or hand it to the leader tab. */
  #requestSync(): void {
    if (this.#closed) return;
    const coordinator = this.#opts.coordinator;
    if (coordinator && !coordinator.isLeader) {
      coordinator.requestSync();
      return;
    }
    if (this.#scheduler) this.#scheduler.request();
    else void this.sync().catch(() => undefined);
  }

  /** The current status; see {@link SyncClientStatus}. Emitted as `status` when it changes. */
  get status(): SyncClientStatus {
    return this.#status;
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
      const definition = this.#opts.collections.get(name);
      if (!definition) {
        throw new TidesyncError(
          'UNKNOWN_COLLECTION',
          `Collection \`${name}\` is not registered. Add it to \`collections\` in \`createSyncClient()\`.`,
        );
      }
      handle = createCollectionHandle(this.#internals, definition, this.#maintenance.remote);
      this.#handles.set(name, handle);
    }
    return handle;
  }

  /**
   * Runs several writes, across collections, atomically with their outbox ops: all commit or
   * none. Do not await network or timers inside `fn` (IndexedDB would end the transaction).
   */
  async transaction<R>(fn: (tx: TransactionContext) => Promise<R>): Promise<R> {
    return this.#internals.write(async (w) => fn(this.#transactionContext(w)));
  }

  #transactionContext(w: WriteContext): TransactionContext {
    return {
      collection: <T extends object>(name: string): TransactionCollection<T> => {
        this.collection(name);
        return {
          insert: (value) => w.insert(name, value) as Promise<never>,
          update: (id, patch) => w.update(name, id, patch) as Promise<never>,
          delete: (id) => w.delete(name, id),
          get: async (id) => (await w.get(name, id)) as never,
        };
      },
    };
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
    const coordinator = this.#opts.coordinator;
    if (coordinator && !coordinator.isLeader && !this.#closed) {
      // Another tab syncs for this database; it will publish what changed.
      coordinator.requestSync();
      return Promise.resolve({
        ...EMPTY_RESULT,
        remaining: this.#status.pendingOps,
        delegated: true,
      });
    }
    return this.#schedule(undefined);
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
    return this.#queue.add(() =>
      this.#run(this.#opts.now() + options.deadlineMs),
    ) as Promise<SyncResult>;
  }

  #schedule(deadlineAt: number | undefined): Promise<SyncResult> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#scheduled) return this.#scheduled;
    const busy = this.#queue.pending > 0 || this.#queue.size > 0;
    const token = {};
    this.#scheduledToken = busy ? token : undefined;
    const run = this.#queue.add(() => {
      if (this.#scheduledToken === token) {
        this.#scheduled = undefined;
        this.#scheduledToken = undefined;
      }
      return this.#run(deadlineAt);
    }) as Promise<SyncResult>;
    // A run is in progress: this call becomes the one extra run that later calls share.
    if (busy) this.#scheduled = run;
    return run;
  }

  /**
   * The push and pull steps' context. `onOutboxSettled` hears of every event that follows a
   * change to the outbox's pending ops (an applied batch's `progress`, a `deadLetter`).
   */
  #engineContext(deadlineAt: number | undefined, onOutboxSettled?: () => void): EngineContext {
    const transport = this.#opts.transport;
    if (!transport) {
      throw new TidesyncError(
        'INVALID_OPTION',
        'This client has no `transport`, so it cannot reach a server. Pass `transport: httpTransport({ url })` to `createSyncClient()`.',
      );
    }
    return {
      storage: this.#opts.storage,
      transport,
      clientId: this.clientId,
      clock: this.#clock,
      collections: this.#opts.collections,
      batchSize: this.#opts.batchSize,
      pullPageSize: this.#opts.pullPageSize,
      coalesce: this.#opts.coalesce,
      now: this.#opts.now,
      emit: (event, ...args) => {
        if (onOutboxSettled && (event === 'progress' || event === 'deadLetter')) onOutboxSettled();
        this.#events.emit(event, ...args);
      },
      signal: this.#abort.signal,
      deadlineAt,
      maxAttempts: this.#opts.retry.maxAttempts,
      timing: this.#timing,
      pendingOps: () => this.#status.pendingOps,
    };
  }

  async #run(deadlineAt: number | undefined): Promise<SyncResult> {
    this.#throwIfClosed();
    // Whether the push changed the outbox (applied a batch, dead-lettered an op). A push that
    // ends before that (offline: the first request fails; nothing to send) leaves the counts
    // as they are, so they are not read again: that read lists every queued op, every retry.
    let outboxSettled = false;
    const ctx = this.#engineContext(deadlineAt, () => {
      outboxSettled = true;
    });
    this.#setStatus({ syncing: true });
    this.#events.emit('syncStart');
    try {
      const push = await pushOutbox(ctx).then(
        async (tally) => {
          // A push that settled nothing found no op to send: a count above 0 is stale then
          // (another client on this database pushed them).
          if (outboxSettled || this.#status.pendingOps !== 0) await this.#refreshCounts();
          return tally;
        },
        async (error: unknown) => {
          if (outboxSettled) await this.#refreshCounts();
          throw error;
        },
      );
      if (push.changed.size > 0) this.#notify(push.changed, 'remote');
      const timeLeft = deadlineAt === undefined || this.#opts.now() < deadlineAt;
      const pull = timeLeft
        ? await pullChanges(ctx)
        : { pulled: 0, rebased: false, changed: new Set<string>() };
      if (pull.changed.size > 0) this.#notify(pull.changed, 'remote');
      const changed = new Set([...push.changed, ...pull.changed]);
      if (changed.size > 0) this.#opts.coordinator?.publish([...changed]);
      // Pulled changes never add or remove ops; they may open conflicts.
      if (pull.changed.size > 0 || pull.rebased) await this.#refreshCounts(false);
      await this.#maintenance.afterSync();
      const result: SyncResult = {
        pushed: push.pushed,
        conflicts: push.conflicts,
        rejected: push.rejected,
        pulled: pull.pulled,
        remaining: this.#status.pendingOps,
        rebased: pull.rebased,
        delegated: false,
      };
      this.#setStatus({
        syncing: false,
        online: true,
        lastSyncedAt: this.#opts.now(),
        lastError: null,
      });
      this.#events.emit('syncComplete', result);
      this.#scheduler?.succeeded();
      return result;
    } catch (error) {
      const err = toError(error);
      const offline = err instanceof TidesyncError && err.code === 'NETWORK_UNAVAILABLE';
      this.#setStatus({ syncing: false, lastError: err, ...(offline ? { online: false } : {}) });
      this.#events.emit('syncError', err);
      this.#scheduler?.failed(err);
      throw err;
    }
  }

  /** Ops waiting to be acknowledged by the server, oldest first (dead letters excluded). */
  async pendingOps(): Promise<OutboxOp[]> {
    return this.#read((tx) => tx.listOps({ states: ['queued', 'inflight'] }));
  }

  /** Ops the server rejected, with its reason; retry or discard them. */
  async deadLetters(): Promise<OutboxOp[]> {
    return this.#read((tx) => tx.listOps({ states: ['dead'] }));
  }

  /** Queues a dead-lettered op again (under a new op id). */
  async retryDeadLetter(opId: string): Promise<void> {
    this.#throwIfClosed();
    await this.#opts.storage.transaction('readwrite', (tx) => retryDeadLetter(tx, opId));
    // The dead letter (not counted) is queued again: exactly one more pending op.
    this.#setStatus({ pendingOps: this.#status.pendingOps + 1 });
    if (this.#opts.triggers.length > 0) this.#requestSync();
  }

  /**
   * Drops a dead-lettered op; the record returns to the server's version (fetched, so this
   * needs the network unless the server never had the record).
   */
  async discardDeadLetter(opId: string): Promise<void> {
    this.#throwIfClosed();
    const collection = await discardDeadLetter(this.#engineContext(undefined), opId);
    if (collection) this.#notify([collection], 'local');
    // Dead letters are not pending ops: only the conflicts may have changed.
    await this.#refreshCounts(false);
  }

  /** Records in `conflicted` state, with both versions. */
  async conflicts(): Promise<ConflictRecord[]> {
    return this.#read((tx) => listConflicts(tx, this.#opts.collections));
  }

  /**
   * Resolves a conflict by keeping the local version, the remote one, or a new value. The
   * resolution is a write like any other: it is synced, based on the server's version.
   * @throws TidesyncError `CONFLICT_NOT_FOUND` when the record is not conflicted.
   */
  async resolveConflict(
    collection: string,
    id: string,
    resolution: ConflictResolution,
  ): Promise<void> {
    this.collection(collection);
    // The write counts its op into pendingOps itself; only the conflicts need a read.
    await this.#internals.write((w) => resolveConflict(w, collection, id, resolution));
    await this.#refreshCounts(false);
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

  /** Stops triggers, aborts requests in flight and closes storage. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#stopTriggers) stop();
    this.#scheduler?.stop();
    this.#abort.abort();
    this.#liveQueries.clear();
    this.#queue.clear();
    await this.#queue.onIdle().catch(() => undefined);
    // Hand leadership over only after our last run has ended, so two tabs never sync at once (S12).
    this.#opts.coordinator?.close();
    await this.#maintenance.close();
    await this.#opts.storage.close();
    this.#events.removeAllListeners();
  }

  #read<T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T> {
    this.#throwIfClosed();
    return this.#opts.storage.transaction('readonly', fn);
  }

  #afterCommit(changes: ChangeSet, origin: 'local' | 'remote'): void {
    if (origin === 'local' && changes.collections.size > 0) {
      for (const listener of this.#writeListeners) listener();
      this.#opts.coordinator?.publish([...changes.collections]);
    }
    if (changes.pendingDelta !== 0)
      this.#setStatus({ pendingOps: Math.max(0, this.#status.pendingOps + changes.pendingDelta) });
    if (changes.collections.size > 0) this.#notify(changes.collections, origin);
  }

  #notify(collections: Iterable<string>, origin: 'local' | 'remote'): void {
    const list = [...collections];
    this.#events.emit('change', { collections: list, origin });
    this.#liveQueries.notify(list);
  }

  /**
   * Reads the exact counts of the status from storage: conflicts, and pending ops unless
   * `ops` is false. Local writes keep `pendingOps` up to date by themselves (see
   * {@link SyncClient.#afterCommit}); this runs where something else may have changed them.
   */
  async #refreshCounts(ops = true): Promise<void> {
    if (this.#closed) return;
    const counts = await this.#opts.storage.transaction('readonly', async (tx) => {
      // listConflicts, not queryRecords: a conflict whose local side is a delete counts too.
      const conflicts = (await listConflicts(tx, this.#opts.collections)).length;
      if (!ops) return { conflicts };
      return {
        pendingOps: (await tx.listOps({ states: ['queued', 'inflight'] })).length,
        conflicts,
      };
    });
    this.#setStatus(counts);
  }

  #setStatus(patch: Partial<SyncClientStatus>): void {
    const current = this.#status;
    let changed = false;
    for (const key of Object.keys(patch) as (keyof SyncClientStatus)[]) {
      if (patch[key] !== current[key]) changed = true;
    }
    if (!changed) return;
    this.#status = { ...current, ...patch };
    this.#events.emit('status', this.#status);
  }

  #closedError(): TidesyncError {
    return new TidesyncError(
      'CLIENT_CLOSED',
      'This sync client is closed. Create a new one with `createSyncClient()`.',
    );
  }

  #throwIfClosed(): void {
    if (this.#closed) throw this.#closedError();
  }
}
