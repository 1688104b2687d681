import { TidesyncError, describeValue } from './errors.js';

/**
 * Reads an optional integer option: `fallback` when absent, else `value` when it is a safe
 * integer from `min` to `max`; anything else throws `INVALID_OPTION` naming the option, the
 * range, the value given and the default.
 */
function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number | undefined,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < min ||
    (max !== undefined && value > max)
  ) {
    const range = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be ${range}, got ${describeValue(value)}. ` +
        `Pass such a number, or leave \`${name}\` out for the default (${fallback}).`,
    );
  }
  return value;
}

/**
 * An optional option that must be an integer >= 1, and at most `max` when given (`fallback`
 * when absent). The one validator for count, size and duration options.
 * @throws TidesyncError `INVALID_OPTION` naming the option when the value is out of range.
 */
export function positiveInt(name: string, value: unknown, fallback: number, max?: number): number {
  return integerOption(name, value, fallback, 1, max);
}

/**
 * An optional option that must be an integer >= 0 (`fallback` when absent).
 * @throws TidesyncError `INVALID_OPTION` naming the option when the value is out of range.
 */
export function nonNegativeInt(name: string, value: unknown, fallback: number): number {
  return integerOption(name, value, fallback, 0, undefined);
}
