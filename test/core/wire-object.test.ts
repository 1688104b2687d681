import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import * as syncSetWire from '../../src/core/sync-set-wire.js';
import * as wire from '../../src/core/wire.js';
import { hasFastParse } from '../../src/core/wire-object.js';

type Schema = z.core.$ZodType;
const isSchema = (v: unknown): v is Schema =>
  typeof v === 'object' && v !== null && '_zod' in v && typeof v._zod === 'object';

/** Every schema reachable from `root` through its def (fields, elements, options, pipes...). */
function reachable(root: Schema, seen = new Set<Schema>()): Set<Schema> {
  if (seen.has(root)) return seen;
  seen.add(root);
  const def = root._zod.def as unknown as Record<string, unknown>;
  for (const value of Object.values(def)) {
    const children = Array.isArray(value)
      ? value
      : isSchema(value)
        ? [value]
        : value && typeof value === 'object'
          ? Object.values(value)
          : [];
    for (const child of children) if (isSchema(child)) reachable(child, seen);
  }
  return seen;
}

const exported = [
  ...Object.entries(wire as Record<string, unknown>),
  ...Object.entries(syncSetWire as Record<string, unknown>),
].filter((entry): entry is [string, Schema] => isSchema(entry[1]));

const stamp = '001700000000000:000000:client-aaaaaaaaaaaaaaaa';
const record = {
  collection: 'todos',
  id: 'r1',
  version: 1,
  data: { title: 'a' },
  hlc: stamp,
  fieldClocks: { title: stamp },
  deleted: false,
  updatedAt: 1,
  originClientId: null,
  originId: null,
};
const pullAnswer = {
  protocol: 1,
  changes: [record],
  cursor: 'c1',
  hasMore: false,
  reset: false,
};

describe('wire schemas', () => {
  it("parse objects (but the rare strict ones) with the wire's fast parser, not zod/mini's loop", () => {
    const objects = new Set<Schema>();
    for (const [, schema] of exported) {
      for (const s of reachable(schema))
        if (s._zod.def.type === 'object' && !('catchall' in s._zod.def && s._zod.def.catchall))
          objects.add(s);
    }
    expect(objects.size).toBeGreaterThan(10);
    const interpreted = [...objects].filter((s) => !hasFastParse(s));
    expect(interpreted.map((s) => Object.keys((s._zod.def as z.core.$ZodObjectDef).shape))).toEqual(
      [],
    );
  });

  it("answer as zod's own object parser does: output, issues, paths and messages", () => {
    const values: unknown[] = [
      pullAnswer,
      {
        ...pullAnswer,
        extra: 1,
        skipped: [],
        removed: [{ collection: 'todos', id: 'r2', version: 2 }],
      },
      {
        ...pullAnswer,
        changes: [
          { ...record, version: -1, hlc: 'x' },
          { ...record, id: '' },
        ],
      },
      {
        ...pullAnswer,
        changes: [{ ...record, fieldClocks: { title: 'bad' }, deleted: undefined }],
      },
      { ...pullAnswer, changes: [{ ...record, schemaVersion: 0 }], cursor: undefined },
      { ...pullAnswer, changes: [{ ...record, schemaVersion: undefined }] },
      {
        protocol: 1,
        clientId: 'c',
        cursor: null,
        limit: 10,
        set: { collection: 't', where: { a: 1 }, x: 1 },
      },
      {
        protocol: 1,
        clientId: 'c',
        cursor: null,
        limit: 10,
        set: { collection: 't', where: { a: { in: [1] } } },
      },
      null,
      [],
    ];
    const schemas = [wire.pullResponseSchema, wire.pullRequestSchema, wire.pushResponseSchema];
    for (const schema of schemas) {
      for (const value of values) {
        const compiled = z.safeParse(schema, structuredClone(value));
        const plain = z.safeParse(schema, structuredClone(value), { jitless: true });
        const answer = (r: typeof plain) => (r.success ? { data: r.data } : r.error.issues);
        expect(answer(compiled)).toEqual(answer(plain));
      }
    }
    expect(z.safeParse(wire.pullResponseSchema, pullAnswer).success).toBe(true);
  });
});
