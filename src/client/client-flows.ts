// The flows of one client, built once at open from its one context (client-context.ts): the
// cache flow's storage maintenance, the sync flow's runs and sync sets, and what collection
// handles use for local reads and writes. The facade (SyncClient) only delegates to them.
import { StorageMaintenance } from './cache/storage-maintenance.js';
import { clientClosedError } from './client-closed.js';
import type { ClientContext } from './client-context.js';
import { ChangeSet } from './local/change-set.js';
import type { ClientInternals } from './local/client-internals.js';
import { WriteContext } from './local/write-context.js';
import { startRuntime } from './runtime/client-runtime.js';
import { SyncRunner } from './sync/sync-runner.js';
import { SyncSets } from './sync/sync-sets.js';

/** A client's flows. Private to the client folder. */
export interface ClientFlows {
  /** The cache flow: retention, stats, access times, remote fetch. */
  readonly maintenance: StorageMaintenance;
  /** The sync flow's runs. */
  readonly runs: SyncRunner;
  /** The device's sync sets (docs/sync-sets.md). */
  readonly syncSets: SyncSets;
  /** What collection handles use: local reads and writes. */
  readonly internals: ClientInternals;
}

/** Builds a client's flows over its context. */
export function createClientFlows(ctx: ClientContext): ClientFlows {
  const { opts, status } = ctx;
  const maintenance = new StorageMaintenance(ctx);
  const syncSets = new SyncSets(ctx);
  const runs = new SyncRunner(
    ctx,
    () => maintenance.afterSync(),
    (server) => syncSets.pull(server),
  );
  /** Tells triggers, other tabs, the status and live queries of a committed local write. */
  const afterLocalCommit = (changes: ChangeSet): void => {
    if (changes.collections.size > 0) {
      ctx.requestSync();
      opts.coordinator?.publish([...changes.collections]);
    }
    status.addPending(changes.pendingDelta);
    if (changes.collections.size > 0) ctx.notify(changes.collections, 'local');
  };
  const internals: ClientInternals = {
    liveQueries: ctx.liveQueries,
    syncSets,
    remote: maintenance.remote,
    read: ctx.read,
    touched: (collection, id) => maintenance.access.touch(collection, id),
    write: async (fn) => {
      if (ctx.isClosed()) throw clientClosedError();
      const changes = new ChangeSet();
      const result = await opts.storage.transaction('readwrite', async (tx) => {
        const w = new WriteContext(tx, opts, ctx.clock, ctx.clockMark, changes);
        const value = await fn(w);
        await w.flush();
        return value;
      });
      afterLocalCommit(changes);
      return result;
    },
  };
  return { maintenance, runs, syncSets, internals };
}

/** Starts the coordinator and the triggers; returns the functions that stop the triggers. */
export function startClientRuntime(ctx: ClientContext, flows: ClientFlows): (() => void)[] {
  return startRuntime(ctx.opts, flows.runs, ctx.status, {
    clientId: ctx.clientId,
    server: ctx.server,
    events: ctx.events,
    writeListeners: ctx.writeListeners,
    ...([...ctx.opts.collections.values()].some((c) => c.sync === 'sets')
      ? { liveSets: flows.syncSets }
      : {}),
    onRemoteChange: (collections) => {
      ctx.liveQueries.notify(collections);
      ctx.events.emit('change', { collections: [...collections], origin: 'remote' });
      void ctx.status.refreshCounts().catch(() => undefined);
    },
  });
}
