import type {
  ConflictInput,
  ConflictOutcome,
  ConflictStrategy,
  ConflictStrategyName,
} from '../core/index.js';
import { assertSafeInput } from './safe-data.js';

/**
 * A strategy the server may resolve with (`deterministic`): `merge` gets both sides of the
 * conflict once {@link assertSafeInput} has checked them.
 */
export function deterministicStrategy(
  name: ConflictStrategyName,
  merge: (local: ConflictInput['local'], remote: ConflictInput['remote']) => ConflictOutcome,
): ConflictStrategy {
  return {
    name,
    deterministic: true,
    resolve(input: ConflictInput): ConflictOutcome {
      assertSafeInput(input);
      return merge(input.local, input.remote);
    },
  };
}
