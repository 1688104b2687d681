import { TidesyncError, describeValue } from './errors.js';

/**
 * Reads an optional integer option: `fallback` when absent, else `value` when it is a safe
 * integer >= `min`; anything else throws `INVALID_OPTION` naming the option.
 */
function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be an integer >= ${min}, got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** An optional option that must be an integer >= 1 (`fallback` when absent). */
export function positiveInt(name: string, value: number | undefined, fallback: number): number {
  return integerOption(name, value, fallback, 1);
}

/** An optional option that must be an integer >= 0 (`fallback` when absent). */
export function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  return integerOption(name, value, fallback, 0);
}
