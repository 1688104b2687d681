import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WireOp } from '../../src/core/index.js';
import type { ServerStore, SyncServer } from 'tidesync/server';
import {
  call,
  hlcAt,
  makeServer,
  NOW,
  op,
  pullAll,
  push,
  storeKinds,
} from '../server/server-helpers.js';

// Item 5 (issue 15): NUL characters and lone surrogates. Postgres text and JSONB cannot hold
// U+0000, and UTF-8 storage replaces a lone surrogate, so no store can round-trip them: every
// store refuses them alike, at the wire. In an op they reject only that op (validation_failed,
// naming the field); in the request envelope they refuse the whole request (400).

const NUL = 'a\u0000b';
const HIGH = 'a\ud800b';
const LOW = 'a\udc00b';

type Case = [name: string, make: (seq: number) => WireOp, field: string];

const updateOf = (seq: number, fields: Partial<WireOp>): WireOp =>
  op({ seq, type: 'update', id: 'base', serverId: 'base', baseVersion: 1, ...fields });

const OP_CASES: Case[] = [
  ['a NUL in a data value', (seq) => op({ seq, data: { title: NUL, done: false } }), 'data.title'],
  [
    'a lone high surrogate in data',
    (seq) => op({ seq, data: { title: HIGH, done: false } }),
    'data.title',
  ],
  [
    'a lone low surrogate in data',
    (seq) => op({ seq, data: { title: LOW, done: false } }),
    'data.title',
  ],
  [
    'a NUL in a data key',
    (seq) => op({ seq, data: { title: 't', done: false, [NUL]: 1 } }),
    'data.a\\u0000b (the key)',
  ],
  ['a NUL in a patch', (seq) => updateOf(seq, { patch: { title: NUL } }), 'patch.title'],
  ['a NUL in the record id', (seq) => op({ seq, id: `rec${NUL}` }), 'id'],
  [
    'a lone surrogate in the serverId',
    (seq) => updateOf(seq, { serverId: `base${HIGH}`, patch: { title: 'x' } }),
    'serverId',
  ],
  ['a NUL in the collection', (seq) => op({ seq, collection: `todos${NUL}` }), 'collection'],
  [
    'a NUL in a field clock key',
    (seq) => op({ seq, fieldClocks: { [`title${NUL}`]: hlcAt(NOW - 1000) } }),
    'fieldClocks.titlea\\u0000b (the key)',
  ],
];

describe.each(storeKinds())('NUL and lone surrogates: $name', (kind) => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;
  let server: SyncServer;
  let errors: Error[];

  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    errors = [];
    server = makeServer(store, { onError: (error) => errors.push(error) });
    const seeded = await push(server, 'c1', [op({ seq: 1, id: 'base' })]);
    if (seeded.body.results[0]?.status !== 'applied') throw new Error('seeding failed');
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
    // No store answered with a 500: the server's onError never heard of these inputs.
    if (errors.length > 0) throw new Error(`onError was called: ${errors[0]?.message}`);
  });

  it.each(OP_CASES)(
    'rejects only the op with %s (validation_failed naming the field); the rest apply',
    async (_name, make, field) => {
      const ops = [op({ seq: 2, id: 'before' }), make(3), op({ seq: 4, id: 'after' })];
      const answer = await push(server, 'c1', ops);
      expect(answer.status).toBe(200);
      expect(answer.body.lastSeq).toBe(4);
      const [first, bad, last] = answer.body.results;
      expect(first?.status).toBe('applied');
      expect(last?.status).toBe('applied');
      expect(bad).toMatchObject({
        opId: ops[1]!.opId,
        status: 'rejected',
        code: 'validation_failed',
      });
      expect((bad as { message: string }).message).toMatch(new RegExp(`^${escapeRegExp(field)}:`));
      // The recorded outcome replays the same way (and was storable on this store).
      const replay = await push(server, 'c1', ops);
      expect(replay.body.results).toEqual(answer.body.results);
      const { changes } = await pullAll(server, 'c2');
      expect(changes.map((c) => c.id).sort()).toEqual(['after', 'base', 'before']);
      expect(changes.find((c) => c.id === 'base')?.data['title']).toBe('t');
    },
  );

  it('round-trips a well-formed surrogate pair (the check refuses only lone halves)', async () => {
    const title = 'emoji \ud83d\ude00 and \u00e9';
    const answer = await push(server, 'c1', [
      op({ seq: 2, id: 'pair', data: { title, done: false } }),
    ]);
    expect(answer.body.results[0]?.status).toBe('applied');
    const { changes } = await pullAll(server, 'c2');
    expect(changes.find((c) => c.id === 'pair')?.data['title']).toBe(title);
  });

  const ENVELOPE: [string, string, () => unknown, string][] = [
    [
      'a push clientId',
      'push',
      () => ({ protocol: 1, clientId: `c${NUL}`, ops: [op({ seq: 1 })] }),
      'clientId',
    ],
    [
      'an opId',
      'push',
      () => ({ protocol: 1, clientId: 'c1', ops: [op({ seq: 2, opId: `o${LOW}` })] }),
      'ops.0.opId',
    ],
    [
      'a pull clientId',
      'pull',
      () => ({ protocol: 1, clientId: `c${HIGH}`, cursor: null, limit: 10 }),
      'clientId',
    ],
    [
      'a pull cursor',
      'pull',
      () => ({ protocol: 1, clientId: 'c1', cursor: `x${NUL}`, limit: 10 }),
      'cursor',
    ],
    [
      'a get id',
      'get',
      () => ({ protocol: 1, clientId: 'c1', collection: 'todos', ids: [`base${NUL}`] }),
      'ids.0',
    ],
    [
      'a get collection',
      'get',
      () => ({ protocol: 1, clientId: 'c1', collection: `todos${NUL}`, ids: ['base'] }),
      'collection',
    ],
  ];

  it.each(ENVELOPE)(
    'refuses the whole request with 400 for %s',
    async (_name, path, body, field) => {
      const answer = await call<{ error: { code: string; message: string } }>(server, path, body());
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('bad_request');
      expect(answer.body.error.message).toContain(`${field}:`);
      const { changes } = await pullAll(server, 'c2');
      expect(changes.map((c) => c.id)).toEqual(['base']);
    },
  );
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
