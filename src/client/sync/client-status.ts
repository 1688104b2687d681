import type { EventEmitter } from 'eventemitter3';
import { listConflicts } from '../local/conflicts.js';
import type { SyncClientStatus } from '../status-types.js';
import type { ResolvedOptions } from '../options.js';
import { Outbox } from '../../outbox/index.js';

/**
 * The client's status and its bookkeeping: a change is announced once (`status` event), local
 * writes count their ops in, and the exact counts are read from storage where something else
 * may have changed them. Private to the client folder.
 */
export class ClientStatus {
  readonly #opts: ResolvedOptions;
  readonly #events: EventEmitter;
  readonly #isClosed: () => boolean;
  #value: SyncClientStatus = {
    online: true,
    syncing: false,
    pendingOps: 0,
    conflicts: 0,
    lastSyncedAt: null,
    lastError: null,
    live: 'off',
    lastPulledAt: null,
  };

  /** Changes are emitted on `events`; `isClosed` stops storage reads once the client is closed. */
  constructor(opts: ResolvedOptions, events: EventEmitter, isClosed: () => boolean) {
    this.#opts = opts;
    this.#events = events;
    this.#isClosed = isClosed;
  }

  /** The current status. */
  get value(): SyncClientStatus {
    return this.#value;
  }

  /** Applies `patch`; announces the new status if any field changed. */
  set(patch: Partial<SyncClientStatus>): void {
    const current = this.#value;
    let changed = false;
    for (const key of Object.keys(patch) as (keyof SyncClientStatus)[]) {
      if (patch[key] !== current[key]) changed = true;
    }
    if (!changed) return;
    this.#value = { ...current, ...patch };
    this.#events.emit('status', this.#value);
  }

  /** Counts `delta` ops into `pendingOps` (never below 0), without a storage read. */
  addPending(delta: number): void {
    if (delta !== 0) this.set({ pendingOps: Math.max(0, this.#value.pendingOps + delta) });
  }

  /**
   * Reads the exact counts from storage: conflicts unless `conflicts` is false, pending ops
   * unless `ops` is false. Local writes keep `pendingOps` up to date by themselves
   * ({@link ClientStatus.addPending}); this runs where something else may have changed them.
   * Counting conflicts reads every conflicted record (on IndexedDB, without an index for them,
   * every record), so callers skip it where no conflict can have opened or closed.
   */
  async refreshCounts({ ops = true, conflicts = true } = {}): Promise<void> {
    if (this.#isClosed() || (!ops && !conflicts)) return;
    const collections = this.#opts.collections;
    const counts = await this.#opts.storage.transaction('readonly', async (tx) => {
      // listConflicts, not queryRecords: a conflict whose local side is a delete counts too.
      const open = conflicts ? { conflicts: (await listConflicts(tx, collections)).length } : {};
      return ops ? { ...open, pendingOps: (await new Outbox(tx).pending()).length } : open;
    });
    this.set(counts);
  }
}
