import { TidesyncError, describeValue } from '../../../core/index.js';
import type { SyncTrigger } from '../sync-trigger.js';

/**
 * Syncs every `intervalMs` while the client is open, using the client's timers (so a fake
 * clock drives it in tests).
 *
 * @example
 * createSyncClient({ ..., triggers: [intervalTrigger(30_000)] });
 * @throws TidesyncError `INVALID_OPTION` when `intervalMs` is not a number ≥ 10.
 */
export function intervalTrigger(intervalMs: number): SyncTrigger {
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 10) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`intervalTrigger()\` to get a number of ms ≥ 10, got ${describeValue(intervalMs)}.`,
    );
  }
  return {
    start(context) {
      let handle: unknown;
      let stopped = false;
      const tick = () => {
        if (stopped) return;
        context.requestSync('interval');
        handle = context.timers.setTimeout(tick, intervalMs);
      };
      handle = context.timers.setTimeout(tick, intervalMs);
      return () => {
        stopped = true;
        context.timers.clearTimeout(handle);
      };
    },
  };
}
