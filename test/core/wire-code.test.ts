// The field code wireObject() generates (src/core/wire-code.ts) answers every value exactly as
// zod's own parse (`jitless`) does: each field of real wire messages replaced by odd values.
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import * as wire from '../../src/core/wire.js';
import { markScreened, safeParseWire } from '../../src/core/index.js';

const stamp = '001700000000000:000000:client-aaaaaaaaaaaaaaaa';
const record = {
  collection: 'todos',
  id: 'r1',
  version: 1,
  data: { title: 'a', tags: ['x'] },
  hlc: stamp,
  fieldClocks: { title: stamp, tags: stamp },
  deleted: false,
  updatedAt: 1,
  originClientId: 'c1',
  originId: null,
  schemaVersion: 2,
};
const op = {
  opId: 'o1',
  seq: 1,
  collection: 'todos',
  id: 'l1',
  serverId: null,
  type: 'insert',
  data: { title: 'a' },
  baseVersion: 0,
  hlc: stamp,
  fieldClocks: { title: stamp },
};
const samples: [z.core.$ZodType, Record<string, unknown>][] = [
  [
    wire.pullResponseSchema,
    {
      protocol: 1,
      changes: [record, { ...record, id: 'r2' }],
      skipped: [{ collection: 'todos', id: 'r3', version: 1, bytes: 9, code: 'record_too_large' }],
      removed: [{ collection: 'todos', id: 'r4', version: 2 }],
      cursor: 'c',
      hasMore: false,
      reset: false,
      remaining: 3,
      serverTime: 5,
    },
  ],
  [wire.pushRequestSchema, { protocol: 1, clientId: 'c1', ops: [op, { ...op, patch: null }] }],
  [
    wire.pushResponseSchema,
    {
      protocol: 1,
      results: [
        { opId: 'o1', status: 'applied', serverId: 'r1', version: 1, record, merged: false },
        { opId: 'o2', status: 'rejected', code: 'validation_failed', message: 'm' },
      ],
      lastSeq: 2,
    },
  ],
  [
    wire.pullRequestSchema,
    {
      protocol: 1,
      clientId: 'c1',
      cursor: null,
      limit: 10,
      maxBytes: 5000,
      schemaVersions: { todos: 2 },
    },
  ],
  [wire.getRequestSchema, { protocol: 1, clientId: 'c1', collection: 'todos', ids: ['a', 'b'] }],
  [wire.errorResponseSchema, { protocol: 1, error: { code: 'seq_gap', message: 'm', lastSeq: 1 } }],
];

class Clocks {
  title = stamp;
}
const symbolKeyed = { title: stamp, [Symbol('s')]: stamp };
const hidden = Object.defineProperty({ title: stamp }, 'tags', { value: stamp, enumerable: false });
const pair = '\u{1F600}';
/** Values put in place of each field, and of each element and key of its arrays and records. */
const odd: unknown[] = [
  undefined,
  null,
  0,
  -0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x',
  'x'.repeat(129),
  pair.repeat(64),
  pair.repeat(65),
  pair,
  'a\u0000b',
  '\ud800',
  stamp,
  true,
  [],
  [1],
  {},
  { title: 'bad clock' },
  JSON.parse('{"__proto__":{"x":1}}'),
  JSON.parse(`{"__proto__":"${stamp}","title":"${stamp}"}`),
  { constructor: stamp },
  { ['k'.repeat(257)]: stamp },
  new Clocks(),
  Object.create(null),
  symbolKeyed,
  hidden,
  new Date(0),
  'insert',
  'conflict',
  1n,
];

/** Every variant of `value` with one field (or array element, or record key's value) replaced. */
function* variants(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    for (let n = 0; n < value.length; n++) {
      for (const v of variants(value[n])) yield value.map((x, m) => (m === n ? v : x));
    }
    yield [...value, ...value];
    yield [];
    return;
  }
  if (value === null || typeof value !== 'object') {
    yield* odd;
    return;
  }
  for (const key of Object.keys(value)) {
    for (const v of variants((value as Record<string, unknown>)[key])) {
      yield { ...value, [key]: v };
    }
    const { [key]: _, ...without } = value as Record<string, unknown>;
    yield without;
  }
  yield* odd;
}

/** What a parse answers: the output, or the issues (messages included). */
function answer(result: z.core.util.SafeParseResult<unknown>): unknown {
  return result.success ? { data: result.data } : result.error.issues;
}

describe('wire field code', () => {
  it("answers every variant of real messages as zod's own parse does", () => {
    let count = 0;
    let passed = 0;
    for (const [schema, sample] of samples) {
      for (const value of variants(sample)) {
        const compiled = z.safeParse(schema, value);
        const plain = z.safeParse(schema, value, { jitless: true });
        expect(answer(compiled)).toEqual(answer(plain));
        // The output is never the input itself (as zod's).
        expect(compiled.success && compiled.data === value).toBe(false);
        if (compiled.success) passed += 1;
        count += 1;
      }
    }
    // Enough of both answers to mean something.
    expect(count).toBeGreaterThan(4000);
    expect(passed).toBeGreaterThan(200);
  });

  it('keeps the output keys in order and copies records', () => {
    const body = JSON.parse(
      `{"protocol":1,"changes":[${JSON.stringify({ ...record, fieldClocks: {} }).replace(
        '"fieldClocks":{}',
        `"fieldClocks":{"tags":"${stamp}","title":"${stamp}"}`,
      )}],"cursor":"c","hasMore":false,"reset":false}`,
    ) as { changes: { fieldClocks: object }[] };
    const compiled = z.safeParse(wire.pullResponseSchema, body);
    expect(compiled).toEqual(z.safeParse(wire.pullResponseSchema, body, { jitless: true }));
    const clocks = compiled.data!.changes[0]!.fieldClocks;
    expect(Object.keys(clocks)).toEqual(['tags', 'title']);
    expect(clocks).not.toBe(body.changes[0]!.fieldClocks);
    expect(Object.getPrototypeOf(clocks)).toBe(Object.prototype);
  });

  it('refuses the same prototype keys in a screened body as in a plain one', () => {
    const text = `{"protocol":1,"changes":[${JSON.stringify(record)}],"cursor":"c","hasMore":false,"reset":false}`;
    const screened = JSON.parse(text) as object;
    markScreened(screened);
    expect(safeParseWire(wire.pullResponseSchema, screened).success).toBe(true);
    const bad = JSON.parse(text.replace('"title":"a"', '"__proto__":{"x":1}')) as object;
    expect(safeParseWire(wire.pullResponseSchema, bad).success).toBe(false);
  });
});
