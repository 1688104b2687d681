import { TidesyncError, describeValue, idSourceFrom, swapIdSource } from '../core/index.js';
import { seededRandom } from './random.js';

/** With `idSeed`, every id comes from a source seeded with it until `restore()`. */
export function seededIds(idSeed: number | undefined, nowMs: () => number): { restore(): void } {
  if (idSeed === undefined) return { restore: () => undefined };
  if (!Number.isInteger(idSeed)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`idSeed\` to be an integer, got ${describeValue(idSeed)}.`,
    );
  }
  const random = seededRandom(idSeed);
  const previous = swapIdSource(idSourceFrom(random.next, nowMs));
  return { restore: () => void swapIdSource(previous) };
}
