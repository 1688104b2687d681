// The cache flow (src/client/cache/): what this device keeps. Retention policies and eviction,
// `clearCache()`, storage stats, access tracking for least-recently-used retention, and fetching
// dropped records back from the server (remote fetch, through ServerApi). It imports local/ and
// sync/, never runtime/.

import { TidesyncError, describeValue } from '../../core/index.js';
import { AccessTracker } from './access-tracker.js';
import type { ClientContext } from '../client-context.js';
import type { ResolvedOptions } from '../options.js';
import { RemoteFetcher } from './remote-fetch.js';
import { applyRetentionPolicies, clearSyncedRecords, type EvictionResult } from './retention.js';
import { collectStorageStats, type StorageStats } from './storage-stats.js';

/** Options of `client.clearCache()`. */
export interface ClearCacheOptions {
  /** Only these collections. @default every registered collection */
  readonly collections?: readonly string[];
}

/**
 * The client's storage management: access tracking for least-recently-used retention,
 * retention runs, stats, cache clearing and fetching dropped records back. Private to the
 * client folder; `SyncClient` exposes it. See docs/storage.md.
 */
export class StorageMaintenance {
  readonly #opts: ResolvedOptions;
  readonly #ctx: ClientContext;
  /** Batches `get()` reads into `accessedAt` writes. */
  readonly access: AccessTracker;
  /** Fetches dropped records back through the server's `get` endpoint. */
  readonly remote: RemoteFetcher;

  constructor(ctx: ClientContext) {
    const opts = ctx.opts;
    this.#opts = opts;
    this.#ctx = ctx;
    this.access = new AccessTracker({
      storage: opts.storage,
      timers: opts.timers,
      now: opts.now,
      onError: ctx.onError,
    });
    this.remote = new RemoteFetcher(ctx);
  }

  /** Writes pending access times, then applies every collection's retention policy. */
  async applyRetention(): Promise<EvictionResult> {
    await this.access.flush();
    const result = await applyRetentionPolicies(
      this.#opts.storage,
      this.#opts.collections,
      this.#opts.now(),
    );
    if (result.total > 0) this.#ctx.notify(Object.keys(result.collections), 'local');
    return result;
  }

  /**
   * Retention after a successful sync. A failure here does not fail the sync (which did its
   * job): it is reported and retried after the next sync.
   */
  async afterSync(): Promise<void> {
    const hasPolicy = [...this.#opts.collections.values()].some((c) => c.retention !== undefined);
    if (!hasPolicy) return;
    await this.applyRetention().catch(this.#ctx.onError);
  }

  /** Counts what this device stores. */
  async stats(): Promise<StorageStats> {
    return this.#opts.storage.transaction('readonly', (tx) =>
      collectStorageStats(tx, this.#opts.collections),
    );
  }

  /**
   * Drops synced records of some or all collections.
   * @throws TidesyncError `INVALID_OPTION` for bad options, `UNKNOWN_COLLECTION` for a name not registered
   */
  async clearCache(options: ClearCacheOptions | undefined): Promise<EvictionResult> {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`clearCache()\` options to be an object, got ${describeValue(options)}.`,
      );
    }
    const names = options?.collections ?? [...this.#opts.collections.keys()];
    if (!Array.isArray(names)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`collections\` of \`clearCache()\` to be an array of collection names, got ${describeValue(names)}.`,
      );
    }
    for (const name of names) {
      if (typeof name !== 'string' || !this.#opts.collections.has(name)) {
        throw new TidesyncError(
          'UNKNOWN_COLLECTION',
          `Collection ${describeValue(name)} passed to \`clearCache()\` is not registered. Add it to \`collections\` in \`createSyncClient()\`.`,
        );
      }
    }
    await this.access.flush();
    const result = await clearSyncedRecords(this.#opts.storage, this.#opts.collections, names);
    if (result.total > 0) this.#ctx.notify(Object.keys(result.collections), 'local');
    return result;
  }

  /** Writes pending access times (best effort) and stops tracking; used by `close()`. */
  async close(): Promise<void> {
    await this.access.flush().catch(() => undefined);
    this.access.stop();
  }
}
