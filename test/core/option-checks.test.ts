import { describe, expect, it } from 'vitest';
import { TidesyncError } from 'tidesync';
import { nonNegativeInt, positiveInt } from '../../src/core/index.js';

function thrown(fn: () => unknown): TidesyncError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TidesyncError) return error;
    throw error;
  }
  throw new Error('expected a TidesyncError, nothing was thrown');
}

describe('integer option checks', () => {
  it('returns the default when the option is absent and the value when it is in range', () => {
    expect(positiveInt('batchSize', undefined, 50)).toBe(50);
    expect(positiveInt('batchSize', 7, 50)).toBe(7);
    expect(positiveInt('batchSize', 1000, 50, 1000)).toBe(1000);
    expect(nonNegativeInt('coalesceMs', 0, 10)).toBe(0);
  });

  it('rejects a value above `max` with INVALID_OPTION naming the range and the default', () => {
    const error = thrown(() => positiveInt('batchSize', 1001, 50, 1000));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toBe(
      'Expected `batchSize` to be an integer from 1 to 1000, got `1001` (number). ' +
        'Pass such a number, or leave `batchSize` out for the default (50).',
    );
  });

  it.each([
    [Number.NaN, '`NaN` (number)'],
    [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    [Number.NEGATIVE_INFINITY, '`-Infinity` (number)'],
  ])('shows %s as itself in the message, not as JSON null', (value, shown) => {
    const error = thrown(() => positiveInt('timeoutMs', value, 30_000));
    expect(error.message).toContain(`got ${shown}.`);
  });

  it.each([[0], [1.5], ['3'], [null], [Number.MAX_SAFE_INTEGER + 2]])(
    'rejects %s as a positive integer, whatever its type',
    (value) => {
      const error = thrown(() => positiveInt('timeoutMs', value, 30_000));
      expect(error.code).toBe('INVALID_OPTION');
      expect(error.message).toMatch(/^Expected `timeoutMs` to be an integer >= 1, got /);
      expect(error.message).toMatch(/leave `timeoutMs` out for the default \(30000\)\.$/);
    },
  );
});
