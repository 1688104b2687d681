import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeUnstorable, findUnstorableString, isStorableString } from '../../src/core/index.js';

// The exact rule, as one pattern: what isStorableString and findUnstorableString must match.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// The path-building walk findUnstorableString was before it skipped building paths.
function reference(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path || '(root)' : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${escapeUnstorable(key)}` : escapeUnstorable(key);
    if (UNSTORABLE.test(key)) return `${here} (the key)`;
    const found = reference((value as Record<string, unknown>)[key], here, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

// Strings drawn from ASCII, NUL, and paired and lone surrogates.
const text = fc
  .array(fc.constantFrom('a', 'é', '\u0000', '\ud83c', '\udf0a', '\ud83c\udf0a', '中'), {
    maxLength: 5,
  })
  .map((parts) => parts.join(''));

describe('unstorable strings', () => {
  it('isStorableString follows the exact rule', () => {
    fc.assert(
      fc.property(text, (s) => isStorableString(s) === !UNSTORABLE.test(s)),
      {
        numRuns: 1000,
      },
    );
  });

  it('findUnstorableString answers as the path-building walk does', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(text, fc.integer(), fc.constant(null)),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(text, tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => findUnstorableString(value) === reference(value)),
      { numRuns: 500 },
    );
    expect(findUnstorableString({ a: ['ok', { 'k\u0000': 1 }] })).toBe('a.1.k\\u0000 (the key)');
  });
});
