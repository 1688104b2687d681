/**
 * The timer port: how the sync runtime waits (backoff, debounce, interval triggers). Injected
 * so tests drive time with a fake clock instead of sleeping; defaults to the global timers.
 */
export interface Timers {
  /** Calls `callback` once after `delayMs`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  /** Cancels a pending `setTimeout`. Unknown or fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/** The platform's timers. */
export function systemTimers(): Timers {
  return {
    setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
    clearTimeout: (handle) =>
      globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  };
}
