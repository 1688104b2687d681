import type { ConflictOutcome, ConflictStrategy } from '../core/index.js';

/**
 * Manual resolution: a concurrent change is never merged automatically. The record becomes
 * `conflicted` on the client, both versions are kept, and the app resolves with
 * `client.resolveConflict()`. Nothing is overwritten until then.
 *
 * @example
 * defineCollection({ name: 'contracts', schema, conflict: manual() });
 */
export function manual(): ConflictStrategy {
  return {
    name: 'manual',
    deterministic: false,
    resolve(): ConflictOutcome {
      return { kind: 'manual' };
    },
  };
}
