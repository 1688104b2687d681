import type { StorageAdapter, Timers } from '../../core/index.js';

/** How long reads are collected before their access times are written. */
export const ACCESS_FLUSH_DELAY_MS = 2_000;

/** A flush starts at once when this many records were read since the last one. */
export const ACCESS_FLUSH_MAX_PENDING = 500;

/** What an {@link AccessTracker} needs from its client. */
export interface AccessTrackerOptions {
  readonly storage: StorageAdapter;
  readonly timers: Timers;
  readonly now: () => number;
  /** Gets the error of a background flush that failed (the times are kept for the next one). */
  readonly onError: (error: unknown) => void;
}

/**
 * Collects record reads for least-recently-used retention and writes their `accessedAt` in
 * one transaction per batch, debounced, instead of one write per `get()`. Private to the
 * client folder.
 */
export class AccessTracker {
  readonly #options: AccessTrackerOptions;
  /** `collection \0 id` to the wall ms of the latest read. */
  #pending = new Map<string, number>();
  #timer: unknown;
  #stopped = false;

  constructor(options: AccessTrackerOptions) {
    this.#options = options;
  }

  /** Notes a read of a record now. */
  touch(collection: string, id: string): void {
    if (this.#stopped) return;
    this.#pending.set(`${collection}\u0000${id}`, this.#options.now());
    if (this.#pending.size >= ACCESS_FLUSH_MAX_PENDING) {
      this.flush().catch(this.#options.onError);
    } else if (this.#timer === undefined) {
      this.#timer = this.#options.timers.setTimeout(() => {
        this.#timer = undefined;
        this.flush().catch(this.#options.onError);
      }, ACCESS_FLUSH_DELAY_MS);
    }
  }

  /** Number of reads not written yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Writes the collected access times in one readwrite transaction. Only `accessedAt` changes,
   * and only forward: the record is re-read inside the transaction, so a concurrent write or
   * sync is never overwritten with an older copy.
   */
  async flush(): Promise<void> {
    this.#cancelTimer();
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.#options.storage.transaction('readwrite', async (tx) => {
        for (const [key, at] of batch) {
          const split = key.indexOf('\u0000');
          const record = await tx.getRecord(key.slice(0, split), key.slice(split + 1));
          if (record && record.accessedAt < at) await tx.putRecord({ ...record, accessedAt: at });
        }
      });
    } catch (error) {
      // Keep the times for the next flush; a newer read of the same record wins.
      for (const [key, at] of batch) if (!this.#pending.has(key)) this.#pending.set(key, at);
      throw error;
    }
  }

  /** Stops tracking and drops what was not written (used by `close()`, after a last flush). */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
    this.#pending.clear();
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
