import type { Timers } from '../core/index.js';
import { TidesyncError, describeValue } from '../core/index.js';

/** Options of {@link createFakeClock}. */
export interface FakeClockOptions {
  /** Wall time the clock starts at, in ms since the epoch. @default 1_735_689_600_000 (2025-01-01) */
  readonly start?: number;
}

/**
 * A manual clock for tests: implements the {@link Timers} port plus `now()`, and moves only when
 * told. Pass it as `createSyncClient({ now: clock.now, timers: clock })` and as the server's
 * `now`, so clocks, backoff, debounce and interval triggers run without real waiting.
 */
export interface FakeClock extends Timers {
  /** Current fake wall time in ms. A bound function: pass `clock.now` directly. */
  readonly now: () => number;
  /** Number of timers scheduled and not yet fired or cleared. */
  readonly pendingTimers: number;
  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in due order
   * (ties in scheduling order), with the clock set to each timer's due time and pending
   * microtasks (promise callbacks) run before the next one fires.
   * @throws TidesyncError `INVALID_OPTION` when `ms` is negative or not finite.
   */
  advance(ms: number): Promise<void>;
  /** Jumps to the earliest pending timer and fires it; resolves `false` when none is pending. */
  next(): Promise<boolean>;
  /**
   * Fires timers until none is left (timers scheduled meanwhile included); resolves with how
   * many fired.
   * @throws TidesyncError `SYNC_STUCK` after `maxTimers` (default 10,000): something reschedules forever.
   */
  runAll(maxTimers?: number): Promise<number>;
  /** Sets the wall time without firing timers (a clock jump, such as a device changing its clock). */
  setNow(ms: number): void;
}

interface ScheduledTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

const DEFAULT_START = Date.UTC(2025, 0, 1);

/** Lets pending promise callbacks (and chains they start) run before the next timer fires. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Creates a {@link FakeClock}.
 *
 * @example
 * const clock = createFakeClock();
 * const client = await createSyncClient({ collections, storage, now: clock.now, timers: clock });
 * await clock.advance(30_000); // fires the interval trigger, without waiting 30 s
 * @throws TidesyncError `INVALID_OPTION` when `start` is not a finite number.
 */
export function createFakeClock(options: FakeClockOptions = {}): FakeClock {
  const start = options.start ?? DEFAULT_START;
  if (typeof start !== 'number' || !Number.isFinite(start)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`start\` to be a finite number of ms, got ${describeValue(start)}.`,
    );
  }
  let current = start;
  let nextId = 1;
  const timers = new Map<number, ScheduledTimer>();

  const earliest = (): ScheduledTimer | undefined => {
    let best: ScheduledTimer | undefined;
    for (const t of timers.values()) {
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.id < best.id)) best = t;
    }
    return best;
  };

  const fire = async (timer: ScheduledTimer): Promise<void> => {
    timers.delete(timer.id);
    current = Math.max(current, timer.dueAt);
    timer.callback();
    await flushMicrotasks();
  };

  return {
    now: () => current,
    get pendingTimers() {
      return timers.size;
    },
    setTimeout(callback, delayMs) {
      const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
      const id = nextId++;
      timers.set(id, { id, dueAt: current + delay, callback });
      return id;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') timers.delete(handle);
    },
    async advance(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}.`,
        );
      }
      const target = current + ms;
      await flushMicrotasks();
      for (;;) {
        const due = earliest();
        if (!due || due.dueAt > target) break;
        await fire(due);
      }
      current = target;
    },
    async next() {
      await flushMicrotasks();
      const due = earliest();
      if (!due) return false;
      await fire(due);
      return true;
    },
    async runAll(maxTimers = 10_000) {
      let fired = 0;
      await flushMicrotasks();
      for (let due = earliest(); due; due = earliest()) {
        if (fired >= maxTimers) {
          throw new TidesyncError(
            'SYNC_STUCK',
            `The fake clock fired ${fired} timers and more keep coming: something reschedules itself forever. Use advance(ms) to move a bounded amount of time.`,
          );
        }
        await fire(due);
        fired += 1;
      }
      return fired;
    },
    setNow(ms) {
      current = ms;
    },
  };
}
