import type {
  ConflictInput,
  ConflictOutcome,
  ConflictStrategy,
  RecordData,
} from '../core/index.js';
import { TidesyncError, describeValue, maxHlc } from '../core/index.js';
import { mergeFieldClocks } from './last-write-wins.js';
import { assertSafeData, assertSafeInput, copyData } from './safe-data.js';

/**
 * What a custom resolver returns: the merged field values, `null` to delete the record, or
 * `'manual'` to hand the conflict to the user as under `manual()`.
 */
export type CustomResolution = RecordData | null | 'manual';

/**
 * App business logic that merges two concurrent versions. `local` is this device's version and
 * `remote` the server's; either `data` is `null` when that side deleted the record. Must be pure
 * (no I/O, no clock reads, no randomness) so every device would pick the same answer.
 */
export type CustomResolver = (input: ConflictInput) => CustomResolution;

/**
 * Custom resolution with app logic. The server reports the conflict; the client runs `resolver`,
 * checks the result against the collection's schema, stores it and syncs it as a new write based
 * on the server's version. Return `'manual'` to defer to the user as under `manual()`. During a
 * sync, a resolver that throws or returns an invalid value never stops the sync: the record waits
 * in the conflict inbox with both versions and a `RESOLVER_FAILED` error.
 *
 * @throws TidesyncError `INVALID_OPTION` when `resolver` is not a function, or (when resolving)
 * when it returns something other than an object, `null` or `'manual'`.
 * @throws TidesyncError `FORBIDDEN_FIELD` when a version or the result holds a prototype key.
 *
 * @example
 * defineCollection({
 *   name: 'counters', schema,
 *   conflict: custom(({ local, remote }) => ({ n: Math.max(Number(local.data?.n), Number(remote.data?.n)) })),
 * });
 */
export function custom(resolver: CustomResolver): ConflictStrategy {
  if (typeof resolver !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`custom()\` to get a resolver function, got ${describeValue(resolver)}.`,
    );
  }
  return {
    name: 'custom',
    deterministic: false,
    resolve(input: ConflictInput): ConflictOutcome {
      assertSafeInput(input);
      const result: unknown = resolver(input);
      if (result === 'manual') return { kind: 'manual' };
      if (result !== null && (typeof result !== 'object' || Array.isArray(result))) {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected the \`custom()\` resolver of \`${input.collection}\` to return an object, null or 'manual', got ${describeValue(result)}.`,
        );
      }
      const data = result as RecordData | null;
      assertSafeData(data, 'custom-resolved', input.collection);
      return {
        kind: 'merged',
        data: data === null ? null : copyData(data),
        hlc: maxHlc(input.local.hlc, input.remote.hlc),
        fieldClocks: mergeFieldClocks(input.local.fieldClocks, input.remote.fieldClocks),
      };
    },
  };
}
