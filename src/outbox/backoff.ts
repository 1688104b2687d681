/** How failed syncs are retried. */
export interface RetryPolicy {
  /** First retry waits up to this long. @default 1000 */
  readonly baseDelayMs: number;
  /** No wait is longer than this. @default 60_000 */
  readonly maxDelayMs: number;
  /**
   * Server failures (5xx) one op may cause before it is moved to the dead letters as a poison
   * op. Network failures never count. @default 5
   */
  readonly maxAttempts: number;
  /** Random source in [0, 1) for the jitter; tests pass a seeded one. @default Math.random */
  readonly random: () => number;
}

/** Default retry policy. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxAttempts: 5,
  random: Math.random,
};

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a random wait in [0, min(max, base * 2^attempt)). A server's `Retry-After` is a
 * floor: we never retry sooner than it asks.
 *
 * @param attempt 0 for the first retry.
 */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(policy.random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.ceil(retryAfterMs));
}
