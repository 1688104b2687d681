// Messages of schema problems when the app configured no zod locale (an app on zod/mini alone):
// tidesync's own English texts, the same as zod's English locale, without changing the app's
// zod configuration (issue 17).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { z as classic } from 'zod';
import { ValidationError, createSyncClient, defineCollection, pullResponseSchema } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { issueMessage, safeParseSchema, safeParseWire } from '../../src/core/index.js';

const english = classic.locales.en().localeError;

/** The raw issues (before zod gives them a message) of parsing `value` with `schema`. */
function rawIssues(schema: z.core.$ZodType, value: unknown): z.core.$ZodRawIssue[] {
  const raw: z.core.$ZodRawIssue[] = [];
  const result = z.safeParse(schema, value, {
    error: (issue) => {
      raw.push(issue);
      return undefined;
    },
  });
  expect(result.success).toBe(false);
  void result.error;
  return raw;
}

const CASES: [string, z.core.$ZodType, unknown][] = [
  ['string got number', z.string(), 1],
  ['number got string', z.number(), 'x'],
  ['number got NaN', z.number(), Number.NaN],
  ['number got Infinity', z.number(), Number.POSITIVE_INFINITY],
  ['boolean got null', z.boolean(), null],
  ['object got array', z.object({}), []],
  ['literal', z.literal(1), 2],
  ['enum', z.enum(['a', 'b']), 'c'],
  ['string too long', z.string().check(z.maxLength(3)), 'abcd'],
  ['string too short', z.string().check(z.minLength(2)), 'a'],
  ['array too short', z.array(z.string()).check(z.minLength(1)), []],
  ['array exact length', z.array(z.string()).check(z.length(2)), ['a']],
  ['number too big', z.number().check(z.maximum(10)), 11],
  ['number not above', z.number().check(z.gt(0)), 0],
  ['int got fraction', z.number().check(z.int()), 1.5],
  ['multiple of', z.number().check(z.multipleOf(5)), 7],
  ['regex', z.string().check(z.regex(/^a+$/)), 'b'],
  ['unrecognized keys', z.strictObject({ a: z.string() }), { a: 'x', b: 1, c: 2 }],
  ['record key', z.record(z.string().check(z.minLength(2)), z.number()), { a: 1 }],
  [
    'discriminator',
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a') }),
      z.object({ kind: z.literal('b') }),
    ]),
    { kind: 'c' },
  ],
  ['union', z.union([z.string(), z.number()]), true],
];

describe('issueMessage', () => {
  it.each(CASES)('reads like zod English locale: %s', (_name, schema, value) => {
    const issues = rawIssues(schema, value);
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issueMessage(issue)).toBe(english(issue));
  });
});

describe('with no zod locale configured (an app on zod/mini alone)', () => {
  let saved: ReturnType<typeof z.config>['localeError'];
  beforeEach(() => {
    saved = z.config().localeError;
    z.config({ localeError: undefined });
  });
  afterEach(() => {
    z.config({ localeError: saved });
  });

  it('a ValidationError names what was expected', async () => {
    const todos = defineCollection({
      name: 'todos',
      schema: z.object({ title: z.string(), done: z.boolean() }),
    });
    const client = await createSyncClient({ collections: [todos], storage: memoryAdapter() });
    const error = await client
      .collection(todos)
      .insert({ title: 1 as unknown as string, done: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(
      'Invalid field `title` for collection `todos`: Invalid input: expected string, received number.',
    );
    await client.close();
  });

  it('a malformed wire answer names what was expected', () => {
    const parsed = safeParseWire(pullResponseSchema, {
      protocol: 1,
      changes: [],
      cursor: 'c',
      hasMore: 'no',
      reset: false,
    });
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['hasMore'],
      message: 'Invalid input: expected boolean, received string',
    });
  });

  it('leaves the app’s own configuration alone', () => {
    expect(z.config().localeError).toBeUndefined();
    // The app's own parse of its own schema still gets zod's default, as the app configured it.
    expect(z.safeParse(z.string(), 1).error?.issues[0]?.message).toBe('Invalid input');
  });

  it('uses the app’s error map when it configured one', () => {
    z.config({ customError: () => 'app says no' });
    try {
      expect(safeParseSchema(z.string(), 1).error?.issues[0]?.message).toBe('app says no');
    } finally {
      z.config({ customError: undefined });
    }
  });
});
