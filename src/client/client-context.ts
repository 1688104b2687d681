// The one client context: what every flow of a client shares, built once at open by
// createClientContext. The flows (local writes, sync runs, the cache) take it, or narrow
// explicit parameters, instead of bags of their own; the flows' objects are built from it in
// client-flows.ts, and the facade (SyncClient) only delegates to them.
import { EventEmitter } from 'eventemitter3';
import type { StorageTransaction } from '../core/index.js';
import { HybridLogicalClock, createClientId, toError } from '../core/index.js';
import { clientClosedError } from './client-closed.js';
import type { SyncClientEvents } from './events.js';
import { LiveQueries } from './local/live-queries.js';
import { upgradeLocalStorage } from './local/local-upgrade.js';
import { HLC_META_KEY } from './local/transaction-clock.js';
import type { ResolvedOptions } from './options.js';
import { ClientStatus } from './sync/client-status.js';
import { ServerApi } from './sync/server-api.js';

const CLIENT_ID_META_KEY = 'client.id';

/** Emits one of the client's events (`SyncClientEvents`), typed. */
export type EmitEvent = <E extends keyof SyncClientEvents>(
  event: E,
  ...args: Parameters<SyncClientEvents[E]>
) => void;

/** What a client's flows share, built once at open. Private to the client folder. */
export interface ClientContext {
  /** The validated options: storage, collections, sizes, clock, timers, retry, coordinator. */
  readonly opts: ResolvedOptions;
  readonly clientId: string;
  readonly clock: HybridLogicalClock;
  /**
   * A clock value the client's clock has already issued or merged (the last one it stored):
   * a stored clock at or below it needs no merge. Shared by the client's write transactions.
   */
  readonly clockMark: { value: string | undefined };
  /** The client's emitter of `SyncClientEvents`. */
  readonly events: EventEmitter;
  /** `events.emit`, typed. */
  readonly emit: EmitEvent;
  /** Aborted by `close()`: ends requests in flight. */
  readonly abort: AbortController;
  /** The one port to the server; `undefined` without a transport. */
  readonly server: ServerApi | undefined;
  readonly liveQueries: LiveQueries;
  readonly status: ClientStatus;
  /** Running estimate of the push's duration per op, for `runOnce` deadlines. */
  readonly timing: { opMs: number };
  /** Local-write listeners of the triggers. */
  readonly writeListeners: Set<() => void>;
  /** Whether `close()` was called. */
  isClosed(): boolean;
  /** Announces committed changes: a `change` event and the live queries. */
  notify(collections: Iterable<string>, origin: 'local' | 'remote'): void;
  /** Reports a failure of background work as `syncError` (access times, retention, live queries). */
  onError(error: unknown): void;
  /** Asks for a sync run as a local write does (the triggers decide when). */
  requestSync(): void;
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

/** Builds a client's context; `isClosed` tells whether `close()` was called. */
export function createClientContext(
  opts: ResolvedOptions,
  clientId: string,
  clock: HybridLogicalClock,
  isClosed: () => boolean,
): ClientContext {
  const events = new EventEmitter();
  const onError = (error: unknown): void => {
    events.emit('syncError', toError(error));
  };
  const liveQueries = new LiveQueries(onError);
  const writeListeners = new Set<() => void>();
  return {
    opts,
    clientId,
    clock,
    clockMark: { value: undefined },
    events,
    emit: (event, ...args) => {
      events.emit(event, ...args);
    },
    abort: new AbortController(),
    server: opts.transport ? new ServerApi(opts.transport, clientId) : undefined,
    liveQueries,
    status: new ClientStatus(opts, events, isClosed),
    timing: { opMs: 0 },
    writeListeners,
    isClosed,
    notify: (collections, origin) => {
      const list = [...collections];
      events.emit('change', { collections: list, origin });
      liveQueries.notify(list);
    },
    onError,
    requestSync: () => {
      for (const listener of writeListeners) listener();
    },
    read: (fn) => {
      if (isClosed()) throw clientClosedError();
      return opts.storage.transaction('readonly', fn);
    },
  };
}
