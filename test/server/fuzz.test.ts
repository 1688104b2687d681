import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryServerStore } from 'tidesync/server';
import { call, hlcAt, makeServer, op, pullAll } from './server-helpers.js';

const runs = Number(process.env['TIDESYNC_FUZZ_RUNS'] ?? 300);

/** A field that is usually valid, sometimes anything JSON can carry. */
const maybe = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue() });

const fuzzOp = fc.record({
  opId: maybe(fc.string({ minLength: 1, maxLength: 8 })),
  seq: maybe(fc.integer({ min: -2, max: 6 })),
  collection: maybe(fc.constantFrom('todos', 'notes', 'memos', 'boards', '__proto__', 'nope')),
  id: maybe(fc.constantFrom('a', 'b', 'constructor', '__proto__')),
  serverId: maybe(fc.constantFrom(null, 'a', 'b')),
  type: maybe(fc.constantFrom('insert', 'update', 'delete', 'upsert')),
  data: maybe(
    fc.dictionary(fc.constantFrom('title', 'done', 'body', '__proto__', 'x'), fc.jsonValue()),
  ),
  patch: maybe(fc.dictionary(fc.constantFrom('title', 'done', 'constructor'), fc.jsonValue())),
  baseVersion: maybe(fc.integer({ min: -1, max: 3 })),
  hlc: maybe(fc.constantFrom(hlcAt(1), hlcAt(4_102_444_800_000), 'garbage')),
  fieldClocks: maybe(fc.dictionary(fc.constantFrom('title', 'done'), fc.constant(hlcAt(2)))),
});

describe('fuzzed requests (memory store)', () => {
  it('answers every fuzzed push, pull and get with a status below 500 and pollutes nothing', async () => {
    const server = makeServer(memoryServerStore());
    await call(server, 'push', { protocol: 1, clientId: 'c1', ops: [op({ seq: 1, id: 'a' })] });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('push', 'pull', 'get'),
        maybe(fc.constantFrom('c1', 'c2')),
        fc.array(fuzzOp, { minLength: 0, maxLength: 4 }),
        fc.jsonValue(),
        async (kind, clientId, ops, other) => {
          const body =
            kind === 'push'
              ? { protocol: 1, clientId, ops }
              : kind === 'pull'
                ? { protocol: 1, clientId, cursor: other, limit: 5 }
                : { protocol: 1, clientId, collection: 'todos', ids: other };
          const answer = await call(server, kind, body, {
            user: clientId === 'c2' ? 'bob' : 'alice',
          });
          expect(answer.status).toBeLessThan(500);
          expect(Object.prototype).not.toHaveProperty('title');
          expect(Object.prototype).not.toHaveProperty('x');
        },
      ),
      { numRuns: runs },
    );
    // The store is still consistent and readable.
    const { changes } = await pullAll(server, 'c1');
    expect(changes.length).toBeGreaterThanOrEqual(1);
  });
});
