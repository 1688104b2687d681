import type { Timers } from '../../core/index.js';
import { TidesyncError } from '../../core/index.js';
import { backoffDelayMs, type RetryPolicy } from '../../outbox/index.js';

/**
 * Decides when automatic sync runs happen: on trigger requests, and after a failure on the
 * backoff schedule, so a failed push drains on its own without waiting for a new write or a
 * restart (S11).
 *
 *   idle --request--> running --ok--> idle (attempt = 0)
 *                        |
 *                        +--error--> waiting(backoff(attempt++)) --timer--> running
 *
 * A request while waiting runs at once (the network may be back); the run itself is
 * single-flight in the client.
 */
export class SyncScheduler {
  readonly #run: () => Promise<unknown>;
  readonly #timers: Timers;
  readonly #policy: RetryPolicy;
  #attempt = 0;
  #retryHandle: unknown;
  #retryPending = false;
  #stopped = false;

  constructor(run: () => Promise<unknown>, timers: Timers, policy: RetryPolicy) {
    this.#run = run;
    this.#timers = timers;
    this.#policy = policy;
  }

  /** Asks for a run now. */
  request(): void {
    if (this.#stopped) return;
    this.#cancelRetry();
    // The run reports its outcome through succeeded()/failed(), as app-started runs do.
    void this.#run().catch(() => undefined);
  }

  /** Records a successful run (also one the app started with `sync()`). */
  succeeded(): void {
    this.#attempt = 0;
    this.#cancelRetry();
  }

  /** Records a failed run and schedules the retry. */
  failed(error: unknown): void {
    if (this.#stopped || !isRetryable(error)) return;
    const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
    const delay = backoffDelayMs(this.#attempt, this.#policy, retryAfterMs);
    this.#attempt += 1;
    this.#cancelRetry();
    this.#retryPending = true;
    this.#retryHandle = this.#timers.setTimeout(() => {
      this.#retryPending = false;
      this.request();
    }, delay);
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelRetry();
  }

  #cancelRetry(): void {
    if (this.#retryPending) this.#timers.clearTimeout(this.#retryHandle);
    this.#retryPending = false;
  }
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof TidesyncError)) return true;
  return !['CLIENT_CLOSED', 'INVALID_OPTION', 'USER_MISMATCH'].includes(error.code);
}
