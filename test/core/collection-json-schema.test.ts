import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';

const define = (schema: z.ZodObject) => () => defineCollection({ name: 'todos', schema });

describe('defineCollection refuses schemas whose values do not survive JSON', () => {
  it('names the field and the fix for z.date()', () => {
    expect(define(z.object({ title: z.string(), dueAt: z.date() }))).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringMatching(
          /^todos\.dueAt is z\.date\(\).*ISO string \(z\.iso\.datetime\(\)\) or epoch ms \(z\.number\(\)\)/,
        ),
      }),
    );
  });

  it.each([
    ['bigint', z.object({ n: z.bigint() }), 'todos.n is z.bigint()'],
    ['Map', z.object({ m: z.map(z.string(), z.number()) }), 'todos.m is z.map()'],
    ['Set', z.object({ s: z.set(z.string()) }), 'todos.s is z.set()'],
    ['transform', z.object({ t: z.string().transform((s) => s.length) }), 'todos.t is a transform'],
    ['preprocess', z.object({ t: z.preprocess((v) => v, z.string()) }), 'todos.t is a transform'],
    ['symbol', z.object({ s: z.symbol() }), 'todos.s is z.symbol()'],
    ['undefined-only', z.object({ u: z.undefined() }), 'todos.u is z.undefined()'],
    ['function', z.object({ f: z.function() as unknown as z.ZodType }), 'todos.f is z.function()'],
    ['optional date', z.object({ d: z.date().optional() }), 'todos.d is z.date()'],
    ['nullable default', z.object({ d: z.date().nullable().default(null) }), 'todos.d is z.date()'],
    ['nested object', z.object({ a: z.object({ b: z.bigint() }) }), 'todos.a.b is z.bigint()'],
    ['array element', z.object({ a: z.array(z.date()) }), 'todos.a[] is z.date()'],
    ['tuple item', z.object({ a: z.tuple([z.string(), z.date()]) }), 'todos.a[1] is z.date()'],
    [
      'record value',
      z.object({ r: z.record(z.string(), z.set(z.string())) }),
      'todos.r.* is z.set()',
    ],
    ['union member', z.object({ u: z.union([z.string(), z.date()]) }), 'todos.u is z.date()'],
    [
      'intersection',
      z.object({ i: z.intersection(z.object({}), z.object({ d: z.date() })) }),
      'todos.i.d is z.date()',
    ],
  ])('refuses %s', (_kind, schema, message) => {
    expect(define(schema)).toThrow(message);
  });

  it('accepts JSON-safe schemas, optional unions with undefined, and recursive lazy schemas', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() =>
      z.object({ name: z.string(), children: z.array(node) }),
    );
    const schema = z.object({
      title: z.string().min(1),
      at: z.iso.datetime(),
      n: z.number().int().optional(),
      tags: z.array(z.enum(['a', 'b'])),
      meta: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).nullable(),
      maybe: z.union([z.string(), z.undefined()]),
      tree: node,
      email: z.string().pipe(z.email()),
    });
    expect(defineCollection({ name: 'todos', schema }).name).toBe('todos');
  });
});
