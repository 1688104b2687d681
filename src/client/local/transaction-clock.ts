import type { HybridLogicalClock, StorageTransaction } from '../../core/index.js';

/** Metadata key of the last issued hybrid logical clock timestamp. */
export const HLC_META_KEY = 'client.hlc';

/**
 * Clock values for one write transaction: the stored clock ({@link HLC_META_KEY}) is read and
 * merged once, values are issued in memory, and {@link TransactionClock.store} writes the last
 * one. Only the first value costs a storage call.
 */
export class TransactionClock {
  readonly #tx: StorageTransaction;
  readonly #clock: HybridLogicalClock;
  readonly #mark: { value: string | undefined };
  #loaded = false;
  /** The last value issued in this transaction, stored by {@link TransactionClock.store}. */
  #last: string | undefined;

  /**
   * `mark` holds a value the client's clock has already issued or merged (the last one it
   * stored), shared by the client's write transactions.
   */
  constructor(
    tx: StorageTransaction,
    clock: HybridLogicalClock,
    mark: { value: string | undefined },
  ) {
    this.#tx = tx;
    this.#clock = clock;
    this.#mark = mark;
  }

  /** Issues the next value; the first call of a transaction loads the stored clock. */
  next(): string | Promise<string> {
    if (!this.#loaded) return this.load().then(() => this.next());
    return (this.#last = this.#clock.tick());
  }

  /** The next value, after {@link TransactionClock.load} resolved. */
  nextLoaded(): string {
    return (this.#last = this.#clock.tick());
  }

  /** Loads and merges the stored clock (once). */
  async load(): Promise<void> {
    if (this.#loaded) return;
    // Other clients on the same database (tabs) share the stored clock: merge it first so
    // two of them never issue the same or a smaller timestamp. A stored value this clock has
    // already issued or merged (the usual case: its own last write) needs no merge.
    const stored = await this.#tx.getMeta<string>(HLC_META_KEY);
    const mark = this.#mark.value;
    // A stored value beyond the server's time plus the drift (from a device clock that was far
    // in the future) is not merged: the clock was brought back on purpose.
    if (
      stored !== undefined &&
      (mark === undefined || stored > mark) &&
      !this.#clock.isBeyondServerTime(stored)
    ) {
      this.#clock.receive(stored);
    }
    this.#loaded = true;
  }

  /** Stores the last value issued, if any was. Must run inside the transaction. */
  async store(): Promise<void> {
    // The last value issued here: at or above the stored one, which was merged first.
    const last = this.#last;
    if (last !== undefined) {
      await this.#tx.setMeta(HLC_META_KEY, last);
      this.#mark.value = last;
    }
    this.#last = undefined;
  }
}

/**
 * Stores the clock for restarts, never moving the stored value backwards, except from beyond
 * the server's time plus the drift (see {@link HybridLogicalClock.observeServerTime}).
 */
export async function persistClock(
  tx: StorageTransaction,
  clock: HybridLogicalClock,
): Promise<void> {
  const stored = await tx.getMeta<string>(HLC_META_KEY);
  const current = clock.peek();
  if (stored === undefined || stored < current || clock.isBeyondServerTime(stored)) {
    await tx.setMeta(HLC_META_KEY, current);
  }
}

/** Takes the server's time from a push or pull answer, when it carries one. */
export function observeServerTime(
  clock: HybridLogicalClock,
  answer: {
    readonly serverTime?: number | undefined;
    readonly maxClockDriftMs?: number | undefined;
  },
): void {
  if (answer.serverTime !== undefined)
    clock.observeServerTime(answer.serverTime, answer.maxClockDriftMs);
}
