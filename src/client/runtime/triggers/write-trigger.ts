import { TidesyncError, describeValue } from '../../../core/index.js';
import type { SyncTrigger } from '../sync-trigger.js';

/**
 * Syncs shortly after local writes: the first write starts a `debounceMs` timer and writes
 * during it join the same sync, so a burst of edits becomes one push.
 *
 * @example
 * createSyncClient({ ..., triggers: [writeTrigger({ debounceMs: 200 })] });
 */
export function writeTrigger(options: { readonly debounceMs?: number } = {}): SyncTrigger {
  const debounceMs = options.debounceMs ?? 250;
  if (typeof debounceMs !== 'number' || !Number.isFinite(debounceMs) || debounceMs < 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`debounceMs\` to be a number ≥ 0, got ${describeValue(debounceMs)}.`,
    );
  }
  return {
    start(context) {
      let handle: unknown;
      let armed = false;
      const stop = context.onLocalWrite(() => {
        if (armed) return;
        armed = true;
        handle = context.timers.setTimeout(() => {
          armed = false;
          context.requestSync('write');
        }, debounceMs);
      });
      return () => {
        stop();
        if (armed) context.timers.clearTimeout(handle);
      };
    },
  };
}
