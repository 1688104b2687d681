// The one client context: everything a client is made of, built once at open and shared by the
// flows; the facade (SyncClient) only delegates to it.
import { EventEmitter } from 'eventemitter3';
import type { StorageTransaction } from '../core/index.js';
import { HybridLogicalClock, createClientId, toError } from '../core/index.js';
import { StorageMaintenance } from './cache/storage-maintenance.js';
import { clientClosedError } from './client-closed.js';
import { ChangeSet } from './local/change-set.js';
import type { ClientInternals } from './local/client-internals.js';
import { LiveQueries } from './local/live-queries.js';
import { upgradeLocalStorage } from './local/local-upgrade.js';
import { HLC_META_KEY } from './local/transaction-clock.js';
import { WriteContext, type WriteEnvironment } from './local/write-context.js';
import type { ResolvedOptions } from './options.js';
import { startRuntime } from './runtime/client-runtime.js';
import { ClientStatus } from './sync/client-status.js';
import { ServerApi } from './sync/server-api.js';
import { SyncRunner } from './sync/sync-runner.js';
import { SyncSets } from './sync/sync-sets.js';

const CLIENT_ID_META_KEY = 'client.id';

/** A client's parts, built once by {@link createClientContext}. Private to the client folder. */
export interface ClientContext {
  readonly opts: ResolvedOptions;
  readonly clientId: string;
  readonly clock: HybridLogicalClock;
  /** The client's emitter of `SyncClientEvents`. */
  readonly events: EventEmitter;
  /** Aborted by `close()`: ends requests in flight. */
  readonly abort: AbortController;
  /** The one port to the server; `undefined` without a transport. */
  readonly server: ServerApi | undefined;
  readonly liveQueries: LiveQueries;
  readonly status: ClientStatus;
  /** The cache flow: retention, stats, access times, remote fetch. */
  readonly maintenance: StorageMaintenance;
  /** The sync flow's runs. */
  readonly runs: SyncRunner;
  /** What collection handles use: local reads and writes. */
  readonly internals: ClientInternals;
  /** The device's sync sets (docs/sync-sets.md). */
  readonly syncSets: SyncSets;
  /** Local-write listeners of the triggers. */
  readonly writeListeners: Set<() => void>;
  /** Announces committed changes: a `change` event and the live queries. */
  notify(collections: Iterable<string>, origin: 'local' | 'remote'): void;
  /** Runs `fn` in a readonly transaction; rejects `CLIENT_CLOSED` after close. */
  read<T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T>;
}

/** Opens storage, upgrades it to the app's schema and restores the client id and clock. */
export async function openIdentity(
  opts: ResolvedOptions,
): Promise<{ clientId: string; clock: HybridLogicalClock }> {
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
  return { clientId, clock: new HybridLogicalClock({ nodeId: clientId, now: opts.now, last }) };
}

/** Builds a client's parts; `isClosed` tells whether `close()` was called. */
export function createClientContext(
  opts: ResolvedOptions,
  clientId: string,
  clock: HybridLogicalClock,
  isClosed: () => boolean,
): ClientContext {
  const events = new EventEmitter();
  const abort = new AbortController();
  const server = opts.transport ? new ServerApi(opts.transport, clientId) : undefined;
  const onError = (error: unknown): boolean => events.emit('syncError', toError(error));
  const liveQueries = new LiveQueries(onError);
  const status = new ClientStatus(opts, events, isClosed);
  const writeListeners = new Set<() => void>();
  const notify = (collections: Iterable<string>, origin: 'local' | 'remote'): void => {
    const list = [...collections];
    events.emit('change', { collections: list, origin });
    liveQueries.notify(list);
  };
  const read = <T>(fn: (tx: StorageTransaction) => Promise<T>): Promise<T> => {
    if (isClosed()) throw clientClosedError();
    return opts.storage.transaction('readonly', fn);
  };
  const shared = { clientId, clock, server, signal: abort.signal, events, status };
  const maintenance = new StorageMaintenance(opts, { ...shared, notify, onError });
  const syncSets = new SyncSets({
    storage: opts.storage,
    collections: opts.collections,
    requestSync: () => {
      for (const listener of writeListeners) listener();
    },
    notify: (collections) => notify(collections, 'local'),
    throwIfClosed: () => {
      if (isClosed()) throw clientClosedError();
    },
  });
  const runs = new SyncRunner(
    opts,
    { ...shared, notify, isClosed, pullSets: (engine) => syncSets.pull(engine) },
    () => maintenance.afterSync(),
  );
  const env: WriteEnvironment = {
    collections: opts.collections,
    clock,
    now: opts.now,
    coalesce: opts.coalesce,
    clockMark: { value: undefined },
  };
  /** Tells triggers, other tabs, the status and live queries of a committed local write. */
  const afterLocalCommit = (changes: ChangeSet): void => {
    if (changes.collections.size > 0) {
      for (const listener of writeListeners) listener();
      opts.coordinator?.publish([...changes.collections]);
    }
    status.addPending(changes.pendingDelta);
    if (changes.collections.size > 0) notify(changes.collections, 'local');
  };
  const internals: ClientInternals = {
    liveQueries,
    syncSets,
    remote: maintenance.remote,
    read,
    touched: (collection, id) => maintenance.access.touch(collection, id),
    write: async (fn) => {
      if (isClosed()) throw clientClosedError();
      const changes = new ChangeSet();
      const result = await opts.storage.transaction('readwrite', async (tx) => {
        const w = new WriteContext(tx, env, changes);
        const value = await fn(w);
        await w.flush();
        return value;
      });
      afterLocalCommit(changes);
      return result;
    },
  };
  return {
    opts,
    clientId,
    clock,
    events,
    abort,
    server,
    liveQueries,
    status,
    maintenance,
    runs,
    syncSets,
    internals,
    writeListeners,
    notify,
    read,
  };
}

/** Starts the coordinator and the triggers; returns the functions that stop the triggers. */
export function startClientRuntime(ctx: ClientContext): (() => void)[] {
  return startRuntime(ctx.opts, ctx.runs, ctx.status, {
    clientId: ctx.clientId,
    server: ctx.server,
    events: ctx.events,
    writeListeners: ctx.writeListeners,
    ...([...ctx.opts.collections.values()].some((c) => c.sync === 'sets')
      ? { liveSets: ctx.syncSets }
      : {}),
    onRemoteChange: (collections) => {
      ctx.liveQueries.notify(collections);
      ctx.events.emit('change', { collections: [...collections], origin: 'remote' });
      void ctx.status.refreshCounts().catch(() => undefined);
    },
  });
}
