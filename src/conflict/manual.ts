import type { ConflictOutcome, ConflictStrategy } from '../core/index.js';

/**
 * Manual resolution: a concurrent change is never merged automatically. The record becomes
 * `conflicted` on the client, both versions are kept (a deleted side is `null`), and the app
 * resolves with `client.resolveConflict()`; the resolution syncs as a new write. Nothing is
 * overwritten until then. Two concurrent deletes are not a conflict: the record is deleted.
 * See docs/conflicts.md for the full table.
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
