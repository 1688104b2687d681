// The sync flow (src/client/sync/): the runner and its scheduler, push (batch wire form, results,
// conflicts from the server), pull (pages, removals, skipped records), dead letters, the client
// status, and ServerApi, the one port to the server. Outbox rows change only through the Outbox
// (src/outbox/). It imports local/ but nothing of cache/ or runtime/ (the upkeep after a run is
// a callback).

import PQueue from 'p-queue';
import { TidesyncError, toError } from '../../core/index.js';
import { clientClosedError } from '../client-closed.js';
import type { ClientContext } from '../client-context.js';
import type { SyncResult } from '../status-types.js';
import { requireServer, type ServerApi } from './server-api.js';
import type { ResolvedOptions } from '../options.js';
import type { PullTally } from './pull.js';
import { pullChanges } from './pull.js';
import { pushOutbox } from './push.js';
import { SyncScheduler } from './sync-scheduler.js';

const EMPTY_RESULT: SyncResult = {
  pushed: 0,
  conflicts: 0,
  rejected: 0,
  pulled: 0,
  remaining: 0,
  rebased: false,
  delegated: false,
};

/**
 * Sync runs: one at a time, each a push of the outbox then pulls until the server has no
 * more, with the status, events and counts that go with them; automatic runs go through the
 * scheduler's retry backoff, or to the leader tab. Private to the client folder;
 * `SyncClient` exposes it.
 */
export class SyncRunner {
  readonly #opts: ResolvedOptions;
  readonly #ctx: ClientContext;
  readonly #afterSync: () => Promise<void>;
  readonly #pullSets: ((server: ServerApi) => Promise<PullTally>) | undefined;
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #scheduler: SyncScheduler | undefined;
  #scheduled: Promise<SyncResult> | undefined;
  #scheduledToken: object | undefined;

  /**
   * `afterSync` runs the storage upkeep (retention) after each successful run; `pullSets` pulls
   * the client's sync sets after the feed (docs/sync-sets.md).
   */
  constructor(
    ctx: ClientContext,
    afterSync: () => Promise<void>,
    pullSets?: (server: ServerApi) => Promise<PullTally>,
  ) {
    const opts = ctx.opts;
    this.#opts = opts;
    this.#ctx = ctx;
    this.#afterSync = afterSync;
    this.#pullSets = pullSets;
    if (opts.triggers.length > 0) {
      this.#scheduler = new SyncScheduler(() => this.sync(), opts.timers, opts.retry);
    }
  }

  /** A trigger or another tab wants a sync: run it here, or hand it to the leader tab. */
  request(): void {
    if (this.#ctx.isClosed()) return;
    const coordinator = this.#opts.coordinator;
    if (coordinator && !coordinator.isLeader) {
      coordinator.requestSync();
      return;
    }
    if (this.#scheduler) this.#scheduler.request();
    else void this.sync().catch(() => undefined);
  }

  /** A run now, or the leader tab's (see `SyncClient.sync`). */
  sync(): Promise<SyncResult> {
    const coordinator = this.#opts.coordinator;
    if (coordinator && !coordinator.isLeader && !this.#ctx.isClosed()) {
      // Another tab syncs for this database; it will publish what changed.
      coordinator.requestSync();
      return Promise.resolve({
        ...EMPTY_RESULT,
        remaining: this.#ctx.status.value.pendingOps,
        delegated: true,
      });
    }
    return this.#schedule(undefined);
  }

  /** A run that starts no new batch after `deadlineMs` (see `SyncClient.runOnce`). */
  runWithin(deadlineMs: number): Promise<SyncResult> {
    return this.#queue.add(() => this.#run(this.#opts.now() + deadlineMs)) as Promise<SyncResult>;
  }

  #schedule(deadlineAt: number | undefined): Promise<SyncResult> {
    if (this.#ctx.isClosed()) return Promise.reject(clientClosedError());
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
   * The port to the server.
   * @throws TidesyncError `INVALID_OPTION` when the client has no transport
   */
  server(): ServerApi {
    return requireServer(this.#ctx.server, 'reach a server');
  }

  async #run(deadlineAt: number | undefined): Promise<SyncResult> {
    const ctx = this.#ctx;
    const status = ctx.status;
    if (ctx.isClosed()) throw clientClosedError();
    // Whether the push changed the outbox (applied a batch, dead-lettered an op). A push that
    // ends before that (offline: the first request fails; nothing to send) leaves the counts
    // as they are, so they are not read again: that read lists every queued op, every retry.
    let outboxSettled = false;
    const server = this.server();
    status.set({ syncing: true });
    ctx.events.emit('syncStart');
    try {
      const push = await pushOutbox(ctx, server, deadlineAt, () => {
        outboxSettled = true;
      }).then(
        async (tally) => {
          // A push that settled nothing found no op to send: a count above 0 is stale then
          // (another client on this database pushed them). Conflicts open only from push
          // answers (resolving or discarding counts itself), so only then are they recounted.
          if (outboxSettled || status.value.pendingOps !== 0) {
            await status.refreshCounts({ conflicts: tally.conflicts > 0 });
          }
          return tally;
        },
        async (error: unknown) => {
          if (outboxSettled) await status.refreshCounts();
          throw error;
        },
      );
      if (push.changed.size > 0) ctx.notify(push.changed, 'remote');
      const timeLeft = deadlineAt === undefined || this.#opts.now() < deadlineAt;
      const pull = timeLeft
        ? await pullChanges(ctx, server)
        : { pulled: 0, rebased: false, changed: new Set<string>() };
      if (timeLeft && this.#pullSets) {
        const sets = await this.#pullSets(server);
        pull.pulled += sets.pulled;
        for (const name of sets.changed) pull.changed.add(name);
      }
      if (pull.changed.size > 0) ctx.notify(pull.changed, 'remote');
      const changed = new Set([...push.changed, ...pull.changed]);
      if (changed.size > 0) this.#opts.coordinator?.publish([...changed]);
      // Pulled changes never add or remove ops, and never open or close a conflict (a pulled
      // change to a conflicted record updates the server's side it holds; removals, re-bases
      // and set sweeps keep conflicted records): the counts stand. Another tab's changes are
      // counted when it says so (onRemoteChange).
      await this.#afterSync();
      const result: SyncResult = {
        pushed: push.pushed,
        conflicts: push.conflicts,
        rejected: push.rejected,
        pulled: pull.pulled,
        remaining: status.value.pendingOps,
        rebased: pull.rebased,
        delegated: false,
      };
      const now = this.#opts.now();
      status.set({
        syncing: false,
        online: true,
        lastSyncedAt: now,
        lastError: null,
        // pullChanges returns only once a page says `hasMore: false`: the feed head.
        ...(timeLeft ? { lastPulledAt: now } : {}),
      });
      ctx.events.emit('syncComplete', result);
      this.#scheduler?.succeeded();
      return result;
    } catch (error) {
      const err = toError(error);
      const offline = err instanceof TidesyncError && err.code === 'NETWORK_UNAVAILABLE';
      status.set({ syncing: false, lastError: err, ...(offline ? { online: false } : {}) });
      ctx.events.emit('syncError', err);
      this.#scheduler?.failed(err);
      throw err;
    }
  }

  /** Stops the automatic runs' retries. */
  stop(): void {
    this.#scheduler?.stop();
  }

  /** Drops runs not started yet and waits for the one in progress to end. */
  async drain(): Promise<void> {
    this.#queue.clear();
    await this.#queue.onIdle().catch(() => undefined);
  }
}
