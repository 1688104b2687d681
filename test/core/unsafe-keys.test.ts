import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORBIDDEN_KEYS,
  MAX_MESSAGE_DEPTH,
  findUnsafeKey,
  markScreened,
  pullResponseSchema,
  safeParseWire,
} from '../../src/core/index.js';

// The path-building walk findUnsafeKey was before it skipped building paths: the reference.
function reference(value: unknown, depth = 0, path = '', maxDepth = 32): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > maxDepth) return `${path} (nested deeper than ${maxDepth})`;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const found = reference((value as Record<string, unknown>)[key], depth + 1, here, maxDepth);
    if (found !== undefined) return found;
  }
  return undefined;
}

const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('findUnsafeKey', () => {
  it('names the path of a forbidden key at any depth, in objects and arrays', () => {
    expect(findUnsafeKey(JSON.parse('{"a":{"b":[1,{"__proto__":{}}]}}'))).toBe('a.b.1.__proto__');
    expect(findUnsafeKey(JSON.parse('[{"constructor":1}]'))).toBe('0.constructor');
    expect(findUnsafeKey({ ok: { prototype: 1 } })).toBe('ok.prototype');
    expect(findUnsafeKey({ ok: [1, 'two', null, { fine: true }] })).toBeUndefined();
  });

  it('refuses nesting one level past maxDepth, not at it', () => {
    expect(findUnsafeKey(JSON.parse(nested(33)))).toBeUndefined();
    expect(findUnsafeKey(JSON.parse(nested(34)))).toMatch(/nested deeper than 32/);
    expect(findUnsafeKey(JSON.parse(nested(36)), 0, '', MAX_MESSAGE_DEPTH)).toBeUndefined();
    expect(findUnsafeKey(JSON.parse(nested(37)), 0, '', MAX_MESSAGE_DEPTH)).toMatch(/than 35/);
  });

  it('answers as the path-building walk does, for any JSON', () => {
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...FORBIDDEN_KEYS));
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(key, tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 4 }), (value, maxDepth) => {
        // Through JSON text, as bodies arrive: `__proto__` becomes an own key.
        const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
        expect(findUnsafeKey(parsed, 0, '', maxDepth)).toBe(reference(parsed, 0, '', maxDepth));
      }),
      { numRuns: 500 },
    );
  });
});

describe('safeParseWire', () => {
  const body = (data: string) =>
    JSON.parse(
      `{"protocol":1,"changes":[{"collection":"todos","id":"r1","version":1,"data":${data},"hlc":"000000000001000:000000:node1","fieldClocks":{},"deleted":false,"updatedAt":1,"originClientId":null,"originId":null}],"cursor":"c","hasMore":false,"reset":false}`,
    ) as object;

  it('keeps the record checks for a body no whole-body check has passed (any transport)', () => {
    const parsed = safeParseWire(pullResponseSchema, body('{"a":{"__proto__":{"x":1}}}'));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('forbidden key at a.__proto__');
    expect(safeParseWire(pullResponseSchema, body(nested(34))).success).toBe(false);
  });

  it('parses a body marked as checked whole to the same result', () => {
    const plain = body('{"title":"t"}');
    const marked = body('{"title":"t"}');
    markScreened(marked);
    expect(safeParseWire(pullResponseSchema, marked)).toEqual(
      safeParseWire(pullResponseSchema, plain),
    );
  });
});
