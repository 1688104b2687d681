import type {
  ConflictInput,
  ConflictOutcome,
  ConflictStrategy,
  RecordData,
} from '../core/index.js';
import { maxHlc } from '../core/index.js';
import { mergeFieldClocks } from './last-write-wins.js';

/**
 * What a custom resolver returns: the merged field values, `null` to delete the record, or
 * `'manual'` to hand the conflict to the user as under `manual()`.
 */
export type CustomResolution = RecordData | null | 'manual';

/** App business logic that merges two concurrent versions. Must be pure (no I/O, no clock reads). */
export type CustomResolver = (input: ConflictInput) => CustomResolution;

/**
 * Custom resolution with app logic. Runs on the client when the server reports a conflict; its
 * result is synced as a new write. Return `'manual'` to defer to the user.
 *
 * @example
 * defineCollection({
 *   name: 'counters', schema,
 *   conflict: custom(({ local, remote }) => ({ n: Math.max(Number(local.data?.n), Number(remote.data?.n)) })),
 * });
 */
export function custom(resolver: CustomResolver): ConflictStrategy {
  if (typeof resolver !== 'function') {
    throw new TypeError(
      `Expected \`custom()\` to get a resolver function, got ${typeof resolver}.`,
    );
  }
  return {
    name: 'custom',
    deterministic: false,
    resolve(input: ConflictInput): ConflictOutcome {
      const result = resolver(input);
      if (result === 'manual') return { kind: 'manual' };
      return {
        kind: 'merged',
        data: result === null ? null : { ...result },
        hlc: maxHlc(input.local.hlc, input.remote.hlc),
        fieldClocks: mergeFieldClocks(input.local.fieldClocks, input.remote.fieldClocks),
      };
    },
  };
}
